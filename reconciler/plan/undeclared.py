"""Live objects no manifest declares: which are deleted, and in what order.

An undeclared live object is deleted only when its kind's pruning is enabled and its
name is not excluded (:class:`~reconciler.plan.prune.PrunePolicy`); otherwise it is
listed as unmanaged and left alone. One that a file of the project not given declares (a
plan of part of a project: ``PrunePolicy.elsewhere``) is left alone too, and not listed:
it is declared, only not here. It stays a live object that may name a deleted one. A
singleton (the org's TTS settings) is never undeclared: it simply exists.

Deleted objects can mention each other's ids (a webhook filter naming a speech rule),
and the platform refuses to delete an object still mentioned, so a referrer is deleted
before what it mentions. That order comes from :func:`reconciler.core.graph.chain_depths`,
the one graph module, not from a walk of its own here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.graph import chain_depths
from reconciler.core.jsonpath import iter_strings
from reconciler.core.live import LiveState
from reconciler.kinds import REGISTRY, Kind, kind_rank
from reconciler.manifests.desired import DesiredObject
from reconciler.plan.model import Reason, ReasonCode
from reconciler.plan.prune import PrunePolicy

_TOKEN = re.compile(r"[\w-]+")


@dataclass
class Undeclared:
    """Working state for one undeclared live object (renames add reasons)."""

    kind: Kind
    obj: Mapping[str, Any]
    essence: dict[str, Any]
    delete: bool
    reasons: list[Reason] = field(default_factory=list)
    #: its kind is pruned, but a ``prune.exclude`` pattern keeps it
    excluded: bool = False
    #: a file of the project the plan was not given declares it: left alone, and not listed as unmanaged
    elsewhere: bool = False

    @property
    def address(self) -> str:
        return f"{self.kind.name}/{self.obj['name']}"

    @property
    def body(self) -> dict[str, Any]:
        """The live object without its own id: what it mentions of *other* objects."""
        return {k: v for k, v in self.obj.items() if k != "id"}

    def rank(self) -> tuple[int, str]:
        """Display order: kind (registry order), then name."""
        return (kind_rank(self.kind.name), str(self.obj["name"]).casefold())


def list_undeclared(
    live: LiveState,
    declared: Mapping[tuple[str, str], DesiredObject],
    prune: PrunePolicy,
) -> list[Undeclared]:
    """Every live object of a known, non-singleton kind that no manifest declares.

    A document pinned by ``metadata.id`` declares the object of that id, not the others of its name.
    """
    claimed = {(d.kind, d.pinned_id) for d in declared.values() if d.pinned_id is not None}
    out: list[Undeclared] = []
    for kind_name, objects in live.items():
        kind = REGISTRY.get(kind_name)
        if kind is None or kind.singleton is not None:
            continue
        for obj in objects:
            name = str(obj.get("name", ""))
            if (kind_name, str(obj.get("id"))) in claimed:
                continue
            owner = declared.get((kind_name, name.casefold()))
            if owner is not None and owner.pinned_id is None:
                continue
            elsewhere = prune.elsewhere is not None and prune.elsewhere.declares(kind_name, name, obj.get("id"))
            delete = not elsewhere and prune.covers(kind_name, name)
            excluded = kind_name in prune.kinds and not delete and not elsewhere
            item = Undeclared(
                kind=kind, obj=obj, essence=kind.essence(obj), delete=delete, excluded=excluded, elsewhere=elsewhere
            )
            if delete:
                text = f"not declared; pruning {kind_name} is enabled"
                item.reasons.append(Reason(code=ReasonCode.PRUNED, text=text))
            out.append(item)
    return out


def mentioned(value: Any, ids: Mapping[str, object]) -> Iterator[str]:
    """Ids from ``ids`` that occur in any string of ``value`` (whole, or as a whole word)."""
    for _, text in iter_strings(value):
        if text in ids:
            yield text
            continue
        for token in _TOKEN.findall(text):
            if token in ids:
                yield token


def delete_order(undeclared: Sequence[Undeclared]) -> list[Undeclared]:
    """Deletes, each before any deleted object whose id it mentions; then by kind (last first) and name.

    Objects that mention each other in a loop cannot all go first; they share a place
    and fall back to kind and name (the platform then refuses what it must).
    """
    doomed = [u for u in undeclared if u.delete]
    index_by_id = {str(u.obj["id"]): i for i, u in enumerate(doomed) if u.obj.get("id")}
    mentions = {
        i: sorted({index_by_id[t] for t in mentioned(u.body, index_by_id)} - {i}) for i, u in enumerate(doomed)
    }
    depth = chain_depths(mentions)
    order = sorted(
        range(len(doomed)),
        key=lambda i: (-depth[i], -kind_rank(doomed[i].kind.name), str(doomed[i].obj["name"]).casefold()),
    )
    return [doomed[i] for i in order]
