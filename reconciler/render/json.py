"""JSON renderings: documented, versioned documents (``docs/json-format.md``).

Each document is an object with ``"type"`` (``plan``, ``apply_result`` or
``drift_report``) and ``"format_version"`` first, then the model's fields, computed
summaries included. Consumers must check both and ignore keys they do not know:
additions keep the version; removals or changed meanings bump it.

Documents are made and written with the cyclic GC paused (``tree_building``) and freed
before it resumes: its first pass afterwards would otherwise walk the whole document
(0.3 s at 10,000 changes).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from reconciler.apply.result import ApplyResult
from reconciler.core.jsontext import dumps_indented, plain_dumps_indented, rust_dumps_model_json, tree_building
from reconciler.plan.document import shared_document
from reconciler.plan.drift import DriftReport
from reconciler.plan.model import Plan


def _typed(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "format_version": body.pop("format_version"), **body}


def _document(kind: str, model: BaseModel) -> str:
    with tree_building():
        return dumps_indented(_typed(kind, model.model_dump(mode="json")), ensure_ascii=False, allow_nan=True) + "\n"


def render_plan(plan: Plan) -> str:
    """Written from a document sharing the plan's values (:mod:`reconciler.plan.document`).

    By pydantic-core when it writes what ``json`` would (``rust_dumps_model_json``), else by
    the Python writer when the values are plain JSON, else from ``model_dump``.
    """
    with tree_building():
        document = _typed("plan", shared_document(plan))
        text = rust_dumps_model_json(document) or plain_dumps_indented(document, ensure_ascii=False)
        del document
    return _document("plan", plan) if text is None else text + "\n"


def render_drift(report: DriftReport) -> str:
    return _document("drift_report", report)


def render_apply(result: ApplyResult) -> str:
    return _document("apply_result", result)
