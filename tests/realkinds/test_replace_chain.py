"""An integration and the data action naming it, both replaced: the action goes first, as Terraform's chain.

Changing ``CRM Web Services``'s ``integrationType`` replaces it; the new integration has a
new id, so ``Notify CRM Of Call``'s ``integrationId`` changes, which also replaces the
action (CX as Code: ``integration_id`` is ``ForceNew``). The order is Terraform's
destroy-then-create chain: delete the action, delete the integration, create the
integration, create the action. A replace run as one step deleted the integration first
(the action requires it), and when the new integration's create failed the live action
was left naming a deleted integration.

The sandbox is lenient; the client here stands in for a stricter platform where a test
asks for it: a create refused on cue (``400``), and an integration whose id a live data
action names refused deletion (``409``), as a platform guarding its references would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.core.errors import BadRequestError, ConflictError
from reconciler.genesys import GenesysClient
from reconciler.kinds import REGISTRY, Kind

from ._support import CREDENTIAL_ENV, Project, make_project

CRM, ACTION = "CRM Web Services", "Notify CRM Of Call"
INTEGRATION, DATA_ACTION = REGISTRY["Integration"], REGISTRY["DataAction"]


class StrictPlatform:
    """The real client, except: creating the integration ``refuse_create`` fails (400), and deleting an
    integration a live data action names is refused (409). Every create and delete is logged, in order."""

    def __init__(self, client: GenesysClient, refuse_create: str | None, log: list[str]) -> None:
        self._client, self._refuse_create, self._log = client, refuse_create, log

    async def create(self, kind: Kind, body: dict[str, Any]) -> Any:
        self._log.append(f"create {kind.name}/{body['name']}")
        if kind is INTEGRATION and body["name"] == self._refuse_create:
            raise BadRequestError(400, "bad.request", "integration type not available", method="POST",
                                  path=kind.collection, correlation_id="corr-refused")
        return await self._client.create(kind, body)

    async def delete(self, kind: Kind, object_id: str) -> Any:
        self._log.append(f"delete {kind.name}/{object_id}")
        if kind is INTEGRATION:
            actions = await self._client.details(DATA_ACTION, await self._client.list_all(DATA_ACTION))
            if any(a.get("integrationId") == object_id for a in actions):
                raise ConflictError(409, "conflict", "the integration has data actions", method="DELETE",
                                    path=kind.item_path(object_id), correlation_id="corr-in-use")
        return await self._client.delete(kind, object_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name, value in CREDENTIAL_ENV.items():
        monkeypatch.setenv(name, value)
    project = make_project(tmp_path, files=("credentials.yaml", "integrations.yaml", "data-actions.yaml"))
    project.run("apply", "--auto-approve")
    project.edit("integrations.yaml", "id: custom-rest-actions\n  intendedState: ENABLED",
                 "id: custom-rest-actions-v2\n  intendedState: ENABLED")
    return project


def strict(monkeypatch: pytest.MonkeyPatch, refuse_create: str | None = None) -> list[str]:
    """Apply through :class:`StrictPlatform`; the log of its creates and deletes."""
    import reconciler.app.applying as applying

    real, log = applying.apply_plan, []

    async def through_strict(plan: Any, client: Any, **kwargs: Any) -> Any:
        return await real(plan, StrictPlatform(client, refuse_create, log), **kwargs)

    monkeypatch.setattr(applying, "apply_plan", through_strict)
    return log


def test_both_are_planned_as_replaces(project: Project) -> None:
    changes = {f"{c['kind']}/{c['name']}": c["action"] for c in project.plan_json("--detailed-exitcode", expect=2)[
        "changes"] if c["action"] != "no-op"}
    assert changes == {f"Integration/{CRM}": "replace", f"DataAction/{ACTION}": "replace"}


def test_a_failed_create_of_the_new_integration_leaves_no_action_naming_a_deleted_one(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = project.live("Integration")[CRM]
    old_action = project.live("DataAction")[ACTION]
    log = strict(monkeypatch, refuse_create=CRM)
    result = project.run("apply", "--auto-approve", "--format", "json", expect=1)
    # the action's delete came first; the integration's create was refused; the action was not created
    assert log == [f"delete DataAction/{old_action['id']}", f"delete Integration/{old['id']}",
                   f"create Integration/{CRM}"]
    integrations, actions = project.live("Integration"), project.live("DataAction")
    assert CRM not in integrations and ACTION not in actions
    live_ids = {o["id"] for o in integrations.values()}
    assert all(a["integrationId"] in live_ids for a in actions.values()), "an action names a deleted integration"
    # one replace per object, each saying which half did not happen
    import json

    outcomes = {c["name"]: c for c in json.loads(result.stdout)["changes"]}
    assert (outcomes[CRM]["action"], outcomes[CRM]["outcome"]) == ("replace", "failed")
    assert outcomes[CRM]["error"].startswith("deleted, but the create failed: POST /api/v2/integrations failed: "
                                             "HTTP 400")
    assert (outcomes[ACTION]["action"], outcomes[ACTION]["outcome"]) == ("replace", "failed")
    assert outcomes[ACTION]["error"] == f"deleted, but not created: depends on Integration/{CRM}, which failed"
    # the audit log holds both halves of each, in the order they were sent
    intents = [(r["kind"], r["action"]) for r in project.last_run_records() if r["type"] == "intent"]
    assert intents == [("DataAction", "delete"), ("Integration", "delete"), ("Integration", "create")]

    # the next run (the platform accepting the create now) finishes both: it creates what is missing
    monkeypatch.undo()
    for name, value in CREDENTIAL_ENV.items():
        monkeypatch.setenv(name, value)
    again = {f"{c['kind']}/{c['name']}": c["action"] for c in project.plan_json("--detailed-exitcode", expect=2)[
        "changes"] if c["action"] != "no-op"}
    assert again == {f"Integration/{CRM}": "create", f"DataAction/{ACTION}": "create"}
    project.run("apply", "--auto-approve")
    assert project.live("DataAction")[ACTION]["integrationId"] == project.live("Integration")[CRM]["id"]
    project.run("plan", "--detailed-exitcode")


def test_a_platform_refusing_to_delete_a_referenced_integration_accepts_the_order(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The action's delete comes before the integration's, so nothing names the integration when it goes."""
    log = strict(monkeypatch)
    project.run("apply", "--auto-approve")
    assert [line.split("/")[0] for line in log] == [
        "delete DataAction", "delete Integration", "create Integration", "create DataAction"]
    new = project.live("Integration")[CRM]
    assert new["integrationType"]["id"] == "custom-rest-actions-v2"
    assert project.live("DataAction")[ACTION]["integrationId"] == new["id"]
    project.run("plan", "--detailed-exitcode")
