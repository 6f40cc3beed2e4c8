"""What the audit log says a record costs to put on disk: the quickest of its latest batches.

Why it matters: apply writes records on the event loop while that is cheap and on worker threads
when not (reconciler.apply.placement). A batch timed on a thread includes its wait for the GIL,
so an average of such times kept records on threads for good after one slow fsync (issue 17).
The clock is scripted here: no test waits for, or times, a real disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import reconciler.audit.log as log_module
from reconciler.audit.log import SYNC_WINDOW, AuditLog


class Script:
    """``perf_counter`` for the log: each batch (two readings) takes the next scripted number of seconds."""

    def __init__(self) -> None:
        self.now = 0.0
        self.durations: list[float] = []
        self._started = False

    def __call__(self) -> float:
        if self._started:
            self.now += self.durations.pop(0)
        self._started = not self._started
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Script:
    """The log's clock, scripted."""
    script = Script()
    monkeypatch.setattr(log_module, "perf_counter", script)
    return script


@pytest.fixture
def log(tmp_path: Path, clock: Script) -> Iterator[AuditLog]:
    """A log timed by the scripted clock."""
    opened = AuditLog(tmp_path / "audit.jsonl")
    yield opened
    opened.close()


def test_one_slow_batch_does_not_make_the_disk_look_slow(clock: Script, log: AuditLog) -> None:
    assert log.sync_seconds == 0.0  # nothing written yet
    clock.durations = [0.0002, 0.050, 0.0003]  # quick, a spike (or a wait for the GIL), quick
    for n in range(3):
        log.append({"type": "run.start", "n": n})
    assert log.sync_seconds == pytest.approx(0.0002)


def test_a_disk_slow_every_time_looks_slow(clock: Script, log: AuditLog) -> None:
    clock.durations = [0.0001] + [0.004] * SYNC_WINDOW  # quick once, then slow for a whole window
    for n in range(SYNC_WINDOW):
        log.append({"type": "run.start", "n": n})
        assert log.sync_seconds == pytest.approx(0.0001)  # the quick batch is still among the latest
    log.append({"type": "run.start", "n": SYNC_WINDOW})
    assert log.sync_seconds == pytest.approx(0.004)


def test_records_in_a_group_are_timed_as_one_batch(clock: Script, log: AuditLog) -> None:
    clock.durations = [0.0007]
    with log.group():
        for n in range(4):
            log.append({"type": "run.start", "n": n})
    assert log.sync_seconds == pytest.approx(0.0007) and not clock.durations
