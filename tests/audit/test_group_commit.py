"""Records appended while an fsync is under way share the next one (group commit), chain intact.

Counts, never times: the first fsync is held until the other threads have queued their
records; then exactly one more fsync writes them all, and each caller got its own record.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

import reconciler.audit.log as log_module
from reconciler.audit.log import AuditLog
from reconciler.audit.records import record_hash
from reconciler.core.errors import AuditError

WAITING = 7


def test_appends_queued_during_an_fsync_share_the_next_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    release = threading.Event()
    fsyncs: list[int] = []
    real_fsync = os.fsync

    def held_fsync(fd: int) -> None:
        fsyncs.append(fd)
        if len(fsyncs) == 1:
            assert release.wait(30), "the other appends never queued"
        real_fsync(fd)

    monkeypatch.setattr(log_module.os, "fsync", held_fsync)
    returned: dict[str, dict[str, object]] = {}

    def append(name: str) -> None:
        returned[name] = log.append({"type": "intent", "name": name})

    first = threading.Thread(target=append, args=("first",))
    first.start()
    while not fsyncs:  # the first append is inside its fsync
        threading.Event().wait(0.001)
    others = [threading.Thread(target=append, args=(f"w{i}",)) for i in range(WAITING)]
    for thread in others:
        thread.start()
    while len(log._queue) < WAITING:  # all of them queued behind the first
        threading.Event().wait(0.001)
    release.set()
    for thread in [first, *others]:
        thread.join(30)
    log.close()

    assert len(fsyncs) == 2  # one for the first record, one for the seven queued behind it
    assert sorted(r["seq"] for r in returned.values()) == list(range(1, WAITING + 2))
    assert all(r["name"] == name for name, r in returned.items())
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [r["seq"] for r in lines] == list(range(1, WAITING + 2))
    assert [r["prev_hash"] for r in lines[1:]] == [r["hash"] for r in lines[:-1]]  # one chain
    assert all(record_hash(r) == r["hash"] for r in lines)


def test_a_failed_group_write_fails_every_caller_in_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append({"type": "intent", "name": "before"})

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(log_module.os, "fsync", full_disk)
    with pytest.raises(AuditError, match="no space left"):
        log.append({"type": "intent", "name": "lost"})
