"""JSON documents: typed, versioned, and every key documented in docs/json-format.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.render import render_apply, render_drift, render_plan

from ._scenarios import apply_result, drift_report, full_plan

DOCS = Path(__file__).resolve().parents[2] / "docs" / "json-format.md"


def documents() -> dict[str, dict[str, Any]]:
    return {
        "plan": json.loads(render_plan(full_plan(), "json")),
        "drift_report": json.loads(render_drift(drift_report(), "json")),
        "apply_result": json.loads(render_apply(apply_result(), "json")),
    }


def keys(value: Any, skip: frozenset[str] = frozenset({"before", "after", "spec"})) -> set[str]:
    """Every key at any depth, except inside object payloads (their keys are the kinds' fields)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            if k == "changed_by":  # keyed by Kind/Name: the keys are data, the attributions' keys are checked
                for attribution in v.values():
                    out |= keys(attribution, skip)
            elif k not in skip and k != "summary" and k != "counts":
                out |= keys(v, skip)
    elif isinstance(value, list):
        for v in value:
            out |= keys(v, skip)
    return out


@pytest.mark.parametrize("kind", ["plan", "drift_report", "apply_result"])
def test_type_and_version_come_first(kind: str) -> None:
    document = documents()[kind]
    assert list(document)[:2] == ["type", "format_version"]
    # apply_result is at 2: its `target` became the identity, as in the plan (docs/json-format.md)
    assert document["type"] == kind and document["format_version"] == {"apply_result": 2}.get(kind, 1)


def test_apply_json_has_the_plans_target_shape_and_a_finish_time() -> None:
    from datetime import datetime

    from reconciler.apply.result import ApplyResult

    plan, result = documents()["plan"], documents()["apply_result"]
    assert (result["target"], result["target_description"]) == (plan["target"], plan["target_description"])
    unpinned = json.loads(render_apply(ApplyResult.from_outcomes([], target="t"), "json"))
    assert datetime.fromisoformat(unpinned["finished_at"]).tzinfo is not None


def test_every_key_is_documented() -> None:
    documented = set(re.findall(r"`([A-Za-z_]+)`", DOCS.read_text(encoding="utf-8")))
    for kind, document in documents().items():
        missing = keys(document) - documented
        assert not missing, f"{kind}: undocumented keys {sorted(missing)}"


def test_plan_json_round_trips_to_the_model() -> None:
    from reconciler.plan.model import plan_from_document

    plan = full_plan()
    document = json.loads(render_plan(plan, "json"))
    body = {k: v for k, v in document.items() if k != "type"}
    assert plan_from_document(body) == plan
    assert document["summary"] == {"create": 2, "update": 2, "delete": 1, "no-op": 1}
    assert document["applyable"] is True
