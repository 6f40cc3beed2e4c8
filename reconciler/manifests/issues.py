"""The issues a load keeps: the first :data:`~reconciler.core.errors.MAX_ISSUES` in listing order, the rest counted.

Why here and not only in :class:`~reconciler.core.errors.ManifestError` (which bounds what it lists
too): a file of 106,000 broken documents made 159,000 issues, each placed at its line and column
by re-deriving the marks of its document, all held until the error was raised and then joined
into a 10 MB message (a peak of 261 MiB against 210 MiB for the same documents valid, and about
twice the CPU). Kept here, the issues beyond the bound are counted as they are found, and a
document that can only add issues beyond it is not placed at all (:meth:`Issues.passed`): the
first issues listed are exactly those an unbounded load would list first.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable

from reconciler.core.errors import MAX_ISSUES, ManifestError, ManifestIssue, issue_order


class Issues:
    """The first ``limit`` issues found so far in :func:`issue_order`, and how many more there are."""

    __slots__ = ("_kept", "_limit", "omitted")

    def __init__(self, limit: int = MAX_ISSUES) -> None:
        self._kept: list[ManifestIssue] = []
        self._limit = limit
        #: issues found beyond the first ``limit``
        self.omitted = 0

    def add(self, issue: ManifestIssue) -> None:
        """Keep ``issue`` if it is among the first ``limit``; one found later lists after an equal one."""
        kept = self._kept
        if len(kept) >= self._limit and issue_order(issue) >= issue_order(kept[-1]):
            self.omitted += 1
            return
        insort(kept, issue, key=issue_order)  # after those equal to it, as a stable sort puts it
        if len(kept) > self._limit:
            kept.pop()
            self.omitted += 1

    def extend(self, issues: Iterable[ManifestIssue]) -> None:
        for issue in issues:
            self.add(issue)

    def passed(self, file: str, line: int) -> bool:
        """Whether any issue at ``line`` of ``file`` or after it would be left out.

        Then a document starting at that line need not place its issues (the marks of a
        document are re-derived from its file, the cost being bounded): :meth:`skip` counts them.
        """
        if len(self._kept) < self._limit:
            return False
        last = self._kept[-1]
        return (file, line) > (last.file, last.line or 0)

    def skip(self, count: int) -> None:
        """Count ``count`` issues found past the bound without building them."""
        self.omitted += count

    def __bool__(self) -> bool:
        return bool(self._kept or self.omitted)

    def error(self) -> ManifestError:
        """The error listing the issues kept and counting the rest."""
        return ManifestError(self._kept, omitted=self.omitted)
