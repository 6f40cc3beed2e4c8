"""An org that only has the platform kinds' endpoints, as a real Genesys Cloud org does.

A served sandbox and an OAuth client holding only the platform kinds' permissions: the seed
contract's collections answer ``403`` to it, as a real org's missing endpoints answer
``404``. Manifests of the platform kinds alone must plan, apply, drift and export
there; a declared kind the target cannot read must still fail loudly.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.kinds import PLATFORM_KINDS

from ._support import REPO, Project, make_project

CLIENT_ID, CLIENT_SECRET = "platform-only", "platform-only-secret"


@pytest.fixture
def org(served_sandbox) -> Any:
    sandbox = served_sandbox(rate_limit=0)
    permissions = sorted({p for kind in PLATFORM_KINDS for p in kind.all_permissions()})
    registered = httpx.post(f"{sandbox.url}/__sandbox__/clients",
                            json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "permissions": permissions})
    assert registered.status_code == 201
    return sandbox


def run(project: Project, sandbox: Any, *args: str, expect: int | None = 0) -> Result:
    env = {"GENESYSCLOUD_API_URL": sandbox.url, "GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID,
           "GENESYSCLOUD_OAUTHCLIENT_SECRET": CLIENT_SECRET}
    extra = ["--target", "genesys"] + (["--audit-log", str(project.audit_log)] if args[0] == "apply" else [])
    with contextlib.chdir(project.root):
        result = CliRunner().invoke(main, [*args, *extra], env=env, catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, result.output
    return result


def test_platform_manifests_plan_apply_and_drift_where_seed_kinds_are_unreadable(tmp_path: Path, org: Any) -> None:
    project = make_project(tmp_path)
    planned = run(project, org, "plan")
    for kind in ("VoiceProfile", "SpeechRule", "Webhook"):
        assert f"{kind} was not read (HTTP 403 missing.any.permissions)" in planned.stdout
    assert "Plan: 4 to create, 1 to update, 0 to delete, 0 unchanged." in planned.stdout
    run(project, org, "apply", "--auto-approve")
    assert "No changes" in run(project, org, "plan", "--detailed-exitcode").stdout
    assert "No drift" in run(project, org, "drift").stdout


def test_export_of_every_kind_skips_the_unreadable_ones_and_a_named_one_fails(tmp_path: Path, org: Any) -> None:
    project = make_project(tmp_path)
    run(project, org, "apply", "--auto-approve")
    exported = run(project, org, "export", "--out", "adopted")
    assert "Exported 5 objects" in exported.stdout
    assert "warning: Webhook was not read (HTTP 403 missing.any.permissions)" in exported.stderr
    refused = run(project, org, "export", "--out", "hooks", "--kind", "Webhook", expect=1)
    assert "403" in refused.stderr and "missing.any.permissions" in refused.stderr


def test_a_declared_kind_the_target_cannot_read_is_an_error(tmp_path: Path, org: Any) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "voice.yaml").write_text((REPO / "manifests" / "voice-profiles.yaml").read_text())
    result = run(Project(tmp_path), org, "plan", expect=1)
    assert "error:" in result.stderr and "403" in result.stderr and "/api/v2/voice/profiles" in result.stderr
