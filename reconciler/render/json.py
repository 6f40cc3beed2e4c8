"""JSON renderings: documented, versioned documents (``docs/json-format.md``).

Each document is an object with ``"type"`` (``plan``, ``apply_result`` or
``drift_report``) and ``"format_version"`` first, then the model's fields, computed
summaries included. Consumers must check both and ignore keys they do not know:
additions keep the version; removals or changed meanings bump it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from reconciler.apply.result import ApplyResult
from reconciler.core.jsontext import dumps_indented, tree_building
from reconciler.plan.drift import DriftReport
from reconciler.plan.model import Plan


def _document(kind: str, model: BaseModel) -> str:
    with tree_building():
        body: dict[str, Any] = model.model_dump(mode="json")
        document = {"type": kind, "format_version": body.pop("format_version"), **body}
        return dumps_indented(document, ensure_ascii=False, allow_nan=True) + "\n"


def render_plan(plan: Plan) -> str:
    return _document("plan", plan)


def render_drift(report: DriftReport) -> str:
    return _document("drift_report", report)


def render_apply(result: ApplyResult) -> str:
    return _document("apply_result", result)
