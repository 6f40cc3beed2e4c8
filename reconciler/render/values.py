"""What every renderer shows the same way: values, field lines, counts.

Values reaching a renderer are already masked by the planner; the markers
``(sensitive)`` and ``(known after apply)`` are shown bare, like Terraform, and every
other value as compact JSON so that ``"1"`` and ``1`` stay distinguishable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from reconciler.manifests.desired import KNOWN_AFTER_APPLY, SENSITIVE
from reconciler.plan.model import ACTION_ORDER, Action, FieldChange, Org, ResourceChange

MARKERS = frozenset({SENSITIVE, KNOWN_AFTER_APPLY})
#: said after ``included: referenced by …`` (``ResourceChange.included_by``): why a file not given has a change here
INCLUDED_WHY = "(declared only in a file not given)"


class Targeted(Protocol):
    """A plan or a drift report: where it was made."""

    @property
    def target_description(self) -> str: ...
    @property
    def org(self) -> Org | None: ...


def org_suffix(doc: Targeted) -> str:
    """``, org 'Name' (id …)`` after the target, or nothing for a document made without one.

    Why in the title: the target is a region's URL, which a dev and a prod org share; a reviewer
    of a plan comment (or a drift issue) must see which org it speaks of. Live text: escape it.
    """
    return f", org {doc.org.described}" if doc.org is not None else ""

def show(value: Any) -> str:
    """A value as the user reads it: markers bare, anything else as one-line JSON."""
    if isinstance(value, str) and value in MARKERS:
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def shown_fields(change: ResourceChange) -> tuple[FieldChange, ...]:
    """The field lines of a change: its diffs for an update, every field for a create or delete."""
    if change.action in (Action.UPDATE, Action.REPLACE):
        return change.field_changes
    if change.action == Action.CREATE and change.after is not None:
        return _all_fields(change.after, added=True)
    if change.action == Action.DELETE and change.before is not None:
        return _all_fields(change.before, added=False)
    return ()


def _all_fields(essence: Mapping[str, Any], *, added: bool) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(path=k, before=None if added else v, after=v if added else None)
        for k, v in essence.items()
        if k != "name"
    )


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def action_counts(changes: Iterable[ResourceChange]) -> dict[Action, int]:
    counts = {a: 0 for a in ACTION_ORDER}
    for change in changes:
        counts[change.action] += 1
    return counts


def counts_phrase(counts: Mapping[Action, int], *, with_noop: bool = False) -> str:
    """``2 to create, 1 to update`` (zero counts left out); ``no changes`` when all are zero."""
    writes = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)
    parts = [f"{counts[a]} to {a.verb}" for a in writes if counts.get(a)]
    if with_noop and counts.get(Action.NOOP):
        parts.append(f"{counts[Action.NOOP]} unchanged")
    return ", ".join(parts) or "no changes"
