"""The workflows' shell steps, in order, with the real CLI against a served sandbox.

What a merge does, locally: plan.yml (validate, plan) → apply.yml (plan, apply) →
drift.yml (drift), on a copy of this repository's ``manifests/``. The sandbox stands in
for Genesys Cloud through ``GENESYSCLOUD_API_URL`` on 127.0.0.1, so ``--target genesys``
takes the same HTTP path as in CI. A sentinel manifest secret must appear nowhere.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

from ._support import REPO, load_workflow, only_job, run_bash_step, run_github_script, step

SENTINEL = "Wf-e2e-Sentinel-Passw0rd!"


class Runner:
    """Runs named workflow steps in one working directory, like one job's workspace."""

    def __init__(self, workdir: Path, api_url: str) -> None:
        self.workdir = workdir
        self.env = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "ORG": "prod-eu",
            "MANIFESTS": "manifests",
            "GENESYSCLOUD_API_URL": api_url,
            "GENESYSCLOUD_OAUTHCLIENT_ID": DEFAULT_CLIENT_ID,
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "CRM_WEBHOOK_PASSWORD": SENTINEL,
            "AUDIT_LOG": "reconciler-audit/audit.jsonl",
            "AUDIT_URL": "",
        }
        self.transcript: list[str] = []

    def run(self, workflow: str, step_id: str) -> tuple[int, dict[str, str], str]:
        script = step(only_job(load_workflow(workflow)), step_id)["run"]
        proc, outputs, summary = run_bash_step(script, self.workdir, self.env)
        self.transcript += [proc.stdout, proc.stderr, summary]
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.returncode, outputs, summary

    def assert_no_secret_anywhere(self) -> None:
        for text in self.transcript:
            assert SENTINEL not in text
        for path in self.workdir.rglob("*"):
            if path.is_file() and path.suffix != ".db":
                assert SENTINEL not in path.read_text(encoding="utf-8", errors="replace"), path


@pytest.fixture
def runner(tmp_path: Path, served_sandbox: Callable[..., Any]) -> Runner:
    workdir = tmp_path / "workspace"
    shutil.copytree(REPO / "manifests", workdir / "manifests")
    return Runner(workdir, served_sandbox().url)


def test_pull_request_merge_and_drift_cycle(runner: Runner) -> None:
    # plan.yml on the pull request.
    rc, _, _ = runner.run("plan.yml", "validate")
    assert rc == 0
    assert "valid" in (runner.workdir / "validate.log").read_text(encoding="utf-8")
    rc, outputs, summary = runner.run("plan.yml", "plan")
    assert (rc, outputs) == (0, {"changes": "true"})
    assert (runner.workdir / "plan.json").is_file()
    plan_md = (runner.workdir / "plan.md").read_text(encoding="utf-8")
    assert summary == plan_md != ""
    comment_step = step(only_job(load_workflow("plan.yml")), "comment")
    proc = run_github_script(
        comment_step["with"]["script"], runner.workdir,
        {"ORG": "prod-eu", "VALIDATE_OUTCOME": "success", "PLAN_OUTCOME": "success",
         "PLAN_CHANGES": "true", "VALIDATE_LOG": "validate.log", "PLAN_MD": "plan.md"},
        {"payload": {"pull_request": {"number": 7, "head": {"sha": "abcdef0123"}}}},
    )
    assert proc.returncode == 0, proc.stderr
    (created,) = [c["params"] for c in json.loads(proc.stdout)["calls"]
                  if c["method"] == "issues.createComment"]
    assert plan_md.strip() in created["body"]
    runner.transcript.append(created["body"])

    # apply.yml after the merge.
    rc, outputs, _ = runner.run("apply.yml", "plan")
    assert (rc, outputs) == (0, {"changes": "true"})
    rc, _, summary = runner.run("apply.yml", "apply")
    assert rc == 0, runner.transcript[-2:]
    assert summary.strip()
    audit = (runner.workdir / "reconciler-audit" / "audit.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in audit.splitlines() if line.strip()]
    assert records, "apply wrote no audit records"

    # The next plan and the drift check find nothing to do.
    rc, outputs, _ = runner.run("apply.yml", "plan")
    assert (rc, outputs) == (0, {"changes": "false"})
    rc, outputs, _ = runner.run("drift.yml", "drift")
    assert (rc, outputs) == (0, {"drifted": "false"})

    runner.assert_no_secret_anywhere()


def test_drift_is_reported_when_live_and_manifests_differ(runner: Runner) -> None:
    assert runner.run("apply.yml", "plan")[:2] == (0, {"changes": "true"})
    assert runner.run("apply.yml", "apply")[0] == 0
    profiles = runner.workdir / "manifests" / "voice-profiles.yaml"
    text = profiles.read_text(encoding="utf-8")
    assert "rate: 1.05" in text
    profiles.write_text(text.replace("rate: 1.05", "rate: 1.1", 1), encoding="utf-8")

    rc, outputs, summary = runner.run("drift.yml", "drift")
    assert (rc, outputs) == (0, {"drifted": "true"})
    assert "IVR Main Menu - US English" in summary
    runner.assert_no_secret_anywhere()


def test_missing_credentials_fail_the_plan_instead_of_using_the_sandbox(runner: Runner) -> None:
    del runner.env["GENESYSCLOUD_OAUTHCLIENT_ID"]
    rc, outputs, _ = runner.run("plan.yml", "plan")
    assert rc == 1 and outputs == {}
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in runner.transcript[-2]  # stderr names what is missing
