"""Output that cannot be written: one ``error:`` line and exit 1, and an apply that goes on.

``plan > plan.txt`` on a full disk ended in an ``OSError`` traceback (click quiets only a
closed pipe), and a progress line that stderr could not take (``2>&1 | head``, a dead
``tee``, a full log disk) raised out of apply's executor: the apply stopped half-way, a
write's outcome and the run's end unrecorded.
"""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.audit.verify import verify_log
from reconciler.cli import progress as progress_module
from reconciler.cli.progress import Progress
from tests.adversarial._harness import REPO, TIME_BOUND, TRACEBACK_MARKERS, invoke_cli, project

pytestmark = pytest.mark.timeout(TIME_BOUND)

FULL = Path("/dev/full")  # every write fails with ENOSPC, as on a full disk


@pytest.mark.parametrize("args", [["validate"], ["plan", "--format", "json"], ["--version"]],
                         ids=["validate", "plan-json", "version"])
def test_output_into_a_full_device_is_one_error_line(tmp_path: Path, args: list[str]) -> None:
    root = project(tmp_path)
    with FULL.open("w") as full:
        done = subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=root, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=TIME_BOUND,
                              env={"PYTHONPATH": str(REPO), "CRM_WEBHOOK_PASSWORD": "change-me", "PATH": ""})
    assert done.returncode == 1, done.stderr
    assert done.stderr.endswith("error: cannot write the output: no space left on device\n"), done.stderr
    assert not any(marker in done.stderr for marker in TRACEBACK_MARKERS), done.stderr


def test_progress_falls_silent_when_stderr_breaks() -> None:
    written: list[str] = []

    def write(text: str) -> None:
        if written:
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")
        written.append(text)

    progress = Progress("applied", 3, "lines", interval=0.0, clock=lambda: 1.0, write=write)
    progress.start()
    for _ in range(3):
        progress.advance()
    assert (written, progress.mode, progress.done) == (["applied 1/3 (33%) · 0 writes/min\n"], "quiet", 3)


def test_an_apply_whose_progress_cannot_be_written_finishes_and_records_every_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def new_progress(verb: str, total: int | None, unit: str) -> Progress:
        made = Progress(verb, total, "lines", unit=unit, interval=0.0, write=broken)
        made.start()
        return made

    monkeypatch.setattr(progress_module, "new_progress", new_progress)
    root = project(tmp_path)
    # the fake server keeps the secret it is sent: its database lies outside the project the checks read
    invoke_cli(["apply", "--auto-approve", "--sandbox-db", str(tmp_path / "sandbox.db")], cwd=root).expect(
        0, "Apply: 8 succeeded, 0 failed")
    report = verify_log(root / ".reconciler" / "audit.jsonl")  # raises on a broken chain
    assert (report.runs, report.open_intents, report.unfinished_runs) == (1, [], []), report.summary()


def test_a_retry_notice_that_stderr_refuses_is_dropped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The notice is said from inside the client's retry of a request: raising there failed the write."""
    import click

    from reconciler.cli.options import run_options

    made = run_options({"target": "sandbox", "region": None, "api_url": None, "client_id": None,
                        "sandbox_db": str(tmp_path / "sandbox.db"), "requests_per_minute": None})

    def broken(*_args: object, **_kwargs: object) -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(click, "echo", broken)
    assert made.notice is not None
    made.notice("could not connect to http://127.0.0.1:1: retrying (attempt 2 of 6)…")  # no exception


def _run_with_closed(fd: int, root: Path, args: list[str], log: Path) -> subprocess.CompletedProcess[str]:
    """``reconciler ARGS`` started with descriptor ``fd`` closed (``<&-``, ``>&-``, ``2>&-``); stderr into ``log``."""
    script = f"exec {fd}>&-; exec {sys.executable} -m reconciler \"$@\""
    with log.open("w") as err:
        return subprocess.run(["/bin/sh", "-c", script, "sh", *args], cwd=root, text=True, timeout=TIME_BOUND,
                              stdout=subprocess.DEVNULL if fd == 2 else None, stderr=err if fd != 2 else None,
                              env={"PYTHONPATH": str(REPO), "CRM_WEBHOOK_PASSWORD": "change-me", "PATH": ""})


@pytest.mark.parametrize("args", [["validate", "--format", "sarif"], ["plan", "--format", "json"]],
                         ids=["validate", "plan"])
def test_a_closed_stdout_is_one_error_line(tmp_path: Path, args: list[str]) -> None:
    """``>&-``: plan's colour check raised AttributeError (sys.stdout is None); validate lost its log and exited 0."""
    root = project(tmp_path)
    done = _run_with_closed(1, root, args, tmp_path / "err.txt")
    stderr = (tmp_path / "err.txt").read_text(encoding="utf-8")
    assert done.returncode == 1, stderr
    assert stderr == "error: cannot write the output: standard output is closed\n", stderr


def test_a_closed_stderr_or_stdin_is_the_null_device(tmp_path: Path) -> None:
    """``2>&-`` or ``<&-``: the progress line's terminal check and apply's ``sys.stdin.isatty()`` raised AttributeError."""
    root = project(tmp_path)
    quiet = _run_with_closed(2, root, ["plan", "--detailed-exitcode"], tmp_path / "unused.txt")
    assert quiet.returncode == 2  # the plan was made: the manifests' creates
    refused = _run_with_closed(0, root, ["apply"], tmp_path / "err.txt")
    stderr = (tmp_path / "err.txt").read_text(encoding="utf-8")
    assert refused.returncode == 1, stderr
    assert stderr.endswith("error: no terminal to confirm on: pass --auto-approve to apply without asking\n"), stderr
