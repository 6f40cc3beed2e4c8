"""Acceptance with the official SDK (``PureCloudPlatformClientV2``) against a served sandbox.

* Objects the reconciler created (``reconciler apply`` with ``--target genesys`` on the
  served sandbox) read back through ``SpeechTextAnalyticsApi``, ``IntegrationsApi`` and
  ``ProcessAutomationApi`` into the SDK's models, every enum a value the SDK knows.
* Objects the SDK created are adopted: the plan creates none of the declared objects
  the SDK already made, and apply converges with exactly one object per name.

The SDK is imported inside the tests: it is large and slow to import.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.genesys import ClientLimits

from ._support import CANCELLATION, SURVEY, Project, changes_of, make_project

OUTDATED = "outdated_sdk_version"  # what an SDK enum setter stores for a value it does not know


def served(project: Project, sandbox: Any, *args: str, expect: int | None = 0) -> Result:
    """``reconciler ARGS --target genesys`` against the served sandbox, as against a real org."""
    env = {
        "GENESYSCLOUD_API_URL": sandbox.url,
        "GENESYSCLOUD_OAUTHCLIENT_ID": sandbox.options.client_id,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": sandbox.options.client_secret,
    }
    extra = ["--target", "genesys"] + (["--audit-log", str(project.audit_log)] if args[0] == "apply" else [])
    if args[0] in ("plan", "apply", "drift", "export"):
        # the served sandbox of these tests has no rate limit: pacing would only make the suite wait
        extra += ["--requests-per-minute", "100000"]
    with contextlib.chdir(project.root), quick_job_polls():
        result = CliRunner().invoke(main, [*args, *extra], env=env, catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, result.output
    return result


@contextlib.contextmanager
def quick_job_polls() -> Iterator[None]:
    """Publish jobs polled every 10 ms, not from 250 ms: the served sandbox ends a job on its next poll.

    Only the wait changes (jobs are still polled until done); the CLI has no flag for it,
    so the default of every ``ClientLimits()`` made meanwhile is swapped, then restored.
    """
    init = ClientLimits.__init__
    names = [f.name for f in dataclasses.fields(ClientLimits)]
    saved = tuple(init.__defaults__ or ())
    defaults = list(saved)
    defaults[names.index("job_poll_initial") - (len(names) - len(defaults))] = 0.01
    init.__defaults__ = tuple(defaults)
    try:
        assert ClientLimits().job_poll_initial == 0.01
        yield
    finally:
        init.__defaults__ = saved


def sdk_client(sandbox: Any) -> Any:
    import PureCloudPlatformClientV2 as sdk

    api = sdk.ApiClient(host=sandbox.url)
    return api.get_client_credentials_token(sandbox.options.client_id, sandbox.options.client_secret)


def no_unknown_enums(model: Any) -> None:
    """Every enum value in the model is one the SDK knows (its setters store OUTDATED otherwise)."""
    assert OUTDATED not in json.dumps(model.to_dict(), default=str), model


def declared(project: Project) -> dict[str, dict[str, Any]]:
    """The example manifests' specs by name."""
    import yaml

    out: dict[str, dict[str, Any]] = {}
    for path in sorted(project.manifests.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            out[doc["metadata"]["name"]] = doc["spec"]
    return out


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)


class TestReconcilerCreatedObjectsReadThroughTheSdk:
    def test_topics(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        served(project, sandbox, "apply", "--auto-approve")
        topics = sdk.SpeechTextAnalyticsApi(sdk_client(sandbox))
        listing = topics.get_speechandtextanalytics_topics(page_size=25)
        assert isinstance(listing, sdk.TopicsEntityListing) and listing.total == 2 and listing.next_uri is None
        specs = declared(project)
        for listed in listing.entities:
            assert isinstance(listed, sdk.ListedTopic)
            no_unknown_enums(listed)
            assert listed.phrases_count == len(specs[listed.name]["phrases"])
            topic = topics.get_speechandtextanalytics_topic(listed.id)
            assert isinstance(topic, sdk.Topic)
            no_unknown_enums(topic)
            spec = specs[topic.name]
            assert sorted(p.text for p in topic.phrases) == sorted(p["text"] for p in spec["phrases"])
            assert (topic.dialect, topic.participants, topic.published) == (spec["dialect"], spec["participants"], True)
            assert topic.strictness == str(spec.get("strictness", "72")) and topic.date_published is not None
        cancellation = next(t for t in listing.entities if t.name == CANCELLATION)
        close = next(p for p in topics.get_speechandtextanalytics_topic(cancellation.id).phrases if p.text == "close my account")
        assert close.strictness == "85" and close.sentiment == "Unspecified"

    def test_tts_settings_and_engines(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        served(project, sandbox, "apply", "--auto-approve")
        integrations = sdk.IntegrationsApi(sdk_client(sandbox))
        settings = integrations.get_integrations_speech_tts_settings()
        assert isinstance(settings, sdk.TtsSettings) and settings.default_engine == "amazon-polly"
        overrides = {o.language: (o.engine, o.voice) for o in settings.language_overrides}
        assert overrides == {"en-GB": ("amazon-polly", "Amy"), "ja-JP": ("google-cloud", "ja-JP-Wavenet-B")}
        engines = integrations.get_integrations_speech_tts_engines(include_voices=True)
        assert isinstance(engines, sdk.TtsEngineEntityListing)
        for engine in engines.entities:
            no_unknown_enums(engine)
        voices = integrations.get_integrations_speech_tts_engine_voices("google-cloud")
        assert "ja-JP-Wavenet-B" in {v.id for v in voices.entities}

    def test_triggers_and_their_cursor(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        served(project, sandbox, "apply", "--auto-approve")
        automation = sdk.ProcessAutomationApi(sdk_client(sandbox))
        first = automation.get_processautomation_triggers(page_size="1")
        assert isinstance(first, sdk.TriggerEntityListing) and len(first.entities) == 1 and first.next_uri
        after = parse_qs(urlsplit(first.next_uri).query)["after"][0]
        second = automation.get_processautomation_triggers(page_size="1", after=after)
        assert second.next_uri is None and second.previous_uri
        specs = declared(project)
        for listed in [*first.entities, *second.entities]:
            trigger = automation.get_processautomation_trigger(listed.id)
            assert isinstance(trigger, sdk.Trigger)
            no_unknown_enums(trigger)
            spec = specs[trigger.name]
            assert (trigger.topic_name, trigger.target.type, trigger.target.id) == (
                spec["topicName"], "Workflow", spec["target"]["id"])
            assert trigger.version == 1 and trigger.enabled is spec.get("enabled", True)
            assert sorted((m.json_path, m.operator) for m in trigger.match_criteria) == sorted(
                (m["jsonPath"], m["operator"]) for m in spec["matchCriteria"])  # an unordered list
        survey = next(t for t in [*first.entities, *second.entities] if t.name == SURVEY)
        assert survey.event_ttl_seconds == 60 and survey.target.workflow_target_settings.data_format == "Json"
        assert sorted((m.operator, json.dumps(m.value), json.dumps(m.values)) for m in survey.match_criteria) == [
            ("Equal", '"VOICE"', "null"), ("In", "null", '["6c1f2a9e-8b3d-4e7a-a1c5-0f9d2b6e4c83"]')]


class TestSdkCreatedObjectsAreAdopted:
    def _create_with_the_sdk(self, sandbox: Any) -> dict[str, str]:
        """The SDK creates three of the declared objects, as the manifests declare them
        (the topic unpublished), and sets the org's TTS settings."""
        import PureCloudPlatformClientV2 as sdk

        api = sdk_client(sandbox)
        request = sdk.TopicRequest()
        request.name, request.description, request.dialect = CANCELLATION, "Customers who want to cancel their contract", "en-US"
        request.strictness, request.matching_type, request.participants = "72", "Semantic", "External"
        request.tags = ["retention", "churn"]
        phrases = []
        for text, strictness, sentiment in (("I want to cancel my contract", None, None), ("close my account", "85", None),
                                            ("how do I end my subscription", None, "Negative")):
            phrase = sdk.Phrase()
            phrase.text = text
            if strictness:
                phrase.strictness = strictness
            if sentiment:
                phrase.sentiment = sentiment
            phrases.append(phrase)
        request.phrases = phrases
        topic = sdk.SpeechTextAnalyticsApi(api).post_speechandtextanalytics_topics(request)

        trigger = sdk.CreateTriggerRequest()
        trigger.name, trigger.topic_name, trigger.enabled = "Callback On Abandon", "v2.detail.events.conversation.{id}.acd.end", False
        target = sdk.TriggerTarget()
        target.type, target.id = "Workflow", "1d7e4b2a-5c3f-4a8e-b6d9-2e0f7c1a9b45"
        trigger.target = target
        criterion = sdk.MatchCriteria()
        criterion.json_path, criterion.operator, criterion.value = "disconnectType", "Equal", "peer"
        trigger.match_criteria, trigger.delay_by_seconds = [criterion], 120
        made = sdk.ProcessAutomationApi(api).post_processautomation_triggers(trigger)

        overrides = []
        for language, engine, voice in (("ja-JP", "google-cloud", "ja-JP-Wavenet-B"), ("en-GB", "amazon-polly", "Amy")):
            override = sdk.LanguageOverride()
            override.language, override.engine, override.voice = language, engine, voice
            overrides.append(override)
        settings = sdk.TtsSettings()
        settings.default_engine, settings.language_overrides = "amazon-polly", overrides
        sdk.IntegrationsApi(api).put_integrations_speech_tts_settings(settings)
        return {"topic": topic.id, "trigger": made.id}

    def test_plan_creates_none_of_them_and_apply_converges_without_duplicates(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        ids = self._create_with_the_sdk(sandbox)
        plan = json.loads(served(project, sandbox, "plan", "--format", "json").stdout)
        actions = {f"{c['kind']}/{c['name']}": c["action"] for c in plan["changes"]}
        assert actions == {
            f"SpeechTopic/{CANCELLATION}": "update",  # only to publish it
            "SpeechTopic/Billing Dispute": "create",
            "TtsSettings/org": "no-op",
            "ProcessAutomationTrigger/Callback On Abandon": "no-op",
            f"ProcessAutomationTrigger/{SURVEY}": "create",
        }
        topic_change = changes_of(plan)[f"SpeechTopic/{CANCELLATION}"]
        assert [(fc["path"], fc["before"], fc["after"]) for fc in topic_change["field_changes"]] == [("published", False, True)]
        assert topic_change["object_id"] == ids["topic"]

        served(project, sandbox, "apply", "--auto-approve")
        assert "No changes" in served(project, sandbox, "plan", "--detailed-exitcode").stdout
        api = sdk_client(sandbox)
        topics = sdk.SpeechTextAnalyticsApi(api).get_speechandtextanalytics_topics(page_size=25).entities
        triggers = sdk.ProcessAutomationApi(api).get_processautomation_triggers(page_size="25").entities
        assert sorted(t.name for t in topics) == ["Billing Dispute", CANCELLATION]
        assert sorted(t.name for t in triggers) == ["Callback On Abandon", SURVEY]
        assert next(t for t in topics if t.name == CANCELLATION).id == ids["topic"]  # adopted, not recreated
        assert next(t for t in triggers if t.name == "Callback On Abandon").id == ids["trigger"]
        assert all(t.published for t in topics)

    def test_an_sdk_trigger_on_another_topic_is_replaced_once(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        api = sdk_client(sandbox)
        trigger = sdk.CreateTriggerRequest()
        trigger.name, trigger.topic_name, trigger.enabled = SURVEY, "v2.detail.events.conversation.{id}.user.start", True
        target = sdk.TriggerTarget()
        target.type, target.id = "Workflow", "8a3c6f0e-2d4b-4c1a-9e7f-5b2d8c1a0f36"
        trigger.target = target
        old = sdk.ProcessAutomationApi(api).post_processautomation_triggers(trigger)
        plan = json.loads(served(project, sandbox, "plan", "--format", "json").stdout)
        assert changes_of(plan)[f"ProcessAutomationTrigger/{SURVEY}"]["action"] == "replace"
        served(project, sandbox, "apply", "--auto-approve")
        triggers = sdk.ProcessAutomationApi(api).get_processautomation_triggers(page_size="25").entities
        survey = [t for t in triggers if t.name == SURVEY]
        assert len(survey) == 1 and survey[0].id != old.id
        assert survey[0].topic_name == "v2.detail.events.conversation.{id}.customer.end"
