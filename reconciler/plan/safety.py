"""Safety refusals: what makes a plan unapplyable while its changes are still listed.

A refused plan still shows every change (the user sees what would have happened); the
refusals go to :attr:`~reconciler.plan.model.Plan.errors`, and apply refuses a plan that
has any. Each check here is one rule:

- a reference to an object that is neither declared nor live;
- a singleton (the org's TTS settings) not found live: it can never be created;
- deleting (pruning or replacing) beyond the bound of :class:`~reconciler.plan.prune.PrunePolicy`;
- deleting (or replacing) an object whose id still appears in a declared object's resolved spec or in
  a live object that stays (a webhook filter naming a speech rule's id): the platform
  would refuse the delete half-way through an apply, or worse, accept it and leave a
  dangling id behind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reconciler.kinds import kind_rank
from reconciler.manifests.desired import DesiredObject
from reconciler.plan.compare import Entry, LiveIndex
from reconciler.plan.model import Action
from reconciler.plan.prune import PrunePolicy
from reconciler.plan.undeclared import Undeclared, mentioned


def dangling_references(
    desired: Sequence[DesiredObject], declared: Mapping[tuple[str, str], DesiredObject], live_by_key: LiveIndex
) -> Iterator[str]:
    """References whose target is neither declared nor live (the loader rejects these; this guards direct callers)."""
    for obj in desired:
        for ref in obj.references:
            if ref.target.folded not in declared and ref.target.folded not in live_by_key:
                yield f"{obj.key}: {ref.path} refers to {ref.target}, which is neither declared nor live"


def missing_singletons(entries: Mapping[tuple[str, str], Entry]) -> list[str]:
    """A singleton always exists; one not found live cannot be created, so the plan refuses it."""
    return [
        f"{e.obj.key}: the org's {e.kind.name} was not found live; it is never created (check the target and scopes)"
        for e in entries.values()
        if e.kind.singleton is not None and e.action == Action.CREATE
    ]


def prune_violations(
    entries: Mapping[tuple[str, str], Entry], undeclared: Sequence[Undeclared], prune: PrunePolicy
) -> list[str]:
    """The bound of ``prune`` applied to this plan's deletes, pruned and replaced, kinds in registry order.

    A replace counts: it deletes its live object, as ``policy.limits`` counts it; ``--max-deletes 0``
    let a replace through. A kind's share is of the live objects the plan manages: those it declares
    and those it prunes. Counting every live object let exclusions widen the bound: with 20
    hand-made webhooks kept by ``prune.exclude``, both of the 2 managed ones could go within "25 %".
    """
    pruned: dict[str, int] = defaultdict(int)
    replaced: dict[str, int] = defaultdict(int)
    managed: dict[str, int] = defaultdict(int)
    for item in undeclared:
        if item.delete:
            pruned[item.kind.name] += 1
            managed[item.kind.name] += 1
    for entry in entries.values():
        if entry.live is not None:
            managed[entry.kind.name] += 1
            if entry.action == Action.REPLACE:
                replaced[entry.kind.name] += 1
    if not pruned and not replaced:
        return []
    kinds = sorted({*pruned, *replaced}, key=kind_rank)  # both in registry order, every kind in each
    return prune.violations({k: pruned[k] for k in kinds}, {k: replaced[k] for k in kinds}, managed)


def still_referenced(entries: Mapping[tuple[str, str], Entry], undeclared: Sequence[Undeclared]) -> list[str]:
    """Deletes whose id a staying object still mentions (resolved desired specs, unmanaged live objects).

    A replace deletes its live object too (the new one gets another id), so its id counts:
    an unmanaged data action naming a replaced integration would be left pointing at nothing.
    """
    doomed = {str(u.obj["id"]): (u.address, "deleted") for u in undeclared if u.delete and u.obj.get("id")}
    doomed |= {str(e.live["id"]): (str(e.obj.key), "replaced (deleted, then created with a new id)")
               for e in entries.values() if e.action == Action.REPLACE and e.live is not None and e.live.get("id")}
    if not doomed:
        return []
    found: dict[tuple[str, str], str] = {}
    referrers: list[tuple[str, Any]] = [(str(e.obj.key), e.resolved) for e in entries.values()]
    referrers += [(u.address, u.body) for u in undeclared if not u.delete]
    for address, value in referrers:
        for target in mentioned(value, doomed):
            if doomed[target][0] == address:  # a replaced object's own manifest naming its old id
                continue
            found[(doomed[target][0], address)] = doomed[target][1]
    return [f"{target} is still referenced by {by}; it cannot be {verb}" for (target, by), verb in found.items()]
