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
from typing import Any, Literal
from urllib.parse import quote

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

#: the envelope of a page-number listing (the contract's); ``nextUri`` only while a next page exists
PAGE_ENVELOPE: tuple[str, ...] = (
    "entities", "pageSize", "pageNumber", "total", "pageCount", "firstUri", "lastUri", "selfUri", "nextUri",
)


@dataclass(frozen=True)
class Listing:
    """How a kind's collection is listed: paging convention, envelope, filters.

    ``pages``: ``pageSize`` + ``pageNumber`` (the contract's convention). ``cursor``:
    ``pageSize`` + an opaque cursor in ``cursor_param``; the next page is whatever
    ``nextUri`` says, absent on the last page. ``counted`` makes the listing a
    *summary*: each detail field is replaced by a count (``phrases`` ->
    ``phrasesCount``), so comparing an object needs ``GET {collection}/{id}``.
    """

    style: Literal["pages", "cursor"] = "pages"
    cursor_param: str = "after"
    #: the cursor that walks backwards (``previousUri``), if the API has one
    before_param: str | None = None
    envelope: tuple[str, ...] = PAGE_ENVELOPE
    #: the query parameter that filters by name, ``None`` when the API has none
    name_filter: str | None = "name"
    #: ``exact``: the whole name, case-insensitive; ``contains``: a case-insensitive part of it
    name_match: Literal["exact", "contains"] = "exact"
    page_size_default: int = 25
    page_size_max: int = 100
    counted: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_summary(self) -> bool:
        return bool(self.counted)


@dataclass(frozen=True)
class Singleton:
    """A kind with exactly one object per org: read and replaced at the collection path itself.

    It is never created or deleted. Manifests name it ``name`` (its fixed identity);
    the API body carries no name and no id. ``initial`` is what a new org holds.
    """

    name: str
    initial: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Publish:
    """Objects whose spec sets ``flag`` are published after they are written, by a job.

    ``POST path`` with ``{ids_field: [ids]}`` starts the job; ``GET path/{jobId}`` is
    polled until ``state_field`` is one of ``done_states`` (or ``failed_states``).
    The flag is never sent in a body: it is the server's state, which only the job
    changes (a write makes the object a draft again). It is one-way: ``false`` means
    "not managed", since nothing can unpublish.
    """

    flag: str
    path: str
    ids_field: str
    scope: str
    description: str
    state_field: str = "state"
    #: the job's list of the objects it publishes (``topics`` for topics)
    job_items_field: str = "items"
    done_states: tuple[str, ...] = ("Completed",)
    failed_states: tuple[str, ...] = ("Failed",)


@dataclass(frozen=True)
class IdRefs:
    """A list of ids sent as ``field`` and shown by reads as ``shown_as`` (entity references)."""

    field: str
    shown_as: str
    #: the ``selfUri`` of a referenced entity, ``{id}`` filled in
    uri: str


@dataclass(frozen=True)
class ReferenceRead:
    """Live reference data a plan-time check needs: a page-number listing at ``path``."""

    key: str
    path: str
    scope: str
    params: Mapping[str, str] = field(default_factory=dict)


LiveCheckFn = Callable[[Any, Mapping[str, list[dict[str, Any]]]], Iterable[FieldIssue]]


@dataclass(frozen=True)
class LiveCheck:
    """A rule that needs the org's reference data (e.g. which TTS engines and voices exist).

    ``check(model, context)`` gets the validated spec and ``{read.key: entities}`` for
    each of ``reads``; the engine runs it at plan time, the sandbox on every write.
    """

    description: str
    reads: tuple[ReferenceRead, ...]
    check: LiveCheckFn


@dataclass(frozen=True)
class Kind:
    """One resource kind: everything kind-specific that the engine needs, as data.

    The optional fields default to the seed contract's conventions, so a contract kind
    only says what differs; kinds bound to the real platform say more (cursor listing,
    singletons, summaries, replacement, publishing, per-kind server fields).
    """

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
    #: ``contract``: the customer's reference contract; ``platform``: the public Genesys Cloud API
    source: Literal["contract", "platform"] = "contract"
    listing: Listing = field(default_factory=Listing)
    singleton: Singleton | None = None
    #: objects carry an integer ``version`` that every update must send back
    versioned: bool = True
    #: the field that changes on every write: the stale check of a saved plan compares it
    revision_field: str | None = "version"
    #: fields the server owns: never sent, never compared
    server_managed: frozenset[str] = SERVER_MANAGED
    #: fields that cannot be updated: a change replaces the object (delete, then create)
    replace_on: tuple[str, ...] = ()
    publish: Publish | None = None
    id_refs: tuple[IdRefs, ...] = ()
    #: rules checked against the org's reference data at plan time
    live_checks: tuple[LiveCheck, ...] = ()

    # ---- derived facts -------------------------------------------------------------
    @property
    def spec_fields(self) -> tuple[str, ...]:
        return tuple(self.spec_model.model_fields)

    @property
    def read_only(self) -> tuple[str, ...]:
        """Fields the server shows but a client never sends (e.g. ``authSecretSet``)."""
        return tuple(self.write_only.values())

    @property
    def shown_only(self) -> frozenset[str]:
        """Fields reads show that are not spec fields: ignored when a client echoes them back."""
        fields = set(self.server_managed) | set(self.read_only) | {r.shown_as for r in self.id_refs}
        fields |= set(self.listing.counted.values())
        return frozenset(fields)

    @property
    def item_template(self) -> str:
        """The path of one object, ``{id}`` unfilled (the collection itself for a singleton)."""
        return self.collection if self.singleton else self.collection + "/{id}"

    def item_path(self, object_id: str | None) -> str:
        """The path of one object (the collection itself for a singleton)."""
        if self.singleton is not None:
            return self.collection
        return f"{self.collection}/{quote(str(object_id), safe='')}"

    def revision(self, obj: Mapping[str, Any] | None) -> Any:
        """What a saved plan remembers of a live object to detect that it moved since."""
        if obj is None or self.revision_field is None:
            return None
        return obj.get(self.revision_field)

    def scopes(self) -> frozenset[str]:
        """Every OAuth scope an operation on this kind may need."""
        scopes = {self.read_scope, self.write_scope}
        if self.after_write is not None:
            scopes.add(self.after_write.scope)
        if self.publish is not None:
            scopes.add(self.publish.scope)
        scopes.update(read.scope for check in self.live_checks for read in check.reads)
        return frozenset(scopes)

    def from_live(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """A live object in request form: a singleton gets its fixed name, entity references their ids."""
        out = dict(obj)
        if self.singleton is not None:
            out.setdefault("name", self.singleton.name)
        for ref in self.id_refs:
            shown = out.get(ref.shown_as)
            if ref.field not in out and isinstance(shown, list):
                out[ref.field] = [r.get("id") if isinstance(r, Mapping) else r for r in shown]
        return out

    def comparable(self, live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
        """The live essence as compared with ``desired``: a one-way publish flag that the
        manifest leaves false is not managed, so its live value does not count."""
        out = dict(live)
        if self.publish is not None and not desired.get(self.publish.flag):
            flag = self.publish.flag
            if flag in out:
                out[flag] = desired.get(flag, out[flag])
        return out

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
        issues = [] if self.singleton is not None else validate_name(body.get("name"))
        ignored = self.shown_only | {"name"} | ({self.publish.flag} if self.publish else set())
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
        if self.singleton is not None or self.id_refs:
            obj = self.from_live(obj)
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
        """The body of a create or update: the name and every spec field, defaults filled.

        A singleton's body has no name (its identity is fixed); a publish flag is never
        sent (publishing is a job of its own).
        """
        model, issues = self.validate_spec(spec)
        if model is None:  # pragma: no cover - specs are validated long before this
            raise ValueError(f"{self.name}/{name}: invalid spec: {[i.path for i in issues]}")
        body = model.model_dump(mode="json", exclude_none=True)
        if self.publish is not None:
            body.pop(self.publish.flag, None)
        return body if self.singleton is not None else {"name": name, **body}


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
