"""An apply killed with SIGKILL half-way, then applied again: nothing lost, nothing doubled.

The apply runs as its own process against a served sandbox with 50 ms of latency, so
that it is mid-way (writes in flight) when the kill lands, after some outcomes reached
the audit log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ._estate import write_estate
from ._support import (
    UNPACED,
    Session,
    assert_exactly_the_estate,
    audit_records,
    cli_env,
    reconciler_command,
    verify_audit,
)

pytestmark = pytest.mark.slow

OBJECTS = 300
CONCURRENCY = 8
#: outcomes on disk before the kill: well into the apply, well before its end
KILL_AFTER_OUTCOMES = 60


def _outcomes(log: Path) -> int:
    if not log.exists():
        return 0
    return sum(1 for line in log.read_bytes().splitlines() if b'"type":"outcome"' in line)


def _kill_mid_apply(session: Session) -> list[dict[str, Any]]:
    """Start an apply, SIGKILL it once KILL_AFTER_OUTCOMES outcomes are on disk; the records it left."""
    proc = subprocess.Popen(
        reconciler_command("apply", str(session.estate.root), "--auto-approve", "--target", "genesys",
                           "--audit-log", str(session.audit_log), "--concurrency", str(CONCURRENCY),
                           *session.client_args),
        env=session.env, cwd=session.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while _outcomes(session.audit_log) < KILL_AFTER_OUTCOMES:
            assert proc.poll() is None, f"apply ended before the kill: {proc.stderr.read() if proc.stderr else ''}"
            assert time.monotonic() < deadline, "the apply never got going"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:  # pragma: no cover - only when an assertion above failed
            proc.kill()
            proc.wait(30)
        if proc.stderr:
            proc.stderr.close()
    return audit_records(session.audit_log)


@pytest.mark.timeout(180)
def test_sigkill_during_apply_then_reapply_converges_with_each_object_once(
    served_sandbox: Callable[..., Any], tmp_path: Path
) -> None:
    served = served_sandbox(latency_ms=50, rate_limit=0)
    estate = write_estate(tmp_path / "estate", OBJECTS)
    session = Session(url=served.url, estate=estate, cwd=tmp_path, env=cli_env(served.url),
                      client_args=("--requests-per-minute", UNPACED))

    killed = _kill_mid_apply(session)

    # The log the killed process left verifies; what is open is what was in flight.
    report = verify_audit(session)
    killed_run = killed[0]["run_id"]
    assert report.unfinished_runs == [killed_run]
    intents = {r["seq"]: r for r in killed if r["type"] == "intent"}
    finished = {r["intent_seq"] for r in killed if r["type"] == "outcome"}
    assert len(finished) >= KILL_AFTER_OUTCOMES and len(intents) < OBJECTS, "the kill landed mid-way"
    assert report.open_intents == sorted(set(intents) - finished)
    assert 1 <= len(report.open_intents) <= CONCURRENCY, "only writes in flight are without an outcome"
    assert all(intents[seq]["method"] == "POST" and intents[seq]["action"] == "create" for seq in report.open_intents)

    # Applying again finishes the job: in-flight creates that landed are found, not made again.
    results = session.converge(max_applies=2)
    assert_exactly_the_estate(served.url, estate)
    created_again = {(r["kind"], r["name"]) for r in results[0]["changes"] if r["outcome"] == "success"}
    done_before = {(intents[s]["kind"], intents[s]["name"]) for s in finished}
    assert not created_again & done_before, "an object created before the kill was written again"

    # One chain across the kill: the next run's first record follows the killed run's last.
    records = audit_records(session.audit_log)
    resumed = records[len(killed)]
    assert resumed["type"] == "run.start" and resumed["run_id"] != killed_run
    assert (resumed["seq"], resumed["prev_hash"]) == (killed[-1]["seq"] + 1, killed[-1]["hash"])
    after = verify_audit(session)
    assert after.records == len(records)
    assert records[: len(killed)] == killed, "history is kept as it was, not rewritten"
    # issue 13: the next run settles what was in flight (appended outcome records marked "settled")
    settled = {r["intent_seq"]: r for r in records if r["type"] == "outcome" and r.get("settled")}
    assert sorted(settled) == report.open_intents
    assert after.open_intents == []
    assert after.unfinished_runs == [killed_run]
