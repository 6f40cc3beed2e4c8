"""``reconciler validate``: exit 0 on the examples, 1 on errors, default path, no network."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "manifests"
ENV = {"CRM_WEBHOOK_PASSWORD": "cli-test-password"}


def test_examples_are_valid() -> None:
    result = CliRunner().invoke(main, ["validate", str(EXAMPLES)], env=ENV)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "8 objects in 3 files are valid"


def test_default_path_is_manifests_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "manifests")
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["validate"], env=ENV).exit_code == 0
    shutil.rmtree(tmp_path / "manifests")
    result = CliRunner().invoke(main, ["validate"], env=ENV)
    assert result.exit_code == 1
    assert "manifests: no such file or directory" in result.output


def test_files_and_directories_mix(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["validate", str(EXAMPLES / "speech-rules.yaml"), str(EXAMPLES / "webhooks.yaml")], env=ENV
    )
    assert result.exit_code == 0, result.output
    assert "5 objects in 2 files" in result.output


def test_validate_opens_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("validate tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert CliRunner().invoke(main, ["validate", str(EXAMPLES)], env=ENV).exit_code == 0


def test_real_process_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, **ENV}
    ok = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(EXAMPLES)], env=env, capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "webhooks.yaml").read_text().replace("https://crm", "http://crm"))
    env.pop("CRM_WEBHOOK_PASSWORD")
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "--check-env", str(bad)], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    # alone, the file's references to the speech rule dangle too
    assert "error: 4 errors in manifests" in proc.stderr
    assert "bad.yaml:11:15: spec.requestUrl:" in proc.stderr
    assert "bad.yaml:14:15: spec.eventFilters[0].filter: dangling reference" in proc.stderr
    assert "bad.yaml:16:15: spec.eventFilters[1].filter: dangling reference" in proc.stderr
    assert "bad.yaml:19:15: spec.authSecret: environment variable CRM_WEBHOOK_PASSWORD is not set" in proc.stderr


def test_webhook_username_outside_basic_is_valid(tmp_path: Path) -> None:
    """The contract requires authUsername for basic and forbids it for no scheme: a live webhook of
    another scheme may carry one, and its exported manifest must validate."""
    (tmp_path / "w.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: Bearer with a username\nspec:\n"
        "  requestUrl: https://example.com/h\n  eventFilters: [{event: rules.updated}]\n"
        "  authScheme: bearer\n  authUsername: svc\n  authSecret: ${env:WEBHOOK_TOKEN}\n"
        "---\napiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: None with a username\nspec:\n"
        "  requestUrl: https://example.com/h\n  eventFilters: [{event: rules.updated}]\n  authUsername: svc\n"
    )
    result = CliRunner().invoke(main, ["validate", str(tmp_path)], env={"WEBHOOK_TOKEN": "bearer-token"})
    assert result.exit_code == 0, result.output
