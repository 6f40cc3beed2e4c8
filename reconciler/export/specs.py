"""A live object's spec as a manifest author would write it: defaults left out, order kept.

An omitted field takes its default, so writing defaults would only add noise; the
comparison that decides "equal to the default" must treat ``True`` and ``1`` as different
(JSON does) but ``1`` and ``1.0`` as the same (the planner does).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.core.canonical import canonical_json
from reconciler.kinds import Kind


def _without_defaults(value: Any) -> Any:
    """A model as JSON in field order, fields equal to their default (or None) left out; maps sorted."""
    if isinstance(value, BaseModel):
        out: dict[str, Any] = {}
        for fname, finfo in type(value).model_fields.items():
            item = getattr(value, fname)
            if item is None:
                continue
            if not finfo.is_required() and _same(item, finfo.get_default(call_default_factory=True)):
                continue
            out[fname] = _without_defaults(item)
        return out
    if isinstance(value, Mapping):
        return {k: _without_defaults(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_without_defaults(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values, where ``True`` is not ``1``."""
    return canonical_json(_json(a)) == canonical_json(_json(b)) if type(a) is not type(b) else a == b


def _json(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def live_spec(kind: Kind, obj: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The spec of a live object, secrets not yet placed; plus why it may not validate.

    The object is first put in request form (``Kind.from_live``: entity references back
    to ids); the kind's own server-managed fields are left out.
    """
    fields = kind.spec_model.model_fields
    obj = kind.from_live(obj)
    raw = {k: obj[k] for k in fields if k in obj and k not in kind.write_only and k not in kind.server_managed}
    try:
        model = kind.spec_model.model_validate(raw, strict=False)
    except ValidationError as exc:
        defaults = kind.defaults()
        spec = {k: v for k, v in raw.items() if v is not None and not (k in defaults and _same(v, defaults[k]))}
        return spec, [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    spec = _without_defaults(model)
    full = model.model_dump(mode="json")
    for list_field in kind.unordered:
        items = full.get(list_field)
        if isinstance(items, list) and list_field in spec:
            # Sort by each item's full value in field order (phrase text first), defaults included.
            order = sorted(range(len(items)), key=lambda i: json.dumps(items[i], sort_keys=False))
            spec[list_field] = [spec[list_field][i] for i in order]
    return spec, []


def rule_problems(kind: Kind, spec: Mapping[str, Any], secrets: Iterable[str]) -> list[str]:
    """The kind's rules on the exported spec, a stand-in for each secret (its value is unknown)."""
    candidate = {**spec, **{field: "(secret)" for field in secrets}}
    _, issues = kind.validate_spec(candidate)
    return [f"{issue.path}: {issue.message}" for issue in issues]
