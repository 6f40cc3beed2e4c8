"""Where an audit record is written: in place, on the event loop, or on a worker thread; whichever costs less now.

Why both: a record is a few hundred microseconds of sealing plus an fsync. Where the
fsync is quick (a tenth of a millisecond on an idle disk), the hop to a worker thread
costs more than the record: the loop wakes the worker (and, under the GIL, often waits
while it runs), the worker wakes the loop back, and each record's write waited one to
three milliseconds for the round trip, time in which its concurrency slot sent nothing
(issue 17). Where the fsync is slow (a busy or networked disk: milliseconds), writing in
place would stall every write in flight for it; on a thread the loop goes on, and records
of concurrent writes share one fsync (the audit log commits them as a group).

So each record is timed, and a running average of what records cost decides where the
next one goes: in place while it stays under :data:`IN_PLACE_LIMIT`, else on a thread.
The order of events does not change either way: the call returns once the record is on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import TypeVar

import anyio
import anyio.lowlevel

T = TypeVar("T")

#: a record costing less than this (seconds, averaged) is written in place, on the event loop
IN_PLACE_LIMIT = 0.0005
#: how much the newest record's cost moves the average (the rest is history)
WEIGHT = 0.2


class Placement:
    """Runs record-writing calls in place or on a worker thread, by what the recent ones cost."""

    def __init__(self, limit: float = IN_PLACE_LIMIT) -> None:
        self.limit = limit
        #: the running average of a record's own duration (seconds), wherever it was written
        self.typical = 0.0

    @property
    def in_place(self) -> bool:
        return self.typical <= self.limit

    async def run(self, call: Callable[[], T]) -> T:
        """``call()``'s result once it has run; a cancellation pending meanwhile is raised after it, as on a thread."""
        if not self.in_place:
            return await anyio.to_thread.run_sync(self._timed, call)
        result = self._timed(call)
        await anyio.lowlevel.checkpoint_if_cancelled()  # a stop still stops the write here, before it is sent
        return result

    def _timed(self, call: Callable[[], T]) -> T:
        started = perf_counter()
        try:
            return call()
        finally:
            # a float store: safe from the worker thread too (the GIL makes it atomic)
            self.typical += (perf_counter() - started - self.typical) * WEIGHT


__all__ = ["IN_PLACE_LIMIT", "Placement"]
