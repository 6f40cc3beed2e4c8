"""The planner: a pure function from desired and live state to a :class:`~reconciler.plan.model.Plan`.

No I/O: the caller lists the live objects and loads the manifests; :func:`build_plan`
only compares. It must stay cheap for large, unchanged estates, so every step is linear
(dict lookups, no pairwise scans) and DeepDiff runs only for objects whose essences
differ.

How an object is compared
    Identity is (kind, name compared case-insensitively); a case-only rename is an
    update of ``name``. The desired side is the spec with ``${env:…}`` and ``${ref:…}``
    resolved (a reference to an object not yet live reads ``(known after apply)``),
    then both sides go through ``Kind.essence``. Equal essences are a no-op.

Secrets
    Equality uses the real environment values (a changed variable is a change), but
    displays and the plan file never do: values from the environment are masked as
    ``(sensitive)``, and the plan stores the unresolved spec. Write-only fields
    (``authSecret``) cannot be compared at all, since the server never returns them:
    only their flag is (``authSecretSet: false -> true`` when a secret is added). To
    rotate a write-only secret, change the variable's value and name the object in
    ``rotate`` (``Kind/Name``): the plan then re-sends it. Any other update of the
    object also re-sends the current value, because updates send the whole object.
    Renaming the variable alone is *not* detected: no state remembers the old name.

Safety (errors make the plan unapplyable; the changes are still listed for display)
    - pruning beyond the bound of :class:`~reconciler.plan.prune.PrunePolicy`;
    - deleting an object whose id still appears in a declared object's resolved spec
      or in a live object that stays (a webhook filter naming a speech rule's id);
    - a reference to an object that is neither declared nor live.

Kinds that differ from the seed contract (all said by their :class:`~reconciler.kinds.Kind`)
    - a change to a field the API cannot update (``Kind.replace_on``) is a
      ``replace``: apply deletes the live object and creates the declared one; objects
      referencing its id see ``(known after apply)`` and are updated after it;
    - a singleton (the org's TTS settings) is only ever updated: never created,
      deleted, pruned or listed as unmanaged;
    - a one-way publish flag (``published: true``) is compared only when declared true;
    - the revision a saved plan checks is ``Kind.revision_field`` (``dateModified`` for
      topics, which have no version; nothing for a singleton).

Order
    Creates, updates and no-ops follow the reference levels of
    :func:`reconciler.core.graph.reference_order` (referenced objects first); deletes come
    last, objects that mention another deleted object's id before that object.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler import __version__
from reconciler.core.errors import ConfigError
from reconciler.core.graph import reference_order
from reconciler.core.keys import ObjectKey
from reconciler.kinds import KINDS, REGISTRY, Kind, unknown_kind_message
from reconciler.kinds.base import canonical_json
from reconciler.manifests.desired import PLACEHOLDER, SENSITIVE, DesiredObject, resolve
from reconciler.plan.fielddiff import Pattern, field_changes, mask, sensitive_patterns
from reconciler.plan.model import Action, FieldChange, Plan, ResourceChange
from reconciler.plan.prune import PrunePolicy

__all__ = ["PrunePolicy", "build_plan"]

_KIND_RANK = {k.name: i for i, k in enumerate(KINDS)}
_TOKEN = re.compile(r"[\w-]+")


@dataclass
class _Entry:
    """Working state for one declared object while the plan is built."""

    obj: DesiredObject
    kind: Kind
    resolved: dict[str, Any]
    essence: dict[str, Any]
    sensitive: tuple[Pattern, ...]
    live: Mapping[str, Any] | None
    live_essence: dict[str, Any] | None = None
    action: Action = Action.NOOP
    changes: tuple[FieldChange, ...] = ()
    notes: list[str] = field(default_factory=list)


@dataclass
class _Undeclared:
    kind: Kind
    obj: Mapping[str, Any]
    essence: dict[str, Any]
    delete: bool
    notes: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{self.kind.name}/{self.obj['name']}"


def build_plan(
    desired: Sequence[DesiredObject],
    live: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    env: Mapping[str, str],
    target: str,
    target_description: str,
    manifests_digest: str,
    prune: PrunePolicy = PrunePolicy(),
    rotate: Collection[str] = (),
    created_at: datetime | None = None,
    tool_version: str = __version__,
) -> Plan:
    """Compare ``desired`` with ``live`` (kind name -> listed objects) and plan the changes.

    Raises :class:`ConfigError` when an environment variable the manifests use is not
    set or the prune policy names an unknown kind, and
    :class:`~reconciler.core.graph.ReferenceCycleError` when references loop.
    """
    for kind_name in sorted(prune.kinds):
        if kind_name not in REGISTRY:
            raise ConfigError(f"prune: {unknown_kind_message(kind_name)}")
        if REGISTRY[kind_name].singleton is not None:
            raise ConfigError(f"prune: {kind_name} is the org's single settings object; it is never deleted")
    _check_env(desired, env)

    live_by_key: dict[tuple[str, str], Mapping[str, Any]] = {}
    for kind_name, objects in live.items():
        for obj in objects:
            live_by_key[(kind_name, str(obj.get("name", "")).casefold())] = obj
    declared = {d.key.folded: d for d in desired}

    errors: list[str] = []
    warnings: list[str] = []
    errors.extend(_dangling_references(desired, declared, live_by_key))

    lookup = _make_lookup(declared, live_by_key)
    rotate_keys = {ObjectKey(*_split_address(a)).folded for a in rotate}
    entries = {d.key.folded: _compare(d, env, lookup, live_by_key, d.key.folded in rotate_keys) for d in desired}
    replaced = frozenset(key for key, e in entries.items() if e.action == Action.REPLACE)
    if replaced:
        # A replaced object gets a new id: whoever references it sees (known after apply).
        lookup = _make_lookup(declared, live_by_key, replaced)
        for d in desired:
            if any(ref.target.folded in replaced for ref in d.references):
                entries[d.key.folded] = _compare(d, env, lookup, live_by_key, d.key.folded in rotate_keys)
    errors.extend(_missing_singletons(entries))
    for address in sorted(rotate):
        if ObjectKey(*_split_address(address)).folded not in declared:
            warnings.append(f"rotate: {address} is not declared; nothing to re-send")

    undeclared = _undeclared(live, declared, prune)
    _detect_renames(entries, undeclared)
    errors.extend(_prune_violations(undeclared, live, prune))
    errors.extend(_still_referenced(entries, undeclared))

    changes = [_entry_change(entries[key.folded], entries) for level in _levels(desired) for key in level]
    changes.extend(_delete_change(u) for u in _delete_order(undeclared))
    unmanaged = tuple(u.address for u in sorted(undeclared, key=_undeclared_rank) if not u.delete)

    return Plan(
        tool_version=tool_version,
        created_at=created_at or datetime.now(UTC),
        target=target,
        target_description=target_description,
        manifests_digest=manifests_digest,
        changes=tuple(changes),
        unmanaged=unmanaged,
        errors=tuple(errors),
        warnings=tuple(warnings),
    )


# ---- inputs ---------------------------------------------------------------------------


def _check_env(desired: Sequence[DesiredObject], env: Mapping[str, str]) -> None:
    """All unset variables at once, each with the objects that need it (never a value)."""
    missing: dict[str, list[str]] = defaultdict(list)
    for obj in desired:
        for name in obj.env_names:
            if name not in env:
                missing[name].append(str(obj.key))
    if missing:
        lines = [f"  {name} (used by {', '.join(users)})" for name, users in sorted(missing.items())]
        raise ConfigError("environment variables not set:\n" + "\n".join(lines))


def _split_address(address: str) -> tuple[str, str]:
    kind, sep, name = address.partition("/")
    if not sep or not name:
        raise ConfigError(f"{address!r} is not an object address; expected Kind/Name")
    return kind, name


def _dangling_references(
    desired: Sequence[DesiredObject],
    declared: Mapping[tuple[str, str], DesiredObject],
    live_by_key: Mapping[tuple[str, str], Mapping[str, Any]],
) -> Iterator[str]:
    for obj in desired:
        for ref in obj.references:
            if ref.target.folded not in declared and ref.target.folded not in live_by_key:
                yield f"{obj.key}: {ref.path} refers to {ref.target}, which is neither declared nor live"


def _make_lookup(
    declared: Mapping[tuple[str, str], DesiredObject],
    live_by_key: Mapping[tuple[str, str], Mapping[str, Any]],
    replaced: Collection[tuple[str, str]] = frozenset(),
) -> Any:
    """Reference values as far as they are known before apply.

    A spec field of a declared object is its manifest value when that holds no
    placeholder (the value it will have after apply); anything else (``id`` in
    particular) comes from the live object, and is unknown when there is none or when
    apply replaces it.
    """

    def lookup(key: ObjectKey, fieldname: str) -> Any:
        target = declared.get(key.folded)
        if target is not None and fieldname in REGISTRY[target.kind].spec_fields:
            value = target.spec.get(fieldname, REGISTRY[target.kind].defaults().get(fieldname))
            if value is None or any(PLACEHOLDER.search(s) for s in _strings(value)):
                return None
            return value
        obj = live_by_key.get(key.folded)
        if obj is None or key.folded in replaced:
            return None
        return obj.get(fieldname)

    return lookup


# ---- declared objects -----------------------------------------------------------------


def _compare(
    obj: DesiredObject,
    env: Mapping[str, str],
    lookup: Any,
    live_by_key: Mapping[tuple[str, str], Mapping[str, Any]],
    rotate: bool,
) -> _Entry:
    kind = REGISTRY[obj.kind]
    resolution = resolve(dict(obj.spec), env, lookup)
    resolved = resolution.value
    essence = kind.essence({"name": obj.name, **resolved})
    current = live_by_key.get(obj.key.folded)
    entry = _Entry(
        obj=obj,
        kind=kind,
        resolved=resolved,
        essence=essence,
        sensitive=sensitive_patterns(obj.spec, kind.unordered) if resolution.sensitive else (),
        live=current,
    )
    if current is None:
        entry.action = Action.CREATE
        entry.notes.append("not found live")
        return entry
    entry.live_essence = kind.comparable(kind.essence(current), essence)
    if entry.live_essence == essence and not rotate:
        return entry
    entry.action = Action.UPDATE
    if entry.live_essence != essence:
        entry.changes = field_changes(
            entry.live_essence, essence, unordered=kind.unordered, sensitive=entry.sensitive
        )
        count = len(entry.changes)
        entry.notes.append(f"{count} field{'s differ' if count != 1 else ' differs'}")
        fixed = sorted({_top(c.path) for c in entry.changes} & set(kind.replace_on))
        if fixed:
            entry.action = Action.REPLACE
            entry.notes.append(f"{' and '.join(fixed)} changes force replacement (delete, then create)")
        if any(c.path == "name" for c in entry.changes):
            entry.notes.append(f"name case changed from {current.get('name')!r}")
        if any(c.note for c in entry.changes):
            entry.notes.append("value from environment changed")
        if resolution.unknown:
            entry.notes.append("references known after apply")
    if rotate:
        secrets = [f for f in kind.write_only if obj.spec.get(f) is not None]
        entry.changes += tuple(
            FieldChange(path=f, before=SENSITIVE, after=SENSITIVE, note="write-only value re-sent") for f in secrets
        )
        what = f"write-only {', '.join(secrets)} re-sent" if secrets else "update forced"
        entry.notes.append(f"{what} (rotation requested)")
    return entry


def _top(path: str) -> str:
    """The top-level field of a display path (``target.id`` -> ``target``, ``phrases[1]`` -> ``phrases``)."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _missing_singletons(entries: Mapping[tuple[str, str], _Entry]) -> list[str]:
    """A singleton always exists; one not found live cannot be created, so the plan refuses it."""
    return [
        f"{e.obj.key}: the org's {e.kind.name} was not found live; it is never created (check the target and scopes)"
        for e in entries.values()
        if e.kind.singleton is not None and e.action == Action.CREATE
    ]


def _levels(desired: Sequence[DesiredObject]) -> list[list[ObjectKey]]:
    """Reference levels, each sorted by kind (registry order) then name for a stable display."""
    def rank(key: ObjectKey) -> tuple[int, str]:
        return (_KIND_RANK.get(key.kind, len(_KIND_RANK)), key.name.casefold())

    return [sorted(level, key=rank) for level in reference_order(desired)]


def _entry_change(entry: _Entry, entries: Mapping[tuple[str, str], _Entry]) -> ResourceChange:
    obj, current = entry.obj, entry.live
    depends = sorted(
        {
            entries[ref.target.folded].obj.key
            for ref in obj.references
            if ref.target.folded in entries
            and entries[ref.target.folded].action in (Action.CREATE, Action.UPDATE, Action.REPLACE)
            and ref.target.folded != obj.key.folded
        },
        key=str,
    )
    noop = entry.action == Action.NOOP
    return ResourceChange(
        kind=obj.kind,
        name=obj.name,
        action=entry.action,
        object_id=None if current is None else current.get("id"),
        live_version=entry.kind.revision(current),
        before=None if noop or entry.live_essence is None else mask(entry.live_essence, entry.sensitive),
        after=None if noop else mask(entry.essence, entry.sensitive),
        field_changes=entry.changes,
        reason="; ".join(entry.notes) if entry.notes else "up to date",
        depends_on=tuple(depends),
        source=_source(obj),
        spec=None if noop else _plain(obj.spec),
    )


def _source(obj: DesiredObject) -> str:
    loc = obj.source
    return f"{loc.file}:{loc.line}" if loc.line is not None else loc.file


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


# ---- undeclared live objects ----------------------------------------------------------


def _undeclared(
    live: Mapping[str, Sequence[Mapping[str, Any]]],
    declared: Mapping[tuple[str, str], DesiredObject],
    prune: PrunePolicy,
) -> list[_Undeclared]:
    out: list[_Undeclared] = []
    for kind_name, objects in live.items():
        kind = REGISTRY.get(kind_name)
        if kind is None or kind.singleton is not None:  # a singleton is never unmanaged: it simply exists
            continue
        for obj in objects:
            name = str(obj.get("name", ""))
            if (kind_name, name.casefold()) in declared:
                continue
            delete = prune.covers(kind_name, name)
            item = _Undeclared(kind=kind, obj=obj, essence=kind.essence(obj), delete=delete)
            if delete:
                item.notes.append(f"not declared; pruning {kind_name} is enabled")
            out.append(item)
    return out


def _without_name(essence: Mapping[str, Any]) -> str:
    return canonical_json({k: v for k, v in essence.items() if k != "name"})


def _detect_renames(entries: Mapping[tuple[str, str], _Entry], undeclared: list[_Undeclared]) -> None:
    """A create equal, but for the name, to an undeclared live object of its kind is a rename."""
    candidates: dict[tuple[str, str], list[_Undeclared]] = defaultdict(list)
    for item in undeclared:
        candidates[(item.kind.name, _without_name(item.essence))].append(item)
    if not candidates:
        return
    for entry in entries.values():
        if entry.action != Action.CREATE:
            continue
        found = candidates.get((entry.kind.name, _without_name(entry.essence)))
        if not found:
            continue
        old = found.pop(0)
        old_name, new_name = old.obj["name"], entry.obj.name
        if old.delete:
            entry.notes.append(f"replaces {old_name!r} (renamed in manifests)")
            old.notes.append(f"renamed to {new_name!r} in manifests (delete and create)")
        else:
            entry.notes.append(
                f"likely renamed from {old_name!r}, which stays live and unmanaged "
                f"(enable pruning {entry.kind.name} to delete it)"
            )


def _prune_violations(
    undeclared: Sequence[_Undeclared], live: Mapping[str, Sequence[Mapping[str, Any]]], prune: PrunePolicy
) -> list[str]:
    deletes: dict[str, int] = defaultdict(int)
    for item in undeclared:
        if item.delete:
            deletes[item.kind.name] += 1
    if not deletes:
        return []
    ordered = dict(sorted(deletes.items(), key=lambda kv: _KIND_RANK.get(kv[0], 0)))
    return prune.violations(ordered, {k: len(v) for k, v in live.items()})


def _still_referenced(entries: Mapping[tuple[str, str], _Entry], undeclared: Sequence[_Undeclared]) -> list[str]:
    """Deletes whose id a staying object still mentions (resolved desired specs, unmanaged live objects)."""
    doomed = {str(u.obj["id"]): u.address for u in undeclared if u.delete and u.obj.get("id")}
    if not doomed:
        return []
    found: dict[tuple[str, str], None] = {}
    referrers: list[tuple[str, Any]] = [(str(e.obj.key), e.resolved) for e in entries.values()]
    referrers += [(u.address, {k: v for k, v in u.obj.items() if k != "id"}) for u in undeclared if not u.delete]
    for address, value in referrers:
        for target in _mentioned(value, doomed):
            found[(doomed[target], address)] = None
    return [f"{target} is still referenced by {by}; it cannot be deleted" for target, by in found]


def _mentioned(value: Any, ids: Mapping[str, str]) -> Iterator[str]:
    """Ids from ``ids`` that occur in any string of ``value`` (as a whole word)."""
    for text in _strings(value):
        if text in ids:
            yield text
            continue
        for token in _TOKEN.findall(text):
            if token in ids:
                yield token


def _undeclared_rank(item: _Undeclared) -> tuple[int, str]:
    return (_KIND_RANK.get(item.kind.name, len(_KIND_RANK)), str(item.obj["name"]).casefold())


def _delete_order(undeclared: Sequence[_Undeclared]) -> list[_Undeclared]:
    """Deletes, each before any deleted object whose id it mentions; then by kind (last first) and name."""
    doomed = [u for u in undeclared if u.delete]
    by_id = {str(u.obj["id"]): u for u in doomed if u.obj.get("id")}
    mentions: dict[int, set[int]] = {}
    for u in doomed:
        body = {k: v for k, v in u.obj.items() if k != "id"}
        mentions[id(u)] = {id(by_id[t]) for t in _mentioned(body, by_id) if by_id[t] is not u}
    # depth: how many deleted objects lie behind me along "mentions": delete deepest referrer first
    depth: dict[int, int] = {}

    def walk(u: _Undeclared, seen: frozenset[int]) -> int:
        key = id(u)
        if key in depth:
            return depth[key]
        targets = [by_id_obj[t] for t in mentions[key] if t not in seen]
        depth[key] = 1 + max((walk(t, seen | {key}) for t in targets), default=-1)
        return depth[key]

    by_id_obj = {id(u): u for u in doomed}
    for u in doomed:
        walk(u, frozenset())
    return sorted(
        doomed,
        key=lambda u: (
            -depth[id(u)],
            -_KIND_RANK.get(u.kind.name, 0),
            str(u.obj["name"]).casefold(),
        ),
    )


def _delete_change(item: _Undeclared) -> ResourceChange:
    return ResourceChange(
        kind=item.kind.name,
        name=str(item.obj["name"]),
        action=Action.DELETE,
        object_id=item.obj.get("id"),
        live_version=item.kind.revision(item.obj),
        before=item.essence,
        after=None,
        reason="; ".join(item.notes),
        source=None,
    )

