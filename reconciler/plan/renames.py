"""Rename detection: a create that matches an undeclared live object but for its name.

No state remembers what an object used to be called, so a renamed manifest reads as a
create plus an undeclared live object. When the two are equal apart from the name, the
plan says so, so that a reviewer sees "renamed" rather than an unexplained create and
delete. The action does not change: the API has no rename for these kinds (a new name
is a new object), and pruning decides whether the old object goes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.core.canonical import canonical_json
from reconciler.plan.compare import Entry
from reconciler.plan.model import Action, LiveMatch, Reason, ReasonCode
from reconciler.plan.undeclared import Undeclared


def detect_renames(entries: Mapping[tuple[str, str], Entry], undeclared: Sequence[Undeclared]) -> None:
    """Add the rename reasons to each matching create and undeclared object (each old object matches once)."""
    candidates: dict[tuple[str, str], list[Undeclared]] = defaultdict(list)
    for item in undeclared:
        if item.elsewhere:
            continue  # declared by a file not given: not an old name of this plan's objects
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
        old_id = old.obj.get("id")
        # carried as data too: drift words the same match as a live rename, and looks its author up by id
        entry.rename_of = LiveMatch(object_id=None if old_id is None else str(old_id), name=str(old_name))
        if old.delete:
            entry.reasons.append(
                Reason(code=ReasonCode.RENAMED_FROM, text=f"replaces {old_name!r} (renamed in manifests)")
            )
            old.reasons.append(
                Reason(code=ReasonCode.RENAMED_TO, text=f"renamed to {new_name!r} in manifests (delete and create)")
            )
        else:
            # pruning on but the old name excluded: "enable pruning" would change nothing
            hint = ("prune.exclude keeps it; delete it by hand" if old.excluded
                    else f"enable pruning {entry.kind.name} to delete it")
            text = f"likely renamed from {old_name!r}, which stays live and unmanaged ({hint})"
            entry.reasons.append(Reason(code=ReasonCode.LIKELY_RENAMED, text=text))


def _without_name(essence: Mapping[str, Any]) -> str:
    """What must be equal for a rename: the whole essence but the name, canonically."""
    return canonical_json({k: v for k, v in essence.items() if k != "name"})
