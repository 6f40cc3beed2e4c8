"""What a kind is, as data: its model, its rules and how it binds to the API.

The engine, the sandbox and the manifest loader only ever talk to :class:`Kind`; a
kind module fills one in. Rules live here once and serve three masters: offline
validation of manifests, the sandbox's server-side ``400 bad.request`` answers, and
the normalised "essence" that plans diff, so the three can never disagree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_core import SchemaSerializer

from reconciler.core.canonical import canonical_json, canonically_sorted
from reconciler.core.urls import path_segment
from reconciler.kinds.conventions import (
    Audited,
    ChildCollection,
    IdRefs,
    Listing,
    LiveCheck,
    Permissions,
    PostWriteHook,
    Publish,
    Singleton,
    SubResource,
)
from reconciler.kinds.jsonvalues import kept_from, to_json, without_absent, without_none
from reconciler.kinds.spec import (
    NAME_MAX,
    SPEC_CONTEXT,
    Check,
    FieldIssue,
    InvalidSpec,
    Shown,
    SpecModel,
    issue_from_pydantic,
    validate_name,
)
from reconciler.kinds.writebodies import WriteBodies

#: Fields the server owns: never sent, never diffed (the contract's list).
SERVER_MANAGED: frozenset[str] = frozenset({"id", "version", "dateCreated", "dateModified", "selfUri"})


@dataclass(frozen=True)
class Kind(WriteBodies):
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
    #: whether reads show those flags; when not (the platform's credentials), a live object is taken to
    #: hold what the manifest says, and a write-only value is re-sent with another change or on rotation
    write_only_flagged: bool = True
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
    #: an object without such a field (the TTS settings) is guarded by a digest of its
    #: content instead: settings that moved between plan and write are stale, never overwritten
    revision_from_content: bool = False
    #: fields the server owns: never sent, never compared
    server_managed: frozenset[str] = SERVER_MANAGED
    #: fields that cannot be updated: a change replaces the object (delete, then create)
    replace_on: tuple[str, ...] = ()
    publish: Publish | None = None
    id_refs: tuple[IdRefs, ...] = ()
    #: rules checked against the org's reference data at plan time
    live_checks: tuple[LiveCheck, ...] = ()
    #: the API's field that is the object's identity (``metadata.name``): ``name`` but for kinds
    #: without one (dictionary feedback: its ``term``); live objects get ``name`` from it
    name_field: str = "name"
    #: the longest name the platform accepts for the kind: 256 for triggers and data actions (CX as
    #: Code's ``StringLenBetween(1, 256)``), :data:`NAME_MAX` where the sources are silent (an assumption)
    name_max: int = NAME_MAX
    #: optional fields that a manifest leaving them out does not manage: not sent, not compared,
    #: and an update keeps their live value (a topic's ``programIds``). A dotted path names a field
    #: of the sub-resource (an integration's ``config.current.properties``): its write keeps the
    #: live value it reads first (``WriteBodies.sub_keeping_live``)
    unmanaged_when_absent: tuple[str, ...] = ()
    #: the live-side sibling of :attr:`unmanaged_when_absent`: top-level optional fields reads show only
    #: where an org feature is on, field -> feature (``DictionaryFeedback.transcriptionEngine``, "Only
    #: returned when GenesysExtended feature is enabled" in the SDK). A live object lacking one is taken to
    #: hold what the manifest says: not compared (else an org without the feature plans an update on every
    #: run), still sent by writes; such a field has no default (absent stays absent in an essence)
    shown_with_feature: Mapping[str, str] = field(default_factory=dict)
    #: the platform permissions its endpoints require (roles; scopes do not apply to client credentials)
    permissions: Permissions = field(default_factory=Permissions)
    #: spec fields by which the platform keeps apart objects of one name (a topic's ``dialect``: CX as
    #: Code selects a topic by name *and* dialect and exports it as ``<name>_<dialect>``). Identity here
    #: is the name alone, so a declared object matched by name to a live one that differs in such a
    #: field is refused at plan (it may be another's, of the same name in another dialect), unless
    #: ``metadata.id`` pins it; two documents of one name stay one identity (docs/real-org-kinds.md)
    name_scoped_by: tuple[str, ...] = ()
    #: whether two objects may share a name (the platform allows it for triggers; the contract answers 409)
    unique_names: bool = True
    #: how the platform answers an update based on an old version: ``409`` (the contract's ``version.mismatch``)
    #: or ``400`` with "does not match the current version" (CX as Code's ``IsVersionMismatch`` checks for it)
    version_conflict_status: Literal[400, 409] = 409
    #: where the audit service records the kind's writes (drift says who changed an object); ``None``: nowhere known
    audit: Audited | None = None
    #: a create refused with ``400`` is tried again within the confirm bound: the platform refuses one whose reference
    #: its reads do not show yet (CX as Code: trigger and data-action creates in ``RetryWhen(IsStatus400, …)``)
    create_retries_400: bool = False
    #: ``PATCH``: updates send only the fields of :attr:`update_fields` (data actions, integrations)
    update_method: Literal["PUT", "PATCH"] = "PUT"
    #: query parameters the platform's update takes (its SDK method's) that the engine never sends: the
    #: sandbox names them as not implemented; any other parameter of a write is refused as not one of its
    update_unsupported_params: tuple[str, ...] = ()
    #: the spec fields a create accepts, ``None``: all; the others follow in an update right after
    #: (an integration is created with its type alone, ``CreateIntegrationRequest``)
    create_fields: tuple[str, ...] | None = None
    #: the spec fields an update sends, ``None``: all (a data action's ``UpdateActionInput``)
    update_fields: tuple[str, ...] | None = None
    #: a spec field written by a request of its own after the object (an integration's configuration)
    sub_resource: SubResource | None = None
    #: a spec list written as a collection of its own after the object (a prompt's resources)
    children: ChildCollection | None = None
    #: top-level fields whose text is the platform's own template language (Velocity's ``${input.x}``):
    #: there, only ``${env:…}`` and ``${ref:…}`` are placeholders and any other ``${`` is the platform's
    templated: tuple[str, ...] = ()

    # ---- derived facts -------------------------------------------------------------
    @property
    def spec_fields(self) -> tuple[str, ...]:
        return tuple(self.spec_model.model_fields)

    @property
    def read_only(self) -> tuple[str, ...]:
        """Fields the server shows but a client never sends (e.g. ``authSecretSet``)."""
        return tuple(self.write_only.values())

    def left_to_server(self, spec: Mapping[str, Any], *, update: bool) -> frozenset[str]:
        """Write-only fields an update leaves out of ``spec``: the server keeps their live values.

        The one rule (``apply.bodies``, ``plan.planfile``): only an update may omit one, and its
        rules are judged with the omitted field standing for the kept value. A revert cannot send a
        secret it never recorded (docs/audit.md); a create or replace makes an object with none.
        """
        return frozenset(f for f in self.write_only if f not in spec) if update else frozenset()

    @property
    def shown_only(self) -> frozenset[str]:
        """Fields reads show that are not spec fields: ignored when a client echoes them back."""
        fields = set(self.server_managed) | set(self.read_only) | {r.shown_as for r in self.id_refs}
        fields |= set(self.listing.counted.values())
        return frozenset(fields)

    @property
    def listing_path(self) -> str:
        """Where the collection is listed: its own path unless the listing has one of its own."""
        return self.listing.path or self.collection

    @property
    def item_template(self) -> str:
        """The path of one object, ``{id}`` unfilled (the collection itself for a singleton)."""
        return self.collection if self.singleton else self.collection + "/{id}"

    def item_path(self, object_id: str | None) -> str:
        """The path of one object (the collection itself for a singleton)."""
        if self.singleton is not None:
            return self.collection
        return f"{self.collection}/{path_segment(object_id)}"

    def revision(self, obj: Mapping[str, Any] | None) -> Any:
        """What a saved plan remembers of a live object to detect that it moved since."""
        if obj is None:
            return None
        if self.revision_field is None:
            if not self.revision_from_content:
                return None
            digest = hashlib.sha256(canonical_json(self.essence(obj)).encode()).hexdigest()
            return f"sha256:{digest[:16]}"
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

    def all_permissions(self) -> frozenset[str]:
        """Every platform permission an operation on this kind may need (reads, writes, jobs, hooks)."""
        perms = {*self.permissions.read, *self.permissions.write}
        if self.after_write is not None:
            perms.update(self.after_write.permissions)
        if self.publish is not None:
            perms.update(self.publish.permissions)
        perms.update(p for check in self.live_checks for read in check.reads for p in read.permissions)
        return frozenset(perms)

    @property
    def reshapes_live(self) -> bool:
        """Whether live objects need :meth:`from_live` before the engine can name them."""
        return self.singleton is not None or self.name_field != "name" or self._named_sub is not None

    def from_live(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """A live object in request form: a singleton gets its fixed name, an object named by
        another field gets ``name`` from it, entity references their ids, a sub-resource loses
        the object's name it repeats."""
        out = dict(obj)
        if self.sub_resource is not None and self._named_sub is not None:
            sub = self.sub_resource
            outer = out.get(sub.field)
            inner = outer.get(sub.inner) if isinstance(outer, Mapping) else None
            if isinstance(outer, Mapping) and isinstance(inner, Mapping) and self._named_sub in inner:
                kept = {k: v for k, v in inner.items() if k != self._named_sub}
                out[sub.field] = {**outer, sub.inner: kept}
        if self.singleton is not None:
            out.setdefault("name", self.singleton.name)
        if self.name_field != "name" and self.name_field in out:
            out.setdefault("name", out[self.name_field])
        for ref in self.id_refs:
            shown = out.get(ref.shown_as)
            if ref.field not in out and isinstance(shown, list):
                out[ref.field] = [r.get("id") if isinstance(r, Mapping) else r for r in shown]
        return out

    def comparable(self, live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
        """The live essence as compared with ``desired``: a one-way publish flag that the
        manifest leaves false is not managed, so its live value does not count; nor do
        write-only flags that reads never show, nor fields the manifest leaves unmanaged, nor
        fields the org's reads leave out for a feature it lacks (:attr:`shown_with_feature`)."""
        out = without_absent(dict(live), desired, self._unmanaged_paths)
        if not self.write_only_flagged:
            out.update({flag: desired.get(flag, False) for flag in self.write_only.values()})
        for unshown in self.shown_with_feature:
            if unshown not in out and unshown in desired:
                out[unshown] = desired[unshown]
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
    def validate_spec(
        self, spec: Mapping[str, Any], *, shown_as: Shown | None = None
    ) -> tuple[SpecModel | None, list[FieldIssue]]:
        """Check a spec (the object without name and server fields) against every rule.

        ``shown_as``: how messages show the values validated (see :data:`~reconciler.kinds.spec.Shown`).
        """
        try:
            model = self.spec_model.model_validate(dict(spec), context=SPEC_CONTEXT)
        except ValidationError as exc:
            return None, [
                issue_from_pydantic(err, secret_fields=self.write_only, shown_as=shown_as) for err in exc.errors()
            ]
        issues = [issue for check in self.checks for issue in check(model)]
        return (model if not issues else None), issues

    def validate_body(self, body: Mapping[str, Any]) -> tuple[SpecModel | None, list[FieldIssue]]:
        """Validate an API request body: ``name`` plus the spec fields.

        Server-managed and read-only fields are ignored, as the real API does when a
        client echoes an object it read.
        """
        named = validate_name(body.get(self.name_field), self.name_max)
        issues = [] if self.singleton is not None else [FieldIssue((self.name_field,), i.message) for i in named]
        ignored = self.shown_only | {"name", self.name_field} | ({self.publish.flag} if self.publish else set())
        model, spec_issues = self.validate_spec({k: v for k, v in body.items() if k not in ignored})
        issues.extend(spec_issues)
        return (model if not issues else None), issues

    # ---- normalisation ----------------------------------------------------------------
    def essence(self, obj: Mapping[str, Any], *, ordered: bool = True) -> dict[str, Any]:
        """The comparable core of an object, from a live read or from a desired spec + name.

        Server-managed fields go, write-only values become their read-only flag,
        defaults are filled, numbers are typed by the model (1 == 1.0), absent and
        ``None`` are the same at any depth, and unordered lists are sorted, so that an
        object just applied never shows a diff. Not ``ordered``: the lists are left as they
        came, for a caller that compares first and sorts (:meth:`order`) only what differs.
        """
        validator, serializer, fields, reshapes = self._essence_parts
        if reshapes:
            obj = self.from_live(obj)
        raw = {k: v for k, v in obj.items() if k in fields}
        try:
            # ``model_validate(raw, strict=False)`` and ``model_dump(mode="json", exclude_none=True)``,
            # less their Python wrappers (a fifth of an essence, twice per object of a plan)
            model = validator.validate_python(raw, strict=False)
            data: dict[str, Any] = serializer.to_python(model, mode="json", exclude_none=True)
        except ValidationError:
            # Live data our rules reject (written by another tool): compare it as it is.
            data = without_none({**self.defaults(), **to_json(raw)})
        for secret, flag in self.write_only.items():
            present = data.pop(secret, None) is not None
            data[flag] = bool(obj.get(flag, False)) or present
        if ordered:
            self.order(data)
        if "name" in obj:
            data["name"] = obj["name"]
        return data

    @cached_property
    def _essence_parts(self) -> tuple[Any, SchemaSerializer, Mapping[str, Any], bool]:
        """What every essence looks up: the model's validator and serializer, its fields, whether to reshape.

        (The validator is typed ``Any``: pydantic's own annotation names a private plugin class.)
        """
        model = self.spec_model
        model.model_rebuild()  # a no-op once built: a model whose build was deferred gets its validator
        fields = model.model_fields  # looked up once: pydantic's accessor is slow
        reshapes = self.reshapes_live or bool(self.id_refs)
        return model.__pydantic_validator__, model.__pydantic_serializer__, fields, reshapes

    def order(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (an essence) with its unordered lists sorted in place, each by its items' canonical JSON.

        Why apart from :meth:`essence`: equal lists sort alike, so two essences equal as they
        came are equal sorted; a no-change plan compares first and never sorts (sorting was
        half the cost of an essence).
        """
        for list_field in self.unordered:
            items = data.get(list_field)
            if isinstance(items, list):
                data[list_field] = canonically_sorted(items)
        return data

    def desired_essence(self, obj: Mapping[str, Any], *, ordered: bool = True) -> dict[str, Any]:
        """The essence of a desired spec (+ name) or of a body sent: an unmanaged field it
        leaves out is absent, not its default (absent is not empty), so it is never compared."""
        return without_absent(self.essence(obj, ordered=ordered), obj, self._unmanaged_paths)

    def keep_unmanaged(self, body: Mapping[str, Any], live: Mapping[str, Any] | None) -> dict[str, Any]:
        """An update's body with each unmanaged field it leaves out set to its live value.

        A ``PUT`` replaces the whole object: a field left out would be reset to its
        default (a topic unlinked from its programs), so the live value is sent back.
        So is a dotted path's (a data action's ``config.request.requestTemplate``), but one into the
        sub-resource: its write fills that from the read it makes right before (``sub_keeping_live``).
        """
        out = dict(body)
        if live is None:
            return out
        shown = self.from_live(live)
        sub = (self.sub_resource.field, self.sub_resource.inner) if self.sub_resource is not None else None
        for path in self._unmanaged_paths:
            if sub is None or path[0] != sub[0]:  # the sub-resource itself is written by its own request
                out = kept_from(out, shown, path)
        return out

    def api_body(self, name: str, spec: Mapping[str, Any], *, shown_as: Shown | None = None) -> dict[str, Any]:
        """The body of a create or update: the name and every spec field, defaults filled.

        A singleton's body has no name (its identity is fixed); a publish flag is never
        sent (publishing is a job of its own). A spec the rules refuse raises
        :class:`InvalidSpec`, its messages showing values through ``shown_as``: validated at
        plan, a spec can still break here on an ``${env:…}`` value that changed since.
        """
        model, issues = self.validate_spec(spec, shown_as=shown_as)
        if model is None:
            raise InvalidSpec(f"{self.name}/{name}", issues)
        body = model.model_dump(mode="json", exclude_none=True)
        if self.publish is not None:
            body.pop(self.publish.flag, None)
        body = without_absent(body, spec, self._unmanaged_paths)
        return body if self.singleton is not None else {self.name_field: name, **body}
