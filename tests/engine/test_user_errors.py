"""User mistakes end in one clear message and exit 1: no traceback, no warning noise, no secret."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from resilience._support import QUICK_CLI

from ._support import REPO, SECRET, make_project


def run_cli(cwd: Path, *args: str, launcher: tuple[str, ...] = ("-m", "reconciler"),
            **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GENESYSCLOUD_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, *launcher, *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "Warning" not in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_refused_credentials_name_status_code_and_correlation_id(served_sandbox: Any, tmp_path: Path) -> None:
    server = served_sandbox()
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    result = run_cli(
        tmp_path, "plan",
        CRM_WEBHOOK_PASSWORD="not-a-real-secret",
        GENESYSCLOUD_API_URL=server.url,
        GENESYSCLOUD_OAUTHCLIENT_ID="sandbox",
        GENESYSCLOUD_OAUTHCLIENT_SECRET=SECRET,
    )
    assert_clean_failure(result)
    assert "HTTP 401 authentication.required" in result.stderr
    assert "correlation id: " in result.stderr and "correlation id: none" not in result.stderr


def test_unreachable_api_is_a_clear_error(tmp_path: Path) -> None:
    """A refused connection is retried (six attempts, backing off) and then named plainly.

    The launcher shortens the backoff to a tenth (about 1.6 s in all instead of 16 s);
    every attempt is still made.
    """
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    result = run_cli(
        tmp_path, "plan", launcher=(str(QUICK_CLI),),
        CRM_WEBHOOK_PASSWORD="not-a-real-secret",
        GENESYSCLOUD_API_URL="http://127.0.0.1:9",
        GENESYSCLOUD_OAUTHCLIENT_ID="sandbox",
        GENESYSCLOUD_OAUTHCLIENT_SECRET=SECRET,
    )
    assert_clean_failure(result)
    assert "could not connect" in result.stderr


def test_a_file_that_is_not_a_plan_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"a": 1}')
    result = run_cli(tmp_path, "apply", "bad.json", "--sandbox-db", str(tmp_path / "s.db"))
    assert_clean_failure(result)
    assert "bad.json is not a plan file" in result.stderr


def test_a_saved_plan_needing_an_unset_variable_writes_nothing(tmp_path: Path) -> None:
    """Every ${env:…} a saved plan's changes use is checked before the first write: otherwise the
    other changes are applied and the one needing the secret fails, half an apply."""
    project = make_project(tmp_path)
    project.run("plan", "--out", "saved.json")
    result = project.run("apply", "saved.json", "--auto-approve", expect=1, env={"CRM_WEBHOOK_PASSWORD": None})
    assert "CRM_WEBHOOK_PASSWORD not set" in result.output and "nothing was applied" in result.output
    assert project.live("VoiceProfile") == [] and not project.audit_log.exists()
