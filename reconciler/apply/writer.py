"""The one writer: every request apply sends goes through :meth:`AuditedWriter.send`.

Order of events for one write: the intent is recorded (the trail fsyncs it) once the
request holds its concurrency slot and rate turn, the request is sent, the outcome is
recorded. A killed apply thus leaves intents without outcomes for exactly the writes in
flight. Object writes, publish jobs and post-write hooks all use it, so they are audited alike.
Both records are written in place while records are quick (a fast disk), on a worker thread
when they are not (a slow fsync in place would stall every write in flight; on a thread,
records of concurrent writes share one fsync); in place, the records of the writes that
the loop handles together share one fsync: see :mod:`reconciler.apply.placement`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import anyio

from reconciler.apply.bodies import audited_changes, request_line
from reconciler.apply.placement import Placement, grouping
from reconciler.apply.trail import Trail
from reconciler.core.errors import ApiError, AuditError
from reconciler.core.sending import before_send
from reconciler.kinds import Kind, PostWriteHook, Publish
from reconciler.plan.model import Action, ResourceChange


class Answer(Protocol):
    """What the client returns for a write (see :class:`reconciler.genesys.client.WriteResult`)."""

    @property
    def object(self) -> dict[str, Any] | None: ...
    @property
    def status(self) -> int: ...
    @property
    def correlation_id(self) -> str | None: ...
    @property
    def latency_ms(self) -> float: ...
    @property
    def adopted(self) -> bool: ...


class Client(Protocol):
    """What apply needs of the API client (see :class:`reconciler.genesys.GenesysClient`)."""

    async def create(self, kind: Kind, body: dict[str, Any]) -> Answer: ...
    async def update(self, kind: Kind, object_id: str, body: dict[str, Any], version: int) -> Answer: ...
    async def delete(self, kind: Kind, object_id: str) -> Answer: ...
    async def call_hook(self, hook: PostWriteHook) -> Answer: ...
    async def publish(self, publish: Publish, ids: list[str]) -> Answer: ...
    async def get(self, kind: Kind, object_id: str) -> dict[str, Any]: ...
    async def get_once_shown(self, kind: Kind, object_id: str, *, waited: float = 0.0) -> dict[str, Any] | None: ...

    async def find_once_shown(self, kind: Kind, name: str, *, waited: float = 0.0) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Request:
    """One write as the trail announces it."""

    action: str
    method: str
    path: str
    kind: str | None = None
    name: str | None = None
    object_id: str | None = None
    changes: Iterable[Mapping[str, Any]] = field(default=())


@dataclass(frozen=True)
class Settled:
    """How an answered write ended, for its outcome record."""

    object_id: str | None = None
    version: int | None = None
    #: the server answered, but the write did not reach the state asked for (a failed job)
    error: Mapping[str, str] | None = None


def object_written(request: Request) -> Callable[[Answer], Settled]:
    """The usual settlement: the stored object's id and version (the request's id for a delete)."""

    def settle(answer: Answer) -> Settled:
        stored = answer.object or {}
        return Settled(object_id=stored.get("id", request.object_id), version=stored.get("version"))

    return settle


def nothing_stored(answer: Answer) -> Settled:
    """A call that writes no object of ours (a hook)."""
    return Settled()


class WriteRefused(Exception):
    """An object write the API refused (already audited); ``action`` says which write of the change."""

    def __init__(self, action: Action, error: ApiError) -> None:
        super().__init__(str(error))
        self.action = action
        self.error = error


class AuditedWriter:
    """Sends writes through the client, each between its intent and its outcome record."""

    def __init__(self, client: Client, trail: Trail) -> None:
        self.client = client
        self.trail = trail
        #: where records are written: in place (grouped) or on a worker thread, by what they cost lately
        self.placement = Placement(lambda: trail.sync_seconds, group=grouping(trail))
        #: writes answered whose outcome record could not be written (disk full): ``METHOD path (what)``
        self.unrecorded: list[str] = []

    async def _record_outcome(self, request: Request, **fields: Any) -> None:
        """The outcome record; a write that happened is not undone because its record failed."""
        try:
            with anyio.CancelScope(shield=True):  # an answered write keeps its record, even when a stop cancels
                await self.placement.run(partial(self.trail.outcome, **fields), linger=True)
        except AuditError:
            what = f"{request.kind}/{request.name}" if request.kind else request.action
            self.unrecorded.append(f"{request.method} {request.path} ({what}): {fields['outcome']}")
            raise

    async def send(
        self,
        request: Request,
        call: Callable[[], Awaitable[Answer]],
        settle: Callable[[Answer], Settled],
        *,
        answered: Callable[[], None] | None = None,
    ) -> tuple[Answer, Settled]:
        """Record the intent, ``call``, record the outcome; an :class:`ApiError` is recorded, then raised.

        ``answered`` is told when ``call`` has ended, before the outcome is recorded: the
        scheduler's slot is free for the next write while this one's record goes to disk.

        The intent is written when the request is about to go out: the session runs the
        hook set here once the request holds its concurrency slot and rate turn
        (:mod:`reconciler.core.sending`), so the queue before them is not audited latency.
        A call that ends without sending anything gets its intent before its outcome all the same.
        """
        intent: list[int] = []
        started = time.perf_counter()

        async def record_intent() -> None:
            nonlocal started
            if intent:
                return  # a retry or a recovery look-up of the same write
            intent.append(await self.placement.run(partial(
                self.trail.intent,
                kind=request.kind,
                name=request.name,
                object_id=request.object_id,
                action=request.action,
                changes=request.changes,
                method=request.method,
                path=request.path,
            )))
            started = time.perf_counter()

        async def sent() -> Answer:
            with before_send(record_intent):
                try:
                    answer = await call()
                except ApiError:
                    await record_intent()  # refused before anything went out: the intent still comes first
                    raise
            await record_intent()  # likewise for an answer that needed no request
            return answer

        try:
            answer = await sent()
        except ApiError as exc:
            if answered is not None:
                answered()
            await self._record_outcome(
                request,
                intent_seq=intent[0],
                outcome="failure",
                status=exc.status,
                correlation_id=exc.correlation_id,
                latency_ms=round((time.perf_counter() - started) * 1000, 1),
                object_id=request.object_id,
                version=None,
                error={"code": exc.code, "message": str(exc)},
            )
            raise
        if answered is not None:
            answered()
        settled = settle(answer)
        await self._record_outcome(
            request,
            intent_seq=intent[0],
            outcome="success" if settled.error is None else "failure",
            status=answer.status,
            correlation_id=answer.correlation_id,
            latency_ms=round(answer.latency_ms, 1),
            object_id=settled.object_id,
            version=settled.version,
            error=settled.error,
        )
        return answer, settled

    async def write(
        self,
        action: Action,
        change: ResourceChange,
        kind: Kind,
        object_id: str | None,
        body: dict[str, Any] | None = None,
        *,
        version: int = 0,
        answered: Callable[[], None] | None = None,
    ) -> Answer:
        """One object write (``action`` is create, update or delete); :class:`WriteRefused` if refused.

        ``answered``: see :meth:`send`."""
        renamed = any(fc.path == "name" for fc in change.field_changes)  # the essence names it "name"
        method, path = request_line(action, kind, object_id, body, renamed=renamed)
        request = Request(
            action=action.value,
            method=method,
            path=path,
            kind=change.kind,
            name=change.name,
            object_id=object_id,
            changes=audited_changes(change, action),
        )

        async def call() -> Answer:
            if action == Action.CREATE:
                return await self.client.create(kind, body or {})
            if action == Action.UPDATE:
                return await self.client.update(kind, str(object_id), body or {}, version)
            return await self.client.delete(kind, str(object_id))

        try:
            answer, _ = await self.send(request, call, object_written(request), answered=answered)
        except ApiError as exc:
            raise WriteRefused(action, exc) from exc
        return answer


__all__ = [
    "Answer",
    "AuditedWriter",
    "Client",
    "Request",
    "Settled",
    "WriteRefused",
    "nothing_stored",
    "object_written",
]
