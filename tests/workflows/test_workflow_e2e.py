"""The workflows' shell steps, in order, with the real CLI against a served sandbox.

What a merge does, locally: plan.yml (validate, plan; its plan.json is the pull request's
artifact) → apply.yml (plan, compare with the reviewed plan, apply it) → drift.yml
(drift), on a copy of this repository's ``manifests/``. A merge that is not what was
reviewed shows the new plan and is applied only by the approval job. The sandbox stands in
for Genesys Cloud through ``GENESYSCLOUD_API_URL`` on 127.0.0.1, so ``--target genesys``
takes the same HTTP path as in CI. The steps' ``reconciler`` runs this checkout's
``reconciler.cli.main`` as the console script does, each command in a process forked from
one that imported the CLI once (``_forked_cli.py``). A sentinel manifest secret must
appear nowhere.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.kinds import REGISTRY
from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

from ._forked_cli import bin_dir
from ._support import REPO, load_workflow, org_job, program, run_bash_step, run_github_script, step, uses_this_action

SENTINEL = "Wf-e2e-Sentinel-Passw0rd!"


class Runner:
    """Runs named workflow steps in one working directory, like one job's workspace."""

    def __init__(self, workdir: Path, api_url: str) -> None:
        self.workdir = workdir
        self.env = {
            # `reconciler` forks from a process that imported the CLI once (see _forked_cli.py)
            "PATH": os.pathsep.join((str(bin_dir()), str(Path(sys.executable).parent), os.environ.get("PATH", ""))),
            # this checkout's code, not whatever the shared environment has installed
            "PYTHONPATH": str(REPO),
            "ORG": "prod-eu",
            "MANIFESTS": "manifests",
            "GENESYSCLOUD_API_URL": api_url,
            "AUDIT_LOG": "reconciler-audit/audit.jsonl",
            "AUDIT_URL": "",
        }
        #: the secrets as the org's environment holds them; a step sees only those its `env:` names
        self.secrets = {
            "GENESYSCLOUD_OAUTHCLIENT_ID": DEFAULT_CLIENT_ID,
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "CRM_WEBHOOK_PASSWORD": SENTINEL,
        }
        self.transcript: list[str] = []

    def run(self, workflow: str, step_id: str, job: str | None = None,
            **env: str) -> tuple[int, dict[str, str], str]:
        """The step's bash program (action.yml's for a `uses: ./` step) with the env GitHub would give it."""
        loaded = load_workflow(workflow)
        the_job = loaded["jobs"][job] if job else org_job(loaded)
        script, action_env = program(the_job, step_id)
        found = step(the_job, step_id)
        declared = found if found in the_job["steps"] else next(s for s in the_job["steps"] if uses_this_action(s))
        secrets = {k: v for k, v in self.secrets.items() if k in declared.get("env", {})}
        proc, outputs, summary = run_bash_step(script, self.workdir, {**self.env, **secrets, **action_env, **env})
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
    shutil.copytree(REPO / ".github" / "scripts", workdir / ".github" / "scripts")
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
    comment_step = step(org_job(load_workflow("plan.yml")), "comment")
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

    keep_as_artifact(runner)

    # apply.yml after the merge: the reviewed plan is the merged one, so it is applied.
    rc, outputs, _ = runner.run("apply.yml", "plan")
    assert (rc, outputs) == (0, {"changes": "true"})
    rc, outputs, _ = runner.run("apply.yml", "compare", FOUND="true", WHY="", CHANGES="true")
    assert (rc, outputs) == (0, {"verdict": "reviewed"})
    rc, _, summary = runner.run("apply.yml", "apply", PLAN_FILE="reviewed/plan.json")
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


def keep_as_artifact(runner: Runner) -> None:
    """plan.yml's upload and apply.yml's download: the pull request's plan as reviewed.zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(runner.workdir / "plan.json", "plan.json")
    (runner.workdir / "reviewed.zip").write_bytes(buffer.getvalue())


def other_client_sets_rate(runner: Runner, name: str, rate: float) -> None:
    """Someone changes a voice profile outside the pull request (another tool, the admin UI)."""
    kind = REGISTRY["VoiceProfile"]
    with httpx.Client(base_url=runner.env["GENESYSCLOUD_API_URL"], timeout=30) as http:
        token = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        listed = http.get(kind.collection, headers=headers, params={"pageSize": 100}).json()["entities"]
        (profile,) = [p for p in listed if p["name"] == name]
        answer = http.put(kind.item_path(profile["id"]), headers=headers, json={**profile, "rate": rate})
        assert answer.status_code == 200, answer.text


def test_a_merge_that_is_not_the_reviewed_plan_waits_for_approval(runner: Runner) -> None:
    # An earlier merge applied everything; this pull request changes one speech rate.
    assert runner.run("apply.yml", "plan")[:2] == (0, {"changes": "true"})
    assert runner.run("apply.yml", "apply", PLAN_FILE="plan.json")[0] == 0
    profiles = runner.workdir / "manifests" / "voice-profiles.yaml"
    text = profiles.read_text(encoding="utf-8")
    profiles.write_text(text.replace("rate: 0.95", "rate: 0.9", 1), encoding="utf-8")
    assert runner.run("plan.yml", "plan")[:2] == (0, {"changes": "true"})
    keep_as_artifact(runner)

    # Between review and merge the reviewed object moves live.
    other_client_sets_rate(runner, "IVR Main Menu - US English", 1.2)
    assert runner.run("apply.yml", "plan")[:2] == (0, {"changes": "true"})
    rc, outputs, summary = runner.run("apply.yml", "compare", FOUND="true", WHY="", CHANGES="true")
    assert (rc, outputs) == (0, {"verdict": "diverged", "diverged": "true"})
    divergence = (runner.workdir / "divergence.md").read_text(encoding="utf-8")
    assert "IVR Main Menu - US English" in divergence and "not in the reviewed plan" in divergence
    assert "waiting for approval" in summary
    # `apply` is skipped (its `if:` wants the verdict "reviewed"); the new plan is shown.
    diverged = step(org_job(load_workflow("apply.yml")), "diverged")
    proc = run_github_script(
        diverged["with"]["script"], runner.workdir,
        {"ORG": "prod-eu", "PR": "7", "PLAN_MD": "plan.md", "DIVERGENCE_MD": "divergence.md"}, {"sha": "ab" * 20},
    )
    assert proc.returncode == 0, proc.stderr
    (comment,) = [c["params"]["body"] for c in json.loads(proc.stdout)["calls"]]
    assert "IVR Main Menu - US English" in comment and "prod-eu-approval" in comment
    runner.transcript.append(comment)

    # Once approved, the approval job applies the plan that was shown.
    merged = runner.workdir / "merged"
    merged.mkdir()
    shutil.copy(runner.workdir / "plan.json", merged / "plan.json")
    shutil.copy(runner.workdir / "verdict.txt", merged / "verdict.txt")
    assert runner.run("apply.yml", "verdict", job="approved")[:2] == (0, {"awaits": "true"})
    rc, _, _ = runner.run("apply.yml", "apply", job="approved")  # its plan-file: merged/plan.json
    assert rc == 0, runner.transcript[-3:]
    assert runner.run("apply.yml", "plan")[:2] == (0, {"changes": "false"})
    runner.assert_no_secret_anywhere()


def test_drift_is_reported_when_live_and_manifests_differ(runner: Runner) -> None:
    assert runner.run("apply.yml", "plan")[:2] == (0, {"changes": "true"})
    assert runner.run("apply.yml", "apply", PLAN_FILE="plan.json")[0] == 0
    profiles = runner.workdir / "manifests" / "voice-profiles.yaml"
    text = profiles.read_text(encoding="utf-8")
    assert "rate: 1.05" in text
    profiles.write_text(text.replace("rate: 1.05", "rate: 1.1", 1), encoding="utf-8")

    rc, outputs, summary = runner.run("drift.yml", "drift")
    assert (rc, outputs) == (0, {"drifted": "true"})
    assert "IVR Main Menu - US English" in summary
    runner.assert_no_secret_anywhere()


def test_missing_credentials_fail_the_plan_instead_of_using_the_sandbox(runner: Runner) -> None:
    del runner.secrets["GENESYSCLOUD_OAUTHCLIENT_ID"]
    rc, outputs, _ = runner.run("plan.yml", "plan")
    assert rc == 1 and outputs == {}
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in runner.transcript[-2]  # stderr names what is missing
