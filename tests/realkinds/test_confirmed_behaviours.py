"""Platform behaviours confirmed from the sources, as the kinds now follow them.

* An integration's configuration ``notes``: CX as Code (v1.84.1,
  ``genesyscloud/integration/resource_genesyscloud_integration_utils.go``) sends ``""`` when
  unset and reads ``nil`` and the platform's ``"node_dynamodb_empty_string"`` as ``""``.
* A function data action: CX as Code (``resource_genesyscloud_integration_action.go``,
  ``containsFunctionDataAction``) writes one through a draft and a zip upload, never ``POST
  /actions``; this kind cannot, so the category that marks one is refused offline.
* A trigger's ``dataFormat``: the SDK's ``WorkflowTargetSettings`` allows ``Json`` and
  ``TopLevelPrimitives``; CX as Code sends no ``workflowTargetSettings`` when unset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.kinds import REGISTRY
from reconciler.kinds.data_action import is_function_category

from .test_validation import doc, errors_of

INTEGRATION = REGISTRY["Integration"]
ACTION = REGISTRY["DataAction"]
TRIGGER = REGISTRY["ProcessAutomationTrigger"]
TYPE = {"id": "custom-rest-actions"}


def _live_integration(**current: Any) -> dict[str, Any]:
    config = {"name": "CRM", "credentials": {}, "properties": {}, "advanced": {}, **current}
    return {"id": "i1", "name": "CRM", "integrationType": TYPE, "intendedState": "DISABLED", "config": {"current": config}}


class TestIntegrationNotes:
    SPEC: dict[str, Any] = {"integrationType": TYPE, "config": {"current": {"credentials": {}}}}

    @pytest.mark.parametrize("live_notes", ["", "node_dynamodb_empty_string", None])
    def test_a_manifest_without_notes_matches_every_spelling_of_none(self, live_notes: str | None) -> None:
        desired = INTEGRATION.desired_essence({"name": "CRM", **self.SPEC})
        live = INTEGRATION.comparable(INTEGRATION.essence(_live_integration(notes=live_notes)), desired)
        assert live == desired and desired["config"]["current"]["notes"] == ""

    def test_a_live_note_still_differs_and_unset_notes_are_sent_empty(self) -> None:
        desired = INTEGRATION.desired_essence({"name": "CRM", **self.SPEC})
        live = INTEGRATION.comparable(INTEGRATION.essence(_live_integration(notes="set in the UI")), desired)
        assert live != desired and live["config"]["current"]["notes"] == "set in the UI"
        assert INTEGRATION.api_body("CRM", self.SPEC)["config"]["current"]["notes"] == ""


class TestFunctionDataActions:
    @pytest.mark.parametrize(
        "category, function",
        [("Function Data Action", True), ("my_function-data_action", True), ("FUNCTION DATA ACTIONS", True),
         ("Web Services Data Action", False), ("Function", False), ("functions data action", False)],
    )
    def test_the_category_is_read_as_cx_as_code_reads_it(self, category: str, function: bool) -> None:
        assert is_function_category(category) is function

    def test_a_function_category_is_refused_at_its_line(self, tmp_path: Path) -> None:
        spec = "category: Function Data Action\nintegrationId: i\n"
        spec += "config: {request: {requestUrlTemplate: u, requestType: POST}}\n"
        spec += "contract: {input: {inputSchema: {}}, output: {successSchema: {}}}\n"
        errors = errors_of(tmp_path, doc("DataAction", "A", spec))
        assert len(errors) == 1 and errors[0].startswith("objects.yaml:6:13: spec.category: names a function data action")


class TestTriggerTargetSettings:
    BASE: dict[str, Any] = {"topicName": "v2.x", "target": {"type": "Workflow", "id": "wf"}}

    @pytest.mark.parametrize("data_format", ["Json", "TopLevelPrimitives"])
    def test_both_sdk_formats_are_sent_as_written(self, data_format: str) -> None:
        spec = {**self.BASE, "target": {**self.BASE["target"], "workflowTargetSettings": {"dataFormat": data_format}}}
        assert TRIGGER.api_body("T", spec)["target"]["workflowTargetSettings"] == {"dataFormat": data_format}

    def test_unset_settings_ttl_and_delay_are_not_sent(self) -> None:
        body = TRIGGER.api_body("T", self.BASE)
        assert "workflowTargetSettings" not in body["target"]
        assert "eventTTLSeconds" not in body and "delayBySeconds" not in body
