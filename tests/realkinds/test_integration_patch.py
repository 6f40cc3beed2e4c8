"""An integration's ``PATCH`` sends ``intendedState`` alone; a rename goes through its configuration.

CX as Code's ``updateIntegration`` and ``createIntegration``
(``genesyscloud/integration/resource_genesyscloud_integration.go``) ``PATCH`` with
``platformclientv2.Integration{IntendedState: &intendedState}`` and nothing else, and name the
integration through ``PUT …/config/current`` (``updateIntegrationConfigFromResourceData``,
whose body carries ``Name``). The SDK's ``Integration`` makes ``name`` optional. A manifest
without ``config`` is renamed by the configuration's ``PUT`` too, the rest of the
configuration sent back as read; a state change alone writes no configuration.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

from reconciler.genesys import ClientLimits, GenesysClient, Target
from reconciler.kinds import REGISTRY

from ._support import CREDENTIAL_ENV, Project, make_project

API = "http://127.0.0.1:8996"
KIND = REGISTRY["Integration"]
ITEM, CONFIG = "/api/v2/integrations/i1", "/api/v2/integrations/i1/config/current"
TYPE = {"id": "custom-rest-actions"}
LIVE_CONFIG = {"id": "i1", "name": "CRM", "version": 4, "notes": "n", "properties": {"timeout": 30},
               "advanced": {}, "credentials": {"basicAuth": {"id": "c1", "name": "Basic"}},
               "selfUri": CONFIG}
LIVE = {"id": "i1", "name": "CRM", "integrationType": TYPE, "intendedState": "DISABLED"}


def _writes(name: str, spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The write requests (method, path, JSON body) of an update of the integration LIVE to ``name``/``spec``."""
    target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="sec")

    async def main() -> None:
        async with GenesysClient(target, limits=ClientLimits(confirm_wait=0.0), rng=random.Random(1)) as client:
            await client.update(KIND, "i1", KIND.api_body(name, spec), 0)

    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.post("/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 86400})
        )
        router.patch(ITEM).mock(return_value=httpx.Response(200, json=LIVE))
        router.get(ITEM).mock(return_value=httpx.Response(200, json=LIVE))
        router.get(CONFIG).mock(return_value=httpx.Response(200, json=LIVE_CONFIG))
        router.put(CONFIG).mock(return_value=httpx.Response(200, json={**LIVE_CONFIG, "version": 5}))
        anyio.run(main)
        calls = [c.request for c in router.calls if c.request.method in ("PUT", "PATCH")]
    return [(r.method, r.url.path, json.loads(r.content)) for r in calls]


def _spec(state: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"integrationType": TYPE, "intendedState": state, **({"config": {"current": config}} if config else {})}


#: the configuration as read, less what reads alone show: what a rename without a manifest config sends back
AS_READ = {"notes": "n", "properties": {"timeout": 30}, "advanced": {}, "credentials": {"basicAuth": {"id": "c1",
                                                                                                     "name": "Basic"}}}


class TestBodies:
    def test_a_state_change_alone_patches_the_state_alone(self) -> None:
        assert _writes("CRM", _spec("ENABLED")) == [("PATCH", ITEM, {"intendedState": "ENABLED"})]

    def test_a_rename_alone_puts_the_configuration_and_patches_nothing(self) -> None:
        writes = _writes("CRM Renamed", _spec("DISABLED", {"notes": "n"}))
        assert writes == [("PUT", CONFIG, {"notes": "n", "credentials": {}, "name": "CRM Renamed",
                                           "properties": {"timeout": 30}, "advanced": {}, "version": 4})]

    def test_a_rename_and_a_state_change_put_the_name_and_patch_the_state_alone(self) -> None:
        writes = _writes("CRM Renamed", _spec("ENABLED", {"notes": "n"}))
        assert [(m, p) for m, p, _ in writes] == [("PUT", CONFIG), ("PATCH", ITEM)]
        assert writes[0][2]["name"] == "CRM Renamed"
        assert writes[1][2] == {"intendedState": "ENABLED"}

    def test_a_manifest_without_config_is_renamed_through_the_configuration_kept_as_read(self) -> None:
        writes = _writes("CRM Renamed", _spec("ENABLED"))
        assert writes == [
            ("PUT", CONFIG, {**AS_READ, "name": "CRM Renamed", "version": 4}),
            ("PATCH", ITEM, {"intendedState": "ENABLED"}),
        ]
        assert _writes("CRM Renamed", _spec("DISABLED")) == [("PUT", CONFIG, {**AS_READ, "name": "CRM Renamed",
                                                                             "version": 4})]

    def test_the_audit_names_the_configuration_first_for_a_rename_without_config(self) -> None:
        body = KIND.api_body("CRM Renamed", _spec("ENABLED"))
        assert KIND.first_update_request("i1", body, renamed=True) == ("PUT", CONFIG)
        assert KIND.first_update_request("i1", body) == ("PATCH", ITEM)
        assert KIND.update_body(body) == {"intendedState": "ENABLED"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name, value in CREDENTIAL_ENV.items():
        monkeypatch.setenv(name, value)
    made = make_project(tmp_path, files=("credentials.yaml", "integrations.yaml"))
    (made.manifests / "plain.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Integration\nmetadata:\n  name: Plain Web Services\n"
        "spec:\n  integrationType:\n    id: custom-rest-actions\n  intendedState: DISABLED\n"
    )
    return made


def _intents(project: Project) -> list[tuple[str, str, str]]:
    return [(r["action"], r["method"], r["path"]) for r in project.last_run_records() if r["type"] == "intent"]


def test_renames_and_state_changes_land_on_the_sandbox(project: Project) -> None:
    project.run("apply", "--auto-approve")
    before = project.live("Integration")
    crm, plain = before["CRM Web Services"], before["Plain Web Services"]
    # a case-only rename (the same object) and a state change, with and without a manifest config
    project.edit("integrations.yaml", "name: CRM Web Services", "name: CRM web services")
    project.edit("integrations.yaml", "intendedState: ENABLED", "intendedState: DISABLED")
    project.edit("plain.yaml", "name: Plain Web Services", "name: Plain web services")
    project.run("apply", "--auto-approve")
    after = project.live("Integration")
    assert (after["CRM web services"]["id"], after["CRM web services"]["intendedState"]) == (crm["id"], "DISABLED")
    assert after["CRM web services"]["config"]["current"] == {**crm["config"]["current"], "name": "CRM web services"}
    assert (after["Plain web services"]["id"], after["Plain web services"]["intendedState"]) == (plain["id"], "DISABLED")
    assert sorted(_intents(project)) == sorted([
        ("update", "PUT", f"/api/v2/integrations/{crm['id']}/config/current"),
        ("update", "PUT", f"/api/v2/integrations/{plain['id']}/config/current"),
    ])
    # a state change alone: the PATCH (no name) keeps the name
    project.edit("plain.yaml", "intendedState: DISABLED", "intendedState: ENABLED")
    project.run("apply", "--auto-approve")
    assert _intents(project) == [("update", "PATCH", f"/api/v2/integrations/{plain['id']}")]
    live = project.live("Integration")["Plain web services"]
    assert (live["name"], live["intendedState"]) == ("Plain web services", "ENABLED")
    assert "No changes" in project.run("plan", "--detailed-exitcode").stdout
