"""The rules half of a kind: its spec model, and field issues worded for manifest authors.

One set of rules serves offline validation of manifests, the sandbox's ``400
bad.request`` answers and the essence plans diff; so a broken rule is reported the
same way everywhere, and a write-only value is never echoed in the message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo

from reconciler.core.jsonpath import JsonPath, format_path

#: the longest object name the seed contract accepts, and the cap of a platform kind whose sources
#: (the SDK's models, CX as Code's schema) name none: see :attr:`Kind.name_max` and
#: docs/real-org-kinds.md#assumptions
NAME_MAX = 200


class SpecModel(BaseModel):
    """Base of every kind's spec: strict types, unknown fields rejected, camelCase as-is.

    Strict so that ``enabled: "yes"`` is a wrong type rather than a silent ``True``;
    ints are still accepted for floats (``rate: 1``).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


@dataclass(frozen=True)
class FieldIssue:
    """A rule broken by one field of an object; ``loc`` is the path inside the object."""

    loc: JsonPath
    message: str

    @property
    def path(self) -> str:
        return format_path(self.loc)


class InvalidSpec(ValueError):
    """A spec the kind's rules refuse at the moment of writing; ``issues`` say where and why."""

    def __init__(self, address: str, issues: list[FieldIssue]) -> None:
        self.address = address
        self.issues = issues
        super().__init__(f"{address}: " + "; ".join(f"spec.{i.path}: {i.message}" for i in issues))


#: a rule spanning several fields of a validated spec
Check = Callable[[Any], Iterable[FieldIssue]]


class _Hidden:
    """What a :data:`Shown` view answers for a value no message may show: it reads "the value"."""

    def __repr__(self) -> str:
        return "HIDDEN"


HIDDEN: Any = _Hidden()
#: how a message shows the value validated at a path: the value itself, a stand-in (the text as
#: written, placeholders and all) or :data:`HIDDEN`. Why: a spec is validated with its
#: ``${env:…}`` values substituted, and no rendering of a message (cut short, JSON-escaped)
#: may carry them; the caller that substituted them knows what stands where.
Shown = Callable[[JsonPath, Any], Any]


#: the validation context of a spec as written (a manifest, a request body): see :func:`without_shown`
SPEC_CONTEXT: dict[str, bool] = {"spec": True}


def without_shown(data: Any, shown: tuple[str, ...], model: type[BaseModel], info: ValidationInfo) -> Any:
    """``data`` (a nested object as written or as read) less the fields only reads show.

    A spec as written (validated with :data:`SPEC_CONTEXT`: manifests, request bodies) loses
    only ``shown``, the fields of the SDK's answer model that a write never sends (a data
    action's ``requestTemplateUri``, a configuration's ``version``): any other key stays
    for the model to refuse (``extra="forbid"``), so a typo (``header:`` for ``headers:``)
    is an error at its line, never silently dropped. A live object (an essence, an export)
    keeps only the model's fields: a field the platform adds after the SDK this was checked
    against must not make a read differ from its spec (a type or contract that differs
    plans a replace).
    """
    if not isinstance(data, dict):
        return data
    if isinstance(info.context, dict) and info.context.get("spec"):
        return {k: v for k, v in data.items() if k not in shown}
    return {k: v for k, v in data.items() if k in model.model_fields}


def validate_name(name: Any, maximum: int = NAME_MAX) -> list[FieldIssue]:
    """An object's ``name`` (kept out of the spec model: it is the identity, not a field).

    ``maximum``: the kind's :attr:`~reconciler.kinds.kind.Kind.name_max` (the platform's caps differ by kind).
    """
    if name is None:
        return [FieldIssue(("name",), "is required")]
    if not isinstance(name, str):
        return [FieldIssue(("name",), f"expected a string, got {type_name(name)}")]
    if not name.strip():
        return [FieldIssue(("name",), "must not be empty")]
    if len(name) > maximum:
        return [FieldIssue(("name",), f"is {len(name)} characters, longer than the maximum {maximum}")]
    return []


def type_name(value: Any) -> str:
    """How a value's JSON type reads in a message (``a boolean``, ``a mapping``)."""
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        type(None): "null",
    }.get(type(value), type(value).__name__)


_EXPECTED = {
    "string_type": "a string",
    "bool_type": "a boolean",
    "float_type": "a number",
    "int_type": "an integer",
    "list_type": "a list",
    "tuple_type": "a list",  # settings hold their lists as tuples (frozen): YAML only has lists
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def issue_from_pydantic(
    err: Mapping[str, Any], *, secret_fields: Iterable[str] = (), shown_as: Shown | None = None
) -> FieldIssue:
    """Turn one pydantic error into a message a manifest author can act on.

    Values of write-only fields are never echoed; others are shown through ``shown_as``.
    """
    loc: JsonPath = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value: Any = err.get("input")  # whatever was validated: its type depends on the error
    display = value if shown_as is None else shown_as(loc, value)
    secret = display is HIDDEN or any(part in set(secret_fields) for part in loc if isinstance(part, str))
    shown = "the value" if secret else _show(display)
    if kind == "missing":
        msg = "is required"
    elif kind == "extra_forbidden":
        msg = "unknown field"
    elif kind in _EXPECTED:
        got = type_name(value) if value is None or secret else f"{type_name(value)} {_show(display)}"
        msg = f"expected {_EXPECTED[kind]}, got {got}"
    elif kind in ("less_than_equal", "less_than"):
        msg = f"{shown} is above the maximum {ctx.get('le', ctx.get('lt'))}"
    elif kind in ("greater_than_equal", "greater_than"):
        msg = f"{shown} is below the minimum {ctx.get('ge', ctx.get('gt'))}"
    elif kind == "string_too_long":
        msg = f"is {len(value)} characters, longer than the maximum {ctx['max_length']}"
    elif kind == "string_too_short":
        msg = "must not be empty" if ctx.get("min_length") == 1 else f"is shorter than {ctx['min_length']} characters"
    elif kind == "too_long":
        noun = "keys" if isinstance(value, dict) else "items"
        msg = f"has {len(value)} {noun}, more than the maximum {ctx['max_length']}"
    elif kind == "too_short":
        msg = f"has {len(value)} items, fewer than the minimum {ctx['min_length']}"
    elif kind == "string_pattern_mismatch":
        msg = f"{shown} does not match the pattern {ctx.get('pattern')!r}"
    elif kind == "literal_error":
        msg = f"{shown} is not one of {ctx.get('expected')}"
    elif kind == "value_error":
        msg = str(ctx.get("error", err.get("msg", "invalid value")))
    else:
        msg = err.get("msg", "invalid value")
    return FieldIssue(loc, msg)


def _show(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
