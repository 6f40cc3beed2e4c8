"""The programs embedded in the workflows behave as promised when run.

``run:`` scripts execute under bash exactly as GitHub runs them, with a fake
``reconciler`` that exits with a chosen code; ``actions/github-script`` scripts execute
under Node with a recording fake of the GitHub REST API (``github_script_harness.cjs``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.plan.model import Action, Plan, ResourceChange
from reconciler.render import render_plan

from ._support import load_workflow, org_job, program, run_github_script, run_step_script, step

GITHUB_LIMIT = 65_536  # characters of a comment or issue body GitHub accepts
SENTINEL = "s3cr3t-sentinel-value"
SECRET_ENV = {
    "GENESYSCLOUD_OAUTHCLIENT_ID": SENTINEL + "-id",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET": SENTINEL,
    "CRM_WEBHOOK_PASSWORD": SENTINEL + "-crm",
}
JOB_ENV = {"ORG": "prod-eu", "MANIFESTS": "manifests", "GENESYSCLOUD_REGION": "eu-west-1"}
MARKER = "<!-- reconciler-plan:prod-eu -->"
DRIFT_MARKER = "<!-- reconciler-drift:prod-eu -->"


def script_of(workflow: str, step_id: str, job: str | None = None) -> str:
    """A step's script, in the org job (``job`` names another: apply.yml's ``approved``).

    A ``uses: ./`` step's script is action.yml's ``run`` step; the comment and issue scripts are
    action.yml's too (``_support.step``).
    """
    loaded = load_workflow(workflow)
    s = step(loaded["jobs"][job] if job else org_job(loaded), step_id)
    return str(s["with"]["script"]) if "script" in s.get("with", {}) else program_of(workflow, step_id, job)[0]


def program_of(workflow: str, step_id: str, job: str | None = None) -> tuple[str, dict[str, str]]:
    """A bash step's script and the env the action gives it (``_support.program``)."""
    loaded = load_workflow(workflow)
    return program(loaded["jobs"][job] if job else org_job(loaded), step_id)


def run_program(workflow: str, step_id: str, tmp_path: Path, env: dict[str, str], fake_rc: int = 0,
                job: str | None = None) -> tuple[Any, list[list[str]], dict[str, str], str]:
    """``run_step_script`` on a workflow step, with the action's env over the job's (as GitHub layers them)."""
    script, action_env = program_of(workflow, step_id, job)
    return run_step_script(script, tmp_path, {**env, **action_env}, fake_rc=fake_rc)


def huge_plan(creates: int = 3000) -> Plan:
    """A plan far too big for one comment: its Markdown is cut by the renderer."""
    changes = tuple(
        ResourceChange(kind="SpeechRule", name=f"Rule {i:05d}", action=Action.CREATE,
                       after={"description": f"generated rule {i} " + "x" * 80, "tags": ["gen"]},
                       spec={"description": f"generated rule {i} " + "x" * 80, "tags": ["gen"]},
                       source=f"manifests/gen.yaml:{i * 10 + 1}")
        for i in range(creates)
    )
    return Plan(tool_version="0", created_at=datetime(2026, 1, 1, tzinfo=UTC), target="genesys:x",
                target_description="t", manifests_digest="d1", changes=changes)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SENTINEL not in text


class TestPlanStep:
    @pytest.mark.parametrize("workflow", ["plan.yml", "apply.yml"])
    @pytest.mark.parametrize(("rc", "changes"), [(0, "false"), (2, "true")])
    def test_detailed_exit_codes_0_and_2_succeed_and_say_whether_anything_changes(
        self, workflow: str, rc: int, changes: str, tmp_path: Path
    ) -> None:
        proc, calls, outputs, summary = run_program(
            workflow, "plan", tmp_path, {**JOB_ENV, **SECRET_ENV}, fake_rc=rc
        )
        assert proc.returncode == 0, proc.stderr
        assert outputs == {"changes": changes}
        assert calls == [["plan", "manifests", "--target", "genesys", "--out", "plan.json",
                          "--format", "markdown", "--detailed-exitcode"]]
        assert (tmp_path / "plan.json").exists()
        assert "fake plan report" in (tmp_path / "plan.md").read_text(encoding="utf-8")
        assert "fake plan report" in summary
        assert_no_secret(proc.stdout, proc.stderr, summary)

    @pytest.mark.parametrize("workflow", ["plan.yml", "apply.yml"])
    @pytest.mark.parametrize("rc", [1, 3])
    def test_any_other_exit_code_fails_the_step(self, workflow: str, rc: int, tmp_path: Path) -> None:
        proc, _, outputs, _ = run_program(
            workflow, "plan", tmp_path, {**JOB_ENV, **SECRET_ENV}, fake_rc=rc
        )
        assert proc.returncode == 1
        assert outputs == {}
        assert f"::error title=reconciler plan failed::org prod-eu: exit code {rc}" in proc.stdout
        assert_no_secret(proc.stdout, proc.stderr)


class TestValidateStep:
    @pytest.mark.parametrize(("rc", "expected"), [(0, 0), (1, 1)])
    def test_exit_code_survives_the_tee_into_the_log(self, rc: int, expected: int, tmp_path: Path) -> None:
        proc, calls, _, _ = run_program("plan.yml", "validate", tmp_path, JOB_ENV, rc)
        assert proc.returncode == expected
        assert calls == [["validate", "manifests"]]
        log = (tmp_path / "validate.log").read_text(encoding="utf-8")
        assert "fake validate report" in log and "fake validate diagnostics" in log


class TestApplyStep:
    ENV = {**JOB_ENV, **SECRET_ENV, "AUDIT_LOG": "reconciler-audit/audit.jsonl", "PLAN_FILE": "reviewed/plan.json"}

    def test_applies_the_plan_file_with_auto_approve_and_audit_log(self, tmp_path: Path) -> None:
        proc, calls, _, summary = run_program(
            "apply.yml", "apply", tmp_path, {**self.ENV, "AUDIT_URL": ""}
        )
        assert proc.returncode == 0, proc.stderr
        assert calls == [["apply", "reviewed/plan.json", "--target", "genesys", "--auto-approve", "--audit-log",
                          "reconciler-audit/audit.jsonl", "--format", "markdown"]]
        assert (tmp_path / "reconciler-audit").is_dir()
        assert "fake apply report" in summary and "fake apply report" in proc.stdout
        assert_no_secret(proc.stdout, proc.stderr, summary)

    def test_sends_audit_records_to_the_audit_url_when_set(self, tmp_path: Path) -> None:
        url = f"https://audit.example.test/ingest?token={SENTINEL}"
        proc, calls, _, summary = run_program(
            "apply.yml", "apply", tmp_path, {**self.ENV, "AUDIT_URL": url}
        )
        assert proc.returncode == 0, proc.stderr
        assert calls[0][-2:] == ["--audit-url", url]
        assert_no_secret(proc.stdout, proc.stderr, summary)

    def test_a_failed_apply_fails_the_step_but_still_reports(self, tmp_path: Path) -> None:
        proc, _, _, summary = run_program(
            "apply.yml", "apply", tmp_path, {**self.ENV, "AUDIT_URL": ""}, fake_rc=1
        )
        assert proc.returncode == 1
        assert "fake apply report" in summary
        assert "::error title=reconciler apply failed::org prod-eu: exit code 1" in proc.stdout


class TestDriftStep:
    @pytest.mark.parametrize(("rc", "drifted"), [(0, "false"), (2, "true")])
    def test_exit_0_and_2_record_whether_the_org_drifted(
        self, rc: int, drifted: str, tmp_path: Path
    ) -> None:
        proc, calls, outputs, summary = run_program(
            "drift.yml", "drift", tmp_path, {**JOB_ENV, **SECRET_ENV}, fake_rc=rc
        )
        assert proc.returncode == 0, proc.stderr
        assert outputs == {"drifted": drifted}
        assert calls == [["drift", "manifests", "--target", "genesys", "--format", "markdown"]]
        assert "fake drift report" in summary
        assert_no_secret(proc.stdout, proc.stderr, summary)

    def test_exit_1_fails_the_job(self, tmp_path: Path) -> None:
        proc, _, outputs, _ = run_program(
            "drift.yml", "drift", tmp_path, {**JOB_ENV, **SECRET_ENV}, fake_rc=1
        )
        assert proc.returncode == 1
        assert outputs == {}


def run_script(workflow: str, step_id: str, tmp_path: Path, env: dict[str, str],
               scenario: dict[str, Any]) -> dict[str, Any]:
    proc = run_github_script(script_of(workflow, step_id), tmp_path, env, scenario)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def methods(result: dict[str, Any]) -> list[str]:
    return [c["method"] for c in result["calls"]]


def only_call(result: dict[str, Any], method: str) -> dict[str, Any]:
    matching = [c["params"] for c in result["calls"] if c["method"] == method]
    assert len(matching) == 1, methods(result)
    return matching[0]


class TestPlanComment:
    PAYLOAD = {"pull_request": {"number": 7, "head": {"sha": "0123456789abcdef"}}}

    def env(self, validate: str = "success", plan: str = "success", changes: str = "true") -> dict[str, str]:
        return {"ORG": "prod-eu", "VALIDATE_OUTCOME": validate, "PLAN_OUTCOME": plan,
                "PLAN_CHANGES": changes, "VALIDATE_LOG": "validate.log", "PLAN_MD": "plan.md",
                "PLAN_JSON": "plan.json"}

    def scenario(self, comments: list[dict[str, Any]]) -> dict[str, Any]:
        return {"payload": self.PAYLOAD, "comments": comments}

    def test_creates_the_comment_when_there_is_none(self, tmp_path: Path) -> None:
        (tmp_path / "plan.md").write_text("+ Webhook/crm-sync will be created\n", encoding="utf-8")
        result = run_script("plan.yml", "comment", tmp_path, self.env(), self.scenario([]))
        assert methods(result) == ["issues.listComments", "issues.createComment"]
        created = only_call(result, "issues.createComment")
        assert created["issue_number"] == 7
        assert created["body"].startswith(MARKER + "\n")
        assert "changes to apply" in created["body"]
        assert "+ Webhook/crm-sync will be created" in created["body"]
        assert "Commit 0123456" in created["body"]

    def test_the_hidden_marker_records_the_reviewed_head_commit_and_manifests_digest(self, tmp_path: Path) -> None:
        (tmp_path / "plan.md").write_text("~ change\n", encoding="utf-8")
        (tmp_path / "plan.json").write_text(json.dumps({"manifests_digest": "d1g35t"}), encoding="utf-8")
        result = run_script("plan.yml", "comment", tmp_path, self.env(), self.scenario([]))
        body = only_call(result, "issues.createComment")["body"]
        assert body.splitlines()[1] == (
            "<!-- reconciler-reviewed:prod-eu head=0123456789abcdef digest=d1g35t "
            "artifact=reconciler-plan-prod-eu-pr7-0123456789abcdef run=4242 -->"
        )

    def test_updates_its_own_comment_in_place(self, tmp_path: Path) -> None:
        (tmp_path / "plan.md").write_text("No changes.\n", encoding="utf-8")
        comments = [
            {"id": 11, "user": {"type": "User"}, "body": "looks good"},
            {"id": 12, "user": {"type": "Bot"}, "body": f"{MARKER}\nold plan"},
        ]
        result = run_script("plan.yml", "comment", tmp_path, self.env(changes="false"),
                            self.scenario(comments))
        assert "issues.createComment" not in methods(result)
        updated = only_call(result, "issues.updateComment")
        assert updated["comment_id"] == 12
        assert "no changes" in updated["body"] and "old plan" not in updated["body"]

    def test_leaves_other_orgs_and_humans_quoting_the_marker_alone(self, tmp_path: Path) -> None:
        (tmp_path / "plan.md").write_text("plan\n", encoding="utf-8")
        comments = [
            {"id": 21, "user": {"type": "Bot"}, "body": "<!-- reconciler-plan:prod-eu-2 -->\nx"},
            {"id": 22, "user": {"type": "User"}, "body": f"quoting {MARKER}"},
        ]
        result = run_script("plan.yml", "comment", tmp_path, self.env(), self.scenario(comments))
        assert "issues.updateComment" not in methods(result)
        assert only_call(result, "issues.createComment")["body"].startswith(MARKER)

    def test_invalid_manifests_replace_the_plan_with_the_validation_errors(self, tmp_path: Path) -> None:
        (tmp_path / "plan.md").write_text("stale plan from an earlier run\n", encoding="utf-8")
        (tmp_path / "validate.log").write_text(
            "error: manifests/webhooks.yaml:3:5: spec.url: must be https\n", encoding="utf-8")
        result = run_script("plan.yml", "comment", tmp_path,
                            self.env(validate="failure", plan="skipped", changes=""),
                            self.scenario([{"id": 31, "user": {"type": "Bot"}, "body": MARKER}]))
        body = only_call(result, "issues.updateComment")["body"]
        assert "manifests are invalid" in body
        assert "manifests/webhooks.yaml:3:5: spec.url: must be https" in body
        assert "stale plan" not in body

    def test_a_failure_before_validation_is_not_blamed_on_the_manifests(self, tmp_path: Path) -> None:
        result = run_script("plan.yml", "comment", tmp_path,
                            self.env(validate="", plan="", changes=""), self.scenario([]))
        body = only_call(result, "issues.createComment")["body"]
        assert "failed before validation" in body and "invalid" not in body

    def test_a_failed_plan_links_to_the_run_and_shows_no_details(self, tmp_path: Path) -> None:
        (tmp_path / "plan.md").write_text("stale plan from an earlier run\n", encoding="utf-8")
        result = run_script("plan.yml", "comment", tmp_path,
                            self.env(plan="failure", changes=""), self.scenario([]))
        body = only_call(result, "issues.createComment")["body"]
        assert "plan failed" in body
        assert "https://github.com/acme/genesys-config/actions/runs/4242" in body
        assert "stale plan" not in body

    def test_a_huge_plan_is_truncated_below_githubs_limit(self, tmp_path: Path) -> None:
        (tmp_path / "plan.md").write_text("~ change\n" * 20000, encoding="utf-8")
        result = run_script("plan.yml", "comment", tmp_path, self.env(), self.scenario([]))
        body = only_call(result, "issues.createComment")["body"]
        assert len(body) < 65536
        assert "`reconciler-plan-prod-eu-pr7-0123456789abcdef` artifact" in body

    def test_the_renderers_own_cut_of_a_huge_plan_reaches_the_comment_whole(self, tmp_path: Path) -> None:
        # The renderer cuts a big plan at whole objects and says what it left out; the comment
        # must post that document as it is. It rendered up to 65,000 characters, which the
        # script sliced at 60,000: mid code block, <details> left open, the note lost.
        md = render_plan(huge_plan(), "markdown", artifact_hint="plan.json")
        (tmp_path / "plan.md").write_text(md, encoding="utf-8")
        result = run_script("plan.yml", "comment", tmp_path, self.env(), self.scenario([]))
        body = only_call(result, "issues.createComment")["body"]
        assert len(body) <= GITHUB_LIMIT
        assert md.strip() in body
        assert "(comment size limit); see the plan artifact `plan.json`" in body
        assert "… truncated" not in body


class TestDriftIssue:
    LABEL = "reconciler-drift"

    def env(self, drifted: str) -> dict[str, str]:
        return {"ORG": "prod-eu", "DRIFTED": drifted, "DRIFT_MD": "drift.md"}

    def issue(self, number: int, marker: str = DRIFT_MARKER, **extra: Any) -> dict[str, Any]:
        return {"number": number, "state": "open", "labels": [{"name": self.LABEL}],
                "body": f"{marker}\nold report", **extra}

    def test_drift_opens_a_labelled_issue_creating_the_label_if_needed(self, tmp_path: Path) -> None:
        (tmp_path / "drift.md").write_text("~ VoiceProfile/agent-en: speed 1.0 -> 1.2\n", encoding="utf-8")
        result = run_script("drift.yml", "issue", tmp_path, self.env("true"), {"issues": []})
        assert methods(result) == ["issues.listForRepo", "issues.getLabel",
                                   "issues.createLabel", "issues.create"]
        assert only_call(result, "issues.listForRepo")["labels"] == self.LABEL
        created = only_call(result, "issues.create")
        assert created["labels"] == [self.LABEL]
        assert created["title"] == "Configuration drift in prod-eu"
        assert created["body"].startswith(DRIFT_MARKER)
        assert "VoiceProfile/agent-en: speed 1.0 -> 1.2" in created["body"]

    def test_an_existing_label_is_reused(self, tmp_path: Path) -> None:
        (tmp_path / "drift.md").write_text("drift\n", encoding="utf-8")
        result = run_script("drift.yml", "issue", tmp_path, self.env("true"),
                            {"issues": [], "labels": [self.LABEL]})
        assert "issues.createLabel" not in methods(result)
        assert "issues.create" in methods(result)

    def test_continued_drift_updates_the_one_open_issue(self, tmp_path: Path) -> None:
        (tmp_path / "drift.md").write_text("new report\n", encoding="utf-8")
        issues = [self.issue(40), self.issue(41, marker="<!-- reconciler-drift:prod-us -->"),
                  self.issue(42, pull_request={"url": "x"})]
        result = run_script("drift.yml", "issue", tmp_path, self.env("true"), {"issues": issues})
        assert methods(result) == ["issues.listForRepo", "issues.update"]
        updated = only_call(result, "issues.update")
        assert updated["issue_number"] == 40
        assert "new report" in updated["body"] and "state" not in updated

    def test_drift_in_another_org_does_not_count_as_ours(self, tmp_path: Path) -> None:
        (tmp_path / "drift.md").write_text("drift\n", encoding="utf-8")
        issues = [self.issue(41, marker="<!-- reconciler-drift:prod-eu-2 -->")]
        result = run_script("drift.yml", "issue", tmp_path, self.env("true"),
                            {"issues": issues, "labels": [self.LABEL]})
        assert "issues.update" not in methods(result)
        assert only_call(result, "issues.create")["body"].startswith(DRIFT_MARKER)

    def test_a_clean_org_closes_its_issue_with_a_comment(self, tmp_path: Path) -> None:
        result = run_script("drift.yml", "issue", tmp_path, self.env("false"),
                            {"issues": [self.issue(40), self.issue(41, marker="<!-- other -->")]})
        assert methods(result) == ["issues.listForRepo", "issues.createComment", "issues.update"]
        assert only_call(result, "issues.createComment")["issue_number"] == 40
        closed = only_call(result, "issues.update")
        assert (closed["issue_number"], closed["state"], closed["state_reason"]) == (40, "closed", "completed")

    def test_a_clean_org_without_an_issue_changes_nothing(self, tmp_path: Path) -> None:
        result = run_script("drift.yml", "issue", tmp_path, self.env("false"), {"issues": []})
        assert methods(result) == ["issues.listForRepo"]

    def test_an_api_error_other_than_404_fails_the_step(self, tmp_path: Path) -> None:
        (tmp_path / "drift.md").write_text("drift\n", encoding="utf-8")
        proc = run_github_script(script_of("drift.yml", "issue"), tmp_path, self.env("true"),
                                 {"issues": [], "labelError": 500})
        assert proc.returncode == 1
        assert "label lookup failed" in proc.stderr
