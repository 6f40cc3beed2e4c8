"""What a write sends and what the audit trail says it changes.

Placeholders are resolved at the last moment: ``${env:…}`` from the environment of the
apply, ``${ref:…}`` from the objects as they are after the writes this one depends on. A
plan (and a saved plan file) holds them unresolved, so it never holds a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.errors import ReconcilerError
from reconciler.core.jsonpath import JsonPath
from reconciler.core.keys import ObjectKey
from reconciler.kinds import InvalidSpec, Kind
from reconciler.kinds.spec import HIDDEN, Shown
from reconciler.manifests.desired import KNOWN_AFTER_APPLY, resolve
from reconciler.plan.model import Action, ResourceChange


class UnresolvedReference(ReconcilerError):
    """A ``${ref:…}`` whose object is not written yet (its id is known only after a write)."""


def request_body(
    change: ResourceChange, kind: Kind, live: Mapping[ObjectKey, Mapping[str, Any]], env: Mapping[str, str]
) -> dict[str, Any]:
    """Resolve the plan's spec against the environment and the objects written so far."""

    def lookup(target: ObjectKey, fieldname: str) -> Any:
        obj = live.get(target)
        return None if obj is None else obj.get(fieldname)

    try:
        resolution = resolve(change.spec or {}, env, lookup, templated=kind.templated)
    except KeyError as missing:
        raise ReconcilerError(
            f"{change.kind}/{change.name}: environment variable {missing.args[0]} is not set"
        ) from None
    if resolution.unknown:
        raise UnresolvedReference(f"{change.kind}/{change.name}: a reference is still {KNOWN_AFTER_APPLY}")
    try:
        body = _body(change, kind, resolution.value)
    except InvalidSpec as refused:  # valid at plan; an environment value of this apply breaks it
        where = "; ".join(f"spec.{issue.path}: {issue.message}" for issue in refused.issues)
        # the change's failure line names the object already
        raise ReconcilerError(f"{where} (with this apply's environment values; nothing was sent)") from None
    if change.action != Action.CREATE:
        # fields the manifest leaves unmanaged keep their live value (a PUT replaces the whole object)
        body = kind.keep_unmanaged(body, live.get(ObjectKey(change.kind, change.name)))
    return body


def check_body(
    change: ResourceChange, kind: Kind, live: Mapping[ObjectKey, Mapping[str, Any]], env: Mapping[str, str]
) -> None:
    """Raise what :func:`request_body` would, before a replace deletes: an environment variable unset, a
    value that breaks the spec. Why: the create comes later, and a body it cannot build must not cost the
    live object. A reference to an object not written yet (the new id of another replace) is checked then."""
    try:
        request_body(change, kind, live, env)
    except UnresolvedReference:
        return


def _body(change: ResourceChange, kind: Kind, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The body of ``spec``, without the write-only fields an update leaves to the server.

    Which those are is :meth:`~reconciler.kinds.Kind.left_to_server` (a revert's update of a
    basic-auth webhook omits ``authSecret``, which the rules require). The update is judged as the
    server judges it, the omitted field standing for the kept value, and sent without it.
    """
    shown_as = _as_planned(change.spec or {})
    try:
        return kind.api_body(change.name, spec, shown_as=shown_as)
    except InvalidSpec as refused:
        kept = kind.left_to_server(spec, update=change.action == Action.UPDATE)
        if not kept or any(not issue.loc or issue.loc[0] not in kept for issue in refused.issues):
            raise
        try:
            body = kind.api_body(change.name, {**spec, **dict.fromkeys(kept, _KEPT)}, shown_as=shown_as)
        except InvalidSpec:
            raise refused from None
    return {k: v for k, v in body.items() if k not in kept}


#: stands for a write-only value the server keeps, while an update that omits it is judged
_KEPT = "kept-live-value"


def _as_planned(spec: Mapping[str, Any]) -> Shown:
    """Messages show the plan's text at a path (placeholders unresolved), never a resolved value."""

    def shown(loc: JsonPath, value: Any) -> Any:
        current: Any = spec
        for part in loc:
            if isinstance(current, Mapping) and part in current:
                current = current[part]
            elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
                current = current[part]
            else:
                return HIDDEN
        return current

    return shown


def request_line(
    action: Action, kind: Kind, object_id: str | None, body: Mapping[str, Any] | None = None, *, renamed: bool = False
) -> tuple[str, str]:
    """Method and path of one object write's first request, as the audit trail records them: an
    update that writes a sub-resource writes it first (an integration's ``PUT …/config/current``),
    as does one that ``renamed`` an object whose sub-resource carries its name (``Kind.rename_sub``)."""
    if action == Action.CREATE:
        return "POST", kind.collection
    if action == Action.UPDATE:
        return kind.first_update_request(object_id, body, renamed=renamed)
    return "DELETE", kind.item_path(object_id)


def audited_changes(change: ResourceChange, action: Action) -> list[dict[str, Any]]:
    """Field changes before -> after, already masked by the planner; whole objects for create/delete
    (the two writes of a replace each record their side)."""
    if change.field_changes and action == change.action:
        return [fc.model_dump(mode="json") for fc in change.field_changes]
    if action == Action.CREATE:
        return [{"path": k, "before": None, "after": v} for k, v in (change.after or {}).items()]
    if action == Action.DELETE:
        return [{"path": k, "before": v, "after": None} for k, v in (change.before or {}).items()]
    return []


__all__ = ["UnresolvedReference", "audited_changes", "check_body", "request_body", "request_line"]
