"""Has the object moved since the plan? Before a write, and when the server refuses one.

Before writing an object that the plan read at revision N, the live listing taken at the
start of apply must still show N (or, for a create, no object of that name); otherwise
the object is *stale* and left alone. The ``PUT`` also carries N, so a change racing in
after that check is refused by the server (``409 version.mismatch``, or a ``400`` saying the version does not match) and
reported the same way; a refusal saying the name is taken or the object is gone means the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.errors import ApiError, DuplicateNameError, NotFoundError, StaleObjectError, VersionMismatchError
from reconciler.core.keys import ObjectKey, Revision
from reconciler.core.live import LiveState
from reconciler.kinds import Kind
from reconciler.manifests.desired import find_references
from reconciler.plan.model import Action, Plan, ResourceChange
from reconciler.plan.undeclared import mentioned


def stale_reason(change: ResourceChange, current: Mapping[str, Any] | None, kind: Kind) -> StaleObjectError | None:
    """Compare what the plan saw with what the apply-time listing shows (the kind's revision field)."""
    live: Revision | None = kind.revision(current)
    if change.action == Action.CREATE:
        return None if current is None else StaleObjectError(change.kind, change.name, None, live)
    if current is None or live != change.live_version or (
        change.object_id is not None and current.get("id") != change.object_id
    ):
        live_id = None if current is None else str(current.get("id"))
        return StaleObjectError(change.kind, change.name, change.live_version, live,
                                planned_id=change.object_id, live_id=live_id)
    return None


def refused_as_stale(planned: Action, refused: Action, error: ApiError) -> str | None:
    """Why a refusal of the ``refused`` write of a ``planned`` change means stale, or ``None``.

    The plan and apply's fresh listing both saw the name free (create) or the object
    there (update, delete); the server now says otherwise, so someone else wrote it in
    between, exactly like a version mismatch. Two applies of one saved plan at once
    thus split the work: each change lands once, the other apply reports it stale. (The
    two writes of a replace are never judged so: its delete already happened.)
    """
    if isinstance(error, VersionMismatchError):
        return f"changed since read (HTTP {error.status} {error.code}); run plan again ({error})"
    if refused != planned:
        return None
    if refused == Action.CREATE and isinstance(error, DuplicateNameError):
        return f"created by someone else since the plan; run plan again ({error})"
    if refused in (Action.UPDATE, Action.DELETE) and isinstance(error, NotFoundError):
        return f"deleted by someone else since the plan; run plan again ({error})"
    return None


def referenced_since(plan: Plan, live: LiveState) -> dict[ObjectKey, str]:
    """Deletes and replaces whose id a live object the plan leaves alone names now, with why.

    The plan refused such a delete when it was made (:func:`~reconciler.plan.safety.still_referenced`);
    a saved plan is applied later, and a webhook created in between naming a pruned rule's id
    would be left pointing at nothing. Objects the plan declares or writes are left out.
    """
    doomed = {c.object_id: (ObjectKey(c.kind, c.name), "deleted" if c.action == Action.DELETE else "replaced")
              for c in plan.pending() if c.action in (Action.DELETE, Action.REPLACE) and c.object_id}
    if not doomed:
        return {}
    # only objects the plan does not declare, as the plan's check read them: a declared one is
    # compared on its manifest (a live topic lists the programs that name it, and is no referrer)
    written = {ObjectKey(c.kind, c.name).folded for c in plan.changes}
    found: dict[ObjectKey, str] = {}
    for kind, objects in live.items():
        for obj in objects:
            key = ObjectKey(kind, str(obj.get("name", "")))
            if key.folded in written:
                continue
            for target in mentioned({k: v for k, v in obj.items() if k != "id"}, doomed):
                doomed_key, verb = doomed[target]
                found.setdefault(doomed_key, f"{key} references it now (not when planned); it cannot be "
                                             f"{verb}; run plan again")
    return found


def unresolvable_references(plan: Plan, live: LiveState) -> list[str]:
    """References of the plan's writes whose target is neither declared in the plan nor live now.

    The plan checked them when it was made (:func:`~reconciler.plan.safety.dangling_references`);
    a saved plan is applied later, maybe edited and sealed again, and the object it names may have
    been deleted since. Found at its own write, such a reference failed that change only after the
    writes ordered before it were made: apply refuses the plan before the first one. A target the
    plan deletes does not count as live: it is gone once the plan is applied.
    """
    declared = {ObjectKey(c.kind, c.name).folded for c in plan.changes if c.action != Action.DELETE}
    deleted = {ObjectKey(c.kind, c.name).folded for c in plan.changes if c.action == Action.DELETE}
    present = {ObjectKey(kind, str(obj.get("name", ""))).folded for kind, objects in live.items() for obj in objects}
    found: list[str] = []
    for change in plan.pending():
        for ref in find_references(change.spec or {}):
            target = ref.target.folded
            if target not in declared and (target not in present or target in deleted):
                found.append(f"{change.address}: {ref.path} refers to {ref.target}, which is neither declared in "
                             "the plan nor live")
    return found


def referenced_kinds(plan: Plan) -> set[str]:
    """The kinds the plan's writes refer to: apply must read them (a listing that fails is an error)."""
    return {ref.target.kind for c in plan.pending() for ref in find_references(c.spec or {})}


__all__ = ["referenced_kinds", "referenced_since", "refused_as_stale", "stale_reason", "unresolvable_references"]
