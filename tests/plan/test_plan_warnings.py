"""A plan's warning keeps the manifest place it is about, structured; its line of text and JSON stay as they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.core.errors import PlanFileError
from reconciler.core.keys import Location, ObjectKey
from reconciler.manifests import load_manifests
from reconciler.manifests.escapes import escape_warnings
from reconciler.plan.model import Plan
from reconciler.plan.planfile import checksum, load_plan, save_plan
from reconciler.plan.warning import PlanWarning, whole_plan
from reconciler.render import render_plan

from ._support import TARGET, applied, plan_of, sample

HOOK = (
    "apiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: H\nspec:\n"
    "  requestUrl: https://x.example.com/\n  eventFilters:\n    - event: rules.updated\n"
    "  description: 'costs $${env:X}'\n"
)


@pytest.fixture
def escaped(tmp_path: Path) -> PlanWarning:
    (tmp_path / "hook.yaml").write_text(HOOK, encoding="utf-8")
    (warning,) = escape_warnings(load_manifests([tmp_path], env={}).objects)
    return PlanWarning.of(warning)


@pytest.fixture
def plan(escaped: PlanWarning) -> Plan:
    objects = sample()
    made = plan_of(objects, applied(objects[:2]))
    return made.model_copy(update={"warnings": (escaped, *whole_plan(["about the whole plan"]))})


def test_an_escape_warning_carries_its_file_line_column_and_object(escaped: PlanWarning, tmp_path: Path) -> None:
    assert escaped.at == Location(str(tmp_path / "hook.yaml"), 9, 16)
    assert escaped.key == ObjectKey("Webhook", "H")
    assert escaped.message.startswith("Webhook/H spec.description: '$${env:X}' is now the literal text")
    assert str(escaped) == f"{tmp_path / 'hook.yaml'}:9:16: {escaped.message}"  # the line validate prints


def test_text_markdown_and_json_show_each_warning_as_its_line(plan: Plan, escaped: PlanWarning) -> None:
    """As when the plan held the lines alone: the place shows first in the line, as it did."""
    lines = [str(escaped), "about the whole plan"]
    as_lines = plan.model_copy(update={"warnings": whole_plan(lines)})
    assert json.loads(render_plan(plan, "json"))["warnings"] == lines
    assert f"\n  - {lines[0]}\n" in render_plan(plan)
    for fmt in ("text", "markdown", "json"):
        assert render_plan(plan, fmt) == render_plan(as_lines, fmt)


def test_a_saved_plan_keeps_the_lines_and_loads_equal(plan: Plan, escaped: PlanWarning, tmp_path: Path) -> None:
    """The place is not saved (nothing reads a saved plan into SARIF): the file keeps the line, as before."""
    saved = save_plan(plan, tmp_path / "plan.json")
    assert json.loads(saved.read_text())["warnings"] == [str(escaped), "about the whole plan"]
    loaded = load_plan(saved, expected_target=TARGET)
    assert loaded == plan
    assert [(str(w), w.at) for w in loaded.warnings] == [(str(escaped), None), ("about the whole plan", None)]


def test_a_warning_that_is_not_a_line_is_refused_clearly(plan: Plan, tmp_path: Path) -> None:
    saved = save_plan(plan, tmp_path / "plan.json")
    document = json.loads(saved.read_text())
    document["warnings"] = [{"message": "x", "line": 3}]
    document["checksum"] = checksum(document)
    saved.write_text(json.dumps(document))
    with pytest.raises(PlanFileError, match=r"not a valid plan: 1 problem\(s\), first at warnings\.0"):
        load_plan(saved, expected_target=TARGET)


def test_warnings_are_equal_by_the_line_they_read_as(escaped: PlanWarning) -> None:
    assert PlanWarning(str(escaped)) == escaped and hash(PlanWarning(str(escaped))) == hash(escaped)
    assert PlanWarning(escaped.message) != escaped  # the same sentence at no place reads otherwise
    assert escaped != str(escaped)  # a warning is no string (a plan holds warnings, not sentences)
