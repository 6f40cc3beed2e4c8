"""Two live triggers sharing a declared name: plan exits 1 naming both ids (issue 14).

The platform lets triggers share a name; the sandbox (for now) refuses it, so the second
trigger is added to what ``read_live`` returns, as a real org would list it. A manifest
resolves it by pinning its object with ``metadata.id``, which export writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import reconciler.app.export as exporting
import reconciler.app.planning as planning
from reconciler.core.keys import Location
from reconciler.manifests.desired import DesiredObject
from reconciler.plan.identity import ambiguous_identities, duplicate_names, duplicate_warnings, live_index, pin_issues

from ._support import SURVEY, TRIGGER, Project, changes_of, make_project

OTHER = "Callback On Abandon"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = make_project(tmp_path)
    made.run("apply", "--auto-approve")
    return made


def _with_twin(monkeypatch: pytest.MonkeyPatch, name: str, twin_id: str, module: Any = planning) -> None:
    """Live listings (of ``module``: plan or export) show a second trigger named ``name`` (other case, other id)."""
    real = module.read_live

    async def twinned(*args: Any, **kwargs: Any) -> Any:
        live = await real(*args, **kwargs)
        triggers = live[TRIGGER.name]
        original = next(t for t in triggers if t["name"] == name)
        live[TRIGGER.name] = [*triggers, {**original, "id": twin_id, "name": name.upper()}]
        return live

    monkeypatch.setattr(module, "read_live", twinned)


def test_a_declared_name_two_live_triggers_share_exits_1_naming_both_ids(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_id = project.live("ProcessAutomationTrigger")[SURVEY]["id"]
    _with_twin(monkeypatch, SURVEY, "twin-trigger-id")
    result = project.run("plan", expect=1)
    assert "Traceback" not in result.output
    assert "triggers.yaml:9" in result.output and "metadata.name" in result.output
    assert original_id in result.output and "twin-trigger-id" in result.output


def test_drift_lists_undeclared_duplicates(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    other_id = project.live("ProcessAutomationTrigger")[OTHER]["id"]
    project.edit("triggers.yaml", f"name: {OTHER}", "name: Callback Renamed")  # the live one is now undeclared
    _with_twin(monkeypatch, OTHER, "twin-trigger-id")
    output = project.run("drift", expect=None).output
    assert "Traceback" not in output
    assert f"2 live objects are named '{OTHER}' (ids {other_id}, twin-trigger-id)" in output


def test_undeclared_duplicates_are_warnings_not_errors() -> None:
    live = {TRIGGER.name: [{"id": "a", "name": "X"}, {"id": "b", "name": "x"}, {"id": "c", "name": "Y"}]}
    duplicates = duplicate_names(live)
    assert list(duplicates) == [(TRIGGER.name, "x")]
    assert ambiguous_identities([], duplicates) == []
    assert duplicate_warnings([], duplicates) == [f"{TRIGGER.name}: 2 live objects are named 'X' (ids a, b)"]


def _pin(project: Project, name: str, pinned_id: str) -> None:
    project.edit("triggers.yaml", f"  name: {name}\n", f"  name: {name}\n  id: {pinned_id}\n")


def test_a_pinned_object_is_matched_by_id_and_its_twin_is_unmanaged(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_id = project.live("ProcessAutomationTrigger")[SURVEY]["id"]
    _with_twin(monkeypatch, SURVEY, "twin-trigger-id")
    _pin(project, SURVEY, original_id)
    project.edit("triggers.yaml", "when a customer leaves a call", "when a customer hangs up")
    plan = project.plan_json()
    (change,) = changes_of(plan).values()
    assert (change["action"], change["name"], change["object_id"]) == ("update", SURVEY, original_id)
    assert {fc["path"] for fc in change["field_changes"]} == {"description"}
    assert plan["unmanaged"] == [f"{TRIGGER.name}/{SURVEY.upper()}"]


def test_a_pin_no_live_object_has_is_an_error_at_metadata_id(project: Project) -> None:
    _pin(project, SURVEY, "no-such-trigger")
    result = project.run("plan", expect=1)
    assert "Traceback" not in result.output
    assert "triggers.yaml:10" in result.output and "metadata.id" in result.output
    assert "'no-such-trigger'" in result.output


def test_a_pin_must_be_a_string(project: Project) -> None:
    _pin(project, SURVEY, "[1, 2]")
    result = project.run("validate", expect=1)
    assert "Traceback" not in result.output
    assert "triggers.yaml:10" in result.output and "metadata.id" in result.output


def test_export_pins_every_object_of_a_shared_name(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    original_id = project.live("ProcessAutomationTrigger")[SURVEY]["id"]
    _with_twin(monkeypatch, SURVEY, "twin-trigger-id", exporting)
    project.run("export", "--out", "adopted", "--kind", "ProcessAutomationTrigger")
    folder = project.root / "adopted/process-automation-trigger"
    documents = {p.name: yaml.safe_load(p.read_text()) for p in folder.glob("*.yaml")}
    pins = {d["metadata"]["name"]: d["metadata"].get("id") for d in documents.values()}
    assert pins == {SURVEY: original_id, SURVEY.upper(): "twin-trigger-id", OTHER: None}
    assert len(documents) == 3  # distinct files


def test_a_plan_of_both_exported_twins_says_to_keep_one(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_twin(monkeypatch, SURVEY, "twin-trigger-id", exporting)
    project.run("export", "--out", "adopted", "--kind", "ProcessAutomationTrigger")
    result = project.run("plan", "adopted", expect=1)
    assert "Traceback" not in result.output
    assert "is already declared" in result.output and "keep one document" in result.output


def test_a_plan_of_one_exported_twin_is_clean(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeping one pinned document of a shared name plans as no change; the other twin is unmanaged."""
    original_id = project.live("ProcessAutomationTrigger")[SURVEY]["id"]
    _with_twin(monkeypatch, SURVEY, "twin-trigger-id", exporting)
    _with_twin(monkeypatch, SURVEY, "twin-trigger-id")
    project.run("export", "--out", "adopted", "--kind", "ProcessAutomationTrigger")
    folder = project.root / "adopted/process-automation-trigger"
    twin = [p for p in folder.glob("*.yaml") if "twin-trigger-id" in p.read_text()]
    assert len(twin) == 1
    twin[0].unlink()
    plan = json.loads(project.run("plan", "adopted", "--format", "json", "--detailed-exitcode").stdout)
    assert changes_of(plan) == {}
    assert [u for u in plan["unmanaged"] if u.startswith(TRIGGER.name)] == [f"{TRIGGER.name}/{SURVEY.upper()}"]
    assert any(f"id: {original_id}" in p.read_text() for p in folder.glob("*.yaml"))


def _declared(name: str, pinned_id: str | None) -> DesiredObject:
    return DesiredObject(TRIGGER.name, name, {}, Location("t.yaml", 1, 1), pinned_id=pinned_id)


def test_a_pin_wins_over_the_name_and_finds_a_renamed_object() -> None:
    live = {TRIGGER.name: [{"id": "a", "name": "X"}, {"id": "b", "name": "x"}, {"id": "c", "name": "Old"}]}
    desired = [_declared("X", "a"), _declared("New", "c")]
    index = live_index(live, desired)
    assert index[(TRIGGER.name, "x")]["id"] == "a" and index[(TRIGGER.name, "new")]["id"] == "c"
    assert ambiguous_identities(desired, duplicate_names(live)) == []
    assert pin_issues(desired, live) == []


def test_pins_naming_no_live_object_or_pinned_twice_are_issues() -> None:
    live = {TRIGGER.name: [{"id": "a", "name": "X"}]}
    issues = pin_issues([_declared("X", "a"), _declared("Y", "a"), _declared("Z", "gone")], live)
    assert [(i.path, "already pinned" in i.message, "'gone'" in i.message) for i in issues] == [
        ("metadata.id", True, False),
        ("metadata.id", False, True),
    ]
