"""What a kind is, as data: its model, its rules and how it binds to the API.

The engine, the sandbox and the manifest loader only ever talk to :class:`Kind`; a
kind module fills one in. Rules live here once and serve three masters: offline
validation of manifests, the sandbox's server-side ``400 bad.request`` answers, and
the normalised "essence" that plans diff, so the three can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

#: Fields the server owns: never sent, never diffed (the contract's list).
SERVER_MANAGED: frozenset[str] = frozenset({"id", "version", "dateCreated", "dateModified", "selfUri"})

NAME_MAX = 200

Loc = tuple[str | int, ...]


class SpecModel(BaseModel):
    """Base of every kind's spec: strict types, unknown fields rejected, camelCase as-is.

    Strict so that ``enabled: "yes"`` is a wrong type rather than a silent ``True``;
    ints are still accepted for floats (``rate: 1``).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True)
class FieldIssue:
    """A rule broken by one field of an object; ``loc`` is the path inside the object."""

    loc: Loc
    message: str

    @property
    def path(self) -> str:
        return format_loc(self.loc)


@dataclass(frozen=True)
class PostWriteHook:
    """An endpoint to call once per apply after the kind's last write (e.g. a cache refresh)."""

    method: str
    path: str
    scope: str
    description: str


Check = Callable[[Any], Iterable[FieldIssue]]


@dataclass(frozen=True)
class Kind:
    """One resource kind: everything kind-specific that the engine needs, as data."""

    name: str
    spec_model: type[SpecModel]
    collection: str
    read_scope: str
    write_scope: str
    description: str
    #: write-only field -> the read-only flag the server shows instead (authSecret -> authSecretSet)
    write_only: Mapping[str, str] = field(default_factory=dict)
    #: top-level list fields whose order carries no meaning
    unordered: tuple[str, ...] = ()
    #: rules spanning several fields, run after the model accepted the types and ranges
    checks: tuple[Check, ...] = ()
    after_write: PostWriteHook | None = None

    # ---- derived facts -------------------------------------------------------------
    @property
    def spec_fields(self) -> tuple[str, ...]:
        return tuple(self.spec_model.model_fields)

    @property
    def read_only(self) -> tuple[str, ...]:
        """Fields the server shows but a client never sends (e.g. ``authSecretSet``)."""
        return tuple(self.write_only.values())

    def defaults(self) -> dict[str, Any]:
        """The server's default for each optional field, as JSON values."""
        out: dict[str, Any] = {}
        for fname, finfo in self.spec_model.model_fields.items():
            if not finfo.is_required():
                value = finfo.get_default(call_default_factory=True)
                if value is not None:
                    out[fname] = to_json(value)
        return out

    # ---- validation ------------------------------------------------------------------
    def validate_spec(self, spec: Mapping[str, Any]) -> tuple[SpecModel | None, list[FieldIssue]]:
        """Check a spec (the object without name and server fields) against every rule."""
        try:
            model = self.spec_model.model_validate(dict(spec))
        except ValidationError as exc:
            return None, [issue_from_pydantic(err, secret_fields=self.write_only) for err in exc.errors()]
        issues = [issue for check in self.checks for issue in check(model)]
        return (model if not issues else None), issues

    def validate_body(self, body: Mapping[str, Any]) -> tuple[SpecModel | None, list[FieldIssue]]:
        """Validate an API request body: ``name`` plus the spec fields.

        Server-managed and read-only fields are ignored, as the real API does when a
        client echoes an object it read.
        """
        issues = validate_name(body.get("name"))
        ignored = SERVER_MANAGED | {"name"} | set(self.read_only)
        model, spec_issues = self.validate_spec({k: v for k, v in body.items() if k not in ignored})
        issues.extend(spec_issues)
        return (model if not issues else None), issues

    # ---- normalisation ----------------------------------------------------------------
    def essence(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """The comparable core of an object, from a live read or from a desired spec + name.

        Server-managed fields go, write-only values become their read-only flag,
        defaults are filled, numbers are typed by the model (1 == 1.0), absent and
        ``None`` are the same at any depth, and unordered lists are sorted, so that an
        object just applied never shows a diff.
        """
        fields = self.spec_model.model_fields  # looked up once: pydantic's accessor is slow
        raw = {k: v for k, v in obj.items() if k in fields}
        try:
            model = self.spec_model.model_validate(raw, strict=False)
            data = model.model_dump(mode="json", exclude_none=True)
        except ValidationError:
            # Live data our rules reject (written by another tool): compare it as it is.
            data = _without_none({**self.defaults(), **to_json(raw)})
        for secret, flag in self.write_only.items():
            present = data.pop(secret, None) is not None
            data[flag] = bool(obj.get(flag, False)) or present
        for list_field in self.unordered:
            if isinstance(data.get(list_field), list):
                data[list_field] = sorted(data[list_field], key=canonical_json)
        if "name" in obj:
            data["name"] = obj["name"]
        return data

    def api_body(self, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        """The body of a create or update: the name and every spec field, defaults filled."""
        model, issues = self.validate_spec(spec)
        if model is None:  # pragma: no cover - specs are validated long before this
            raise ValueError(f"{self.name}/{name}: invalid spec: {[i.path for i in issues]}")
        body = model.model_dump(mode="json", exclude_none=True)
        return {"name": name, **body}


def validate_name(name: Any) -> list[FieldIssue]:
    if name is None:
        return [FieldIssue(("name",), "is required")]
    if not isinstance(name, str):
        return [FieldIssue(("name",), f"expected a string, got {type_name(name)}")]
    if not name.strip():
        return [FieldIssue(("name",), "must not be empty")]
    if len(name) > NAME_MAX:
        return [FieldIssue(("name",), f"is {len(name)} characters, longer than the maximum {NAME_MAX}")]
    return []


# ---- helpers shared by the kind modules and their users ------------------------------


def format_loc(loc: Iterable[str | int]) -> str:
    """``("phrases", 1, "phrase")`` -> ``phrases[1].phrase``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _without_none(value: Any) -> Any:
    """``None`` means "absent" in an essence, at any depth (``{"filter": None}`` == ``{}``)."""
    if isinstance(value, Mapping):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def to_json(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def type_name(value: Any) -> str:
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
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def issue_from_pydantic(err: Mapping[str, Any], *, secret_fields: Iterable[str] = ()) -> FieldIssue:
    """Turn one pydantic error into a message a manifest author can act on.

    Values of write-only fields are never echoed.
    """
    loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    secret = any(part in set(secret_fields) for part in loc if isinstance(part, str))
    shown = "the value" if secret else _show(value)
    if kind == "missing":
        msg = "is required"
    elif kind == "extra_forbidden":
        msg = "unknown field"
    elif kind in _EXPECTED:
        msg = f"expected {_EXPECTED[kind]}, got {type_name(value)}" + ("" if secret else f" {_show(value)}")
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
