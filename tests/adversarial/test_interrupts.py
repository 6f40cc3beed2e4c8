"""Interrupts and a full disk mid-apply: a partial summary, run.end, exit 130/143, nothing lost.

Signals need the process boundary: the apply runs as its own process against a served
sandbox with latency (writes in flight when the signal lands). The rest runs in-process.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from resilience._estate import write_estate
from resilience._support import UNPACED, cli_env

from reconciler.app.settling import judge
from reconciler.audit.backlog import OpenIntent
from reconciler.audit.verify import verify_log

from ._harness import REPO, TIME_BOUND, TRACEBACK_MARKERS, invoke_cli, project

OBJECTS = 60


def _records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_bytes().splitlines() if line.startswith(b"{")]


def _apply_args(estate: Path, log: Path) -> list[str]:
    return ["apply", str(estate), "--auto-approve", "--target", "genesys", "--audit-log", str(log),
            "--concurrency", "4", "--requests-per-minute", UNPACED]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_apply_stops_records_and_the_next_run_finishes(
    served_sandbox: Callable[..., Any], tmp_path: Path, signum: int, code: int
) -> None:
    served = served_sandbox(latency_ms=40, rate_limit=0)
    estate = write_estate(tmp_path / "estate", OBJECTS)
    log = tmp_path / "audit.jsonl"
    env = {**cli_env(served.url), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *_apply_args(estate.root, log)], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while sum(1 for r in _records(log) if r["type"] == "outcome") < 5 if log.exists() else True:
        assert proc.poll() is None and time.monotonic() < deadline, "the apply never got going"
        time.sleep(0.01)
    started = time.monotonic()
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=TIME_BOUND)
    assert time.monotonic() - started < 15, "the stop is bounded by the grace"
    output = stdout + stderr
    assert proc.returncode == code, output
    for marker in TRACEBACK_MARKERS:
        assert marker not in output
    name = signal.Signals(signum).name
    assert f"Interrupted by {name}" in output and "not started" in output and "Aborted!" not in output
    records = _records(log)
    assert records[-1]["type"] == "run.end" and records[-1]["exit_status"] == code

    rerun = subprocess.run([sys.executable, "-m", "reconciler", *_apply_args(estate.root, log)], env=env,
                           cwd=tmp_path, capture_output=True, text=True, timeout=TIME_BOUND)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "refresh" in rerun.stdout.lower(), "the TTS refresh owed by the interrupted run is called"
    report = verify_log(log)
    assert report.open_intents == [] and report.unfinished_runs == []


def _intent(action: str, **fields: Any) -> OpenIntent:
    base: dict[str, Any] = dict(seq=3, id="i", run_id="r", kind="Webhook", name="A", object_id="1", action=action,
                                method="POST", path="/x")
    return OpenIntent(**{**base, **fields})


LIVE = {"Webhook": [{"id": "1", "name": "A", "description": "new"}]}
SETTLE_CASES = [
    (_intent("create"), LIVE, ("success", "found live after the interruption")),
    (_intent("create", name="B", object_id=None), LIVE, ("failure", "not found live")),
    (_intent("delete"), LIVE, ("failure", "still live")),
    (_intent("delete"), {"Webhook": []}, ("success", "gone live")),
    (_intent("update", changes=({"path": "description", "after": "new"},)), LIVE,
     ("success", "live holds the values sent")),
    (_intent("update", changes=({"path": "description", "after": "other"},)), LIVE,
     ("failure", "live does not hold the values sent")),
    (_intent("update", changes=({"path": "secret", "after": "(sensitive)"},)), LIVE, None),
    (_intent("hook", kind=None, name=None), LIVE, None),
    (_intent("create", kind="Unlisted"), LIVE, None),
]


@pytest.mark.parametrize(("intent", "live", "verdict"), SETTLE_CASES)
def test_settling_judges_only_what_live_state_shows(intent: OpenIntent, live: Any, verdict: Any) -> None:
    assert judge(intent, live) == verdict


@pytest.mark.timeout(TIME_BOUND)
#: records that fit before the disk is full: run.start + intent (+ outcome + intent): an outcome is what fails
@pytest.mark.parametrize("good_records", [2, 4])
def test_disk_full_mid_apply_names_unrecorded_writes_and_the_next_run_settles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, good_records: int
) -> None:
    import reconciler.audit.log as audit_log

    root = project(tmp_path)
    db = tmp_path / "db" / "sandbox.db"
    real_write = os.write
    calls = {"log": 0}

    def full_after(fd: int, data: Any) -> int:
        if bytes(data[:9]) == b'{"action"' or bytes(data[:8]) == b'{"actor"':
            calls["log"] += 1
            if calls["log"] > good_records:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(audit_log.os, "write", full_after)
    args = ["apply", "--auto-approve", "--sandbox-db", str(db), "--concurrency", "1"]
    outcome = invoke_cli(args, cwd=root)
    monkeypatch.setattr(audit_log.os, "write", real_write)
    outcome.expect(1, "no space left on device", "Written, but without an outcome record", "POST /api/v2/")
    invoke_cli(args, cwd=root).expect(0, "settled 1 write(s)")
    assert verify_log(root / ".reconciler" / "audit.jsonl").open_intents == []


@pytest.mark.timeout(TIME_BOUND)
def test_an_audit_log_on_a_full_device_refuses_before_any_write(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    root = project(tmp_path)
    db = tmp_path / "db" / "sandbox.db"
    invoke_cli(["apply", "--auto-approve", "--sandbox-db", str(db), "--audit-log", "/dev/full"], cwd=root).expect(
        1, "cannot write audit log /dev/full"
    )
    again = invoke_cli(["plan", "--sandbox-db", str(db)], cwd=root)
    assert again.returncode == 2 or "to create" in again.output, "nothing was written unaudited"
