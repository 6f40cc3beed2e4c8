"""Settled at read: a live object found equal to its declaration as soon as its page is read.

Why: most live objects of a large estate equal their declaration, and holding every
decoded object until the planner compared it was the largest share of a no-change
plan's peak memory (about 55 MiB at 50,000 objects). :func:`settler` makes the page
transform the app passes down to the listing: each object that compares as a trusted
no-op is replaced there by a :class:`SettledLive` stub, so the decoded live set is never
held whole. :func:`~reconciler.plan.compare.compare` recognises a stub and returns the
no-op without comparing again: the comparison moves, it is not made twice.

An object is settled only when nothing but its declaration can change its verdict:

- its kind has a revision field (a content digest would need the whole object), is not
  a singleton, names objects by ``name`` and lists them in full (no summary);
- its declaration holds no ``${ref:…}`` (the comparison needs no other object), and
  ``${env:…}`` only when the settler is given the plan's environment (a webhook's secret:
  the variables are known before any page is read); it is not pinned by ``metadata.id``
  and not named by ``--rotate-secret``, and no other declaration pins the object's id;
- it is the first live object of its name met (a second one stays whole: the identity
  checks report the shared name from ids and names, which a stub keeps);
- :func:`~reconciler.plan.compare.compare` finds it a no-op with no field change and no reason.

A stub keeps what every consumer of a no-op's live object reads: ``id``, ``name``,
``version`` and the kind's revision (the plan's ``live_version``; an apply's stale
check), and the fields other declarations reference (an apply resolves ``${ref:…}``
from the live objects). Anything else keeps the whole object.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from reconciler.core.errors import ConfigError
from reconciler.kinds import Kind
from reconciler.manifests.desired import DesiredObject
from reconciler.plan.compare import compare
from reconciler.plan.inputs import object_key
from reconciler.plan.model import Action
from reconciler.plan.settled import SettledLive

PageTransform = Callable[[Kind, list[dict[str, Any]]], list[dict[str, Any]]]
"""Told a kind and one page's decoded objects; returns the objects to keep, in order."""


#: what every reader of a no-op's live object reads, whatever the kind (the revision field is added)
_KEPT = ("id", "name", "version")


def settles(kind: Kind) -> bool:
    """Whether objects of ``kind`` can be settled at read (see the module's rules)."""
    return (
        kind.revision_field is not None
        and kind.singleton is None
        and not kind.reshapes_live
        and not kind.listing.is_summary
    )


def settler(
    desired: Sequence[DesiredObject], rotate: Collection[str] = (), env: Mapping[str, str] | None = None
) -> PageTransform:
    """The page transform for a plan of ``desired`` with ``rotate`` (``--rotate-secret``) named.

    ``env``: the environment the planner compares with (``None``: declarations holding
    ``${env:…}`` stay whole). It holds one entry per declaration that may settle, each let
    go once its object is met: a second live object of the same name finds none and stays whole.
    """
    rotated = _rotated(rotate)
    twins = {
        d.key.folded: d
        for d in desired
        if (d.placeholder_free or (env is not None and not d.references))
        and d.pinned_id is None
        and d.key.folded not in rotated
    }
    pinned = {(d.kind, str(d.pinned_id)) for d in desired if d.pinned_id is not None}
    referenced: dict[tuple[str, str], set[str]] = {}
    for d in desired:
        for ref in d.references:
            if ref.field not in _KEPT:
                referenced.setdefault(ref.target.folded, set()).add(ref.field)
    variables: Mapping[str, str] = env if env is not None else {}

    def no_lookup(key: Any, fieldname: str) -> Any:  # pragma: no cover - a spec without ${ref} asks nothing
        return None

    def settle(kind: Kind, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not twins or not settles(kind):
            return objects
        kept = tuple(dict.fromkeys((*_KEPT, kind.revision_field)))
        for index, obj in enumerate(objects):
            key = (kind.name, str(obj.get("name", "")).casefold())
            twin = twins.pop(key, None)
            if twin is None or (pinned and (kind.name, str(obj.get("id"))) in pinned):
                continue
            try:
                entry = compare(twin, variables, no_lookup, {key: obj}, False)
            except Exception:  # noqa: BLE001 - kept whole: the planner compares it again and fails as it always did
                continue
            if entry.action is not Action.NOOP or entry.changes or entry.reasons:
                continue
            also = referenced.get(key) if referenced else None
            stub = SettledLive({f: obj[f] for f in ((*kept, *also) if also else kept) if f in obj})
            stub.declared = twin
            objects[index] = stub
        return objects

    return settle


def _rotated(rotate: Collection[str]) -> frozenset[tuple[str, str]]:
    """The folded identities ``rotate`` names; a malformed one names none here (the planner refuses it)."""
    out = set()
    for address in rotate:
        try:
            out.add(object_key(address).folded)
        except ConfigError:
            continue
    return frozenset(out)


__all__ = ["PageTransform", "settler", "settles"]
