"""Offline validation of the platform kinds: their rules, located at file:line:column and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.core.errors import ManifestError
from reconciler.kinds import PLATFORM_KINDS, REGISTRY
from reconciler.manifests import load_manifests

from ._support import CREDENTIAL_ENV, REPO, TOPIC, TRIGGER, TTS


def errors_of(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "objects.yaml").write_text(textwrap.dedent(text))
    with pytest.raises(ManifestError) as info:
        load_manifests([tmp_path], env={})
    return [str(issue).replace(str(tmp_path) + "/", "") for issue in info.value.issues]


def doc(kind: str, name: str, spec: str) -> str:
    return f"apiVersion: reconciler/v1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n{textwrap.indent(textwrap.dedent(spec), '  ')}"


class TestExamples:
    def test_the_examples_validate(self) -> None:
        loaded = load_manifests([REPO / "manifests-real"], env=CREDENTIAL_ENV)
        kinds = sorted({o.kind for o in loaded.objects})
        assert kinds == sorted(k.name for k in PLATFORM_KINDS) and len(loaded.objects) == 5 + 2 + 2 + 2 + 2 + 2 + 2


class TestSpeechTopic:
    def test_a_minimal_topic_takes_the_sdk_defaults(self) -> None:
        model, issues = TOPIC.validate_spec({"dialect": "en-US", "phrases": [{"text": "refund"}]})
        assert issues == [] and model is not None
        assert TOPIC.api_body("T", {"dialect": "en-US", "phrases": [{"text": "refund"}]}) == {
            "name": "T", "strictness": "72", "matchingType": "Semantic", "tags": [],  # programIds left out: not managed
            "dialect": "en-US", "participants": "All",
            "phrases": [{"text": "refund", "sentiment": "Unspecified", "isAIGenerated": False}],
        }

    def test_published_is_never_sent(self) -> None:
        body = TOPIC.api_body("T", {"dialect": "en-US", "phrases": [{"text": "refund"}], "published": True})
        assert "published" not in body

    def test_strictness_written_as_a_number_is_the_api_text(self) -> None:
        model, issues = TOPIC.validate_spec({"dialect": "en-US", "strictness": 85, "phrases": [{"text": "x", "strictness": 55}]})
        assert issues == [] and model is not None
        assert model.strictness == "85" and model.phrases[0].strictness == "55"

    def test_rules_are_named_at_their_field(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("SpeechTopic", "Bad", """\
            dialect: english
            strictness: "70"
            participants: Everyone
            phrases:
              - text: Refund
              - text: refund
                sentiment: Angry
        """))
        assert errors == [
            "objects.yaml:6:12: spec.dialect: 'english' does not match the pattern '^[a-z]{2,3}-[A-Z]{2}$'",
            "objects.yaml:7:15: spec.strictness: '70' is not one of '1', '55', '65', '72', '85' or '90'",
            "objects.yaml:8:17: spec.participants: 'Everyone' is not one of 'External', 'Internal' or 'All'",
            "objects.yaml:12:18: spec.phrases[1].sentiment: 'Angry' is not one of 'Unspecified', 'Positive', 'Neutral' or 'Negative'",
        ]

    def test_duplicate_phrase_texts_and_tags_are_refused(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("SpeechTopic", "Dup", "dialect: en-US\nphrases:\n  - text: Refund\n  - text: refund\ntags: [a, a]\n"))
        assert errors == [
            "objects.yaml:9:13: spec.phrases[1].text: 'refund' duplicates phrases[0] (case-insensitive)",
            "objects.yaml:10:13: spec.tags[1]: 'a' is a duplicate",
        ]

    def test_phrases_are_required(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("SpeechTopic", "Empty", "dialect: en-US\nphrases: []\n"))
        assert errors == ["objects.yaml:7:12: spec.phrases: has 0 items, fewer than the minimum 1"]

    def test_server_fields_are_not_spec_fields(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("SpeechTopic", "S", "dialect: en-US\nphrases: [{text: a}]\ndatePublished: x\n"))
        assert errors == ["objects.yaml:8:3: spec.datePublished: unknown field (did you mean 'published'?)"]


    def test_one_name_in_two_dialects_is_one_identity_said_so(self, tmp_path: Path) -> None:
        """The platform keeps topics of one name apart by dialect; this tool identifies them by name alone."""
        spec = "dialect: {}\nphrases: [{{text: refund}}]\n"
        errors = errors_of(tmp_path, doc("SpeechTopic", "Refund", spec.format("en-US")) + "\n---\n"
                           + doc("SpeechTopic", "Refund", spec.format("es-US")))
        assert errors == [
            "objects.yaml:13:9: metadata.name: SpeechTopic 'Refund' is already declared at objects.yaml:4:9; in another "
            "dialect, it is still the same SpeechTopic: this tool identifies SpeechTopic objects by name alone, so give "
            "each dialect's SpeechTopic its own name"
        ]


class TestProcessAutomationTrigger:
    def test_a_minimal_trigger_is_enabled_with_no_criteria(self) -> None:
        body = TRIGGER.api_body("T", {"topicName": "v2.x", "target": {"type": "Workflow", "id": "wf"}})
        assert body == {"name": "T", "topicName": "v2.x", "target": {"type": "Workflow", "id": "wf"},
                        "matchCriteria": [], "enabled": True}

    def test_only_one_of_ttl_and_delay(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("ProcessAutomationTrigger", "T", """\
            topicName: v2.x
            target: {type: Workflow, id: wf}
            eventTTLSeconds: 30
            delayBySeconds: 60
        """))
        assert errors == ["objects.yaml:9:19: spec.delayBySeconds: only one of eventTTLSeconds and delayBySeconds can be set"]

    def test_bounds_and_enums(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("ProcessAutomationTrigger", "T", """\
            topicName: v2.x
            target: {type: Flow, id: wf}
            eventTTLSeconds: 5
            description: %s
            matchCriteria:
              - {jsonPath: d, operator: Like, value: 1}
        """ % ("x" * 513)))
        assert errors == [
            "objects.yaml:7:18: spec.target.type: 'Flow' is not one of 'Workflow'",
            "objects.yaml:8:20: spec.eventTTLSeconds: 5 is below the minimum 10",
            "objects.yaml:9:16: spec.description: is 513 characters, longer than the maximum 512",
            "objects.yaml:11:31: spec.matchCriteria[0].operator: 'Like' is not one of 'GreaterThanOrEqual', 'LessThanOrEqual', "
            "'Equal', 'NotEqual', 'LessThan', 'GreaterThan', 'NotIn', 'In', 'Contains', 'All', 'Exists' or 'Size'",
        ]

    def test_delay_is_60_to_900_seconds(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("ProcessAutomationTrigger", "T", "topicName: v2.x\ntarget: {type: Workflow, id: wf}\ndelayBySeconds: 901\n"))
        assert errors == ["objects.yaml:8:19: spec.delayBySeconds: 901 is above the maximum 900"]

    def test_a_trigger_topic_past_256_characters_is_refused_offline(self, tmp_path: Path) -> None:
        """CX as Code's ``topic_name``: ``StringLenBetween(1, 256)``; the platform would refuse it late."""
        topic = "v2." + "x" * 254
        errors = errors_of(tmp_path, doc("ProcessAutomationTrigger", "T", f"topicName: {topic}\ntarget: {{type: Workflow, id: wf}}\n"))
        assert errors == ["objects.yaml:6:14: spec.topicName: is 257 characters, longer than the maximum 256"]

    def test_match_criteria_take_value_or_values_by_operator(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("ProcessAutomationTrigger", "T", """\
            topicName: v2.x
            target: {type: Workflow, id: wf}
            matchCriteria:
              - {jsonPath: a, operator: In, value: 1}
              - {jsonPath: b, operator: Equal, value: 1, values: [1]}
              - {jsonPath: c, operator: Equal}
              - {jsonPath: e, operator: NotIn, values: [1, 2]}
        """))
        assert errors == [
            "objects.yaml:9:7: spec.matchCriteria[0].values: is required with operator In",
            "objects.yaml:10:56: spec.matchCriteria[1].values: only one of value and values can be set",
            "objects.yaml:11:7: spec.matchCriteria[2].value: is required with operator Equal",
        ]


class TestDataAction:
    def test_a_category_past_256_characters_is_refused_offline(self, tmp_path: Path) -> None:
        """CX as Code's ``category``: ``StringLenBetween(1, 256)``; the platform would refuse it late."""
        spec = "category: " + "c" * 257 + "\nintegrationId: i\nconfig: {request: {requestUrlTemplate: u, requestType: GET}}\n"
        spec += "contract: {input: {inputSchema: {}}, output: {successSchema: {}}}\n"
        errors = errors_of(tmp_path, doc("DataAction", "A", spec))
        assert errors == ["objects.yaml:6:13: spec.category: is 257 characters, longer than the maximum 256"]


class TestNameCaps:
    """Each kind's cap on ``metadata.name`` is the platform's: 256 for triggers and data actions (CX as Code's
    ``StringLenBetween(1, 256)``, the SDK's ``PostActionInput``), 200 where the sources are silent."""

    TRIGGER_SPEC = "topicName: v2.x\ntarget: {type: Workflow, id: wf}\n"
    ACTION_SPEC = (
        "category: c\nintegrationId: i\nconfig: {request: {requestUrlTemplate: u, requestType: GET}}\n"
        "contract: {input: {inputSchema: {}}, output: {successSchema: {}}}\n"
    )

    @pytest.mark.parametrize("kind, spec", [("ProcessAutomationTrigger", TRIGGER_SPEC), ("DataAction", ACTION_SPEC)])
    def test_a_256_character_name_is_taken_and_257_refused(self, tmp_path: Path, kind: str, spec: str) -> None:
        (tmp_path / "ok.yaml").write_text(doc(kind, "n" * 256, spec))
        assert [o.name for o in load_manifests([tmp_path], env={}).objects] == ["n" * 256]
        (tmp_path / "ok.yaml").unlink()
        errors = errors_of(tmp_path, doc(kind, "n" * 257, spec))
        assert errors == ["objects.yaml:4:9: metadata.name: is 257 characters, longer than the maximum 256"]

    @pytest.mark.parametrize("kind", ["ProcessAutomationTrigger", "DataAction"])
    def test_the_sandbox_takes_a_256_character_name_as_the_platform_does(self, kind: str) -> None:
        name_field = REGISTRY[kind].name_field
        _, issues = REGISTRY[kind].validate_body({name_field: "n" * 256})
        assert not [i for i in issues if i.loc == (name_field,)]
        _, issues = REGISTRY[kind].validate_body({name_field: "n" * 257})
        assert [i.message for i in issues if i.loc == (name_field,)] == ["is 257 characters, longer than the maximum 256"]


class TestDictionaryFeedback:
    def test_an_example_phrase_has_3_to_20_words(self, tmp_path: Path) -> None:
        """SDK ``DictionaryFeedbackExamplePhrase.phrase``: "At least 3 words and up to 20 words" (CX as Code
        refuses fewer than 3 before writing)."""
        long = " ".join(["Genesys"] * 21)
        errors = errors_of(tmp_path, doc("DictionaryFeedback", "Genesys", f"""\
            dialect: en-US
            examplePhrases:
              - phrase: call Genesys
              - phrase: the Genesys app
              - phrase: {long}
        """))
        assert errors == [
            "objects.yaml:8:15: spec.examplePhrases[0].phrase: has 2 words; an example phrase has 3 to 20 words",
            "objects.yaml:10:15: spec.examplePhrases[2].phrase: has 21 words; an example phrase has 3 to 20 words",
        ]


    def test_sounds_like_is_for_the_genesys_engine_only(self, tmp_path: Path) -> None:
        """SDK ``DictionaryFeedback.sounds_like``: "This field is only valid for Genesys transcription engine":
        with GenesysExtended it was sent, and refused by the platform mid-apply."""
        errors = errors_of(tmp_path, doc("DictionaryFeedback", "Genesys", """\
            dialect: en-US
            transcriptionEngine: GenesysExtended
            soundsLike: [genesis]
            examplePhrases:
              - phrase: call Genesys now
              - phrase: the Genesys app
              - phrase: Genesys cloud contact
        """))
        assert errors == [
            "objects.yaml:8:15: spec.soundsLike: is only valid for the Genesys transcription engine, "
            "not GenesysExtended (leave it out or empty)",
        ]
        for engine in ("transcriptionEngine: Genesys", "transcriptionEngine: null"):  # Genesys, or the platform's
            (tmp_path / "objects.yaml").write_text(textwrap.dedent(doc("DictionaryFeedback", "Genesys", f"""\
                dialect: en-US
                {engine}
                soundsLike: [genesis]
                examplePhrases:
                  - phrase: call Genesys now
                  - phrase: the Genesys app
                  - phrase: Genesys cloud contact
            """)))
            assert load_manifests([tmp_path], env={})


class TestNestedTyposAreRefused:
    """Nested parts drop only what the SDK's answer models show (ids, URIs, derived schemas):
    any other unknown key is an error at its line, never silently dropped before the write."""

    def test_a_mistyped_nested_field_is_named_at_its_line(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("DataAction", "A", """\
            category: c
            integrationId: i
            config:
              request: {requestUrlTemplate: u, requestType: GET, header: {X: y}}
              response: {translationMapp: {a: $.b}}
            contract: {input: {inputSchema: {}}, output: {successSchema: {}}}
        """) + "---\n" + doc("Integration", "B", """\
            integrationType: {id: custom-rest-actions}
            config: {current: {note: hello, credentials: {basicAuth: {id: c, nmae: x}}}}
        """) + "---\n" + doc("ArchitectUserPrompt", "C", "resources: [{language: en-us, ttsstring: Hello}]\n"))
        assert errors == [
            "objects.yaml:9:56: spec.config.request.header: unknown field (did you mean 'headers'?)",
            "objects.yaml:10:16: spec.config.response.translationMapp: unknown field (did you mean 'translationMap'?)",
            "objects.yaml:19:22: spec.config.current.note: unknown field (did you mean 'notes'?)",
            "objects.yaml:19:68: spec.config.current.credentials.basicAuth.nmae: unknown field",
            "objects.yaml:26:33: spec.resources[0].ttsstring: unknown field (did you mean 'ttsString'?)",
        ]

    def test_what_reads_show_besides_the_written_part_is_dropped(self) -> None:
        action = REGISTRY["DataAction"]
        read = {
            "category": "c", "integrationId": "i",
            "config": {"request": {"requestUrlTemplate": "u", "requestType": "GET", "requestTemplateUri": "/t"},
                       "response": {"successTemplateUri": "/s"}},
            "contract": {"input": {"inputSchema": {}, "inputSchemaUri": "/i", "inputSchemaFlattened": {}},
                         "output": {"successSchema": {}, "errorSchema": {}, "successSchemaUri": "/o"}},
        }
        model, issues = action.validate_spec(read)
        assert issues == [] and model is not None
        integration = REGISTRY["Integration"]
        model, issues = integration.validate_spec({
            "integrationType": {"id": "custom-rest-actions", "name": "Web Services Data Actions", "provider": "x"},
            "config": {"current": {"id": "i", "version": 3, "selfUri": "/c",
                                   "credentials": {"basicAuth": {"id": "c", "name": "n", "type": {"name": "basicAuth"}}}}},
        })
        assert issues == [] and model is not None


    def test_a_field_the_platform_adds_later_never_makes_a_read_differ(self) -> None:
        """Reads are compared on the model's fields only: a key newer than the SDK in a type or a contract
        must not make the live essence differ (both are replaced when they differ)."""
        action = REGISTRY["DataAction"]
        spec = {"category": "c", "integrationId": "i",
                "config": {"request": {"requestUrlTemplate": "u", "requestType": "GET"}},
                "contract": {"input": {"inputSchema": {}}, "output": {"successSchema": {}}}}
        live = {**spec, "id": "a", "name": "A", "version": 2,
                "config": {"request": {"requestUrlTemplate": "u", "requestType": "GET", "requestTemplateLimit": 9}},
                "contract": {"input": {"inputSchema": {}, "inputSchemaVersion": "v9"}, "output": {"successSchema": {}}}}
        desired = action.desired_essence({"name": "A", **spec})
        assert action.comparable(action.essence(live), desired) == desired
        integration = REGISTRY["Integration"]
        spec = {"integrationType": {"id": "custom-rest-actions"}}
        live = {"id": "i", "name": "B", "integrationType": {"id": "custom-rest-actions", "pricingTier": "free"}}
        assert integration.essence(live) == integration.desired_essence({"name": "B", **spec})


class TestTtsSettings:
    def test_its_name_is_always_org(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("TtsSettings", "default", "defaultEngine: amazon-polly\n"))
        assert errors == [
            "objects.yaml:4:9: metadata.name: TtsSettings is the org's single settings object: "
            "its name is always 'org', not 'default'"
        ]

    def test_one_override_per_language(self, tmp_path: Path) -> None:
        errors = errors_of(tmp_path, doc("TtsSettings", "org", """\
            defaultEngine: amazon-polly
            languageOverrides:
              - {language: en-GB, engine: amazon-polly, voice: Amy}
              - {language: en-GB, engine: google-cloud, voice: en-GB-Wavenet-B}
        """))
        assert errors == [
            "objects.yaml:9:18: spec.languageOverrides[1].language: 'en-GB' is already overridden by languageOverrides[0]",
        ]

    def test_its_body_has_no_name(self) -> None:
        assert TTS.api_body("org", {"defaultEngine": "amazon-polly"}) == {"defaultEngine": "amazon-polly"}
        assert TTS.api_body("org", {"defaultEngine": "a", "languageOverrides": []}) == {
            "defaultEngine": "a", "languageOverrides": []}

    def test_two_documents_of_the_singleton_are_one_identity_twice(self, tmp_path: Path) -> None:
        text = doc("TtsSettings", "org", "defaultEngine: a\n") + "---\n" + doc("TtsSettings", "org", "defaultEngine: b\n")
        errors = errors_of(tmp_path, text)
        assert len(errors) == 1 and "TtsSettings 'org' is already declared" in errors[0]
