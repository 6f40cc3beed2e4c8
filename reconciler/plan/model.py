"""The plan: what apply will do to each object, as a frozen, serializable value.

A :class:`Plan` is produced by :func:`reconciler.plan.builder.build_plan` (a pure function of
desired and live state), shown by the renderers, saved by :mod:`reconciler.plan.planfile`
and carried out by the executor. Everything in it is safe to display and to store:

- ``before`` / ``after`` are *displayable essences*: every value that came from the
  environment (``${env:…}``) is replaced by :data:`~reconciler.manifests.desired.SENSITIVE`,
  write-only fields appear only as their read-only flag (``authSecretSet``), and a
  reference not known until apply reads :data:`~reconciler.manifests.desired.KNOWN_AFTER_APPLY`;
- ``spec`` is the desired spec with its placeholders *unresolved*, so the executor
  resolves environment values and references at apply time and a plan file never holds
  a secret.

A field value of ``None`` in a :class:`FieldChange` means "absent": essences never hold
``None`` (``Kind.essence`` drops it), so the two cannot be confused.

Why a change is planned is a tuple of :class:`Reason` items, each with a fixed
:class:`ReasonCode` for programs and a sentence for people, so no consumer has to parse
a joined sentence to learn that an object was renamed. ``reason`` (the sentences joined
by ``"; "``) is derived from them for display and kept in the JSON documents.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, WithJsonSchema, computed_field

from reconciler.core.keys import ObjectKey, Revision
from reconciler.manifests.policy import ChangeWindow
from reconciler.plan.warning import WarningLine

PLAN_FORMAT_VERSION = 1


class Action(StrEnum):
    """What apply does to one object.

    ``REPLACE`` is a change to a field the API cannot update (a trigger's
    ``topicName``): apply deletes the live object, then creates the declared one.
    """

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"

    @property
    def symbol(self) -> str:
        """Terraform-like marker used by the renderers."""
        return _SYMBOLS[self]

    @property
    def verb(self) -> str:
        """The word shown next to the marker ("+ create Kind/Name"): the action's own value."""
        return self.value


_SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.DELETE: "-", Action.NOOP: " "}

#: The order in which counts are shown everywhere (summary line, JSON).
ACTION_ORDER: tuple[Action, ...] = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE, Action.NOOP)
#: actions counted even when zero (``replace`` appears only in plans that replace something)
ALWAYS_COUNTED: tuple[Action, ...] = (Action.CREATE, Action.UPDATE, Action.DELETE, Action.NOOP)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReasonCode(StrEnum):
    """Why the planner chose an action: the fixed vocabulary of :attr:`Reason.code`."""

    #: a declared object with no live object of its kind and name (create)
    NOT_LIVE = "not_live"
    #: the live object matches the manifests (no-op)
    UP_TO_DATE = "up_to_date"
    #: fields differ between live and desired (update)
    FIELDS_DIFFER = "fields_differ"
    #: a field the API cannot update changed (replace)
    FORCES_REPLACEMENT = "forces_replacement"
    #: only the case of the name changed (identity is case-insensitive)
    NAME_CASE = "name_case"
    #: a value read from the environment changed (it is masked, so the diff cannot show it)
    ENV_CHANGED = "env_changed"
    #: a referenced value is not known until apply (its target is created or replaced)
    KNOWN_AFTER_APPLY = "known_after_apply"
    #: ``rotate`` asked to re-send write-only values (update)
    ROTATION = "rotation"
    #: an undeclared live object of a kind whose pruning is enabled (delete)
    PRUNED = "pruned"
    #: a create that takes over from a pruned live object of another name
    RENAMED_FROM = "renamed_from"
    #: a delete whose object lives on under a new name in the manifests
    RENAMED_TO = "renamed_to"
    #: a create that looks like a rename of a live object that stays (pruning is off)
    LIKELY_RENAMED = "likely_renamed"
    #: an update whose ``metadata.id`` matched a live object of another name (:attr:`ResourceChange.rename_of`)
    RENAMED_BY_ID = "renamed_by_id"
    #: drift only: a declared object whose live object was renamed outside git (:attr:`ResourceChange.rename_of`)
    RENAMED_LIVE = "renamed_live"
    #: ``reconciler revert RUN_ID`` puts back what that apply run changed (docs/audit.md)
    REVERTED = "reverted"


class Reason(_Frozen):
    """One reason for a planned action: a stable ``code`` and its sentence for people."""

    code: ReasonCode
    text: str


def reason_text(reasons: tuple[Reason, ...]) -> str:
    """The sentences of ``reasons`` joined for display (``2 fields differ; value from environment changed``)."""
    return "; ".join(r.text for r in reasons)


class LiveMatch(_Frozen):
    """The live object a declared one matches under another name: its id and its live name.

    A create's is the undeclared object it equals but for the name; an id-pinned update's is
    the object its ``metadata.id`` names.

    Why data and not only a sentence: the plan words a match as a rename in the manifests
    (``replaces 'Old'``), drift as a rename of the live object; each reads who and what from here
    (drift looks the renamer up by this id) rather than re-parsing the other's sentence.
    """

    object_id: str | None = None
    name: str


class FieldChange(_Frozen):
    """One field that differs, at a display path such as ``phrases[1].phrase`` or ``headers.X-Team``.

    ``before`` / ``after`` are already masked; ``None`` means the field is absent on that
    side (added or removed). ``note`` explains what a masked value cannot show, e.g.
    "value from environment changed".
    """

    path: str
    before: Any = None
    after: Any = None
    note: str | None = None

    @property
    def change_type(self) -> Literal["add", "remove", "change"]:
        if self.before is None:
            return "add"
        if self.after is None:
            return "remove"
        return "change"


def _object_key(value: Any) -> ObjectKey:
    if isinstance(value, ObjectKey):
        return value
    if isinstance(value, str):
        return ObjectKey.parse(value)
    raise ValueError(f"expected a Kind/Name address, not {type(value).__name__}")


#: An :class:`ObjectKey` that a plan stores (and a saved plan holds) as its ``Kind/Name`` string.
ObjectAddress = Annotated[
    ObjectKey,
    PlainValidator(_object_key),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": "^[^/]+/.+$"}),
]


class ResourceChange(_Frozen):
    """The planned action for one object, with everything needed to show and apply it."""

    kind: str
    name: str
    action: Action
    #: the live object's id (``None`` for a create)
    object_id: str | None = None
    #: the live revision the plan was computed from (``version``; ``dateModified`` for kinds
    #: without versions); apply refuses the object if it moved
    live_version: Revision | None = None
    #: displayable essences (masked); ``None`` for the side that does not exist. No-ops
    #: carry neither, to keep large unchanged plans small.
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    field_changes: tuple[FieldChange, ...] = ()
    #: why this action, in the order the planner found out (see :class:`ReasonCode`)
    reasons: tuple[Reason, ...] = ()
    #: referenced objects that this plan creates or updates (apply them first); "Kind/Name" in JSON
    depends_on: tuple[ObjectAddress, ...] = ()
    #: where the object is declared (``file:line``); ``None`` for undeclared live objects
    source: str | None = None
    #: desired spec with ``${env:…}`` / ``${ref:…}`` unresolved; ``None`` for deletes and no-ops
    spec: dict[str, Any] | None = None
    #: a create: the undeclared live object it equals but for the name (``renamed_from``/``likely_renamed``); an
    #: update or replacement: the live object of another name its ``metadata.id`` matched (``renamed_by_id``)
    rename_of: LiveMatch | None = None
    #: a plan of part of a project: the objects that reference this one, when only a file not given declares it
    #: (pulled into the plan as Terraform's ``-target`` pulls in dependencies: :mod:`reconciler.manifests.included`)
    included_by: tuple[ObjectAddress, ...] = ()

    @property
    def address(self) -> str:
        """``Kind/Name``, the way objects are named in messages and ``depends_on``."""
        return f"{self.kind}/{self.name}"

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorator over @property; pydantic documents it
    @property
    def reason(self) -> str:
        """:attr:`reasons` as one sentence for people (kept in the JSON for readers of ``format_version`` 1)."""
        return reason_text(self.reasons)


def noop_change(
    *,
    kind: str,
    name: str,
    object_id: str | None,
    live_version: Revision | None,
    reasons: tuple[Reason, ...],
    depends_on: tuple[ObjectKey, ...],
    source: str | None,
) -> ResourceChange:
    """A no-op's change from values already of their fields' types (the caller checks), without validation.

    Why: a no-change plan holds one per object, so their size is the plan's. Validation
    gives each change its own set of the field names it was given and its own dict (1,350
    bytes a change). Here every field is set in declaration order on a fresh instance, so
    CPython keeps the values in the instance (the class shares one key table) and the
    changes share one set of names, which nothing mutates (the model is frozen;
    ``model_copy`` copies the set): 300 bytes a change. The attributes are the ones
    ``model_construct`` sets; the result compares, copies and serializes as a validated one.
    """
    change = ResourceChange.__new__(ResourceChange)
    # one statement per field, in _CHANGE_FIELDS's order (a loop over them cost twice as much)
    _set(change, "kind", kind)
    _set(change, "name", name)
    _set(change, "action", Action.NOOP)
    _set(change, "object_id", object_id)
    _set(change, "live_version", live_version)
    _set(change, "before", None)
    _set(change, "after", None)
    _set(change, "field_changes", ())
    _set(change, "reasons", reasons)
    _set(change, "depends_on", depends_on)
    _set(change, "source", source)
    _set(change, "spec", None)
    _set(change, "rename_of", None)
    _set(change, "included_by", ())
    _set(change, "__pydantic_fields_set__", _ALL_CHANGE_FIELDS)
    _set(change, "__pydantic_extra__", None)
    _set(change, "__pydantic_private__", None)
    return change


_set = object.__setattr__
#: the field order :func:`noop_change` sets (checked against the model at import)
_CHANGE_FIELDS = (
    "kind", "name", "action", "object_id", "live_version", "before", "after", "field_changes", "reasons",
    "depends_on", "source", "spec", "rename_of", "included_by",
)
if tuple(ResourceChange.model_fields) != _CHANGE_FIELDS:  # pragma: no cover - a field added without updating
    raise RuntimeError("noop_change: ResourceChange's fields changed; update _CHANGE_FIELDS and its values")
_ALL_CHANGE_FIELDS = set(_CHANGE_FIELDS)


class PolicyRule(StrEnum):
    """Which guardrail of ``reconciler.yaml``'s ``policy:`` a finding breaks (docs/policy.md)."""

    #: a protected object would be updated, replaced or deleted
    PROTECT = "protect"
    #: more changes or deletes than ``limits`` allows
    LIMIT = "limit"
    #: outside every change window (found when applying; a plan only warns)
    WINDOW = "window"


class PolicyFinding(_Frozen):
    """One guardrail the plan breaks: apply refuses it unless ``--override REASON`` is given."""

    rule: PolicyRule
    #: ``Kind/Name`` (protect), the kind or ``*`` (limit); ``None`` for the window
    object: str | None = None
    text: str


class Org(_Frozen):
    """The org a plan was made for, as the platform names it (``GET /api/v2/tokens/me``: ``TokenInfo.organization``).

    Why beside ``target``: the target is the API URL, a region many orgs share, so only the
    org's id tells a dev org's plan from one a prod org may carry out.
    """

    id: str
    #: as the org was called when the plan was made (shown, never compared); ``None`` if not known
    name: str | None = None

    @property
    def described(self) -> str:
        """``'Name' (id …)``, or ``id …`` when the name is not known: how messages name an org."""
        return f"{self.name!r} (id {self.id})" if self.name else f"id {self.id}"


class Plan(_Frozen):
    """Every change for one target, in apply order (creates/updates by references, then deletes)."""

    format_version: int = PLAN_FORMAT_VERSION
    tool_version: str
    created_at: datetime
    #: ``Target.identity``: a saved plan is refused by any other target
    target: str
    target_description: str
    #: the org the plan was made for: ``apply`` refuses it in another org. ``None`` only in a plan
    #: file made before plans recorded it, which ``apply FILE`` refuses (made again, it has one)
    org: Org | None = None
    manifests_digest: str
    #: the project it was made in: the directory holding the ``reconciler.yaml`` it read, relative to the working
    #: directory of ``plan`` (absolute when outside it); ``None`` when it read none. ``apply FILE`` judges the plan
    #: again against that project's settings; a file made before lacks the key (:func:`records_project`)
    project: str | None = None
    changes: tuple[ResourceChange, ...] = ()
    #: "Kind/Name" of live objects that are neither declared nor deleted by this plan
    unmanaged: tuple[str, ...] = ()
    #: safety refusals (prune bound, deleting what is referenced): the plan is not applyable
    errors: tuple[str, ...] = ()
    #: worth a look, not blocking; one about a manifest place carries it (a string each in JSON: see plan.warning)
    warnings: tuple[WarningLine, ...] = ()
    #: guardrails the plan breaks (``policy:`` in reconciler.yaml): not applyable without ``--override``
    policy: tuple[PolicyFinding, ...] = ()
    #: the change windows apply checks at the moment it runs (carried so a saved plan keeps them)
    windows: tuple[ChangeWindow, ...] = ()

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorator over @property; pydantic documents it
    @property
    def summary(self) -> dict[str, int]:
        """Count of changes per action (``{"create": 1, ..., "no-op": 0}``); ``replace`` only when non-zero."""
        counts = {a.value: 0 for a in ACTION_ORDER}
        for change in self.changes:
            counts[change.action.value] += 1
        return {k: v for k, v in counts.items() if v or Action(k) in ALWAYS_COUNTED}

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorator over @property; pydantic documents it
    @property
    def has_changes(self) -> bool:
        return any(c.action != Action.NOOP for c in self.changes)

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorator over @property; pydantic documents it
    @property
    def applyable(self) -> bool:
        """No safety error and no policy finding. A plan without changes is applyable (apply does nothing)."""
        return not self.errors and not self.policy

    def pending(self) -> tuple[ResourceChange, ...]:
        """The changes that write something (everything but no-ops), in apply order."""
        return tuple(c for c in self.changes if c.action != Action.NOOP)


def records_project(plan: Plan) -> bool:
    """Whether ``plan`` says which project it was made in (``project``, null included): files made before do not."""
    return "project" in plan.model_fields_set


#: Keys that ``model_dump`` adds from computed fields and that validation must not receive.
COMPUTED_PLAN_FIELDS: tuple[str, ...] = ("summary", "has_changes", "applyable")
#: The same for each entry of ``changes``.
COMPUTED_CHANGE_FIELDS: tuple[str, ...] = ("reason",)


def plan_from_document(document: dict[str, Any]) -> Plan:
    """A :class:`Plan` from its JSON object (a saved plan or ``--format json``), computed keys dropped.

    Computed keys are derived from the others, so they are dropped rather than trusted;
    extra keys stay refused (``extra="forbid"``). Raises pydantic's ``ValidationError``.
    """
    body = {k: v for k, v in document.items() if k not in COMPUTED_PLAN_FIELDS}
    changes = body.get("changes")
    if isinstance(changes, list):
        body["changes"] = [
            {k: v for k, v in c.items() if k not in COMPUTED_CHANGE_FIELDS} if isinstance(c, dict) else c
            for c in changes
        ]
    return Plan.model_validate(body)


def summary_line(counts: dict[str, int]) -> str:
    """``1 to create, 2 to update, 0 to delete, 5 unchanged`` from :attr:`Plan.summary`
    (``, 1 to replace`` after the updates when something is replaced)."""
    replace = counts.get(Action.REPLACE.value, 0)
    return (
        f"{counts.get(Action.CREATE.value, 0)} to create, "
        f"{counts.get(Action.UPDATE.value, 0)} to update, "
        + (f"{replace} to replace, " if replace else "")
        + f"{counts.get(Action.DELETE.value, 0)} to delete, "
        f"{counts.get(Action.NOOP.value, 0)} unchanged"
    )
