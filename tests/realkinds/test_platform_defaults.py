"""Defaults that must not clobber what a real org holds (issue 14, part 2).

* A topic's ``programIds`` links it to programs configured elsewhere: a manifest that
  leaves it out does not manage it (absent is not empty), so apply never unlinks the
  topic and the next plan shows no diff (CX as Code never reads ``program_ids`` either).
* A TTS language override needs its voice (the API refuses one without). Overrides a
  manifest leaves out are not managed: the settings are one object replaced whole, and
  an update sent ``[]`` for them, wiping the ones set in the admin UI.
* The TTS settings have no version: a digest of what plan read guards them, so settings
  changed between plan and apply are stale, never overwritten.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from reconciler.app import apply, plan_paths
from reconciler.apply.result import Outcome
from reconciler.genesys import GenesysClient

from ._support import CANCELLATION, TOPIC, TTS, Project, changes_of, make_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = make_project(tmp_path)
    made.run("apply", "--auto-approve")
    return made


def _link_to_program(project: Project, name: str, program: str) -> None:
    """Another tool (or the admin UI) adds the topic to a program."""

    topic_id = project.live("SpeechTopic")[name]["id"]

    async def link(client: GenesysClient) -> None:
        live = await client.get(TOPIC, topic_id)
        body = {**TOPIC.from_live(live), "programIds": [program]}
        await client.update(TOPIC, live["id"], {k: v for k, v in body.items() if k != "programs"}, 0)
        assert TOPIC.publish is not None
        await client.publish(TOPIC.publish, [live["id"]])  # a write makes it a draft: publish it again

    project.with_client(link)


def _programs(project: Project, name: str) -> list[str]:
    return [p["id"] for p in project.live("SpeechTopic")[name].get("programs") or []]


class TestProgramIdsAreNotManagedWhenAbsent:
    def test_a_topic_linked_elsewhere_shows_no_diff(self, project: Project) -> None:
        _link_to_program(project, CANCELLATION, "prog-retention")
        assert _programs(project, CANCELLATION) == ["prog-retention"]
        assert changes_of(project.plan_json()) == {}

    def test_an_update_keeps_the_programs_and_converges(self, project: Project) -> None:
        _link_to_program(project, CANCELLATION, "prog-retention")
        project.edit("speech-topics.yaml", "close my account", "close my account now")
        changes = changes_of(project.plan_json())
        assert list(changes) == [f"SpeechTopic/{CANCELLATION}"]
        assert all(fc["path"] != "programIds" for fc in changes[f"SpeechTopic/{CANCELLATION}"]["field_changes"])
        project.run("apply", "--auto-approve")
        assert _programs(project, CANCELLATION) == ["prog-retention"], "apply must not unlink the topic"
        assert changes_of(project.plan_json()) == {}

    def test_declared_program_ids_are_managed(self, project: Project) -> None:
        _link_to_program(project, CANCELLATION, "prog-retention")
        tags = "  tags: [retention, churn]\n"
        project.edit("speech-topics.yaml", tags, tags + "  programIds: []\n")
        change = changes_of(project.plan_json())[f"SpeechTopic/{CANCELLATION}"]
        fields = [(fc["path"], fc["before"], fc["after"]) for fc in change["field_changes"]]
        assert fields == [("programIds[0]", "prog-retention", None)]
        project.run("apply", "--auto-approve")
        assert _programs(project, CANCELLATION) == []

    def test_a_create_sends_no_program_ids(self) -> None:
        body = TOPIC.api_body("T", {"dialect": "en-US", "phrases": [{"text": "refund"}]})
        assert "programIds" not in body
        assert TOPIC.keep_unmanaged(body, {"programs": [{"id": "p1"}]})["programIds"] == ["p1"]
        assert "programIds" not in TOPIC.keep_unmanaged(body, None)


_OVERRIDES = """  languageOverrides:
    - language: en-GB
      engine: amazon-polly
      voice: Amy
    - language: ja-JP
      engine: google-cloud
      voice: ja-JP-Wavenet-B
"""


def _live_overrides(project: Project) -> list[str]:
    return sorted(o["language"] for o in project.live("TtsSettings")["org"].get("languageOverrides") or [])


class TestTtsOverridesAreNotManagedWhenAbsent:
    def test_overrides_set_elsewhere_show_no_diff_and_survive_an_update(self, project: Project) -> None:
        assert _live_overrides(project) == ["en-GB", "ja-JP"]
        project.edit("tts-settings.yaml", _OVERRIDES, "")
        assert changes_of(project.plan_json()) == {}
        project.edit("tts-settings.yaml", "defaultEngine: amazon-polly", "defaultEngine: google-cloud")
        change = changes_of(project.plan_json())["TtsSettings/org"]
        assert [fc["path"] for fc in change["field_changes"]] == ["defaultEngine"]
        project.run("apply", "--auto-approve")
        assert project.live("TtsSettings")["org"]["defaultEngine"] == "google-cloud"
        assert _live_overrides(project) == ["en-GB", "ja-JP"], "apply must not wipe the overrides"
        assert changes_of(project.plan_json()) == {}

    def test_declared_empty_overrides_remove_them(self, project: Project) -> None:
        project.edit("tts-settings.yaml", _OVERRIDES, "  languageOverrides: []\n")
        assert "TtsSettings/org" in changes_of(project.plan_json())
        project.run("apply", "--auto-approve")
        assert _live_overrides(project) == []


class TestTtsVoiceIsRequired:
    def test_an_override_without_voice_is_refused_at_its_line(self, project: Project) -> None:
        project.edit("tts-settings.yaml", "      voice: Amy\n", "")
        result = project.run("validate", "manifests", expect=1)
        assert "spec.languageOverrides[0].voice" in result.output
        assert "required" in result.output.lower()


def _plan_and_apply_after(project: Project, meanwhile: Any) -> Any:
    options = project.options()
    env = {**project.env()}
    plan = asyncio.run(plan_paths([str(project.manifests)], options, env=env)).plan
    project.with_client(meanwhile)
    return asyncio.run(apply(plan, options, env=env, audit_log=project.audit_log)).result


class TestTtsRevisionGuard:
    def test_settings_changed_since_the_plan_are_stale_not_overwritten(self, project: Project) -> None:
        project.edit("tts-settings.yaml", "defaultEngine: amazon-polly", "defaultEngine: google-cloud")

        async def someone_else(client: GenesysClient) -> None:
            await client.update(TTS, "org", {"defaultEngine": "microsoft-azure", "languageOverrides": []}, 0)

        result = _plan_and_apply_after(project, someone_else)
        (change,) = [c for c in result.changes if c.kind == "TtsSettings"]
        assert change.outcome == Outcome.STALE
        settings = project.live("TtsSettings")["org"]
        assert settings["defaultEngine"] == "microsoft-azure", "the other writer's settings are kept"

    def test_settings_unchanged_since_the_plan_are_written(self, project: Project) -> None:
        project.edit("tts-settings.yaml", "defaultEngine: amazon-polly", "defaultEngine: google-cloud")

        async def nobody(client: GenesysClient) -> None:
            return None

        result = _plan_and_apply_after(project, nobody)
        (change,) = [c for c in result.changes if c.kind == "TtsSettings"]
        assert change.outcome == Outcome.SUCCESS
        settings = project.live("TtsSettings")["org"]
        assert settings["defaultEngine"] == "google-cloud"

    def test_the_revision_is_a_digest_of_the_content(self) -> None:
        one = {"defaultEngine": "amazon-polly", "languageOverrides": []}
        assert TTS.revision(one) == TTS.revision(dict(one)) != TTS.revision({**one, "defaultEngine": "google-cloud"})
