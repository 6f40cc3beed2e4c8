"""Reads that lag writes, as a real org's do (``SandboxOptions.read_lag_ms``).

After a write, a real org's listings (and, for a moment, reads by id) still show the
object as it was: a create whose answer was lost is not found by a lookup at once, a
deleted object is still listed. CX as Code re-reads after its writes for that reason (a
consistency checker, polling a deleted topic until it 404s). The sandbox reproduces it
with a per-object history kept by this process: every write is remembered with its time,
its state before and after; a read at ``now`` sees each object as it was at
``now - lag``. Objects no write of this process touched read as stored. Writes and their
checks (versions, names) always see the truth, as the platform's do.

The history is in memory: the lag is short (milliseconds to seconds), entries older than
it are dropped as they are met, and the clock is injectable so tests run in virtual time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

Body = dict[str, Any]


class ReadLag:
    """What reads see of recent writes: each object as it was ``lag`` seconds ago."""

    def __init__(self, lag: float, clock: Callable[[], float]) -> None:
        self.lag = lag
        self.clock = clock
        self._lock = threading.Lock()
        #: (kind, id) -> [(time, before, after)], oldest first
        self._writes: dict[tuple[str, str], list[tuple[float, Body | None, Body | None]]] = {}

    @property
    def active(self) -> bool:
        return self.lag > 0

    def record(self, kind: str, object_id: str, before: Body | None, after: Body | None) -> None:
        """Remember one write (``before`` ``None``: a create; ``after`` ``None``: a delete)."""
        if not self.active:
            return
        with self._lock:
            self._writes.setdefault((kind, object_id), []).append((self.clock(), before, after))

    def _visible(self, key: tuple[str, str], current: Body | None) -> Body | None:
        """The object as a read sees it now (``current``: as stored)."""
        writes = self._writes.get(key)
        if not writes:
            return current
        cutoff = self.clock() - self.lag
        while writes and writes[0][0] <= cutoff:  # writes old enough are visible: forget them
            writes.pop(0)
        if not writes:
            del self._writes[key]
            return current
        return writes[0][1]  # the state before the oldest write still hidden

    def view(self, kind: str, object_id: str, current: Body | None) -> Body | None:
        """A read by id: the object as it was ``lag`` ago (``None``: not found)."""
        if not self.active:
            return current
        with self._lock:
            return self._visible((kind, object_id), current)

    def lagging(self, kind: str) -> bool:
        """Whether any recent write of ``kind`` is still hidden (a listing must then be rebuilt)."""
        if not self.active:
            return False
        with self._lock:
            return any(k == kind for k, _ in self._writes)

    def listing(self, kind: str, current: Iterable[Body]) -> list[Body]:
        """Every object of ``kind`` a listing shows now, from the stored ones, in creation order."""
        with self._lock:
            shown: dict[str, Body] = {}
            for obj in current:
                seen = self._visible((kind, obj["id"]), obj)
                if seen is not None:
                    shown[obj["id"]] = seen
            for k, object_id in list(self._writes):
                if k == kind and object_id not in shown:  # deleted since, or not yet visible
                    seen = self._visible((kind, object_id), None)
                    if seen is not None:
                        shown[object_id] = seen
        return sorted(shown.values(), key=lambda o: str(o.get("dateCreated", "")))


__all__ = ["ReadLag"]
