"""Audit records written in place share fsyncs: those of the writes the loop handles in one turn go
together, an outcome goes with the next intent; an intent is still on disk before its request goes
out, a stop while an intent is being written leaves exactly it open, and a group that cannot be
written fails every write in it. Orders and counts only, never times.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, cast

import anyio
import pytest

import reconciler.apply.placement as placement_module
import reconciler.audit.log as log_module
from reconciler.apply.writer import Answer, AuditedWriter, Client, nothing_stored
from reconciler.audit.trail import AuditTrail
from reconciler.core.errors import AuditError
from reconciler.core.sending import going_out
from tests.engine.test_intent_timing import REQUEST, _Answer

WRITES = 6


def _intent(trail: AuditTrail, name: str) -> Any:
    return lambda: trail.intent(kind="VoiceProfile", name=name, object_id=None, action="create", method="POST",
                                path="/api/v2/voice/profiles")


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class _HeldFsync:
    """Counts fsyncs; the first one waits until the test lets it go (a stop comes meanwhile)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self._real = os.fsync
        monkeypatch.setattr(log_module.os, "fsync", self)

    def __call__(self, fd: int) -> None:
        self.count += 1
        if self.count == 1:
            self.entered.set()
            assert self.release.wait(30), "never released"
        self._real(fd)


async def _until(event: threading.Event) -> None:
    while not event.is_set():
        await anyio.sleep(0.001)


@pytest.mark.parametrize("in_place", [True, False])
def test_the_intent_is_on_disk_before_the_request_goes_out(tmp_path: Path, in_place: bool) -> None:
    trail = AuditTrail.open(tmp_path / "audit.jsonl", target="sandbox")
    writer = AuditedWriter(cast(Client, None), trail)
    writer.placement.limit = 1.0 if in_place else -1.0
    seen: list[list[str]] = []

    async def call() -> Answer:
        await going_out()
        seen.append([r["type"] for r in _records(tmp_path / "audit.jsonl")])  # what a kill now would leave
        return _Answer()

    anyio.run(writer.send, REQUEST, call, nothing_stored)
    trail.close()
    assert seen == [["intent"]]
    assert [r["type"] for r in _records(tmp_path / "audit.jsonl")] == ["intent", "outcome"]
    assert writer.placement.calls == (2 if in_place else 0)


def test_a_stop_while_the_intent_is_written_leaves_it_open_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = AuditTrail.open(tmp_path / "audit.jsonl", target="sandbox")
    held = _HeldFsync(monkeypatch)
    writer = AuditedWriter(cast(Client, None), trail)
    writer.placement.limit = -1.0  # a slow disk: on a worker thread, where the held fsync cannot stall the test
    sent: list[str] = []

    async def call() -> Answer:
        await going_out()
        sent.append("sent")
        return _Answer()

    scopes: list[anyio.CancelScope] = []

    async def send() -> None:
        with anyio.CancelScope() as stopped:
            scopes.append(stopped)
            await writer.send(REQUEST, call, nothing_stored)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(send)
            await _until(held.entered)
            scopes[0].cancel()  # a stop's grace ran out while the intent was being synced
            await anyio.sleep(0)
            held.release.set()

    anyio.run(main)
    assert scopes[0].cancelled_caught and sent == []
    assert [r["type"] for r in _records(tmp_path / "audit.jsonl")] == ["intent"]
    assert trail.open_intents == [1]  # exactly the write that was in flight stays open
    trail.close()


def test_a_group_that_cannot_be_synced_fails_every_write_in_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    trail = AuditTrail.open(tmp_path / "audit.jsonl", target="sandbox")
    fsyncs: list[int] = []

    def full(fd: int) -> None:
        fsyncs.append(fd)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(log_module.os, "fsync", full)
    writer = AuditedWriter(cast(Client, None), trail)
    errors: list[str] = []

    async def write(name: str) -> None:
        try:
            await writer.placement.run(_intent(trail, name))
        except AuditError as exc:
            errors.append(str(exc))

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for i in range(4):
                group.start_soon(write, f"w{i}")

    anyio.run(main)
    assert len(fsyncs) == 1 and len(errors) == 4 and all("no space left" in e for e in errors)
    assert trail.open_intents == []  # none of them was announced: none may be sent
    trail.close()


def test_records_written_in_place_in_one_turn_of_the_loop_share_one_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quick disk: records go in place, and those of the tasks ready together are written together."""
    trail = AuditTrail.open(tmp_path / "audit.jsonl", target="sandbox")
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(log_module.os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd))[1])
    writer = AuditedWriter(cast(Client, None), trail)
    here = threading.get_ident()
    threads: set[int] = set()

    def intent(name: str) -> int:
        threads.add(threading.get_ident())
        return int(_intent(trail, name)())

    async def main() -> None:
        assert writer.placement.in_place  # nothing written yet: nothing says the disk is slow
        async with anyio.create_task_group() as group:
            for i in range(WRITES):
                group.start_soon(writer.placement.run, lambda i=i: intent(f"w{i}"))

    anyio.run(main)
    trail.close()
    assert threads == {here}  # on the event loop, no hop to a thread
    assert len(fsyncs) == 1 and (writer.placement.groups, writer.placement.calls) == (1, WRITES)
    assert [r["seq"] for r in _records(tmp_path / "audit.jsonl")] == list(range(1, WRITES + 1))


def test_an_outcome_in_place_goes_with_the_next_intent_and_is_written_alone_if_none_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outcome waits (outside any slot) for the next intent's fsync; with no intent to come, it goes alone."""
    trail = AuditTrail.open(tmp_path / "audit.jsonl", target="sandbox")
    first = trail.intent(kind="VoiceProfile", name="a", object_id=None, action="create", method="POST", path="/x")
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(log_module.os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd))[1])
    writer = AuditedWriter(cast(Client, None), trail)
    # in place whatever the first intent's fsync took (the log times it: on a busy machine it can pass the limit)
    writer.placement.limit = 1.0
    events: list[str] = []

    async def outcome(seq: int) -> None:
        await writer.placement.run(lambda: trail.outcome(intent_seq=seq, outcome="success"), linger=True)
        events.append(f"outcome {seq} on disk")

    async def main() -> None:
        monkeypatch.setattr(placement_module, "LINGER_SECONDS", 60.0)  # however slow this machine is
        async with anyio.create_task_group() as group:
            group.start_soon(outcome, first)
            await anyio.wait_all_tasks_blocked()  # the outcome lingers for company
            events.append("intent")
            second = await writer.placement.run(_intent(trail, "b"))
        assert len(fsyncs) == 1  # the intent and the outcome: one fsync
        monkeypatch.setattr(placement_module, "LINGER_SECONDS", 0.0)
        await outcome(second)  # nothing follows: it goes alone
        assert len(fsyncs) == 2

    anyio.run(main)
    trail.close()
    assert events == ["intent", "outcome 1 on disk", "outcome 3 on disk"]
    types = [(r["type"], r["seq"]) for r in _records(tmp_path / "audit.jsonl")]
    assert types == [("intent", 1), ("outcome", 2), ("intent", 3), ("outcome", 4)]
