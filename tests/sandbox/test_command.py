"""``reconciler sandbox serve``: its flags become SandboxOptions; bad ones are refused."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.sandbox import SandboxOptions


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def fake_run(options: SandboxOptions, host: str, port: int, log_level: str) -> None:
        seen.update(options=options, host=host, port=port, log_level=log_level)

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
