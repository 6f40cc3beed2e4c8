"""Where an audit record is written: in place on the event loop, or on the record-writing thread, by cost now.

Why both: a record is some tens of microseconds of sealing plus a write and an fsync.
Where the fsync is quick (a tenth of a millisecond on an idle disk), the hop to a worker
thread costs more than the record: the loop wakes the worker (and, under the GIL, often
waits while it runs), the worker wakes the loop back, and each write waited one to three
milliseconds for the round trip, time in which its concurrency slot sent nothing (issue 17).
Where the fsync is slow (a busy or networked disk: milliseconds), writing in place would
stall every write in flight for it; on the apply's record-writing thread
(:mod:`reconciler.apply.recorder`) the loop goes on, and the records of concurrent writes
share one write and one fsync.

What decides is what the trail says putting a record on disk costs lately (the log
times its own write and fsync, waits for its lock excluded, so records queued on threads
do not make each other look slow): under :data:`IN_PLACE_LIMIT`, in place. The order of
events does not change either way: the call returns once the record is on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread

from reconciler.apply.recorder import Queued, Recorder, run_grouped

T = TypeVar("T")

#: a record whose write and fsync cost less than this (seconds, lately) is written in place, on the event loop
IN_PLACE_LIMIT = 0.0005

#: how long (seconds) an outcome written in place waits for an intent to share its fsync; the next
#: step's intent usually comes within a millisecond of the answer that freed its slot
LINGER_SECONDS = 0.003


class Placement:
    """Runs record-writing calls in place or off the loop, by what ``cost()`` says a record costs now.

    With a ``recorder``, records off the loop go to its thread, and records in place are grouped:
    a call queues, lets the tasks ready in the same turn of the loop queue theirs, and the first
    of them to run again writes them all with one write and one fsync (records of concurrent
    writes arrive together: a turn of the loop handles every answer that came in meanwhile).
    Without one, off the loop is anyio's worker threads, and each record in place is written alone.
    """

    def __init__(self, cost: Callable[[], float], limit: float = IN_PLACE_LIMIT, *, recorder: Recorder | None = None
                 ) -> None:
        self._cost = cost
        self.limit = limit
        self._recorder = recorder
        self._pending: list[Queued[Any]] = []
        #: set once the records queued in place are written (made when a record lingers for company)
        self._written: anyio.Event | None = None
        #: record groups written in place and the calls in them (calls / groups is the sharing)
        self.groups = 0
        self.calls = 0

    @property
    def in_place(self) -> bool:
        return self._cost() <= self.limit

    async def run(self, call: Callable[[], T], *, linger: bool = False) -> T:
        """``call()``'s result once it has run; a cancellation pending meanwhile is raised after it, as on a thread.

        ``linger``: the record is on no write's way (an outcome: its slot is already free); in place,
        it waits up to :data:`LINGER_SECONDS` to be written with the next record that is (an intent),
        so that both share one fsync, instead of costing the loop an fsync of its own.
        """
        if not self.in_place:
            if self._recorder is not None:
                return await self._recorder.run(call)
            return await anyio.to_thread.run_sync(call)
        if self._recorder is None:
            result = call()
        else:
            result = await self._grouped(call, self._recorder.group, linger)
        await anyio.lowlevel.checkpoint_if_cancelled()  # a stop still stops the write here, before it is sent
        return result

    async def _grouped(self, call: Callable[[], T], group: Callable[[], AbstractContextManager[None]], linger: bool
                       ) -> T:
        queued: Queued[T] = Queued(call)
        self._pending.append(queued)
        if linger:
            if self._written is None:
                self._written = anyio.Event()
            with anyio.CancelScope(shield=True), anyio.move_on_after(LINGER_SECONDS):
                await self._written.wait()
        else:
            await anyio.lowlevel.cancel_shielded_checkpoint()  # the tasks ready now queue their records meanwhile
        if not queued.written:  # nobody ran it meanwhile: this task writes every record queued
            batch, self._pending = self._pending, []
            written, self._written = self._written, None
            run_grouped(group, batch)
            self.groups += 1
            self.calls += len(batch)
            if written is not None:
                written.set()  # the records lingering for company went with these
        if queued.error is not None:
            raise queued.error
        return queued.result  # type: ignore[return-value]  # T itself may be None: no sentinel narrows it


__all__ = ["IN_PLACE_LIMIT", "LINGER_SECONDS", "Placement"]
