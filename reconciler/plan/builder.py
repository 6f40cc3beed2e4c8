"""The planner: a pure function from desired and live state to a :class:`~reconciler.plan.model.Plan`.

No I/O and no side effects: the caller lists the live objects and loads the manifests;
:func:`build_plan` only compares, so a plan can be built, saved, rendered and compared
without a client. It must stay cheap for large, unchanged estates, so every step is
linear (dict lookups, no pairwise scans) and each reference graph is walked once.

This module only assembles; each rule lives in the module that owns it:

- :mod:`~reconciler.plan.inputs`: inputs refused before comparing (unset variables,
  unknown prune kinds, malformed ``rotate`` addresses);
- :mod:`~reconciler.plan.compare`: one declared object against live (actions, secrets,
  replacements, rotation);
- :mod:`~reconciler.plan.undeclared`: live objects no manifest declares (prune, delete
  order);
- :mod:`~reconciler.plan.renames`: creates that are renames of undeclared objects;
- :mod:`~reconciler.plan.safety`: refusals that make the plan unapplyable;
- :mod:`~reconciler.plan.policy`: the guardrails of ``policy:`` (findings that make the
  plan unapplyable without ``--override``; the windows travel with the plan to apply).

Secrets
    Equality uses the real environment values, but displays and the plan file never
    do: values from the environment are masked as ``(sensitive)``, and the plan stores
    the unresolved spec. Renaming a variable alone is *not* detected: no state
    remembers the old name.

Singletons (the org's TTS settings) are only ever updated: never created, deleted,
pruned or listed as unmanaged. The revision a saved plan checks is
``Kind.revision_field`` (``dateModified`` for topics, which have no version; nothing for
a singleton).

Order
    Creates, updates and no-ops follow the reference levels of
    :meth:`reconciler.core.graph.ReferenceGraph.levels` (referenced objects first), each
    level by kind (registry order) then name; deletes come last, objects that mention
    another deleted object's id before that object.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from reconciler import __version__
from reconciler.core.graph import ReferenceGraph, reference_graph
from reconciler.core.keys import ObjectKey
from reconciler.core.live import LiveState
from reconciler.kinds import kind_rank
from reconciler.manifests.desired import DesiredObject
from reconciler.manifests.policy import PolicySettings
from reconciler.plan.compare import Entry, LiveIndex, compare, make_lookup
from reconciler.plan.fielddiff import mask
from reconciler.plan.identity import live_index
from reconciler.plan.inputs import EnvMode, check_prune_kinds, env_for, rotate_keys
from reconciler.plan.model import Action, Org, Plan, Reason, ReasonCode, ResourceChange, noop_change
from reconciler.plan.policy import evaluate, outside_window_warning
from reconciler.plan.prune import PrunePolicy
from reconciler.plan.renames import detect_renames
from reconciler.plan.safety import dangling_references, missing_singletons, prune_violations, still_referenced
from reconciler.plan.undeclared import Undeclared, delete_order, list_undeclared
from reconciler.plan.warning import whole_plan

__all__ = ["NO_PRUNE", "PrunePolicy", "build_plan"]

#: the default policy: nothing undeclared is deleted
NO_PRUNE = PrunePolicy()
_UP_TO_DATE = (Reason(code=ReasonCode.UP_TO_DATE, text="up to date"),)
#: actions whose object must be written before the objects that reference it
_WRITES = (Action.CREATE, Action.UPDATE, Action.REPLACE)


def build_plan(
    desired: Sequence[DesiredObject],
    live: LiveState,
    *,
    env: Mapping[str, str],
    target: str,
    target_description: str,
    manifests_digest: str,
    project: str | None = None,
    org: Org | None = None,
    prune: PrunePolicy = NO_PRUNE,
    rotate: Collection[str] = (),
    created_at: datetime | None = None,
    tool_version: str = __version__,
    graph: ReferenceGraph | None = None,
    policy: PolicySettings | None = None,
    env_mode: EnvMode = EnvMode.ALL,
    included: Mapping[ObjectKey, Sequence[ObjectKey]] | None = None,
) -> Plan:
    """Compare ``desired`` with ``live`` (kind name -> listed objects) and plan the changes.

    ``graph`` is ``desired``'s reference graph when the caller already has it (the
    manifest loader computes it to find cycles: ``ManifestSet.graph``); it is computed
    here otherwise. Raises :class:`~reconciler.core.errors.ConfigError` when an
    environment variable the manifests use is not set or the prune policy names an
    unknown kind, and :class:`~reconciler.core.graph.ReferenceCycleError` when
    references loop. ``env_mode``: which variables must be set (drift needs no secret's value).
    ``org``: the org live state was read from (``Plan.org``), which apply checks. ``included``: objects
    declared only in a file not given, each with the objects that reference it (``ManifestSet.included``),
    said on their changes (``included_by``).
    """
    check_prune_kinds(prune)
    env = env_for(desired, env, env_mode)
    graph = _graph_of(desired, graph)

    live_by_key = live_index(live, desired)
    declared = {d.key.folded: d for d in desired}
    rotated = rotate_keys(rotate, desired)

    errors: list[str] = list(dangling_references(desired, declared, live_by_key))
    entries = _compare_all(desired, env, declared, live_by_key, rotated)
    errors.extend(missing_singletons(entries))
    warnings: list[str] = []

    undeclared = list_undeclared(live, declared, prune)
    detect_renames(entries, undeclared)
    errors.extend(prune_violations(entries, undeclared, prune))
    errors.extend(still_referenced(entries, undeclared))

    # The indexes are let go before the changes are made: made while both were held, the
    # changes of a large unchanged estate set the planner's peak (about 10 MiB at 50,000).
    del live_by_key, declared
    changes = _declared_changes(entries, graph)
    if included:
        changes = [_included(change, included) for change in changes]
    changes.extend(_delete_change(u) for u in delete_order(undeclared))
    unmanaged = tuple(u.address for u in sorted(undeclared, key=Undeclared.rank) if not u.delete and not u.elsewhere)
    warnings.extend(_elsewhere_warning(undeclared, prune))
    created_at = created_at or datetime.now(UTC)
    policy = policy or PolicySettings()
    window_note = outside_window_warning(policy.windows, created_at)
    if window_note and any(c.action != Action.NOOP for c in changes):
        warnings.append(window_note)

    return Plan(
        tool_version=tool_version,
        created_at=created_at,
        target=target,
        target_description=target_description,
        org=org,
        manifests_digest=manifests_digest,
        project=project,
        changes=tuple(changes),
        unmanaged=unmanaged,
        errors=tuple(errors),
        warnings=whole_plan(warnings),
        policy=evaluate(changes, policy),
        windows=policy.windows,
    )


def _elsewhere_warning(undeclared: Sequence[Undeclared], prune: PrunePolicy) -> list[str]:
    """The one line a plan of part of a project says: how many live objects the files not given keep from it."""
    if prune.elsewhere is None or not prune.elsewhere.files:
        return []
    files = prune.elsewhere.files
    shown = f"{files[0]} and {len(files) - 1} more file(s)" if len(files) > 1 else files[0]
    count = sum(1 for u in undeclared if u.elsewhere)
    if not count:  # nothing live that they declare: this plan would have touched nothing of theirs anyway
        return []
    # "of the project", not "beside reconciler.yaml": the files may lie in its subfolders
    project = prune.elsewhere.project
    return [
        f"{count} live object(s) declared in files not given are left alone: {shown} of the project {project} "
        f"(the directory holding reconciler.yaml, subfolders included) not given, so this run neither compares, "
        f"updates nor deletes what they declare (give {project} to include them)"
    ]


def _included(change: ResourceChange, included: Mapping[ObjectKey, Sequence[ObjectKey]]) -> ResourceChange:
    """``change``, saying which objects of the plan reference it when it was pulled in from a file not given."""
    by = included.get(ObjectKey(change.kind, change.name))
    return change.model_copy(update={"included_by": tuple(by)}) if by else change


def _graph_of(desired: Sequence[DesiredObject], graph: ReferenceGraph | None) -> ReferenceGraph:
    """The given graph, checked to be ``desired``'s (a graph of other objects would misorder silently)."""
    if graph is None:
        return reference_graph(desired)
    if set(graph.deps) != {d.key for d in desired}:
        raise ValueError("build_plan: the reference graph was computed from other objects than the desired ones")
    return graph


def _compare_all(
    desired: Sequence[DesiredObject],
    env: Mapping[str, str],
    declared: Mapping[tuple[str, str], DesiredObject],
    live_by_key: LiveIndex,
    rotated: frozenset[tuple[str, str]],
) -> dict[tuple[str, str], Entry]:
    """Every declared object compared; those referencing a replaced object again, with its id unknown.

    A replaced object gets a new id, so whoever references it sees ``(known after
    apply)``: that is only known after the first pass has found the replacements.
    """
    lookup = make_lookup(declared, live_by_key)
    entries = {d.key.folded: compare(d, env, lookup, live_by_key, d.key.folded in rotated) for d in desired}
    replaced = frozenset(key for key, e in entries.items() if e.action == Action.REPLACE)
    if replaced:
        lookup = make_lookup(declared, live_by_key, replaced)
        for d in desired:
            if any(ref.target.folded in replaced for ref in d.references):
                entries[d.key.folded] = compare(d, env, lookup, live_by_key, d.key.folded in rotated)
    return entries


def _levels(graph: ReferenceGraph) -> list[list[ObjectKey]]:
    """Reference levels, each sorted by kind (registry order) then name for a stable display."""

    def rank(key: ObjectKey) -> tuple[int, str]:
        return (kind_rank(key.kind), key.folded[1])

    return [sorted(level, key=rank) for level in graph.levels()]


def _declared_changes(entries: dict[tuple[str, str], Entry], graph: ReferenceGraph) -> list[ResourceChange]:
    """The declared objects' changes in apply order, each entry released once its change is made.

    Why release: a no-change plan's entries and its changes are about the same size, and
    holding every entry until the last change was made put both in the peak (tens of MiB
    at 50,000 objects). What a later change needs of an earlier entry (whether it writes,
    and its key as declared) is kept aside first; it is small (only writes).
    """
    writes = {key: e.obj.key for key, e in entries.items() if e.action in _WRITES}
    changes: list[ResourceChange] = []
    for level in _levels(graph):
        for key in level:
            changes.append(_entry_change(entries.pop(key.folded), writes, graph))
    return changes


def _entry_change(entry: Entry, writes: Mapping[tuple[str, str], ObjectKey], graph: ReferenceGraph) -> ResourceChange:
    obj, current = entry.obj, entry.live
    targets = graph.deps[obj.key]
    depends = (
        sorted({writes[t.folded] for t in targets if t.folded in writes and t != obj.key}, key=str)
        if targets and writes
        else ()
    )
    object_id = None if current is None else current.get("id")
    live_version = entry.kind.revision(current)
    if entry.action == Action.NOOP and _trusted(object_id, live_version) and not entry.changes and not entry.reasons:
        # built without validation: :func:`~reconciler.plan.model.noop_change` says why
        return noop_change(
            kind=obj.kind,
            name=obj.name,
            object_id=object_id,
            live_version=live_version,
            reasons=_UP_TO_DATE,
            depends_on=tuple(depends),
            source=_source(obj),
        )
    noop = entry.action == Action.NOOP
    return ResourceChange(
        kind=obj.kind,
        name=obj.name,
        action=entry.action,
        object_id=object_id,
        live_version=live_version,
        before=None if noop or entry.live_essence is None else mask(entry.live_essence, entry.sensitive),
        after=None if noop else mask(entry.essence, entry.sensitive),
        field_changes=entry.changes,
        reasons=tuple(entry.reasons) or _UP_TO_DATE,
        depends_on=tuple(depends),
        source=_source(obj),
        spec=None if noop else _plain(obj.spec),
        rename_of=entry.rename_of,
    )


def _trusted(object_id: object, live_version: object) -> bool:
    """Whether validation would take these listed values as they are (anything else is validated: refused as before)."""
    return (object_id is None or type(object_id) is str) and (
        live_version is None or type(live_version) is int or type(live_version) is str
    )


def _delete_change(item: Undeclared) -> ResourceChange:
    return ResourceChange(
        kind=item.kind.name,
        name=str(item.obj["name"]),
        action=Action.DELETE,
        object_id=item.obj.get("id"),
        live_version=item.kind.revision(item.obj),
        before=item.essence,
        after=None,
        reasons=tuple(item.reasons),
        source=None,
    )


def _source(obj: DesiredObject) -> str:
    loc = obj.source
    return f"{loc.file}:{loc.line}" if loc.line is not None else loc.file


def _plain(value: Any) -> Any:
    """Plain dicts and lists (a spec may hold mappings and tuples) so the plan serializes as JSON."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
