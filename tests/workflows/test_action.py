"""The reusable action (``action.yml``) and the pre-commit hook: their scripts do what the docs say.

The ``run`` step executes under bash as GitHub runs it, with a fake ``reconciler``
(``_support.run_step_script``); the github-script steps are the workflows' scripts, tested there.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ._support import REPO, run_step_script

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def action_step(step_id: str) -> dict[str, Any]:
    (found,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == step_id]
    return found


def env_for(command: str, **extra: str) -> dict[str, str]:
    return {"COMMAND": command, "MANIFESTS": "manifests", "ORG": "prod-eu", "TARGET": "genesys",
            "FORMAT": "markdown", "AUDIT_LOG": "reconciler-audit/audit.jsonl", "PLAN_FILE": "", **extra}


def test_is_a_composite_action_with_the_documented_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"command", "manifests", "org", "target", "format", "version"} <= set(ACTION["inputs"])
    assert ACTION["inputs"]["command"]["required"] is True
    for s in ACTION["runs"]["steps"]:
        if "run" in s:
            assert s["shell"] == "bash"
            assert "${{" not in s["run"], "inputs reach scripts through env, never as expressions"


def test_installs_the_pinned_release_by_its_distribution_name() -> None:
    install = next(s for s in ACTION["runs"]["steps"] if s.get("name") == "Install reconciler")
    assert '"genesyscloud-reconciler==$VERSION"' in install["run"]


@pytest.mark.parametrize(("rc", "changes"), [(0, "false"), (2, "true")])
def test_plan_records_whether_anything_changes_and_writes_the_summary(rc: int, changes: str, tmp_path: Path) -> None:
    proc, calls, outputs, summary = run_step_script(action_step("run")["run"], tmp_path, env_for("plan"), rc)
    assert proc.returncode == 0, proc.stderr
    assert outputs == {"changes": changes}
    assert calls == [["plan", "manifests", "--target", "genesys", "--out", "plan.json", "--format", "markdown",
                      "--detailed-exitcode"]]
    assert "fake plan report" in summary


def test_apply_applies_the_saved_plan_only_when_it_has_changes(tmp_path: Path) -> None:
    proc, calls, _, summary = run_step_script(action_step("run")["run"], tmp_path, env_for("apply"), 2)
    # the fake exits 2 for apply too: an apply exiting non-zero fails the step, after reporting
    assert proc.returncode == 1
    assert calls[1] == ["apply", "plan.json", "--target", "genesys", "--auto-approve", "--audit-log",
                        "reconciler-audit/audit.jsonl", "--format", "markdown"]
    assert "fake apply report" in summary
    assert "::error title=reconciler apply failed::org prod-eu: exit code 2" in proc.stdout
    proc, calls, _, _ = run_step_script(action_step("run")["run"], tmp_path, env_for("apply"), 0)
    assert proc.returncode == 0 and [c[0] for c in calls] == ["plan"]


@pytest.mark.parametrize(("rc", "drifted"), [(0, "false"), (2, "true")])
def test_drift_records_whether_the_org_drifted(rc: int, drifted: str, tmp_path: Path) -> None:
    proc, calls, outputs, summary = run_step_script(action_step("run")["run"], tmp_path, env_for("drift"), rc)
    assert proc.returncode == 0, proc.stderr
    assert outputs == {"drifted": drifted}
    assert calls == [["drift", "manifests", "--target", "genesys", "--format", "markdown"]]


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_an_error_exit_fails_the_step(command: str, tmp_path: Path) -> None:
    proc, _, outputs, _ = run_step_script(action_step("run")["run"], tmp_path, env_for(command), 1)
    assert proc.returncode == 1 and outputs == {}
    assert f"::error title=reconciler {command} failed::org prod-eu: exit code 1" in proc.stdout


def test_an_unknown_command_fails(tmp_path: Path) -> None:
    proc, calls, _, _ = run_step_script(action_step("run")["run"], tmp_path, env_for("destroy"), 0)
    assert proc.returncode == 1 and calls == []


def test_the_workflows_run_the_action_and_hold_no_copy_of_its_scripts() -> None:
    """One behaviour for this repository and its consumers: plan, apply and drift go through `uses: ./`."""
    commands = set()
    for workflow in ("plan.yml", "apply.yml", "drift.yml"):
        data = yaml.safe_load((REPO / ".github" / "workflows" / workflow).read_text(encoding="utf-8"))
        for job in data["jobs"].values():
            for s in job["steps"]:
                if s.get("uses") == "./":
                    commands.add(s["with"]["command"])
                script = str(s.get("run", "")) + str(s.get("with", {}).get("script", ""))
                for marker in ("reconciler-plan:${org}", "reconciler-drift:${org}", "reconciler plan ",
                               "reconciler apply ", "reconciler drift ", "reconciler validate "):
                    assert marker not in script, (workflow, s.get("name"), marker)
    assert commands == {"plan", "apply", "drift"}


def test_apply_with_a_plan_file_applies_it_as_it_is_without_planning(tmp_path: Path) -> None:
    env = env_for("apply", PLAN_FILE="reviewed/plan.json", AUDIT_URL="https://audit.example.test/x")
    proc, calls, outputs, summary = run_step_script(action_step("run")["run"], tmp_path, env, 0)
    assert proc.returncode == 0, proc.stderr
    assert calls == [["apply", "reviewed/plan.json", "--target", "genesys", "--auto-approve", "--audit-log",
                      "reconciler-audit/audit.jsonl", "--format", "markdown", "--audit-url",
                      "https://audit.example.test/x"]]
    assert outputs == {} and "fake apply report" in summary
    assert action_step("validate")["if"] == "inputs.command != 'drift' && inputs.plan-file == ''"


def test_plan_ignores_a_plan_file(tmp_path: Path) -> None:
    proc, calls, _, _ = run_step_script(action_step("run")["run"], tmp_path, env_for("plan", PLAN_FILE="x.json"), 0)
    assert proc.returncode == 0 and [c[0] for c in calls] == ["plan"]


def test_run_steps_are_valid_bash(tmp_path: Path) -> None:
    for index, s in enumerate(ACTION["runs"]["steps"]):
        if "run" in s:
            path = tmp_path / f"step{index}.sh"
            path.write_text(s["run"], encoding="utf-8")
            proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
            assert proc.returncode == 0, f"{proc.stderr}\n{s['run']}"


def test_the_pre_commit_hook_runs_validate() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "reconciler-validate"
    assert hook["entry"] == "reconciler validate" and hook["language"] == "python"
