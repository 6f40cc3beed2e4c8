"""A plan's JSON object, as ``Plan.model_dump(mode="json")`` makes it, without copying every value.

Why: saving or rendering a plan of 50,000 changes spent 0.6 s in ``model_dump``
(``bench/changed_plan.py``), most of it copying the essences and specs, which are
already JSON values, one object at a time. Here each change's object is assembled from
its fields and shares those values with the plan.

Sharing is only right when the values are plain JSON (``dict``/``list``/``str``/
``int``/``float``/``bool``/``None``, finite floats), which a plan built from manifests
and live JSON always holds; pydantic would convert anything else. So the object is a
*candidate*: :func:`reconciler.core.jsontext.plain_dumps_indented` verifies every value
while writing it and answers ``None`` otherwise, and the caller then falls back to
:func:`pydantic_document`. ``tests/render/test_document.py`` checks the two agree.
"""

from __future__ import annotations

from typing import Any

from reconciler.plan.model import Action, Plan, ReasonCode, ResourceChange

#: top-level keys in the order pydantic writes them: fields, then computed fields
_PLAN_KEYS: tuple[str, ...] = (*Plan.model_fields, *Plan.model_computed_fields)
_OPTIONAL_TEXT = (str, type(None))
_REVISION = (int, str, type(None))


def pydantic_document(plan: Plan) -> dict[str, Any]:
    """The plan's JSON object as pydantic serializes it: the reference, and the fallback."""
    return plan.model_dump(mode="json")


def shared_document(plan: Plan) -> dict[str, Any]:
    """The same object as :func:`pydantic_document` when every value is plain JSON (see the module)."""
    top = plan.model_dump(mode="json", exclude={"changes"})
    changes = [_change(c) for c in plan.changes]
    return {key: changes if key == "changes" else top[key] for key in _PLAN_KEYS}


def _change(change: ResourceChange) -> dict[str, Any]:
    if not _simple(change):
        return change.model_dump(mode="json")
    return {
        "kind": change.kind,
        "name": change.name,
        "action": change.action.value,
        "object_id": change.object_id,
        "live_version": change.live_version,
        "before": change.before,
        "after": change.after,
        "field_changes": [
            {"path": f.path, "before": f.before, "after": f.after, "note": f.note} for f in change.field_changes
        ],
        "reasons": [{"code": r.code.value, "text": r.text} for r in change.reasons],
        "depends_on": [str(key) for key in change.depends_on],
        "source": change.source,
        "spec": change.spec,
        "rename_of": None if change.rename_of is None else {
            "object_id": change.rename_of.object_id, "name": change.rename_of.name
        },
        "included_by": [str(key) for key in change.included_by],
        "reason": change.reason,
    }


def _simple(change: ResourceChange) -> bool:
    """Fields of exactly the types pydantic would write unchanged (nested values are checked when written)."""
    return (
        type(change.action) is Action
        and type(change.kind) is str
        and type(change.name) is str
        and type(change.object_id) in _OPTIONAL_TEXT
        and type(change.source) in _OPTIONAL_TEXT
        and type(change.live_version) in _REVISION
        and all(type(f.path) is str and type(f.note) in _OPTIONAL_TEXT for f in change.field_changes)
        and all(type(r.code) is ReasonCode and type(r.text) is str for r in change.reasons)
        and (
            change.rename_of is None
            or (type(change.rename_of.name) is str and type(change.rename_of.object_id) in _OPTIONAL_TEXT)
        )
    )
