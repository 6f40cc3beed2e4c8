"""Which undeclared live objects a plan may delete, and the bound that keeps deleting safe.

Pruning is opt-in per kind; a name matching an ``exclude`` pattern (fnmatch,
case-insensitive) is never deleted. Then the bound, checked per plan, on every live
object the plan deletes: pruned objects, and replaced ones too (a replace deletes its
live object and creates another with a new id; ``policy.limits`` counts it so as well,
as Terraform counts "1 to add, 1 to destroy"):

- with an explicit ``max_deletes`` (``--max-deletes N``): refused when the plan would
  delete more than N objects in total; nothing else is checked. An absolute number given
  for this run is the user's own statement of how many objects may go, as octodns's
  ``--force`` lifts its thresholds: it stands in for both bounds of ``reconciler.yaml``
  (``maxDeletes`` and ``maxDeletePercent``). ``policy.limits`` still holds;
- otherwise refused when the plan would delete more than ``default_max_deletes``
  objects in total (10), or, in any one kind, more than ``max_delete_percent`` (25 %) of
  the live objects of that kind the plan manages (declares or deletes: names kept by
  ``exclude`` and unmanaged kinds' objects are not counted, so excluding objects never
  widens the bound), that share rounded *down* but never below 1. The floor of 1
  keeps small kinds prunable (a kind with 2 live objects, one of them stale, can lose
  that one) while a kind with 4 live objects cannot lose 2 at once. A percent of 0
  allows no deletes at all.

A plan of part of a project (some of the files of the directory holding ``reconciler.yaml``,
its subfolders included, the others not) carries what the other files declare
(``elsewhere``): those live objects are left alone, neither managed nor deleted, whatever
the kinds pruned (:mod:`reconciler.manifests.elsewhere`).

A refused plan does not drop the deletes: they are still listed (so the
user sees what would have happened), and the plan carries an error that makes it
unapplyable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from reconciler.manifests.elsewhere import Declared


@dataclass(frozen=True)
class PrunePolicy:
    """Pruning settings after ``reconciler.yaml`` and the command-line options are merged."""

    kinds: frozenset[str] = frozenset()
    #: fnmatch patterns of names never deleted, compared case-insensitively
    exclude: tuple[str, ...] = ()
    #: ``--max-deletes``: when set, the only bound (deletes and replaces in total)
    max_deletes: int | None = None
    default_max_deletes: int = 10
    max_delete_percent: float = 25.0
    #: what the project's files not given declare (a plan of part of it); ``None``: the plan has the whole project
    elsewhere: Declared | None = None

    def covers(self, kind: str, name: str) -> bool:
        """True when an undeclared live ``kind/name`` is to be deleted."""
        return kind in self.kinds and not self.excluded(name)

    def excluded(self, name: str) -> bool:
        folded = name.casefold()
        return any(fnmatchcase(folded, pattern.casefold()) for pattern in self.exclude)

    def kind_limit(self, managed: int) -> int:
        """Most deletes allowed in one kind of which the plan manages ``managed`` live objects (no override)."""
        if self.max_delete_percent <= 0:
            return 0
        return max(1, math.floor(managed * self.max_delete_percent / 100))

    def violations(
        self, pruned: Mapping[str, int], replaced: Mapping[str, int], managed_counts: Mapping[str, int]
    ) -> list[str]:
        """Why these per-kind deletes (``pruned`` and ``replaced`` objects) are refused (empty when allowed).

        ``managed_counts``: per kind, the live objects the plan manages (declares or deletes); excluded
        and unmanaged ones are not in the share.
        """
        kinds = list(dict.fromkeys([*pruned, *replaced]))
        total_pruned, total_replaced = sum(pruned.values()), sum(replaced.values())
        total = total_pruned + total_replaced
        what = _what(total_pruned, total_replaced)
        if self.max_deletes is not None:
            over = over_max_deletes(total_pruned, total_replaced, self.max_deletes)
            return [over] if over is not None else []
        problems: list[str] = []
        if total > self.default_max_deletes:
            problems.append(
                f"the plan would delete {_objects(total)} ({what}), more than the bound of "
                f"{self.default_max_deletes} per plan (prune.maxDeletes); pass --max-deletes N to allow more"
            )
        for kind in kinds:
            count = pruned.get(kind, 0) + replaced.get(kind, 0)
            managed = managed_counts.get(kind, 0)
            limit = self.kind_limit(managed)
            if count > limit:
                share = 100 * count / managed if managed else 100.0
                problems.append(
                    f"the plan would delete {count} of the {managed} managed live {kind} objects "
                    f"({_what(pruned.get(kind, 0), replaced.get(kind, 0))}, {share:.0f}%), more than the bound of "
                    f"{limit} ({_pct(self.max_delete_percent)} of {managed}, at least 1, prune.maxDeletePercent); "
                    f"pass --max-deletes N to allow more"
                )
        return problems


def over_max_deletes(deleted: int, replaced: int, most: int, *, verb: str = "pruned") -> str | None:
    """Why ``--max-deletes most`` refuses ``deleted`` deletes and ``replaced`` replaces; ``None`` when it allows them.

    ``verb``: what the deletes are, "pruned" when planning, "deleted" for a saved plan's (pruned or reverted).
    """
    total = deleted + replaced
    if total <= most:
        return None
    return f"the plan would delete {_objects(total)} ({_what(deleted, replaced, verb)}), more than --max-deletes {most}"


def _objects(count: int) -> str:
    return f"{count} live object" + ("" if count == 1 else "s")


def _what(pruned: int, replaced: int, verb: str = "pruned") -> str:
    """``3 pruned, 1 replaced``: which deletes a count holds (a replace deletes its live object too)."""
    return ", ".join(f"{n} {word}" for n, word in ((pruned, verb), (replaced, "replaced")) if n)


def _pct(value: float) -> str:
    return f"{value:g}%"
