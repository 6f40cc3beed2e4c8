"""Exit codes as Terraform's: 0 success, 1 any error (usage errors too), 2 only changes or drift.

CI reads 2 as "changes present" or "drift": a typo in a workflow's options must not look like one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--bogus"],
        ["drift", "--format", "yaml"],
        ["nope"],
        ["sandbox", "serve", "--port", "x"],
        ["apply", "--concurrency", "0"],
        ["audit", "verify", "a", "b"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_1_with_clicks_message(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and "Try '" in result.output
    assert "Traceback" not in result.output


def test_help_and_version_exit_0() -> None:
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0
    assert CliRunner().invoke(main, ["plan", "--help"]).exit_code == 0
    assert CliRunner().invoke(main, ["--version"]).exit_code == 0


def test_plan_detailed_exitcode_is_2_only_with_changes(tmp_path: Path) -> None:
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "v.yaml").write_text(VOICE, encoding="utf-8")
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    plan = ["plan", str(manifests), "--target", "sandbox", "--sandbox-db", db, "--detailed-exitcode"]
    assert runner.invoke(main, plan).exit_code == 2
    assert runner.invoke(main, ["plan", str(manifests), "--target", "sandbox", "--sandbox-db", db]).exit_code == 0
    applied = runner.invoke(main, ["apply", str(manifests), "--target", "sandbox", "--sandbox-db", db,
                                   "--auto-approve", "--audit-log", str(tmp_path / "a.jsonl")])
    assert applied.exit_code == 0, applied.output
    assert runner.invoke(main, plan).exit_code == 0
    drift = runner.invoke(main, ["drift", str(manifests), "--target", "sandbox", "--sandbox-db", db])
    assert drift.exit_code == 0, drift.output


def test_keyboard_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import reconciler.manifests as manifests

    def interrupted(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(manifests, "load_manifests", interrupted)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 130
    assert "Traceback" not in result.output


VOICE = """\
apiVersion: reconciler/v1
kind: VoiceProfile
metadata:
  name: exit-codes
spec:
  language: en-US
  voice: polly-Joanna
  engine: amazon_polly
"""
