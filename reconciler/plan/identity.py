"""Names that do not identify one object: several live objects of a kind share a name.

The platform lets several process-automation triggers share a name (CX as Code keys
them by id and suffixes duplicate labels on export; ``Kind.unique_names`` is false for
them). A manifest identifies its object by name, so a declared name that two live
objects share is ambiguous: comparing with either, an update could land on the wrong
one and the other would never show. That is an error at plan, located at the
manifest's ``metadata.name`` and naming every id; it is never resolved by guessing.
Duplicates no manifest names are listed as warnings, so plan and drift both show them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.core.errors import ManifestIssue
from reconciler.core.live import LiveState
from reconciler.manifests.desired import DesiredObject

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
        shared = duplicates.get(obj.key.folded)
        if not shared:
            continue
        ids = ", ".join(str(o.get("id")) for o in shared)
        issues.append(
            ManifestIssue(
                obj.source.file,
                obj.source.line,
                obj.source.column,
                "metadata.name",
                f"{len(shared)} live {obj.kind} objects are named {obj.name!r} (ids {ids}): the name does not "
                "identify one object; rename or delete all but one in the org before planning",
            )
        )
    return issues


def duplicate_warnings(desired: Sequence[DesiredObject], duplicates: Duplicates) -> list[str]:
    """A line per shared name that no manifest declares (declared ones are errors instead)."""
    declared = {obj.key.folded for obj in desired}
    return [
        f"{kind}: {len(objs)} live objects are named {str(objs[0].get('name'))!r} "
        f"(ids {', '.join(str(o.get('id')) for o in objs)})"
        for (kind, folded), objs in sorted(duplicates.items())
        if (kind, folded) not in declared
    ]


__all__ = ["ambiguous_identities", "duplicate_names", "duplicate_warnings"]
