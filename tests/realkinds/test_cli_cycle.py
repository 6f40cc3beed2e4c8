"""The platform kinds through the real CLI on the embedded sandbox: validate, plan, apply,
drift and saved plans converge exactly as for the seed kinds, with the platform's
differences (publish jobs, replacement, a singleton, plan-time engine checks).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ._support import CANCELLATION, SURVEY, TOPIC, TOPICS, TRIGGER, TTS, Project, changes_of, make_project, topic_body


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)


@pytest.fixture
def applied(project: Project) -> Project:
    project.run("apply", "--auto-approve")
    return project


def request_counts(stderr: str) -> dict[str, int]:
    """``--verbose`` lines ``  GET    /path  N`` by ``METHOD /path``."""
    return {f"{m} {p}": int(n) for m, p, n in re.findall(r"^  (\w+)\s+(\S+)  (\d+)$", stderr, re.M)}


class TestConvergence:
    def test_apply_then_plan_is_a_no_op(self, applied: Project) -> None:
        result = applied.run("plan", "--detailed-exitcode")
        assert "No changes: the target matches the manifests (5 objects)." in result.stdout
        topics = applied.live("SpeechTopic")
        assert sorted(topics) == ["Billing Dispute", CANCELLATION]
        assert all(t["published"] for t in topics.values())
        assert sorted(applied.live("ProcessAutomationTrigger")) == ["Callback On Abandon", SURVEY]
        settings = applied.live("TtsSettings")["org"]
        assert settings["defaultEngine"] == "amazon-polly" and len(settings["languageOverrides"]) == 2

    def test_the_first_apply_publishes_with_one_audited_job(self, applied: Project) -> None:
        records = applied.last_run_records()
        intents = [(r["action"], r["kind"], r["method"], r["path"]) for r in records if r["type"] == "intent"]
        assert ("update", "TtsSettings", "PUT", TTS.collection) in intents
        assert sorted(i[1] for i in intents if i[0] == "create") == ["ProcessAutomationTrigger"] * 2 + ["SpeechTopic"] * 2
        (publish,) = [r for r in records if r["type"] == "intent" and r["action"] == "hook"]
        assert (publish["kind"], publish["method"], publish["path"]) == ("SpeechTopic", "POST", TOPICS + "/publishjobs")
        assert sorted(publish["changes"][0]["after"]) == sorted(t["id"] for t in applied.live("SpeechTopic").values())
        (outcome,) = [r for r in records if r["type"] == "outcome" and r["intent_seq"] == publish["seq"]]
        assert outcome["outcome"] == "success" and outcome["status"] == 200
        applied.run("audit", "verify", str(applied.audit_log))

    def test_the_apply_report_names_the_publish_job(self, project: Project) -> None:
        result = project.run("apply", "--auto-approve", "--format", "json")
        assert "publish speech topics: 2 SpeechTopic objects published" in result.stdout

    def test_a_second_apply_writes_nothing(self, applied: Project) -> None:
        before = len(applied.audit_records())
        result = applied.run("apply", "--auto-approve")
        assert "No changes" in result.stdout and len(applied.audit_records()) == before


class TestReads:
    def test_only_declared_topics_are_read_in_full(self, applied: Project) -> None:
        applied.with_client(lambda c: c.create(TOPIC, topic_body("Made By Hand")))
        result = applied.run("plan", "--verbose")
        counts = request_counts(result.stderr)
        assert counts[f"GET {TOPICS}"] == 1
        assert counts[f"GET {TOPICS}/{{id}}"] == 2  # the two declared topics, not the one made by hand
        assert counts["GET /api/v2/integrations/speech/tts/engines"] == 1  # the plan-time engine check
        assert "? SpeechTopic/Made By Hand" in result.stdout

    def test_a_plan_without_topics_reads_none_in_full(self, project: Project) -> None:
        project.with_client(lambda c: c.create(TOPIC, topic_body("Made By Hand")))
        (project.manifests / "speech-topics.yaml").unlink()
        counts = request_counts(project.run("plan", "--verbose").stderr)
        assert f"GET {TOPICS}/{{id}}" not in counts


class TestTopicChanges:
    def test_an_edited_topic_is_rewritten_then_published_again(self, applied: Project) -> None:
        applied.edit("speech-topics.yaml", "refund the difference", "refund the difference please")
        plan = applied.plan_json()
        (change,) = changes_of(plan).values()
        assert (change["action"], change["name"]) == ("update", "Billing Dispute")
        assert {fc["path"] for fc in change["field_changes"]} == {"phrases[1].text"}
        applied.run("apply", "--auto-approve")
        intents = [(r["action"], r["method"]) for r in applied.last_run_records() if r["type"] == "intent"]
        assert intents == [("update", "PUT"), ("hook", "POST")]
        assert applied.live("SpeechTopic")["Billing Dispute"]["published"] is True
        applied.run("plan", "--detailed-exitcode")

    def test_a_topic_that_only_needs_publishing_gets_the_job_and_no_write(self, applied: Project) -> None:
        topic = applied.live("SpeechTopic")[CANCELLATION]
        body = {k: v for k, v in topic.items() if k in TOPIC.spec_fields or k == "name"}
        body["programIds"] = [p["id"] for p in topic.get("programs", [])]
        applied.with_client(lambda c: c.update(TOPIC, topic["id"], body, 0))  # leaves it an unpublished draft
        plan = applied.plan_json(expect=None)
        (change,) = changes_of(plan).values()
        assert [(fc["path"], fc["before"], fc["after"]) for fc in change["field_changes"]] == [("published", False, True)]
        applied.run("apply", "--auto-approve")
        intents = [(r["action"], r["method"]) for r in applied.last_run_records() if r["type"] == "intent"]
        assert intents == [("hook", "POST")]
        assert applied.live("SpeechTopic")[CANCELLATION]["published"] is True

    def test_a_saved_plan_refuses_a_topic_changed_since(self, applied: Project) -> None:
        applied.edit("speech-topics.yaml", "this charge is wrong", "this charge is not right")
        applied.run("plan", "--out", "plan.json")
        topic = applied.live("SpeechTopic")["Billing Dispute"]
        body = {k: v for k, v in topic.items() if k in TOPIC.spec_fields or k == "name"} | {"description": "by hand"}
        applied.with_client(lambda c: c.update(TOPIC, topic["id"], body, 0))
        result = applied.run("apply", "plan.json", expect=1)
        assert "STALE" in result.stdout and "SpeechTopic/Billing Dispute" in result.stdout
        assert applied.live("SpeechTopic")["Billing Dispute"]["description"] == "by hand"


class TestTriggerReplacement:
    def test_a_new_topic_name_replaces_the_trigger(self, applied: Project) -> None:
        old_id = applied.live("ProcessAutomationTrigger")[SURVEY]["id"]
        applied.edit("triggers.yaml", "conversation.{id}.customer.end", "conversation.{id}.customer.start")
        text = applied.run("plan").stdout
        assert f"-/+ replace ProcessAutomationTrigger/{SURVEY}" in text
        assert "topicName changes force replacement (delete, then create)" in text
        assert "Plan: 0 to create, 0 to update, 1 to replace, 0 to delete, 4 unchanged." in text
        applied.run("apply", "--auto-approve")
        intents = [(r["action"], r["method"], r["object_id"]) for r in applied.last_run_records() if r["type"] == "intent"]
        assert intents == [("delete", "DELETE", old_id), ("create", "POST", None)]
        live = applied.with_client(lambda c: c.list_all(TRIGGER))
        survey = [t for t in live if t["name"] == SURVEY]
        assert len(survey) == 1 and survey[0]["id"] != old_id
        assert survey[0]["topicName"] == "v2.detail.events.conversation.{id}.customer.start"
        applied.run("plan", "--detailed-exitcode")

    def test_drift_reports_a_changed_trigger(self, applied: Project) -> None:
        trigger = applied.live("ProcessAutomationTrigger")["Callback On Abandon"]
        body = {k: v for k, v in trigger.items() if k in TRIGGER.spec_fields or k == "name"} | {"enabled": True}
        applied.with_client(lambda c: c.update(TRIGGER, trigger["id"], body, trigger["version"]))
        result = applied.run("drift", expect=2)
        assert "~ differs ProcessAutomationTrigger/Callback On Abandon" in result.stdout
        assert "enabled: true -> false" in result.stdout


class TestTtsSettings:
    def test_settings_changed_by_hand_are_updated_never_created(self, applied: Project) -> None:
        applied.with_client(lambda c: c.update(TTS, "org", {"defaultEngine": "google-cloud"}, 0))
        plan = applied.plan_json(expect=None)
        (change,) = changes_of(plan).values()
        assert (change["action"], change["kind"], change["object_id"]) == ("update", "TtsSettings", None)
        applied.run("apply", "--auto-approve")
        assert applied.live("TtsSettings")["org"]["defaultEngine"] == "amazon-polly"

    def test_an_unknown_voice_fails_the_plan_at_its_line(self, project: Project) -> None:
        project.edit("tts-settings.yaml", "voice: Amy", "voice: Joanna")
        project.run("validate", "manifests")  # offline, the voice is just a string
        result = project.run("plan", expect=1)
        assert result.stderr.splitlines()[-1] == (
            "manifests/tts-settings.yaml:15:14: spec.languageOverrides[0].voice: engine 'amazon-polly' has no voice "
            "'Joanna' for en-GB (voices: Amy)"
        )
        assert "error: 1 error in manifests" in result.stderr and not project.audit_log.exists()

    def test_an_unknown_engine_fails_the_plan(self, project: Project) -> None:
        project.edit("tts-settings.yaml", "defaultEngine: amazon-polly", "defaultEngine: nuance")
        result = project.run("plan", expect=1)
        assert ("manifests/tts-settings.yaml:11:18: spec.defaultEngine: no TTS engine 'nuance' in this org "
                "(engines: amazon-polly, google-cloud, microsoft-azure)") in result.stderr

    def test_pruning_the_settings_is_refused(self, project: Project) -> None:
        result = project.run("plan", "--prune", "TtsSettings", expect=1)
        assert "error: prune: TtsSettings is the org's single settings object; it is never deleted" in result.stderr

    def test_drift_never_lists_the_settings_as_unmanaged(self, applied: Project) -> None:
        (applied.manifests / "tts-settings.yaml").unlink()
        result = applied.run("drift")
        assert "TtsSettings" not in result.stdout and "No drift" in result.stdout


class TestExport:
    def test_export_of_an_applied_org_plans_as_no_change(self, applied: Project) -> None:
        applied.run("export", "--out", "adopted", "--kind", "SpeechTopic", "--kind", "TtsSettings",
                    "--kind", "ProcessAutomationTrigger")
        files = sorted(p.relative_to(applied.root / "adopted").as_posix() for p in (applied.root / "adopted").rglob("*.yaml"))
        assert files == [
            "process-automation-trigger/callback-on-abandon.yaml",
            "process-automation-trigger/survey-after-cancellation-call.yaml",
            "speech-topic/billing-dispute.yaml",
            "speech-topic/cancellation-intent.yaml",
            "tts-settings/org.yaml",
        ]
        assert "published: true" in (applied.root / "adopted/speech-topic/billing-dispute.yaml").read_text()
        result = applied.run("plan", "adopted", "--detailed-exitcode")
        assert "No changes: the target matches the manifests (5 objects)." in result.stdout
