"""An integration's ``properties`` and ``advanced`` that a manifest leaves out are not managed.

CX as Code's ``genesyscloud_integration`` makes both ``Optional`` and ``Computed``
(``resource_genesyscloud_integration_schema.go``), and its
``updateIntegrationConfigFromResourceData`` starts from the live configuration and replaces
them only when set. The configuration's ``PUT`` replaces it whole (the sandbox too), so a
write sends the live values back; an explicit ``{}`` still empties them.
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
TYPE = {"id": "custom-rest-actions"}
LIVE_CONFIG = {"id": "i1", "name": "CRM", "version": 3, "notes": "n", "properties": {"timeout": 30},
               "advanced": {"x": [1]}, "credentials": {"basicAuth": {"id": "c1", "name": "Basic"}}}
LIVE = {"id": "i1", "name": "CRM", "integrationType": TYPE, "intendedState": "ENABLED",
        "config": {"current": LIVE_CONFIG}}


def _spec(**config: Any) -> dict[str, Any]:
    return {"integrationType": TYPE, "intendedState": "ENABLED", "config": {"current": {"notes": "n", **config}}}


def _differs(spec: dict[str, Any]) -> dict[str, Any]:
    """What the plan compares: the live essence as compared with the desired one, and the desired one."""
    desired = KIND.desired_essence({"name": "CRM", **spec})
    return {"live": KIND.comparable(KIND.essence(LIVE), desired), "desired": desired}


class TestPlan:
    def test_left_out_they_are_not_compared_set_they_are(self) -> None:
        sides = _differs(_spec(credentials={"basicAuth": {"id": "c1"}}))
        assert sides["live"] == sides["desired"]
        assert "properties" not in sides["desired"]["config"]["current"]
        # set, they are compared, and an explicit empty map means empty
        sides = _differs(_spec(credentials={"basicAuth": {"id": "c1"}}, properties={}, advanced={"x": [1]}))
        assert sides["live"] != sides["desired"]
        assert sides["live"]["config"]["current"]["properties"] == {"timeout": 30}
        assert sides["desired"]["config"]["current"]["properties"] == {}
        assert KIND.sub_body(KIND.api_body("CRM", _spec(properties={})))["properties"] == {}

    def test_a_manifest_without_config_leaves_the_live_one_alone(self) -> None:
        """CX as Code's ``config`` is ``Optional``+``Computed`` too: left out, the live configuration (which every
        integration has on the platform) is neither compared nor sent back in the update's body."""
        spec = {"integrationType": TYPE, "intendedState": "ENABLED"}
        desired = KIND.desired_essence({"name": "CRM", **spec})
        assert KIND.comparable(KIND.essence(LIVE), desired) == desired
        body = KIND.keep_unmanaged(KIND.api_body("CRM", spec), LIVE)
        assert "config" not in body and KIND.sub_body(body) is None

    def test_the_body_leaves_them_out_and_the_live_object_is_left_as_read(self) -> None:
        body = KIND.api_body("CRM", _spec())
        assert body["config"]["current"] == {"notes": "n", "credentials": {}}
        KIND.comparable(KIND.essence(LIVE), KIND.desired_essence({"name": "CRM", **_spec()}))
        assert LIVE["config"]["current"]["properties"] == {"timeout": 30}  # copied, never changed in place


def _put_body(spec: dict[str, Any]) -> dict[str, Any]:
    """The ``PUT …/config/current`` an update of ``spec`` sends, the configuration read being LIVE_CONFIG."""
    item, config = "/api/v2/integrations/i1", "/api/v2/integrations/i1/config/current"
    target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="sec")

    async def main() -> Any:
        async with GenesysClient(target, limits=ClientLimits(confirm_wait=0.0), rng=random.Random(1)) as client:
            return await client.update(KIND, "i1", KIND.api_body("CRM", spec), 0)

    with respx.mock(base_url=API, assert_all_called=False) as router:
        router.post("/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 86400})
        )
        router.patch(item).mock(return_value=httpx.Response(200, json=LIVE))
        router.get(item).mock(return_value=httpx.Response(200, json=LIVE))
        router.get(config).mock(return_value=httpx.Response(200, json=LIVE_CONFIG))
        put = router.put(config).mock(return_value=httpx.Response(200, json=LIVE_CONFIG))
        anyio.run(main)
    assert len(put.calls) == 1
    sent: dict[str, Any] = json.loads(put.calls[0].request.content)
    return sent


class TestWrite:
    def test_left_out_the_values_read_before_the_put_are_sent_back_set_they_are_sent(self) -> None:
        sent = _put_body(_spec(notes="new"))
        assert sent == {"notes": "new", "properties": {"timeout": 30}, "advanced": {"x": [1]}, "credentials": {},
                        "name": "CRM", "version": 3}
        sent = _put_body(_spec(properties={}, advanced={"y": 2}))
        assert (sent["properties"], sent["advanced"]) == ({}, {"y": 2})


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name, value in CREDENTIAL_ENV.items():
        monkeypatch.setenv(name, value)
    return make_project(tmp_path, files=("credentials.yaml", "integrations.yaml"))


def test_properties_set_elsewhere_survive_plan_and_apply(project: Project) -> None:
    """Set in the UI (here: a configuration ``PUT``), they are no change, and an apply of another
    change keeps them; the sandbox, like the platform, empties what a ``PUT`` leaves out."""
    project.run("apply", "--auto-approve")
    crm = project.live("Integration")["CRM Web Services"]
    current = crm["config"]["current"]
    spec = {"integrationType": TYPE, "intendedState": "ENABLED",
            "config": {"current": {**{k: current[k] for k in ("notes", "credentials")},
                                   "properties": {"timeout": 30}, "advanced": {"x": 1}}}}

    async def configure(client: GenesysClient) -> Any:
        return await client.update(KIND, crm["id"], KIND.api_body("CRM Web Services", spec), 0)

    project.with_client(configure)
    project.run("plan", "--detailed-exitcode")  # exit 0: no changes

    project.edit("integrations.yaml", "notes: Data actions that call the CRM", "notes: Calls the CRM")
    project.run("apply", "--auto-approve")
    current = project.live("Integration")["CRM Web Services"]["config"]["current"]
    assert (current["notes"], current["properties"], current["advanced"]) == ("Calls the CRM", {"timeout": 30}, {"x": 1})

    project.edit("integrations.yaml", "notes: Calls the CRM", "notes: Calls the CRM\n      properties: {}")
    project.run("apply", "--auto-approve")
    current = project.live("Integration")["CRM Web Services"]["config"]["current"]
    assert (current["properties"], current["advanced"]) == ({}, {"x": 1})

    async def put_without_them(client: GenesysClient) -> Any:  # another tool's PUT: it replaces the whole configuration
        path = f"{KIND.item_path(crm['id'])}/config/current"
        read, _ = await client._session.call("GET", path, path)
        return await client._session.call("PUT", path, path, json={"notes": "n", "version": read.json()["version"]})

    project.with_client(put_without_them)
    current = project.live("Integration")["CRM Web Services"]["config"]["current"]
    assert (current["properties"], current["advanced"]) == ({}, {})
