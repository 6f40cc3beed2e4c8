"""One declared object against its live counterpart: the action and why.

Identity is (kind, name compared case-insensitively); a case-only rename is an update
of ``name``. A document pinned by ``metadata.id`` is matched by id instead
(:func:`~reconciler.plan.identity.live_index`), so its live object may bear another
name. The desired side is the spec with ``${env:…}`` and ``${ref:…}`` resolved (a
reference to an object not yet live reads ``(known after apply)``), then both sides go
through ``Kind.essence``. Equal essences are a no-op, and the field diff (in
:mod:`~reconciler.plan.fielddiff`) runs only when they differ, so a large unchanged
estate costs one dict comparison per object.

Secrets
    Equality uses the real environment values (a changed variable is a change), but the
    displayed values are masked: every string that takes text from the environment,
    directly or through a chain of references, on both sides. A reference to a declared
    field that itself holds placeholders is resolved through the chain (not shown as
    ``(known after apply)`` forever), so a plan settles once apply has written it.
    Write-only fields (``authSecret``) cannot be compared, since the server never
    returns them: only their flag is. Nor can they be referenced (validate refuses it).
    To rotate one, change the variable's value and name the object in ``rotate``: the
    plan then re-sends it.

Kinds that differ from the seed contract (all said by their :class:`~reconciler.kinds.Kind`)
    - a change to a field the API cannot update (``Kind.replace_on``) is a ``replace``:
      apply deletes the live object and creates the declared one, and objects
      referencing its id see ``(known after apply)``;
    - a one-way publish flag (``published: true``) is compared only when declared true
      (``Kind.comparable``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from reconciler.core.jsonpath import iter_strings
from reconciler.core.keys import ObjectKey
from reconciler.kinds import REGISTRY, Kind
from reconciler.manifests.desired import (
    PLACEHOLDER,
    SENSITIVE,
    DesiredObject,
    RefLookup,
    Resolution,
    Unresolved,
    resolve,
)
from reconciler.plan.fielddiff import ENV_CHANGED, Pattern, field_changes, sensitive_patterns
from reconciler.plan.model import Action, FieldChange, LiveMatch, Reason, ReasonCode
from reconciler.plan.settled import SettledLive

#: live objects by folded identity (kind, casefolded name)
LiveIndex = Mapping[tuple[str, str], Mapping[str, Any]]


@dataclass
class Entry:
    """Working state for one declared object while the plan is built (renames add reasons)."""

    obj: DesiredObject
    kind: Kind
    resolved: dict[str, Any]
    essence: Mapping[str, Any]
    sensitive: tuple[Pattern, ...]
    live: Mapping[str, Any] | None
    live_essence: Mapping[str, Any] | None = None
    action: Action = Action.NOOP
    changes: tuple[FieldChange, ...] = ()
    reasons: list[Reason] = field(default_factory=list)
    #: the undeclared live object this create equals but for the name (set by :mod:`.renames`), or the live
    #: object of another name an update's ``metadata.id`` matched
    rename_of: LiveMatch | None = None


def make_lookup(
    declared: Mapping[tuple[str, str], DesiredObject],
    live_by_key: LiveIndex,
    replaced: Collection[tuple[str, str]] = frozenset(),
) -> RefLookup:
    """Reference values as far as they are known before apply.

    A spec field of a declared object is its manifest value (the value it will have
    after apply): as is when it holds no placeholder, as :class:`Unresolved` text for
    :func:`resolve` to follow when it does; anything else (``id`` in particular) comes
    from the live object, and is unknown when there is none or when apply replaces it.
    """

    def lookup(key: ObjectKey, fieldname: str) -> Any:
        target = declared.get(key.folded)
        if target is not None and fieldname in REGISTRY[target.kind].spec_fields:
            value = target.spec.get(fieldname, REGISTRY[target.kind].defaults().get(fieldname))
            if value is None:
                return None
            if isinstance(value, str) and "${" in value:  # a placeholder, or an escape to read
                return Unresolved(value, templated=fieldname in REGISTRY[target.kind].templated)
            if any(PLACEHOLDER.search(s) for _, s in iter_strings(value)):
                return None  # structured and holding placeholders: not text a reference can take
            return value
        obj = live_by_key.get(key.folded)
        if obj is None or key.folded in replaced:
            return None
        return obj.get(fieldname)

    return lookup


def compare(
    obj: DesiredObject, env: Mapping[str, str], lookup: RefLookup, live_by_key: LiveIndex, rotate: bool
) -> Entry:
    """The action for ``obj`` and the reasons for it; ``rotate`` forces re-sending write-only values."""
    kind = REGISTRY[obj.kind]
    current = live_by_key.get(obj.key.folded)
    if type(current) is SettledLive:
        return _settled(obj, kind, current, rotate, env, lookup)
    # A spec with no placeholder is its own resolution (most objects of a large estate: walking
    # every string to substitute nothing was a tenth of a no-change plan); nothing below writes
    # into it, so no copy.
    resolution = (
        Resolution(obj.spec)
        if obj.placeholder_free
        else resolve(dict(obj.spec), env, lookup, templated=kind.templated)
    )
    resolved = resolution.value
    # Unordered lists stay as they came until both sides are known: equal as they came, they are
    # equal sorted, so a no-op never sorts (sorting was half the cost of an essence).
    essence = kind.desired_essence({"name": obj.name, **resolved}, ordered=False)
    entry = Entry(
        obj=obj,
        kind=kind,
        resolved=resolved,
        essence=essence,
        sensitive=sensitive_patterns(resolution.sensitive_paths, kind.unordered),
        live=current,
    )
    if current is None:
        kind.order(essence)
        entry.action = Action.CREATE
        entry.reasons.append(Reason(code=ReasonCode.NOT_LIVE, text="not found live"))
        return entry
    entry.live_essence = live_essence = kind.comparable(kind.essence(current, ordered=False), essence)
    if rotate or live_essence != essence:
        kind.order(essence)
        kind.order(live_essence)
    if entry.live_essence == essence and not rotate:
        # Equal: a no-op shows neither side (ResourceChange.before/after are None) and renames
        # look only at creates, so neither copy is kept. A no-change plan holds every entry
        # until it is built, and the essences were the largest share of its peak memory.
        entry.essence = entry.live_essence = _SETTLED
        return entry
    entry.action = Action.UPDATE
    if entry.live_essence != essence:
        _differences(entry, current, unknown=resolution.unknown)
    if rotate:
        _rotation(entry)
    return entry


#: the essence of both sides of a no-op once compared: nothing reads it again
_SETTLED: Mapping[str, Any] = MappingProxyType({})


def _settled(
    obj: DesiredObject, kind: Kind, current: SettledLive, rotate: bool, env: Mapping[str, str], lookup: RefLookup
) -> Entry:
    """The no-op found when ``current``'s page was read (:mod:`~reconciler.plan.readtime`), as compare made it."""
    if current.declared is not obj or rotate:
        # only the declaration it was compared with, unrotated, may meet a stub: anything else is a wiring fault
        raise ValueError(f"{obj.key}: its live object was settled at read for another comparison")
    # resolved as compare resolves it (the safety check looks for ids in it): a placeholder-free spec as is
    # (nothing writes into it), one holding ${env:…} with the variables (it holds no ${ref:…}: see readtime)
    if obj.placeholder_free:
        resolved: dict[str, Any] = obj.spec  # type: ignore[assignment]  # a Mapping read only, as Resolution.value
    else:
        resolved = resolve(dict(obj.spec), env, lookup, templated=kind.templated).value
    return Entry(obj=obj, kind=kind, resolved=resolved, essence=_SETTLED, sensitive=(), live=current,
                 live_essence=_SETTLED)


def _differences(entry: Entry, current: Mapping[str, Any], *, unknown: bool) -> None:
    """Field changes of an update, and whether they force a replace."""
    assert entry.live_essence is not None
    kind = entry.kind
    entry.changes = field_changes(
        entry.live_essence, entry.essence, unordered=kind.unordered, sensitive=entry.sensitive
    )
    count = len(entry.changes)
    add = entry.reasons.append
    add(Reason(code=ReasonCode.FIELDS_DIFFER, text=f"{count} field{'s differ' if count != 1 else ' differs'}"))
    fixed = sorted({_top(c.path) for c in entry.changes} & set(kind.replace_on))
    if fixed:
        entry.action = Action.REPLACE
        text = f"{' and '.join(fixed)} changes force replacement (delete, then create)"
        add(Reason(code=ReasonCode.FORCES_REPLACEMENT, text=text))
    if any(c.path == "name" for c in entry.changes):
        live_name = str(current.get("name", ""))
        if live_name.casefold() == entry.obj.name.casefold():
            add(Reason(code=ReasonCode.NAME_CASE, text=f"name case changed from {live_name!r}"))
        else:  # only a pin (metadata.id) matches an object of another name
            add(Reason(code=ReasonCode.RENAMED_BY_ID, text=f"renamed from {live_name!r} (matched by metadata.id)"))
            # as data too: drift words it as a rename of the live object ("renamed live: 'Declared' → 'Live'")
            live_id = current.get("id")
            entry.rename_of = LiveMatch(object_id=None if live_id is None else str(live_id), name=live_name)
    if any(c.note for c in entry.changes):
        add(Reason(code=ReasonCode.ENV_CHANGED, text=ENV_CHANGED))
    if unknown:
        add(Reason(code=ReasonCode.KNOWN_AFTER_APPLY, text="references known after apply"))


def _rotation(entry: Entry) -> None:
    """Re-send the write-only values the manifests set (or force the update when there are none)."""
    secrets = [f for f in entry.kind.write_only if entry.obj.spec.get(f) is not None]
    entry.changes += tuple(
        FieldChange(path=f, before=SENSITIVE, after=SENSITIVE, note="write-only value re-sent") for f in secrets
    )
    what = f"write-only {', '.join(secrets)} re-sent" if secrets else "update forced"
    entry.reasons.append(Reason(code=ReasonCode.ROTATION, text=f"{what} (rotation requested)"))


def _top(path: str) -> str:
    """The top-level field of a display path (``target.id`` -> ``target``, ``phrases[1]`` -> ``phrases``)."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]
