"""An integration's configuration is written before its ``intendedState`` (CX as Code's order).

``createIntegration`` and ``updateIntegration`` (CX as Code,
``genesyscloud/integration/resource_genesyscloud_integration.go``) call
``updateIntegrationConfigFromResourceData`` first, then ``PATCH`` the state: an
integration is never enabled before its credentials are in place. The audit's intent
names an update's first write request; a failure of the ``PATCH`` after the
configuration is reported as the ``PATCH``'s, and a re-run finishes the write.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

from reconciler.core.errors import ApiError
from reconciler.genesys import ClientLimits, GenesysClient, Target
from reconciler.kinds import REGISTRY

from ._support import CREDENTIAL_ENV, Project, make_project

API = "http://127.0.0.1:8996"
KIND = REGISTRY["Integration"]
ITEM, CONFIG = "/api/v2/integrations/i1", "/api/v2/integrations/i1/config/current"
LIVE = {"id": "i1", "name": "CRM", "integrationType": {"id": "custom-rest-actions"}, "intendedState": "ENABLED"}
SPEC = {"integrationType": {"id": "custom-rest-actions"}, "intendedState": "ENABLED",
        "config": {"current": {"credentials": {"basicAuth": {"id": "c1"}}}}}


def _run(write: str, patch: httpx.Response, state: str = "DISABLED") -> tuple[list[tuple[str, str]], Any]:
    """The write requests (method, path) of a create or update of SPEC (ENABLED), in order, and its result or
    error; reads of the integration show ``state``."""
    target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="sec")
    body = KIND.api_body("CRM", SPEC)

    async def main() -> Any:
        async with GenesysClient(target, limits=ClientLimits(confirm_wait=0.0), rng=random.Random(1)) as client:
            try:
                if write == "create":
                    return await client.create(KIND, body)
                return await client.update(KIND, "i1", body, 0)
            except ApiError as error:
                return error

    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.post("/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 86400})
        )
        router.post("/api/v2/integrations").mock(return_value=httpx.Response(200, json={**LIVE, "intendedState": "DISABLED"}))
        router.patch(ITEM).mock(return_value=patch)
        router.get(ITEM).mock(return_value=httpx.Response(200, json={**LIVE, "intendedState": state}))
        router.get(CONFIG).mock(return_value=httpx.Response(200, json={"id": "i1", "name": "CRM", "version": 1}))
        router.put(CONFIG).mock(return_value=httpx.Response(200, json={"id": "i1", "version": 2}, headers={
            "ININ-Correlation-Id": "put-1"}))
        outcome = anyio.run(main)
        writes = [(c.request.method, c.request.url.path) for c in router.calls if c.request.method != "GET"]
    return [w for w in writes if w[1] != "/oauth/token"], outcome


@pytest.mark.parametrize("write", ["create", "update"])
def test_the_configuration_is_written_before_the_state(write: str) -> None:
    writes, result = _run(write, httpx.Response(200, json=LIVE))
    expected = [("PUT", CONFIG), ("PATCH", ITEM)]
    assert writes == ([("POST", "/api/v2/integrations")] if write == "create" else []) + expected
    # the result describes the write's first request: the POST of a create, the configuration's PUT of an update
    first = ("POST", "/api/v2/integrations") if write == "create" else ("PUT", CONFIG)
    assert (result.method, result.path, result.correlation_id) == (*first, None if write == "create" else "put-1")
    assert KIND.first_update_request("i1", KIND.api_body("CRM", SPEC)) == ("PUT", CONFIG)


def test_a_state_already_as_declared_is_not_patched() -> None:
    """CX as Code ``PATCH``es ``intendedState`` only ``if d.HasChange("intended_state")``."""
    writes, result = _run("update", httpx.Response(200, json=LIVE), state="ENABLED")
    assert writes == [("PUT", CONFIG)] and result.object["intendedState"] == "ENABLED"


def test_a_state_refused_after_the_configuration_is_reported_as_the_patchs() -> None:
    refused = {"status": 400, "code": "bad.request", "message": "the integration cannot be enabled"}
    writes, error = _run("update", httpx.Response(400, json=refused))
    assert writes == [("PUT", CONFIG), ("PATCH", ITEM)]
    assert isinstance(error, ApiError) and (error.status, error.method, error.path) == (400, "PATCH", ITEM)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name, value in CREDENTIAL_ENV.items():
        monkeypatch.setenv(name, value)
    return make_project(tmp_path, files=("credentials.yaml", "integrations.yaml"))


def test_the_audit_names_an_updates_first_request(project: Project) -> None:
    project.run("apply", "--auto-approve")
    crm = project.live("Integration")["CRM Web Services"]
    project.edit("integrations.yaml", "notes: Data actions that call the CRM", "notes: Calls the CRM")
    project.run("apply", "--auto-approve")
    intents = [r for r in project.last_run_records() if r["type"] == "intent"]
    assert [(r["kind"], r["action"], r["method"], r["path"]) for r in intents] == [
        ("Integration", "update", "PUT", f"/api/v2/integrations/{crm['id']}/config/current")
    ]
    assert project.live("Integration")["CRM Web Services"]["config"]["current"]["notes"] == "Calls the CRM"
