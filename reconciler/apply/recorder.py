"""One thread per apply puts the audit records on disk, as many per write and fsync as are waiting.

Why a thread of its own: a record is some tens of microseconds of sealing plus a write and
an fsync, and an fsync costs from a tenth of a millisecond (an idle disk) to several (a busy
one). Written in place on the event loop, each fsync stalled every write in flight; sent to
anyio's worker pool, each record paid a round trip through the pool and its own fsync, and
waited behind the others' (issue 17). Here the loop only queues the call and waits; the
thread takes every call queued meanwhile, runs them inside the trail's group (one
``os.write`` and one fsync for all their records, :meth:`reconciler.audit.log.AuditLog.group`),
then wakes all their tasks with one call into the loop. While it syncs, the next calls
queue: the busier the apply, the more records share an fsync.

What does not change: a call returns only once its record is on disk (an intent's request
is sent after it); records are sealed in the order their calls were queued; a stop that
cancels a task waiting here still lets its record be written, then raises (as a worker
thread did), so an intent written is an intent whose task saw it written.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import anyio
import anyio.lowlevel

T = TypeVar("T")

#: seconds the thread waits for work before it ends (the next call starts it again)
IDLE_SECONDS = 5.0


@runtime_checkable
class Grouping(Protocol):
    """A trail whose records can share one write and fsync (:meth:`reconciler.audit.trail.AuditTrail.group`)."""

    def group(self) -> AbstractContextManager[None]: ...


def grouping(trail: object) -> Callable[[], AbstractContextManager[None]]:
    """What makes ``trail``'s records share one write and fsync; nothing for a trail that cannot."""
    return trail.group if isinstance(trail, Grouping) else contextlib.nullcontext


class Queued(Generic[T]):
    """One queued record-writing call: its result or error, for the task waiting for it."""

    __slots__ = ("call", "error", "result", "written")

    def __init__(self, call: Callable[[], T]) -> None:
        self.call = call
        self.result: T | None = None
        self.error: BaseException | None = None
        #: the call has run and its group has closed (the record is on disk unless ``error`` says otherwise)
        self.written = False


class _Waiting(Queued[T]):
    """A call queued for the thread by a task of the event loop ``token``, woken by ``done``."""

    __slots__ = ("done", "token")

    def __init__(self, call: Callable[[], T], token: anyio.lowlevel.EventLoopToken) -> None:
        super().__init__(call)
        self.token = token
        self.done = anyio.Event()


def run_grouped(group: Callable[[], AbstractContextManager[None]], batch: Sequence[Queued[Any]]) -> None:
    """Run the batch's calls in one group: if the group fails, none of their records is written."""
    try:
        with group():
            for queued in batch:
                try:
                    queued.result = queued.call()
                except BaseException as exc:  # this call's own failure: the others go on, its task gets it
                    queued.error = exc
    except Exception as exc:  # the group's write or fsync failed
        for queued in batch:
            if queued.error is None:
                queued.result, queued.error = None, exc
    for queued in batch:
        queued.written = True


def _wake(batch: Sequence[_Waiting[Any]]) -> None:
    for queued in batch:
        queued.done.set()


class Recorder:
    """Runs record-writing calls of one trail on one thread, in order, grouped while they queue."""

    def __init__(self, trail: object) -> None:
        #: opens one write and fsync for the records of the calls run inside it
        self.group = grouping(trail)
        self._queue: list[_Waiting[Any]] = []
        self._ready = threading.Condition()
        self._running = False
        self._closed = False
        #: batches written and calls run (for tests and profiles: calls / batches is the sharing)
        self.batches = 0
        self.calls = 0

    async def run(self, call: Callable[[], T]) -> T:
        """``call()``'s result once it has run on the thread (its record on disk); its error re-raised."""
        queued: _Waiting[T] = _Waiting(call, anyio.lowlevel.current_token())
        with self._ready:
            if self._closed:
                raise RuntimeError("the recorder is closed")
            self._queue.append(queued)
            if not self._running:
                self._running = True
                threading.Thread(target=self._work, name="audit-recorder", daemon=True).start()
            else:
                self._ready.notify()
        with anyio.CancelScope(shield=True):  # the record goes to disk whatever happens to the task meanwhile
            await queued.done.wait()
        await anyio.lowlevel.checkpoint_if_cancelled()  # a stop still stops the write here, before it is sent
        if queued.error is not None:
            raise queued.error
        return queued.result  # type: ignore[return-value]  # T itself may be None: no sentinel narrows it

    def close(self) -> None:
        """The thread ends once the calls already queued are done (their tasks still get their answers)."""
        with self._ready:
            self._closed = True
            self._ready.notify()

    # ---- the thread ----------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._ready:
                if not self._queue and not self._closed:
                    self._ready.wait(IDLE_SECONDS)
                if not self._queue:
                    self._running = False
                    return
                batch, self._queue = self._queue, []
            run_grouped(self.group, batch)
            self.batches += 1
            self.calls += len(batch)
            for token in {queued.token for queued in batch}:
                mine = [queued for queued in batch if queued.token == token]
                with contextlib.suppress(RuntimeError):  # that event loop has ended: nobody waits any more
                    token.backend_class.run_sync_soon(_wake, (mine,), token.native_token)


__all__ = ["IDLE_SECONDS", "Grouping", "Queued", "Recorder", "grouping", "run_grouped"]
