"""``reconciler sandbox serve``: its flags become SandboxOptions; bad ones are refused."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.sandbox import SandboxOptions

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def fake_run(options: SandboxOptions, host: str, port: int, log_level: str,
                 on_listening: Callable[[str], None] | None = None) -> None:
        seen.update(options=options, host=host, port=port, log_level=log_level)
        if on_listening is not None:
            on_listening(f"http://{host}:{port}")

    monkeypatch.setattr("reconciler.sandbox.server.run", fake_run)
    return seen


def test_defaults(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["sandbox", "serve"])
    assert result.exit_code == 0, result.output
    assert (captured["host"], captured["port"]) == ("127.0.0.1", 8765)
    assert captured["options"] == SandboxOptions()


def test_every_flag_reaches_the_options(captured: dict[str, Any], tmp_path) -> None:
    db = str(tmp_path / "s.db")
    args = ["sandbox", "serve", "--host", "127.0.0.1", "--port", "9999", "--db", db, "--client-id", "ci",
            "--client-secret", "cs", "--latency-ms", "20", "--rate-limit", "60", "--fail-rate", "0.1",
            "--drop-rate", "0.2", "--token-ttl", "30", "--seed", "7", "--log-level", "warning"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert captured["port"] == 9999 and captured["log_level"] == "warning"
    assert captured["options"] == SandboxOptions(
        db_path=db, client_id="ci", client_secret="cs", latency_ms=20, rate_limit=60,
        fail_rate=0.1, drop_rate=0.2, token_ttl=30, seed=7,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-rate", "1.5"], "--fail-rate"),
        (["--drop-rate", "-0.1"], "--drop-rate"),
        (["--port", "70000"], "--port"),
        (["--token-ttl", "0"], "--token-ttl"),
        (["--fail-rate", "0.6", "--drop-rate", "0.6"], "must not exceed 1"),
    ],
)
def test_bad_flags_exit_with_a_message_not_a_traceback(captured: dict[str, Any], args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["sandbox", "serve", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not captured


def test_the_state_file_option_is_sandbox_db_as_on_every_other_command(captured: dict[str, Any], tmp_path) -> None:
    db = str(tmp_path / "s.db")
    result = CliRunner().invoke(main, ["sandbox", "serve", "--sandbox-db", db])
    assert result.exit_code == 0, result.output
    assert captured["options"].db_path == db
    shown = CliRunner().invoke(main, ["sandbox", "serve", "--help"]).output
    assert "--sandbox-db" in shown and "--db " not in shown


def test_an_address_in_use_is_one_error_line(tmp_path: Path) -> None:
    """Not uvicorn's log record: the address, the reason, exit 1."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            main, ["sandbox", "serve", "--port", str(port), "--sandbox-db", str(tmp_path / "s.db")]
        )
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == f"error: cannot listen on 127.0.0.1:{port}: address already in use"
    assert "Traceback" not in result.output


def test_port_0_serves_on_a_free_port_and_the_banner_names_it(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", "0", "--sandbox-db", str(tmp_path / "s.db"),
         "--log-level", "warning"],
        stderr=subprocess.PIPE, text=True, env=env,
    ) as served:
        try:
            assert served.stderr is not None
            banner = served.stderr.readline()
            found = re.match(r"sandbox: http://127\.0\.0\.1:(\d+) \(state in ", banner)
            assert found and int(found.group(1)) > 0, banner
            answer = httpx.get(f"http://127.0.0.1:{found.group(1)}/__sandbox__/stats", timeout=10)
            assert answer.status_code == 200
        finally:
            served.terminate()
            served.wait(timeout=10)
