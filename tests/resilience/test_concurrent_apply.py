"""The same saved plan applied twice at once: each change is applied by exactly one of the two.

Two ``reconciler apply plan.json`` processes start together (or the second one once the
first is writing) against one served sandbox and one audit log. Whatever the
interleaving, every change succeeds in exactly one process; the other refuses it as
stale (the object appeared, or moved, since the plan) or skips it because something
it depends on was refused so. Nothing fails, nothing is created twice, and the shared
audit log is one intact chain.
"""

from __future__ import annotations

import json
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

OBJECTS = 150


def _start_apply(session: Session, plan_file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        reconciler_command("apply", str(plan_file), "--format", "json", "--target", "genesys",
                           "--audit-log", str(session.audit_log), *session.client_args),
        env=session.env, cwd=session.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _result(proc: subprocess.Popen[str]) -> tuple[int, dict[str, Any]]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 1), err[-2000:]
    return proc.returncode, json.loads(out)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("stagger", ["together", "second-starts-mid-apply"])
def test_one_saved_plan_applied_twice_at_once_applies_each_change_once(
    stagger: str, served_sandbox: Callable[..., Any], tmp_path: Path
) -> None:
    served = served_sandbox(latency_ms=20, rate_limit=0)
    estate = write_estate(tmp_path / "estate", OBJECTS)
    session = Session(url=served.url, estate=estate, cwd=tmp_path, env=cli_env(served.url),
                      client_args=("--requests-per-minute", UNPACED))
    plan_file = tmp_path / "plan.json"
    planned = session.cli("plan", str(estate.root), "--out", str(plan_file), "--target", "genesys")
    assert planned.returncode == 0, planned.stderr

    first = _start_apply(session, plan_file)
    if stagger == "second-starts-mid-apply":
        deadline = time.monotonic() + 60
        while not session.audit_log.exists() or b'"type":"outcome"' not in session.audit_log.read_bytes():
            assert time.monotonic() < deadline and first.poll() is None, "the first apply never started writing"
            time.sleep(0.005)
    second = _start_apply(session, plan_file)
    (code_a, a), (code_b, b) = _result(first), _result(second)

    outcomes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for result in (a, b):
        for change in result["changes"]:
            outcomes.setdefault((change["kind"], change["name"]), []).append(change)
    assert len(outcomes) == OBJECTS
    for address, pair in outcomes.items():
        assert sorted(c["outcome"] for c in pair) in (["stale", "success"], ["skipped", "success"]), (address, pair)
        loser = next(c for c in pair if c["outcome"] != "success")
        if loser["outcome"] == "skipped":
            assert "which is stale" in loser["error"], loser
    assert a["counts"]["failed"] == b["counts"]["failed"] == 0
    assert {code_a, code_b} <= {0, 1} and (code_a, code_b) != (0, 0), "a refused change makes its apply exit 1"

    assert_exactly_the_estate(served.url, estate)
    assert session.plan_exit() == 0
    report = verify_audit(session)
    assert report.open_intents == [] and report.unfinished_runs == []
    runs = {r["run_id"] for r in audit_records(session.audit_log) if r["type"] == "run.start"}
    assert len(runs) == 2
