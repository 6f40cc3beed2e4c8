"""Names that do not identify one object: several live objects of a kind share a name.

The platform lets several process-automation triggers share a name (CX as Code keys
them by id and suffixes duplicate labels on export; ``Kind.unique_names`` is false for
them). A manifest identifies its object by name, so a declared name that two live
objects share is ambiguous: comparing with either, an update could land on the wrong
one and the other would never show. That is an error at plan, located at the
manifest's ``metadata.name`` and naming every id; it is never resolved by guessing.
Duplicates no manifest names are listed as warnings, so plan and drift both show them.

A manifest resolves the ambiguity by pinning its object with ``metadata.id`` (export
writes it when names collide): a pinned object is matched by id, never by name, so it
is never ambiguous, and the other live objects of its name are simply undeclared. A pin
must name a live object, and only one document may pin it.

Some platforms keep objects of one name apart by a field (a speech topic's dialect:
``Kind.name_scoped_by``). Identity here stays the name, so a declared object that its
name matches to a live one differing in that field is refused (:func:`scope_issues`):
planned, it would turn the other dialect's topic into this one. Pinning the live object
by ``metadata.id`` says it is the declared one, and its dialect may then change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.core.errors import ManifestIssue
from reconciler.core.live import LiveState
from reconciler.kinds import REGISTRY
from reconciler.manifests.desired import DesiredObject, known_text

Duplicates = Mapping[tuple[str, str], Sequence[Mapping[str, Any]]]


def duplicate_names(live: LiveState) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """``(kind, folded name)`` -> the live objects sharing that name, for names held more than once."""
    by_name: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for kind_name, objects in live.items():
        for obj in objects:
            by_name[(kind_name, str(obj.get("name", "")).casefold())].append(obj)
    return {key: objs for key, objs in by_name.items() if len(objs) > 1}


def ambiguous_identities(desired: Sequence[DesiredObject], duplicates: Duplicates) -> list[ManifestIssue]:
    """One issue per declared object whose name several live objects share, at its ``metadata.name``."""
    issues = []
    for obj in desired:
        if obj.pinned_id is not None:
            continue  # matched by id: the name need not identify it
        shared = duplicates.get(obj.key.folded)
        if not shared:
            continue
        ids = ", ".join(str(o.get("id")) + _scope(obj.kind, o) for o in shared)
        issues.append(
            ManifestIssue(
                obj.source.file,
                obj.source.line,
                obj.source.column,
                "metadata.name",
                f"{len(shared)} live {obj.kind} objects are named {obj.name!r} (ids {ids}): the name does not "
                "identify one object; pin the one this declares with metadata.id, or rename or delete all but one "
                "in the org before planning",
            )
        )
    return issues


def scope_issues(desired: Sequence[DesiredObject], live: LiveState, duplicates: Duplicates) -> list[ManifestIssue]:
    """One issue per declared object, not pinned, whose name matches a live object of another scope
    (``Kind.name_scoped_by``: a topic in another dialect), at the scoping field as written.

    A value still holding a placeholder is not judged (it is known at apply only; an escaped
    ``$${`` is literal text, compared as it reads), nor a live object that does not show the
    field (a stub settled at read equals its declaration), nor a name several live objects share
    (:func:`ambiguous_identities` reports it, naming their scopes).
    """
    scoped = [d for d in desired if d.pinned_id is None and REGISTRY[d.kind].name_scoped_by]
    if not scoped:
        return []
    index = live_index(live, desired)
    issues = []
    for obj in scoped:
        current = index.get(obj.key.folded)
        if current is None or obj.key.folded in duplicates:
            continue
        for field in REGISTRY[obj.kind].name_scoped_by:
            written, found = obj.spec.get(field), current.get(field)
            # an escape ($${) is literal text, judged now; a placeholder's value is known at apply only
            templated = field in REGISTRY[obj.kind].templated
            wanted = known_text(written, templated=templated) if isinstance(written, str) else None
            if wanted is None or not isinstance(found, str) or found == wanted:
                continue
            at = obj.locations.get(field, obj.source)
            issues.append(ManifestIssue(at.file, at.line, at.column, f"spec.{field}", (
                f"the live {obj.kind} named {str(current.get('name'))!r} (id {current.get('id')}) has {field} "
                f"{found!r}, not {wanted!r}: the platform keeps {obj.kind} objects of one name apart by {field}, "
                f"and this tool identifies them by name alone, so applying would turn that object into this one; "
                f"give this one another name, or pin the live one with metadata.id to change its {field}"
            )))  # fmt: skip
    return issues


def _scope(kind_name: str, obj: Mapping[str, Any]) -> str:
    """`` (dialect 'en-US')`` after a live object's id where the kind's names are scoped by a field; else nothing."""
    shown = [f"{f} {obj[f]!r}" for f in REGISTRY[kind_name].name_scoped_by if isinstance(obj.get(f), str)]
    return f" ({', '.join(shown)})" if shown else ""


def live_index(
    live: LiveState, desired: Sequence[DesiredObject]
) -> dict[tuple[str, str], Mapping[str, Any]]:
    """Live objects by folded identity (kind, casefolded name); a declared pin wins over the name.

    A pinned object is found by its id whatever its live name (a renamed one is then an
    update of ``name``); a pin no live object answers leaves the name unmatched (a
    create; :func:`pin_issues` refuses it before planning). A declared name that only
    finds an object another document pinned matches nothing, so no object is written twice.
    """
    by_key: dict[tuple[str, str], Mapping[str, Any]] = {}
    for kind_name, objects in live.items():
        for obj in objects:
            by_key[(kind_name, str(obj.get("name", "")).casefold())] = obj
    pinned = [d for d in desired if d.pinned_id is not None]
    if not pinned:
        return by_key
    by_id = _by_id(live)
    claimed = set()
    for d in pinned:
        found = by_id.get((d.kind, str(d.pinned_id)))
        by_key.pop(d.key.folded, None)
        if found is not None:
            by_key[d.key.folded] = found
            claimed.add((d.kind, str(d.pinned_id)))
    for d in desired:
        current = by_key.get(d.key.folded)
        if d.pinned_id is None and current is not None and (d.kind, str(current.get("id"))) in claimed:
            del by_key[d.key.folded]
    return by_key


def pin_issues(
    desired: Sequence[DesiredObject], live: LiveState
) -> list[ManifestIssue]:
    """A ``metadata.id`` no live object of its kind has, or one that several documents pin."""
    pinned = [d for d in desired if d.pinned_id is not None]
    if not pinned:
        return []
    by_id = _by_id(live)
    seen: dict[tuple[str, str], DesiredObject] = {}
    issues = []
    for obj in pinned:
        key = (obj.kind, str(obj.pinned_id))
        if key not in by_id:
            message = _not_live(obj.kind, str(obj.pinned_id))
        elif key in seen:
            message = f"id {obj.pinned_id!r} is already pinned by {seen[key].kind}/{seen[key].name}"
        else:
            seen[key] = obj
            continue
        at = obj.pinned_at or obj.source
        issues.append(ManifestIssue(at.file, at.line, at.column, "metadata.id", message))
    return issues


def _not_live(kind_name: str, pinned_id: str) -> str:
    """Why no live object has a pinned id: one the platform owns is left out of reads (``listing.owned_prefix``),
    and "remove metadata.id to create the object" would create a copy of a built-in one."""
    kind = REGISTRY.get(kind_name)
    prefix = kind.listing.owned_prefix if kind is not None else None
    if prefix is not None and pinned_id.startswith(prefix):
        return (f"id {pinned_id!r} is a built-in {kind_name} the platform owns (ids starting {prefix!r}): it cannot "
                "be created, updated or deleted through the API, so this tool does not manage it")
    return f"no live {kind_name} has id {pinned_id!r}: remove metadata.id to create the object"


def _by_id(live: LiveState) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(kind_name, str(obj.get("id"))): obj for kind_name, objects in live.items() for obj in objects}


def duplicate_warnings(desired: Sequence[DesiredObject], duplicates: Duplicates) -> list[str]:
    """A line per shared name that no manifest declares (declared ones are errors instead)."""
    declared = {obj.key.folded for obj in desired}
    return [
        f"{kind}: {len(objs)} live objects are named {str(objs[0].get('name'))!r} "
        f"(ids {', '.join(str(o.get('id')) + _scope(kind, o) for o in objs)})"
        for (kind, folded), objs in sorted(duplicates.items())
        if (kind, folded) not in declared
    ]


__all__ = ["ambiguous_identities", "duplicate_names", "duplicate_warnings", "live_index", "pin_issues", "scope_issues"]
