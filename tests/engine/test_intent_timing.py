"""The audit intent of a write is recorded when its request goes out, not while it queues for a slot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import anyio
import pytest

from reconciler.apply.trail import NullTrail
from reconciler.apply.writer import Answer, AuditedWriter, Client, Request, nothing_stored
from reconciler.core.errors import ApiError
from reconciler.core.sending import going_out


@dataclass
class _Answer:
    object: dict[str, Any] | None = None
    status: int = 200
    correlation_id: str | None = None
    latency_ms: float = 1.0
    adopted: bool = False


class _Trail(NullTrail):
    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def intent(self, *, kind: str | None, name: str | None, object_id: str | None, action: str,
               changes: Iterable[Mapping[str, Any]] = (), method: str, path: str) -> int:
        self.events.append("intent")
        return super().intent(kind=kind, name=name, object_id=object_id, action=action, changes=changes,
                              method=method, path=path)

    def outcome(self, **fields: Any) -> None:
        self.events.append(f"outcome {fields['outcome']}")


REQUEST = Request(action="create", method="POST", path="/api/v2/things", kind="Thing", name="a")


def _writer(events: list[str]) -> AuditedWriter:
    return AuditedWriter(cast(Client, None), _Trail(events))  # send() never touches the client


def test_intent_is_written_once_when_the_request_goes_out() -> None:
    events: list[str] = []

    async def call() -> Answer:
        events.append("queued for a slot")
        await going_out()  # what the session does with the slot and turn taken
        events.append("sent")
        await going_out()  # a retry of the same write: no second intent
        events.append("sent again")
        return _Answer()

    anyio.run(_writer(events).send, REQUEST, call, nothing_stored)
    assert events == ["queued for a slot", "intent", "sent", "sent again", "outcome success"]


@pytest.mark.parametrize("refused", [False, True])
def test_a_call_that_sends_nothing_still_has_its_intent_before_its_outcome(refused: bool) -> None:
    events: list[str] = []

    async def call() -> Answer:
        if refused:
            raise ApiError(400, "bad.request", "refused before sending")
        return _Answer()

    async def main() -> None:
        await _writer(events).send(REQUEST, call, nothing_stored)

    if refused:
        with pytest.raises(ApiError):
            anyio.run(main)
        assert events == ["intent", "outcome failure"]
    else:
        anyio.run(main)
        assert events == ["intent", "outcome success"]


def test_writes_in_flight_each_record_their_own_intent() -> None:
    events: list[str] = []
    writer = _writer(events)

    def call_for(name: str) -> Any:
        async def call() -> Answer:
            await anyio.sleep(0)
            await going_out()
            events.append(f"sent {name}")
            return _Answer()
        return call

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for name in ("a", "b", "c"):
                group.start_soon(writer.send, Request(action="create", method="POST", path="/x", name=name),
                                 call_for(name), nothing_stored)

    anyio.run(main)
    assert events.count("intent") == 3
    assert events.count("outcome success") == 3
    intents_before = [events[: events.index(f"sent {name}")].count("intent") for name in ("a", "b", "c")]
    assert all(n >= 1 for n in intents_before)
