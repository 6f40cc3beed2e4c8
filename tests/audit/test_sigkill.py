"""A writer killed with SIGKILL leaves a log that verifies; its open intents are the writes
in flight; the next run chains on."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.audit.verify import verify_log

from . import _writer_child
from .conftest import open_trail, records_of, write_run

CHILD = Path(_writer_child.__file__)


def _spawn(mode: str, log: Path, run_id: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), mode, str(log), run_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    return proc


def _kill(proc: subprocess.Popen[str]) -> list[str]:
    """SIGKILL, then everything the child had printed before dying."""
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.stdout is not None
    rest = proc.stdout.read().splitlines()
    assert proc.wait(30) == -signal.SIGKILL
    if proc.stdin:
        proc.stdin.close()
    proc.stdout.close()
    return rest


def _send(proc: subprocess.Popen[str], command: str) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(command + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


def _intents_and_outcomes(log: Path) -> tuple[set[int], set[int]]:
    records = records_of(log)
    intents = {r["seq"] for r in records if r["type"] == "intent"}
    outcomes = {r["intent_seq"] for r in records if r["type"] == "outcome"}
    return intents, outcomes


def _chains_on(log: Path) -> None:
    """The next run appends to the same chain and the whole log verifies."""
    before = records_of(log)
    with open_trail(log) as trail:
        write_run(trail, "next-run", writes=2)
    records = records_of(log)
    first_new = records[len(before)]
    assert first_new["run_id"] == "next-run"
    assert (first_new["seq"], first_new["prev_hash"]) == (before[-1]["seq"] + 1, before[-1]["hash"])
    report = verify_log(log)
    assert report.records == len(records)
    assert "next-run" not in report.unfinished_runs


class TestKilledWithWritesInFlight:
    def test_open_intents_are_exactly_the_announced_writes_without_response(self, log_path: Path) -> None:
        proc = _spawn("driven", log_path, "killed-run")
        sent = [int(_send(proc, "intent").split()[1]) for _ in range(7)]
        finished = random.Random(7).sample(sent, 4)
        for seq in finished:
            assert _send(proc, f"outcome {seq}") == f"DONE {seq}"
        _kill(proc)

        report = verify_log(log_path)
        in_flight = sorted(set(sent) - set(finished))
        assert report.open_intents == in_flight
        assert report.unfinished_runs == ["killed-run"]
        intents, outcomes = _intents_and_outcomes(log_path)
        assert intents == set(sent) and outcomes == set(finished)
        _chains_on(log_path)
        assert verify_log(log_path).open_intents == in_flight  # history is kept, not rewritten

    @pytest.mark.parametrize("attempt", range(3))
    def test_killed_at_a_random_moment_the_log_verifies_and_only_writes_in_flight_are_open(
        self, log_path: Path, attempt: int
    ) -> None:
        proc = _spawn("free", log_path, f"free-{attempt}")
        assert proc.stdout is not None
        stop_after = random.randint(20, 120)
        seen: list[str] = []
        while sum(1 for line in seen if line.startswith("DONE")) < stop_after:
            seen.append(proc.stdout.readline().strip())
        seen += _kill(proc)

        sent = {int(line.split()[1]) for line in seen if line.startswith("SENT")}
        done = {int(line.split()[1]) for line in seen if line.startswith("DONE")}
        report = verify_log(log_path)  # raises if the kill broke the chain
        intents, outcomes = _intents_and_outcomes(log_path)
        open_intents = set(report.open_intents)

        assert open_intents == intents - outcomes
        assert sent <= intents, "an intent the child reported as on disk is missing"
        assert done <= outcomes, "an outcome the child reported as on disk is missing"
        assert not open_intents & done, "a finished write is shown as in flight"
        # each worker has at most one write between its intent and its outcome
        assert len(open_intents) <= _writer_child.CONCURRENCY
        # an open intent was either reported sent, or written just before the kill
        assert len(open_intents - sent) <= _writer_child.CONCURRENCY
        _chains_on(log_path)
