"""The confirmation prompt of ``apply``: "no" cancels with exit 1, Ctrl-C is an interrupt (130).

The prompt only appears on a terminal, so each case runs the CLI in its own process on a
pseudo-terminal against the embedded sandbox, and the sandbox is read afterwards to show
that nothing was applied.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROMPT = b"Apply these changes? [y/N]: "


def _run_on_a_terminal(tmp_path: Path, answer: bytes | None) -> tuple[int, str]:
    """``reconciler apply`` of the example manifests, ``answer`` typed at the prompt; exit code and output.

    ``None`` presses Ctrl-C instead: the terminal would send SIGINT, so the test sends it.
    """
    project = tmp_path / "project"
    shutil.copytree(REPO / "manifests", project / "manifests")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "NO_COLOR": "1", "PYTHONPATH": str(REPO),
           "CRM_WEBHOOK_PASSWORD": "prompt-test-password"}
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply"], cwd=project, env=env,
                            stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    output = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        # Read until the terminal closes (EIO once the process has exited and its output is
        # drained), never until it merely looks idle: under load the last line comes late.
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: every process holding the terminal has closed it
                break
            if not chunk:
                break
            output += chunk
            if not answered and PROMPT in output:
                if answer is None:
                    proc.send_signal(signal.SIGINT)
                else:
                    os.write(controller, answer)
                answered = True
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    assert answered, output.decode(errors="replace")
    return code, output.decode(errors="replace")


def _applied(tmp_path: Path) -> str:
    """What a plan of the same manifests says now: the sandbox kept whatever was applied."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "NO_COLOR": "1", "PYTHONPATH": str(REPO),
           "CRM_WEBHOOK_PASSWORD": "prompt-test-password"}
    done = subprocess.run([sys.executable, "-m", "reconciler", "plan", "--detailed-exitcode"], cwd=tmp_path / "project",
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr  # 2: changes pending, so nothing was applied
    return done.stdout


@pytest.mark.timeout(120)
def test_answering_no_cancels_with_exit_1_and_applies_nothing(tmp_path: Path) -> None:
    code, output = _run_on_a_terminal(tmp_path, b"n\r")
    assert code == 1, output
    assert "apply cancelled: nothing was applied" in output
    assert "Aborted!" not in output and "Traceback" not in output
    assert "create" in _applied(tmp_path)


@pytest.mark.timeout(120)
def test_ctrl_c_at_the_prompt_is_an_interrupt(tmp_path: Path) -> None:
    code, output = _run_on_a_terminal(tmp_path, None)
    assert code == 130, output
    assert "interrupted" in output
    assert "Aborted!" not in output and "Traceback" not in output
    assert "create" in _applied(tmp_path)
