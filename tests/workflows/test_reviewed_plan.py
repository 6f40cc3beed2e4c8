"""apply.yml applies the plan reviewed on the pull request, and only that, unattended.

The pieces, each run as GitHub runs it: the github-script that finds the merged pull
request's plan artifact (fake GitHub API), the bash step that compares it with a plan of
the merged manifests (the real ``.github/scripts/check-reviewed-plan.py`` on real saved
plans), the comment that shows a diverged plan, and the approval job's apply step.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
import re
import shutil
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.plan.model import Action, FieldChange, Org, Plan, ResourceChange
from reconciler.plan.planfile import save_plan
from reconciler.plan.reviewed import divergence
from reconciler.render import render_plan

from ._support import REPO, load_workflow, run_bash_step, run_github_script, step
from .test_workflow_scripts import (
    GITHUB_LIMIT,
    SECRET_ENV,
    assert_no_secret,
    huge_plan,
    methods,
    only_call,
    run_program,
    run_script,
    script_of,
)

ENV = {"ORG": "prod-eu", "MANIFESTS": "manifests", "GENESYSCLOUD_REGION": "eu-west-1"}
HEAD = "feedfacecafebeef0000000000000000deadbeef"
MERGE = "1111111111111111111111111111111111111111"
NAME = f"reconciler-plan-prod-eu-pr7-{HEAD}"
#: the most divergence.md holds (.github/scripts/check-reviewed-plan.py)
DIVERGENCE_CHARS = 4_000


def a_plan(digest: str = "d1", version: int = 3, rate: float = 1.1, target: str = "genesys:x",
           org: str = "org-dev") -> Plan:
    change = ResourceChange(
        kind="VoiceProfile", name="IVR", action=Action.UPDATE, object_id="v1", live_version=version,
        before={"rate": 1.0}, after={"rate": rate},
        # a spec its kind accepts: loading a saved plan checks it (the checksum does not vouch for it)
        spec={"language": "en-US", "voice": "polly-Joanna", "engine": "amazon_polly", "rate": rate},
        field_changes=(FieldChange(path="rate", before=1.0, after=rate),),
    )
    return Plan(tool_version="0", created_at=datetime(2026, 1, 1, tzinfo=UTC), target=target,
                target_description="t", org=Org(id=org, name=org.title()), manifests_digest=digest,
                changes=(change,))


def many_updates(count: int, version: int) -> Plan:
    """``count`` voice-profile updates at live revision ``version``: a whole org moved live, say."""
    one = a_plan(version=version).changes[0]
    changes = tuple(one.model_copy(update={"name": f"IVR {i:05d}", "object_id": f"v{i}"}) for i in range(count))
    return a_plan(version=version).model_copy(update={"changes": changes})


def zipped(plan: Plan, tmp: Path) -> bytes:
    saved = save_plan(plan, tmp / "reviewed-source.json")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(saved, "plan.json")
        archive.writestr("plan.md", "reviewed plan\n")
    return buffer.getvalue()


class TestDivergence:
    def test_the_same_plan_made_again_is_the_reviewed_one(self) -> None:
        assert divergence(a_plan(), a_plan()) == ()

    def test_other_manifests_diverge(self) -> None:
        (reason,) = divergence(a_plan(digest="d1"), a_plan(digest="d2"))
        assert "not the reviewed ones" in reason

    def test_an_object_that_moved_live_diverges_by_name(self) -> None:
        (reason,) = divergence(a_plan(version=3), a_plan(version=4))
        assert reason.startswith("VoiceProfile/IVR: moved live since the review (revision 3 -> 4)")

    def test_a_change_planned_differently_or_vanished_diverges(self) -> None:
        assert "planned differently" in divergence(a_plan(rate=1.1), a_plan(rate=1.2))[0]
        nothing = a_plan().model_copy(update={"changes": ()})
        assert "now nothing to do" in divergence(a_plan(), nothing)[0]
        assert "not in the reviewed plan" in divergence(nothing, a_plan())[0]

    def test_another_target_diverges(self) -> None:
        assert "made for genesys:x, not genesys:y" in divergence(a_plan(), a_plan(target="genesys:y"))[0]

    def test_another_org_behind_the_same_target_diverges(self) -> None:
        (reason,) = divergence(a_plan(), a_plan(org="org-prod"))
        assert reason == "the reviewed plan was made for org 'Org-Dev' (id org-dev), not 'Org-Prod' (id org-prod)"


class TestCompareStep:
    """The real comparison script on real saved plans; ``python`` is this interpreter."""

    def run(self, tmp_path: Path, *, found: str, changes: str = "true", why: str = "",
            reviewed: bytes | None = None, fresh: Plan | None = None) -> tuple[int, dict[str, str], str]:
        scripts = tmp_path / ".github" / "scripts"
        scripts.mkdir(parents=True)
        shutil.copy(REPO / ".github" / "scripts" / "check-reviewed-plan.py", scripts)
        save_plan(fresh or a_plan(), tmp_path / "plan.json")
        if reviewed is not None:
            (tmp_path / "reviewed.zip").write_bytes(reviewed)
        env = {**ENV, "FOUND": found, "WHY": why, "CHANGES": changes,
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               "PYTHONPATH": str(REPO)}
        proc, outputs, summary = run_bash_step(script_of("apply.yml", "compare"), tmp_path, env)
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / "verdict.txt").read_text(encoding="utf-8").strip() == outputs["verdict"]
        return proc.returncode, outputs, summary

    def test_the_reviewed_plan_of_the_merged_manifests_is_applied_as_reviewed(self, tmp_path: Path) -> None:
        _, outputs, summary = self.run(tmp_path, found="true", reviewed=zipped(a_plan(), tmp_path))
        assert outputs == {"verdict": "reviewed"}
        assert (tmp_path / "reviewed" / "plan.json").is_file()
        assert "approval" not in summary

    def test_manifests_changed_after_the_review_wait_for_approval(self, tmp_path: Path) -> None:
        _, outputs, summary = self.run(tmp_path, found="true", reviewed=zipped(a_plan(digest="old"), tmp_path))
        assert outputs == {"verdict": "diverged", "diverged": "true"}
        assert "not the reviewed ones" in (tmp_path / "divergence.md").read_text(encoding="utf-8")
        assert "waiting for approval (prod-eu-approval)" in summary

    def test_an_object_moved_live_since_the_review_waits_for_approval(self, tmp_path: Path) -> None:
        _, outputs, _ = self.run(tmp_path, found="true", reviewed=zipped(a_plan(version=3), tmp_path),
                                 fresh=a_plan(version=4))
        assert outputs["verdict"] == "diverged"
        assert "VoiceProfile/IVR: moved live" in (tmp_path / "divergence.md").read_text(encoding="utf-8")

    def test_thousands_of_reasons_are_cut_to_fit_the_comment_saying_how_many(self, tmp_path: Path) -> None:
        # Every reason went to divergence.md, which the comment on the merged pull request and
        # the job summary show in full: 3,000 of them made a comment GitHub refuses (422).
        _, outputs, summary = self.run(tmp_path, found="true", reviewed=zipped(many_updates(3000, 3), tmp_path),
                                       fresh=many_updates(3000, 4))
        assert outputs["verdict"] == "diverged"
        shown = (tmp_path / "divergence.md").read_text(encoding="utf-8")
        assert len(shown) <= DIVERGENCE_CHARS
        assert shown.startswith("- VoiceProfile/IVR 00000: moved live since the review (revision 3 -> 4)\n")
        listed = shown.count(": moved live since the review")
        assert shown.endswith(f"- … and {3000 - listed} more (the fresh plan is in the job's plan artifact)\n")
        assert shown in summary

    def test_no_reviewed_plan_waits_for_approval_saying_why(self, tmp_path: Path) -> None:
        _, outputs, _ = self.run(tmp_path, found="false", why="no merged pull request for commit 1111111")
        assert outputs["verdict"] == "diverged"
        divergence = (tmp_path / "divergence.md").read_text(encoding="utf-8")
        assert divergence == "- no merged pull request for commit 1111111\n"

    def test_an_unreadable_reviewed_plan_waits_for_approval(self, tmp_path: Path) -> None:
        _, outputs, _ = self.run(tmp_path, found="true", reviewed=b"not a zip")
        assert outputs["verdict"] == "diverged"
        assert "could not be read" in (tmp_path / "divergence.md").read_text(encoding="utf-8")

    def test_no_changes_need_neither(self, tmp_path: Path) -> None:
        _, outputs, _ = self.run(tmp_path, found="false", changes="false", why="x")
        assert outputs == {"verdict": "none"}


class TestReasonListing:
    """``listing`` of the compare script: what divergence.md holds, within its bound."""

    def listing(self, reasons: tuple[str, ...]) -> str:
        spec = importlib.util.spec_from_file_location("check_reviewed_plan",
                                                      REPO / ".github" / "scripts" / "check-reviewed-plan.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert module.MAX_CHARS == DIVERGENCE_CHARS
        return str(module.listing(reasons))

    def test_a_few_reasons_are_listed_whole(self) -> None:
        assert self.listing(("a", "b")) == "- a\n- b\n"
        assert self.listing(()) == ""

    def test_one_huge_reason_is_shortened_and_what_follows_counted(self) -> None:
        shown = self.listing(("x" * 10_000, "b", "c"))
        assert len(shown) <= DIVERGENCE_CHARS
        assert shown.startswith("- xxx") and "…\n- … and 2 more (" in shown

    def test_the_bound_holds_whatever_the_reasons(self) -> None:
        for count, size in ((3000, 60), (99, 40), (10, 500), (1, 9000), (2, 3990)):
            shown = self.listing(tuple(f"{i}" + "y" * size for i in range(count)))
            assert len(shown) <= DIVERGENCE_CHARS, (count, size)
            listed = len([line for line in shown.splitlines() if not line.startswith("- … and")])
            more = re.search(r"- … and (\d+) more", shown)
            assert listed + (int(more.group(1)) if more else 0) == count, (count, size)


class TestFindReviewedPlan:
    def scenario(self, tmp_path: Path, **extra: Any) -> dict[str, Any]:
        pulls = [{"number": 7, "merged_at": "2026-01-01T00:00:00Z", "merge_commit_sha": MERGE, "head": {"sha": HEAD}}]
        data = base64.b64encode(zipped(a_plan(), tmp_path)).decode()
        artifacts = [{"id": 10, "name": NAME, "expired": False, "zip_base64": data},
                     {"id": 12, "name": NAME, "expired": True, "zip_base64": ""},
                     {"id": 11, "name": "reconciler-plan-prod-eu-pr7-0ld", "expired": False, "zip_base64": ""}]
        return {"sha": MERGE, "pulls": pulls, "artifacts": artifacts, **extra}

    def find(self, tmp_path: Path, scenario: dict[str, Any]) -> dict[str, Any]:
        return run_script("apply.yml", "reviewed", tmp_path, {"ORG": "prod-eu", "REVIEWED_ZIP": "reviewed.zip"},
                          scenario)

    def test_downloads_the_plan_of_the_merged_pull_requests_head_commit(self, tmp_path: Path) -> None:
        result = self.find(tmp_path, self.scenario(tmp_path))
        assert result["outputs"] == {"pr": "7", "found": "true"}
        assert only_call(result, "actions.listArtifactsForRepo")["name"] == NAME
        assert only_call(result, "actions.downloadArtifact")["artifact_id"] == 10
        with zipfile.ZipFile(tmp_path / "reviewed.zip") as archive:
            assert json.loads(archive.read("plan.json"))["manifests_digest"] == "d1"

    def test_a_push_without_a_merged_pull_request_has_no_reviewed_plan(self, tmp_path: Path) -> None:
        result = self.find(tmp_path, self.scenario(tmp_path, pulls=[{"number": 8, "merged_at": None}]))
        assert result["outputs"] == {"found": "false", "why": "no merged pull request for commit 1111111"}
        assert "actions.downloadArtifact" not in methods(result)

    def test_an_expired_or_missing_artifact_has_no_reviewed_plan(self, tmp_path: Path) -> None:
        result = self.find(tmp_path, self.scenario(tmp_path, artifacts=[]))
        assert result["outputs"]["found"] == "false"
        assert "missing or expired" in result["outputs"]["why"]


class TestDivergedComment:
    def env(self, pr: str) -> dict[str, str]:
        return {"ORG": "prod-eu", "PR": pr, "PLAN_MD": "plan.md", "DIVERGENCE_MD": "divergence.md"}

    def test_shows_the_new_plan_and_why_on_the_merged_pull_request(self, tmp_path: Path) -> None:
        (tmp_path / "plan.md").write_text("~ VoiceProfile/IVR rate 1.0 -> 1.2\n", encoding="utf-8")
        (tmp_path / "divergence.md").write_text("- VoiceProfile/IVR: moved live since the review\n", encoding="utf-8")
        result = run_script("apply.yml", "diverged", tmp_path, self.env("7"), {"sha": MERGE})
        body = only_call(result, "issues.createComment")["body"]
        assert only_call(result, "issues.createComment")["issue_number"] == 7
        assert "not the reviewed plan: nothing was applied" in body
        assert "moved live since the review" in body and "rate 1.0 -> 1.2" in body
        assert "`prod-eu-approval` environment" in body

    def test_a_huge_plan_and_many_reasons_post_whole_under_githubs_limit(self, tmp_path: Path) -> None:
        # The renderer's cut plan (at most MAX_CHARS) and the longest divergence list the
        # compare step writes must fit one comment without the script slicing the plan (it
        # cut at 50,000 characters, in the middle of a code block).
        md = render_plan(huge_plan(), "markdown", artifact_hint="plan.json")
        (tmp_path / "plan.md").write_text(md, encoding="utf-8")
        (tmp_path / "divergence.md").write_text("- " + "x" * (DIVERGENCE_CHARS - 3) + "\n", encoding="utf-8")
        result = run_script("apply.yml", "diverged", tmp_path, self.env("7"), {"sha": MERGE})
        body = only_call(result, "issues.createComment")["body"]
        assert len(body) <= GITHUB_LIMIT
        assert md.strip() in body and "… truncated" not in body

    def test_without_a_pull_request_it_warns_instead(self, tmp_path: Path) -> None:
        result = run_script("apply.yml", "diverged", tmp_path, self.env(""), {"sha": MERGE})
        assert methods(result) == []
        assert any(log["level"] == "warning" for log in result["logs"])


class TestApprovedApply:
    ENV = {**ENV, **SECRET_ENV, "AUDIT_LOG": "reconciler-audit/audit.jsonl", "AUDIT_URL": "",
           "PLAN_FILE": "merged/plan.json", "VERDICT_FILE": "merged/verdict.txt"}

    def awaits(self, tmp_path: Path, verdict: str) -> tuple[Any, dict[str, str]]:
        """The approval job's verdict step on ``merged/verdict.txt``; its output gates the apply step."""
        (tmp_path / "merged").mkdir()
        (tmp_path / "merged" / "verdict.txt").write_text(f"{verdict}\n", encoding="utf-8")
        proc, calls, outputs, _ = run_program("apply.yml", "verdict", tmp_path, self.ENV, job="approved")
        assert proc.returncode == 0 and calls == []
        apply = step(load_workflow("apply.yml")["jobs"]["approved"], "apply")
        assert apply["if"] == "steps.verdict.outputs.awaits == 'true'"
        return proc, outputs

    def test_applies_the_plan_that_was_shown_once_approved(self, tmp_path: Path) -> None:
        _, outputs = self.awaits(tmp_path, "diverged")
        assert outputs == {"awaits": "true"}
        proc, calls, _, _ = run_program("apply.yml", "apply", tmp_path, self.ENV, job="approved")
        assert proc.returncode == 0, proc.stderr
        assert calls[0][:2] == ["apply", "merged/plan.json"]
        assert_no_secret(proc.stdout, proc.stderr)

    def test_an_org_applied_as_reviewed_applies_nothing_more(self, tmp_path: Path) -> None:
        proc, outputs = self.awaits(tmp_path, "reviewed")
        assert outputs == {}  # so the apply step is skipped: nothing is applied
        assert "nothing awaited approval" in proc.stdout


def test_the_harness_fails_a_script_that_throws(tmp_path: Path) -> None:
    proc = run_github_script("throw new Error('boom');", tmp_path, {}, {})
    assert proc.returncode == 1 and "boom" in proc.stderr
