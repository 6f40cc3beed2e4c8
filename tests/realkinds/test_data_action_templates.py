"""A data action's ``requestTemplate`` and ``successTemplate`` that a manifest leaves out are not managed.

CX as Code's ``genesyscloud_integration_action`` makes ``request_template`` and
``success_template`` ``Optional`` and ``Computed``
(``resource_genesyscloud_integration_action_schema.go``): unset, its update sends the
state's value, read from the live action. So a template set in the UI survives: not
compared, not sent by a create, sent back by an update (whose ``PATCH`` carries the whole
``config``); a manifest that sets one manages it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.genesys import GenesysClient
from reconciler.kinds import REGISTRY

from ._support import CREDENTIAL_ENV, Project, make_project

KIND = REGISTRY["DataAction"]
REQUEST = {"requestUrlTemplate": "u", "requestType": "POST"}
SPEC = {"category": "c", "integrationId": "i", "config": {"request": REQUEST},
        "contract": {"input": {"inputSchema": {}}, "output": {"successSchema": {}}}}
LIVE = {**SPEC, "id": "a", "name": "A", "version": 2,
        "config": {"request": {**REQUEST, "requestTemplate": "{\"from\": \"ui\"}"},
                   "response": {"successTemplate": "${ui}"}}}


def _sides(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    desired = KIND.desired_essence({"name": "A", **spec})
    return KIND.comparable(KIND.essence(LIVE), desired), desired


def test_left_out_they_are_not_compared_nor_sent_by_a_create_and_set_they_are() -> None:
    live, desired = _sides(SPEC)
    assert live == desired
    body = KIND.api_body("A", SPEC)
    assert "requestTemplate" not in body["config"]["request"] and "successTemplate" not in body["config"]["response"]
    managed = {**SPEC, "config": {"request": {**REQUEST, "requestTemplate": "${input.rawRequest}"}}}
    live, desired = _sides(managed)
    assert live["config"]["request"]["requestTemplate"] == "{\"from\": \"ui\"}"
    assert desired["config"]["request"]["requestTemplate"] == "${input.rawRequest}"
    assert "successTemplate" not in desired["config"]["response"] and live != desired


def test_an_update_sends_the_live_ones_back() -> None:
    body = KIND.keep_unmanaged(KIND.api_body("A", SPEC), LIVE)
    assert body["config"]["request"]["requestTemplate"] == "{\"from\": \"ui\"}"
    assert body["config"]["response"]["successTemplate"] == "${ui}"
    assert KIND.update_body(body)["config"] == body["config"]  # the PATCH carries them
    assert "requestTemplate" not in KIND.keep_unmanaged(KIND.api_body("A", SPEC), None)["config"]["request"]
    sent = KIND.api_body("A", SPEC)
    KIND.keep_unmanaged(sent, LIVE)
    assert "requestTemplate" not in sent["config"]["request"]  # a copy: the body given is left as it was


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name, value in CREDENTIAL_ENV.items():
        monkeypatch.setenv(name, value)
    return make_project(tmp_path, files=("credentials.yaml", "integrations.yaml", "data-actions.yaml"))


def test_a_template_set_elsewhere_survives_plan_and_apply(project: Project) -> None:
    project.run("apply", "--auto-approve")
    action = project.live("DataAction")["Open Ticket"]
    assert action["config"]["request"]["requestTemplate"] == "${input.rawRequest}"  # the server's (sandbox) default
    spec = {k: action[k] for k in ("category", "integrationId", "secure", "contract")}
    spec["config"] = {**action["config"], "request": {**action["config"]["request"], "requestTemplate": "{\"s\": 1}"}}

    async def edit_in_ui(client: GenesysClient) -> Any:
        return await client.update(KIND, action["id"], KIND.api_body("Open Ticket", spec), action["version"])

    project.with_client(edit_in_ui)
    project.run("plan", "--detailed-exitcode")  # exit 0: no changes
    project.edit("data-actions.yaml", "https://tickets.example.com/api/tickets", "https://tickets.example.com/api/v2")
    project.run("apply", "--auto-approve")
    request = project.live("DataAction")["Open Ticket"]["config"]["request"]
    assert (request["requestUrlTemplate"], request["requestTemplate"]) == ("https://tickets.example.com/api/v2", "{\"s\": 1}")
