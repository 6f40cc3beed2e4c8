"""Two live triggers sharing a declared name: plan exits 1 naming both ids (issue 14).

The platform lets triggers share a name; the sandbox (for now) refuses it, so the second
trigger is added to what ``read_live`` returns, as a real org would list it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import reconciler.app.planning as planning
from reconciler.plan.identity import ambiguous_identities, duplicate_names, duplicate_warnings

from ._support import SURVEY, TRIGGER, Project, make_project

OTHER = "Callback On Abandon"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = make_project(tmp_path)
    made.run("apply", "--auto-approve")
    return made


def _with_twin(monkeypatch: pytest.MonkeyPatch, name: str, twin_id: str) -> None:
    """Live listings show a second trigger named ``name`` (other case, other id)."""
    real = planning.read_live

    async def twinned(*args: Any, **kwargs: Any) -> Any:
        live = await real(*args, **kwargs)
        triggers = live[TRIGGER.name]
        original = next(t for t in triggers if t["name"] == name)
        live[TRIGGER.name] = [*triggers, {**original, "id": twin_id, "name": name.upper()}]
        return live

    monkeypatch.setattr(planning, "read_live", twinned)


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
