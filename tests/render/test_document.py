"""Saved plans and ``--format json`` written from a document sharing the plan's values give pydantic's bytes.

``reconciler/plan/document.py`` assembles a plan's JSON object without ``model_dump``;
it must be the same object, and anything it cannot vouch for (a value that is not plain
JSON, NaN) must go the reference way: the bytes of a plan file (its checksum included)
and of the JSON document never depend on which path wrote them.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from reconciler.core.errors import PlanFileError
from reconciler.core.jsontext import dumps_indented, rust_dumps_indented, rust_dumps_model_json
from reconciler.plan import planfile
from reconciler.plan.document import pydantic_document, shared_document
from reconciler.plan.model import Plan
from reconciler.plan.planfile import parse_plan, plan_document, plan_text, save_plan
from reconciler.render import json as json_renderer
from reconciler.render import render_plan

from ._scenarios import full_plan, refused_plan


def reference_json(plan: Plan) -> str:
    body = plan.model_dump(mode="json")
    document = {"type": "plan", "format_version": body.pop("format_version"), **body}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def reference_file(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"


def with_before(plan: Plan, before: dict[str, Any]) -> Plan:
    """``plan`` with its first update's ``before`` replaced, unvalidated (as a live value could arrive)."""
    changes = list(plan.changes)
    index = next(i for i, c in enumerate(changes) if c.before is not None)
    changes[index] = changes[index].model_copy(update={"before": before})
    return plan.model_copy(update={"changes": tuple(changes)})


PLANS = {"full": full_plan, "refused": refused_plan}


@pytest.mark.parametrize("name", list(PLANS))
def test_shared_document_is_pydantics(name: str) -> None:
    plan = PLANS[name]()
    shared, reference = shared_document(plan), pydantic_document(plan)
    assert json.dumps(shared) == json.dumps(reference)  # same keys, order, values and JSON types
    assert list(shared) == list(reference)


@pytest.mark.parametrize("name", list(PLANS))
def test_plan_file_and_json_bytes_unchanged(name: str) -> None:
    plan = PLANS[name]()
    assert plan_text(plan) == reference_file(plan)
    assert render_plan(plan, "json") == reference_json(plan)
    assert parse_plan(plan_text(plan), expected_target=plan.target) == plan


@pytest.mark.parametrize(
    "before",
    [
        {"tags": ("a", "b")},  # a tuple: pydantic writes a list
        {"rate": float("inf")},  # not JSON: a plan file refuses it, the JSON document shows it
        {"headers": {1: "x"}},  # a key that is not a string
        {"headers": {None: "x"}},  # pydantic-core would write "None", json "null"
        {"rate": 1e-05},  # pydantic-core would write 0.00001, json 1e-05
        {"day": date(2024, 1, 1)},  # as YAML reads a date: pydantic writes "2024-01-01", json cannot
    ],
    ids=["tuple", "infinity", "int-key", "none-key", "small-float", "date"],
)
def test_values_that_are_not_plain_json_take_the_reference_path(before: dict[str, Any], tmp_path: Any) -> None:
    plan = with_before(full_plan(), before)
    assert render_plan(plan, "json") == reference_json(plan)
    try:
        expected = reference_file(plan)
    except ValueError:
        with pytest.raises(PlanFileError, match="NaN or Infinity"):
            save_plan(plan, tmp_path / "p.json")
    else:
        assert plan_text(plan) == expected
        assert dumps_indented(plan_document(plan), ensure_ascii=False) + "\n" == expected


def test_the_fast_writer_is_used_and_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    """pydantic-core writes the file of an ordinary plan (else the speed-up silently went away)."""
    answers: list[str | None] = []

    def spy(value: Any, canonical: bytes) -> str | None:
        answers.append(rust_dumps_indented(value, canonical))
        return answers[-1]

    monkeypatch.setattr(planfile, "rust_dumps_indented", spy)
    plan = full_plan()
    assert plan_text(plan) == reference_file(plan)
    assert answers and answers[0] is not None


def test_the_json_rendering_is_written_by_pydantic_core(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[str | None] = []

    def spy(value: Any) -> str | None:
        answers.append(rust_dumps_model_json(value))
        return answers[-1]

    monkeypatch.setattr(json_renderer, "rust_dumps_model_json", spy)
    plan = full_plan()
    assert render_plan(plan, "json") == reference_json(plan)
    assert answers and answers[0] is not None
