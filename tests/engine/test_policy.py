"""Guardrails end to end on the sandbox (issue 18, point 4): protect, change windows, limits, --override.

The change window is judged at apply time by :func:`reconciler.app.guardrails.system_now`;
the tests replace that clock with a fixed moment, so nothing waits and nothing depends on
the hour the suite runs at.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.app import guardrails

from ._support import Project, applied_project, make_project

VOICE = "IVR Main Menu - US English"
#: a Wednesday, 14:00 in London (BST): inside "mon-fri 09:00-17:00", outside "22:00-06:00"
WEDNESDAY_AFTERNOON = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
#: the same Wednesday, 23:30 in London: inside "22:00-06:00" only
WEDNESDAY_NIGHT = datetime(2024, 5, 1, 22, 30, tzinfo=UTC)
NIGHT_WINDOW = '    - {days: [mon, tue, wed, thu, fri], from: "22:00", to: "06:00", timezone: Europe/London}\n'


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return applied_project(tmp_path)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the moment apply judges the change window at."""

    def set_time(moment: datetime) -> None:
        monkeypatch.setattr(guardrails, "system_now", lambda: moment)

    set_time(WEDNESDAY_AFTERNOON)
    return set_time


def set_policy(project: Project, policy: str) -> None:
    settings = project.manifests / "reconciler.yaml"
    settings.write_text(settings.read_text() + "policy:\n" + policy)


def change_voice(project: Project) -> None:
    project.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.1")


def override_of_last_run(project: Project) -> dict[str, Any]:
    start = project.last_run_records()[0]
    assert start["type"] == "run.start"
    override = start.get("override")
    assert isinstance(override, dict), start
    return override


class TestProtect:
    def test_update_of_a_protected_object_is_refused_naming_the_rule(self, project: Project) -> None:
        set_policy(project, '  protect: ["VoiceProfile/IVR Main*"]\n')
        change_voice(project)

        plan = project.run("plan", "--detailed-exitcode", expect=1)
        assert "[protect] VoiceProfile/IVR Main Menu - US English would be updated" in plan.stdout
        assert "policy refuses this plan (rule protect)" in plan.stderr
        document = json.loads(project.run("plan", "--format", "json", expect=1).stdout)
        assert document["applyable"] is False and document["errors"] == []
        assert document["policy"] == [
            {
                "rule": "protect",
                "object": f"VoiceProfile/{VOICE}",
                "text": f"VoiceProfile/{VOICE} would be updated, "
                "but policy.protect 'VoiceProfile/IVR Main*' protects it",
            }
        ]
        sarif = json.loads(project.run("plan", "--format", "sarif", expect=1).stdout)
        (finding,) = sarif["runs"][0]["results"]
        # at the protected object's manifest (code scanning refuses a log with one result not located)
        assert finding["ruleId"] == "policy-protect"
        assert finding["locations"][0]["physicalLocation"] == {
            "artifactLocation": {"uri": "manifests/voice-profiles.yaml"}, "region": {"startLine": 7, "startColumn": 9}
        }

        before = len(project.audit_records())
        refused = project.run("apply", "--auto-approve", expect=1)
        assert "policy refuses this apply (rule protect)" in refused.output
        assert "--override REASON" in refused.output
        assert len(project.audit_records()) == before  # refused before anything is written or recorded
        assert project.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.05

    def test_override_applies_and_records_reason_rules_and_who(self, project: Project) -> None:
        set_policy(project, '  protect: ["voiceprofile/ivr main*"]\n')  # patterns are case-insensitive
        change_voice(project)

        done = project.run("apply", "--auto-approve", "--override", "INC-42 rate fix approved by ops",
                           env={"USER": "dana"})
        assert "Overriding policy (protect): INC-42 rate fix approved by ops" in done.output
        assert project.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.1
        override = override_of_last_run(project)
        assert override["reason"] == "INC-42 rate fix approved by ops"
        assert override["rules"] == ["protect"]
        assert override["findings"][0]["object"] == f"VoiceProfile/{VOICE}"
        assert override["by"] == "dana" and override["os_user"] == "dana"
        project.run("audit", "verify", str(project.audit_log))  # the chain holds with the extra field

    def test_an_override_needs_a_reason(self, project: Project) -> None:
        set_policy(project, '  protect: ["VoiceProfile/*"]\n')
        change_voice(project)
        refused = project.run("apply", "--auto-approve", "--override", "  ", expect=1)
        # a usage error naming the option, before live state is read (the gate refuses it too, for library callers)
        assert "Error: Invalid value for '--override': the value is blank (only whitespace)" in refused.output
        assert project.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.05

    def test_a_protected_name_not_yet_live_may_be_created(self, project: Project) -> None:
        set_policy(project, '  protect: ["Webhook/New *"]\n')
        (project.manifests / "new.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: New Feed\nspec:\n"
            "  requestUrl: https://hooks.example.com/new\n  eventFilters: [{event: rules.updated}]\n"
        )
        project.run("apply", "--auto-approve")
        assert "New Feed" in project.live_by_name("Webhook")

    def test_a_saved_plan_keeps_its_findings(self, project: Project) -> None:
        set_policy(project, '  protect: ["VoiceProfile/*"]\n')
        change_voice(project)
        saved = project.run("plan", "--out", "p.json", expect=1)
        # the line after saving says what apply will accept, not a bare "apply it with"
        assert "Plan saved to p.json; policy refuses it: reconciler apply p.json --override REASON applies it anyway" \
            in saved.stderr
        refused = project.run("apply", "p.json", expect=1)
        assert "(rule protect)" in refused.output
        project.run("apply", "p.json", "--override", "reviewed in CHG-7")
        assert override_of_last_run(project)["reason"] == "reviewed in CHG-7"


class TestWindows:
    def test_apply_outside_the_window_is_refused_naming_the_rule(
        self, project: Project, clock: Callable[[datetime], None]
    ) -> None:
        set_policy(project, "  windows:\n" + NIGHT_WINDOW)
        change_voice(project)
        refused = project.run("apply", "--auto-approve", expect=1)
        assert "policy refuses this apply (rule window)" in refused.output
        assert "Wed 2024-05-01 13:00 UTC is outside every change window" in refused.output
        assert project.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.05

        clock(WEDNESDAY_NIGHT)
        project.run("apply", "--auto-approve")
        assert project.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.1

    def test_a_plan_made_inside_the_window_is_refused_outside_it(
        self, project: Project, clock: Callable[[datetime], None]
    ) -> None:
        set_policy(project, "  windows:\n" + NIGHT_WINDOW)
        change_voice(project)
        clock(WEDNESDAY_NIGHT)
        project.run("plan", "--out", "night.json")  # a window is judged at apply time, never by plan
        saved = json.loads((project.root / "night.json").read_text())
        assert saved["windows"] == [
            {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "22:00", "to": "06:00", "timezone": "Europe/London"}
        ]
        clock(datetime(2024, 5, 2, 5, 30, tzinfo=UTC))  # Thursday 06:30 in London: the window has closed
        refused = project.run("apply", "night.json", expect=1)
        assert "(rule window)" in refused.output

        done = project.run("apply", "night.json", "--override", "P1 incident, window missed")
        assert "Overriding policy (window)" in done.output
        override = override_of_last_run(project)
        assert override["rules"] == ["window"] and override["reason"] == "P1 incident, window missed"

    def test_no_changes_need_no_window(self, project: Project, clock: Callable[[datetime], None]) -> None:
        set_policy(project, "  windows:\n" + NIGHT_WINDOW)
        project.run("apply", "--auto-approve")  # nothing to write: nothing to refuse


class TestLimits:
    def test_changes_beyond_a_kind_bound_are_refused(self, project: Project) -> None:
        set_policy(project, "  limits:\n    VoiceProfile: {maxChanges: 1}\n")
        change_voice(project)
        project.run("plan")  # one change: within the bound
        project.edit("voice-profiles.yaml", "rate: 0.95", "rate: 0.9")
        plan = project.run("plan", expect=1)
        assert (
            "[limit] the plan's VoiceProfile objects: 2 changes, more than policy.limits.VoiceProfile.maxChanges (1)"
            in plan.stdout
        )
        refused = project.run("apply", "--auto-approve", expect=1)
        assert "(rule limit)" in refused.output
        sarif = json.loads(project.run("plan", "--format", "sarif", expect=1).stdout)
        (finding,) = sarif["runs"][0]["results"]
        # a finding about the plan as a whole, at the file the policy is written in
        assert finding["ruleId"] == "policy-limit"
        assert finding["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "manifests/reconciler.yaml"}}}]

    def test_deletes_beyond_the_whole_plan_bound_are_refused(self, project: Project) -> None:
        set_policy(project, '  limits:\n    "*": {maxDeletes: 0}\n')
        text = (project.manifests / "webhooks.yaml").read_text()
        (project.manifests / "webhooks.yaml").write_text(text.split("\n---")[0] + "\n")  # prune the second hook
        document = json.loads(project.run("plan", "--format", "json", expect=1).stdout)
        assert [(f["rule"], f["object"]) for f in document["policy"]] == [("limit", "*")]
        assert "1 delete, more than policy.limits.*.maxDeletes (0)" in document["policy"][0]["text"]


def test_a_saved_plan_with_errors_is_not_offered_for_apply(project: Project) -> None:
    text = (project.manifests / "webhooks.yaml").read_text()
    (project.manifests / "webhooks.yaml").write_text(text.split("\n---")[0] + "\n")  # prune the second hook
    saved = project.run("plan", "--out", "p.json", "--max-deletes", "0", expect=1)
    assert "Plan saved to p.json; it cannot be applied: the plan has errors (above)" in saved.stderr
    assert "apply it with" not in saved.stderr
    assert "not applyable" in project.run("apply", "p.json", expect=1).output


class TestSavedPlanJudgedAtApply:
    """``apply FILE`` judged only the findings the plan was made with: a bound or a protection given since was not."""

    FEED = "Voice Profile Audit Feed"

    def saved_prune(self, project: Project) -> None:
        text = (project.manifests / "webhooks.yaml").read_text()
        (project.manifests / "webhooks.yaml").write_text(text.split("\n---")[0] + "\n")  # prune the second hook
        project.run("plan", "--out", "p.json")

    def test_max_deletes_on_apply_refuses_a_plan_deleting_more(self, project: Project) -> None:
        self.saved_prune(project)
        before = len(project.audit_records())
        refused = project.run("apply", "p.json", "--max-deletes", "0", expect=1)
        assert ("error: the plan is not applyable: the plan would delete 1 live object (1 deleted), more than "
                "--max-deletes 0") in refused.stderr
        assert self.FEED in project.live_by_name("Webhook") and len(project.audit_records()) == before
        project.run("apply", "p.json", "--max-deletes", "1")
        assert self.FEED not in project.live_by_name("Webhook")

    def test_a_protection_added_since_the_plan_refuses_its_delete(self, project: Project) -> None:
        self.saved_prune(project)
        set_policy(project, '  protect: ["Webhook/Voice *"]\n')
        before = len(project.audit_records())
        refused = project.run("apply", "p.json", expect=1)
        assert (f"policy refuses this apply (rule protect): [protect] Webhook/{self.FEED} would be deleted, but "
                "policy.protect 'Webhook/Voice *' protects it") in refused.stderr
        assert self.FEED in project.live_by_name("Webhook") and len(project.audit_records()) == before
        project.run("apply", "p.json", "--override", "CHG-9: feed retired")
        assert override_of_last_run(project)["findings"][0]["object"] == f"Webhook/{self.FEED}"
        assert self.FEED not in project.live_by_name("Webhook")

    def test_a_finding_the_plan_already_holds_is_not_repeated(self, project: Project) -> None:
        set_policy(project, '  protect: ["VoiceProfile/*"]\n')
        change_voice(project)
        project.run("plan", "--out", "p.json", expect=1)
        refused = project.run("apply", "p.json", expect=1)
        assert refused.stderr.count("[protect]") == 1, refused.stderr


class TestSettingsErrors:
    @pytest.mark.parametrize(
        ("policy", "expected"),
        [
            ('  protet: ["VoiceProfile/*"]\n',
             "reconciler.yaml:12:3: policy.protet: unknown field (did you mean 'protect'?)"),
            ('  protect: ["Voice/*"]\n', "reconciler.yaml:12:13: policy.protect[0]: unknown kind 'Voice'"),
            ('  windows:\n    - {form: "22:00", to: "06:00"}\n',
             "reconciler.yaml:13:8: policy.windows[0].form: unknown field (did you mean 'from'?)"),
            ('  windows:\n    - {from: "22:00", to: "06:00", timezone: Europe/Londn}\n',
             "did you mean 'Europe/London'?"),
            ('  windows:\n    - {days: [mon, fryday], from: "22:00", to: "06:00"}\n',
             "reconciler.yaml:13:20: policy.windows[0].days[1]: unknown day 'fryday'"),
            ("  limits:\n    SpeechTopc: {maxChanges: 2}\n",
             "reconciler.yaml:13:5: policy.limits.SpeechTopc: unknown kind 'SpeechTopc'"),
            ("  limits:\n    SpeechTopic: {maxChange: 2}\n",
             "reconciler.yaml:13:19: policy.limits.SpeechTopic.maxChange: unknown field (did you mean 'maxChanges'?)"),
        ],
    )
    def test_errors_name_file_line_and_suggest(self, tmp_path: Path, policy: str, expected: str) -> None:
        project = make_project(tmp_path)
        set_policy(project, policy)
        result = project.run("validate", "manifests", expect=1)
        assert expected in result.output
        assert "Traceback" not in result.output

    @pytest.mark.parametrize("name", ["localtime", "/etc/localtime", "posix/Europe/London", "right/UTC",
                                      "../zoneinfo/UTC"])
    def test_a_time_zone_that_is_no_iana_name_is_refused_and_localtime_never_suggested(
        self, tmp_path: Path, name: str
    ) -> None:
        """``localtime`` is the runner's own zone (a window would move with the machine apply runs on), and a
        name with path parts reads a file of the zone database by its place, not a zone by its tz database name."""
        project = make_project(tmp_path)
        set_policy(project, f'  windows:\n    - {{from: "22:00", to: "06:00", timezone: "{name}"}}\n')
        result = project.run("validate", "manifests", expect=1)
        assert "reconciler.yaml:13:" in result.output and "policy.windows[0].timezone" in result.output
        assert f"unknown time zone {name!r}" in result.output
        assert "'UTC'" in result.output and "Area/City" in result.output
        assert "did you mean 'localtime'" not in result.output and "Traceback" not in result.output
