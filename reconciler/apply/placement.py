"""Where an audit record is written: in place, on the event loop, or on a worker thread; whichever costs less now.

Why both: a record is some tens of microseconds of sealing plus a write and an fsync.
Where the fsync is quick (a tenth of a millisecond on an idle disk), the hop to a worker
thread costs more than the record: the loop wakes the worker (and, under the GIL, often
waits while it runs), the worker wakes the loop back, and each write waited one to three
milliseconds for the round trip, time in which its concurrency slot sent nothing (issue 17).
Where the fsync is slow (a busy or networked disk: milliseconds), writing in place would
stall every write in flight for it; on a thread the loop goes on, and records of
concurrent writes share one fsync (the audit log commits them as a group).

What decides is what the trail says putting a record on disk costs lately (the log
times its own write and fsync, waits for its lock excluded, so records queued on threads
do not make each other look slow): under :data:`IN_PLACE_LIMIT`, in place. The order of
events does not change either way: the call returns once the record is on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread

T = TypeVar("T")

#: a record whose write and fsync cost less than this (seconds, lately) is written in place, on the event loop
IN_PLACE_LIMIT = 0.0005


class Placement:
    """Runs record-writing calls in place or on a worker thread, by what ``cost()`` says a record costs now."""

    def __init__(self, cost: Callable[[], float], limit: float = IN_PLACE_LIMIT) -> None:
        self._cost = cost
        self.limit = limit

    @property
    def in_place(self) -> bool:
        return self._cost() <= self.limit

    async def run(self, call: Callable[[], T]) -> T:
        """``call()``'s result once it has run; a cancellation pending meanwhile is raised after it, as on a thread."""
        if not self.in_place:
            return await anyio.to_thread.run_sync(call)
        result = call()
        await anyio.lowlevel.checkpoint_if_cancelled()  # a stop still stops the write here, before it is sent
        return result


__all__ = ["IN_PLACE_LIMIT", "Placement"]
