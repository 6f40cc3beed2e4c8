"""Where an audit record is written: in place on the event loop, or on a worker thread, by what it costs now.

Why both: a record is some tens of microseconds of sealing plus a write and an fsync.
Where the fsync is quick (a tenth of a millisecond on an idle disk), the hop to a worker
thread costs more than the record: the loop wakes the worker (and, under the GIL, often
waits while it runs), the worker wakes the loop back, and each write waited one to three
milliseconds for the round trip, time in which its concurrency slot sent nothing (issue 17).
Where the fsync is slow (a busy or networked disk: milliseconds), writing in place would
stall every write in flight for it; on a thread the loop goes on, and records of
concurrent writes share one fsync (the audit log commits them as a group).

In place, records share fsyncs too (:meth:`Placement.run` with a ``group``): each fsync
in place stalls the whole loop, so the fewer the better. A dedicated record-writing thread
(one write and one fsync per batch, one wake-up of the loop per batch) was measured in
place of anyio's worker threads and did no better: each hop still waits for the thread to
be scheduled and to get the GIL from a busy loop.

What decides is what the trail says putting a record on disk costs lately (the log
times its own write and fsync, waits for its lock excluded, so records queued on threads
do not make each other look slow; and it reads the quickest of the latest batches, so that
neither a spike nor a thread's wait for the GIL keeps records off the loop for good: see
:attr:`reconciler.audit.log.AuditLog.sync_seconds`): under :data:`IN_PLACE_LIMIT`, in place.
The order of events does not change either way: the call returns once the record is on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import anyio
import anyio.lowlevel
import anyio.to_thread

from reconciler.core.errors import AuditError

T = TypeVar("T")

#: a record whose write and fsync cost less than this (seconds, lately) is written in place, on the event loop
IN_PLACE_LIMIT = 0.0005

#: how long (seconds) an outcome written in place waits for an intent to share its fsync; the next
#: step's intent usually comes within a millisecond of the answer that freed its slot
LINGER_SECONDS = 0.003

Group = Callable[[], AbstractContextManager[None]]
"""Opens one write and one fsync for the records written inside it."""


@runtime_checkable
class Grouping(Protocol):
    """A trail whose records can share one write and fsync (:meth:`reconciler.audit.trail.AuditTrail.group`)."""

    def group(self) -> AbstractContextManager[None]: ...


def grouping(trail: object) -> Group | None:
    """What makes ``trail``'s records share one write and fsync; ``None`` for a trail that cannot."""
    return trail.group if isinstance(trail, Grouping) else None


class _Queued(Generic[T]):
    """One record-writing call waiting for its group: then its result or error."""

    __slots__ = ("call", "error", "result", "written")

    def __init__(self, call: Callable[[], T]) -> None:
        self.call = call
        self.result: T | None = None
        self.error: BaseException | None = None
        #: the call has run and its group has closed (the record is on disk unless ``error`` says otherwise)
        self.written = False


def _run_grouped(group: Group, batch: Sequence[_Queued[Any]]) -> None:
    """Run the batch's calls in one group: if the group fails, none of their records is written."""
    try:
        with group():
            for queued in batch:
                try:
                    queued.result = queued.call()
                except Exception as exc:  # this call's own failure: the others go on, its task gets it
                    queued.error = exc
    except Exception as exc:  # the group's write or fsync failed
        for queued in batch:
            if queued.error is None:
                queued.result, queued.error = None, exc
    except BaseException as exc:  # not a failure to write (an interrupt): the others must not wait for it
        for queued in batch:
            if queued.error is None:
                queued.result, queued.error = None, AuditError(f"audit record not written ({exc!r})")
        raise
    finally:
        for queued in batch:
            queued.written = True


class Placement:
    """Runs record-writing calls in place or on a worker thread, by what ``cost()`` says a record costs now.

    With a ``group``, records in place are grouped: a call queues, lets the tasks ready in the
    same turn of the loop queue theirs, and the first of them to run again writes them all with
    one write and one fsync (a turn of the loop handles every answer that came in meanwhile).
    Without one, each record in place is written alone.
    """

    def __init__(self, cost: Callable[[], float], limit: float = IN_PLACE_LIMIT, *, group: Group | None = None
                 ) -> None:
        self._cost = cost
        self.limit = limit
        self._group = group
        self._pending: list[_Queued[Any]] = []
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
            result = await anyio.to_thread.run_sync(call)  # waits for the thread even when cancelled meanwhile
        elif self._group is None:
            result = call()
        else:
            result = await self._grouped(call, self._group, linger)
        await anyio.lowlevel.checkpoint_if_cancelled()  # a stop still stops the write here, before it is sent
        return result

    async def _grouped(self, call: Callable[[], T], group: Group, linger: bool) -> T:
        queued: _Queued[T] = _Queued(call)
        self._pending.append(queued)
        if linger:
            if self._written is None:
                self._written = anyio.Event()
            with anyio.move_on_after(LINGER_SECONDS, shield=True):
                await self._written.wait()
        else:
            await anyio.lowlevel.cancel_shielded_checkpoint()  # the tasks ready now queue their records meanwhile
        if not queued.written:  # nobody ran it meanwhile: this task writes every record queued
            batch, self._pending = self._pending, []
            written, self._written = self._written, None
            _run_grouped(group, batch)
            self.groups += 1
            self.calls += len(batch)
            if written is not None:
                written.set()  # the records lingering for company went with these
        if queued.error is not None:
            raise queued.error
        return queued.result  # type: ignore[return-value]  # T itself may be None: no sentinel narrows it


__all__ = ["IN_PLACE_LIMIT", "LINGER_SECONDS", "Group", "Grouping", "Placement", "grouping"]
