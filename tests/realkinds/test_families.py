"""Acceptance of the platform kinds added for the real-org families (issue 15), on every example.

* The official SDK (``PureCloudPlatformClientV2``) creates and reads each new kind on a
  served sandbox, into its own models, every enum a value it knows.
* What the SDK created is adopted: the plan of ``manifests-real/`` creates none of it,
  and apply converges with one object per name.
* ``apply`` of the whole of ``manifests-real/`` twice writes nothing the second time, and
  export -> plan of the export is clean for every kind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from reconciler.kinds import PLATFORM_KINDS

from ._support import CANCELLATION, CREDENTIAL_ENV, Project, changes_of, make_project
from .test_sdk import no_unknown_enums, sdk_client, served

PROGRAMS = "/api/v2/speechandtextanalytics/programs"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name, value in CREDENTIAL_ENV.items():  # for ``served``, which sets only the target's variables
        monkeypatch.setenv(name, value)
    return make_project(tmp_path, files=None)


def _program(sdk: Any, name: str, topic_ids: list[str], tags: list[str]) -> Any:
    request = sdk.ProgramRequest()
    request.name, request.description, request.topic_ids, request.tags = name, "Calls where customers want to leave", topic_ids, tags
    return request


class TestSpeechProgram:
    def test_the_sdk_creates_reads_pages_and_publishes_programs(self, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        speech = sdk.SpeechTextAnalyticsApi(sdk_client(sandbox))
        topic_request = sdk.TopicRequest()
        topic_request.name, topic_request.dialect = "Churn", "en-US"
        phrase = sdk.Phrase()
        phrase.text = "cancel my contract"
        topic_request.phrases = [phrase]
        topic = speech.post_speechandtextanalytics_topics(topic_request)
        made = [speech.post_speechandtextanalytics_programs(_program(sdk, n, [topic.id], ["retention"])) for n in ("A", "B")]
        assert all(isinstance(p, sdk.Program) and p.published is False for p in made)
        program = speech.get_speechandtextanalytics_program(made[0].id)
        no_unknown_enums(program)
        assert [(t.id, t.self_uri) for t in program.topics] == [(topic.id, f"/api/v2/speechandtextanalytics/topics/{topic.id}")]
        assert program.tags == ["retention"] and program.date_modified is not None

        first = speech.get_speechandtextanalytics_programs(page_size=1)
        assert isinstance(first, sdk.ProgramsEntityListing) and first.total == 2 and first.next_uri
        assert isinstance(first.entities[0], sdk.ListedProgram) and first.entities[0].topics_count == 1
        next_page = first.next_uri.split("nextPage=")[1].split("&")[0]
        second = speech.get_speechandtextanalytics_programs(page_size=1, next_page=next_page)
        assert second.next_uri is None and {first.entities[0].name, second.entities[0].name} == {"A", "B"}
        assert [p.name for p in speech.get_speechandtextanalytics_programs(name="a").entities] == ["A"]

        job_request = sdk.ProgramJobRequest()
        job_request.program_ids = [made[0].id]
        job = speech.post_speechandtextanalytics_programs_publishjobs(job_request)
        assert isinstance(job, sdk.ProgramJob) and job.state == "Running" and [p.id for p in job.programs] == [made[0].id]
        while job.state == "Running":
            job = speech.get_speechandtextanalytics_programs_publishjob(job.id)
        assert job.state == "Completed"
        assert speech.get_speechandtextanalytics_program(made[0].id).published is True

        updated = _program(sdk, "A", [], ["renamed"])
        program = speech.put_speechandtextanalytics_program(made[0].id, updated)
        assert program.topics == [] and program.published is False  # a write leaves a draft
        speech.delete_speechandtextanalytics_program(made[1].id)
        assert speech.get_speechandtextanalytics_programs().total == 1

    def test_an_sdk_program_is_adopted_with_its_topic_references(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        served(project, sandbox, "apply", "--auto-approve")
        speech = sdk.SpeechTextAnalyticsApi(sdk_client(sandbox))
        retention = next(p for p in speech.get_speechandtextanalytics_programs().entities if p.name == "Retention")
        speech.delete_speechandtextanalytics_program(retention.id)
        topics = {t.name: t.id for t in speech.get_speechandtextanalytics_topics().entities}
        made = speech.post_speechandtextanalytics_programs(_program(sdk, "Retention", [topics[CANCELLATION]], ["retention"]))

        plan = json.loads(served(project, sandbox, "plan", "--format", "json").stdout)
        change = changes_of(plan)["SpeechProgram/Retention"]
        assert change["action"] == "update" and change["object_id"] == made.id
        assert [(fc["path"], fc["before"], fc["after"]) for fc in change["field_changes"]] == [("published", False, True)]
        served(project, sandbox, "apply", "--auto-approve")
        programs = speech.get_speechandtextanalytics_programs().entities
        assert sorted(p.name for p in programs) == ["Billing Quality", "Retention"]
        adopted = speech.get_speechandtextanalytics_program(made.id)
        assert adopted.published is True and [t.id for t in adopted.topics] == [topics[CANCELLATION]]
        assert "No changes" in served(project, sandbox, "plan", "--detailed-exitcode").stdout


def _feedback(sdk: Any, term: str, phrases: list[str], boost: float = 2.0) -> Any:
    feedback = sdk.DictionaryFeedback()
    feedback.term, feedback.dialect, feedback.boost_value, feedback.sounds_like = term, "en-US", boost, ["genesis"]
    examples = []
    for text in phrases:
        example = sdk.DictionaryFeedbackExamplePhrase()
        example.phrase, example.source = text, "Manual"
        examples.append(example)
    feedback.example_phrases = examples
    return feedback


GENESYS_PHRASES = ["I am calling about my Genesys invoice", "the Genesys app keeps logging me out", "can Genesys call me back"]


class TestDictionaryFeedback:
    def test_the_sdk_creates_reads_pages_and_updates_feedback(self, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        speech = sdk.SpeechTextAnalyticsApi(sdk_client(sandbox))
        made = [speech.post_speechandtextanalytics_dictionaryfeedback(_feedback(sdk, t, [f"say {t} {i}" for i in range(3)]))
                for t in ("Alpha", "Beta")]
        assert all(isinstance(f, sdk.DictionaryFeedback) and f.id and f.boost_value == 2.0 for f in made)
        read = speech.get_speechandtextanalytics_dictionaryfeedback_dictionary_feedback_id(made[0].id)
        no_unknown_enums(read)
        assert (read.term, read.dialect, read.sounds_like) == ("Alpha", "en-US", ["genesis"]) and len(read.example_phrases) == 3
        first = speech.get_speechandtextanalytics_dictionaryfeedback(page_size=1)
        assert isinstance(first, sdk.DictionaryFeedbackEntityListing) and first.total == 2 and first.next_uri
        assert isinstance(first.entities[0], sdk.ListedDictionaryFeedback) and first.entities[0].source == "Manual"
        next_page = first.next_uri.split("nextPage=")[1].split("&")[0]
        assert speech.get_speechandtextanalytics_dictionaryfeedback(page_size=1, next_page=next_page).next_uri is None
        with pytest.raises(sdk.rest.ApiException) as refused:
            speech.post_speechandtextanalytics_dictionaryfeedback(_feedback(sdk, "Gamma", ["only one"]))
        assert refused.value.status == 400 and "examplePhrases" in refused.value.body
        updated = speech.put_speechandtextanalytics_dictionaryfeedback_dictionary_feedback_id(
            made[0].id, body=_feedback(sdk, "Alpha", ["an Alpha one", "an Alpha two", "an Alpha three"], boost=7.5))
        assert updated.boost_value == 7.5
        speech.delete_speechandtextanalytics_dictionaryfeedback_dictionary_feedback_id(made[1].id)
        assert speech.get_speechandtextanalytics_dictionaryfeedback().total == 1

    def test_sdk_feedback_is_adopted_by_its_term(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        speech = sdk.SpeechTextAnalyticsApi(sdk_client(sandbox))
        made = speech.post_speechandtextanalytics_dictionaryfeedback(_feedback(sdk, "Genesys", GENESYS_PHRASES, boost=5))
        plan = json.loads(served(project, sandbox, "plan", "--format", "json").stdout)
        change = changes_of(plan)["DictionaryFeedback/Genesys"]  # the manifest says two sounds-like terms
        assert (change["action"], change["object_id"]) == ("update", made.id)
        assert [fc["path"] for fc in change["field_changes"]] == ["soundsLike[1]"]
        assert changes_of(plan)["DictionaryFeedback/FlexiSaver"]["action"] == "create"
        served(project, sandbox, "apply", "--auto-approve")
        listed = speech.get_speechandtextanalytics_dictionaryfeedback().entities
        assert sorted(f.term for f in listed) == ["FlexiSaver", "Genesys"]
        assert next(f for f in listed if f.term == "Genesys").id == made.id
        read = speech.get_speechandtextanalytics_dictionaryfeedback_dictionary_feedback_id(made.id)
        assert sorted(read.sounds_like) == ["genesis", "jenesis"]
        assert "No changes" in served(project, sandbox, "plan", "--detailed-exitcode").stdout


class TestTopicProgramLinks:
    def test_a_topic_manifest_without_program_ids_does_not_unlink_the_topic(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        served(project, sandbox, "apply", "--auto-approve")
        speech = sdk.SpeechTextAnalyticsApi(sdk_client(sandbox))
        program = next(p for p in speech.get_speechandtextanalytics_programs().entities if p.name == "Retention")
        listed = next(t for t in speech.get_speechandtextanalytics_topics().entities if t.name == CANCELLATION)
        topic = speech.get_speechandtextanalytics_topic(listed.id)
        request = sdk.TopicRequest()  # another tool links the topic to the program
        for attr in ("name", "description", "strictness", "matching_type", "tags", "dialect", "participants", "phrases"):
            setattr(request, attr, getattr(topic, attr))
        request.program_ids = [program.id]
        speech.put_speechandtextanalytics_topic(listed.id, request)

        project.edit("speech-topics.yaml", "- text: close my account", "- text: close my account now")
        plan = json.loads(served(project, sandbox, "plan", "--format", "json").stdout)
        change = changes_of(plan)[f"SpeechTopic/{CANCELLATION}"]  # a whole-topic PUT, then the publish
        assert sorted(fc["path"] for fc in change["field_changes"]) == ["phrases[1].text", "published"]
        served(project, sandbox, "apply", "--auto-approve")
        intents = [(r["kind"], r["method"]) for r in project.last_run_records() if r["type"] == "intent"]
        assert ("SpeechTopic", "PUT") in intents
        assert [p.id for p in speech.get_speechandtextanalytics_topic(listed.id).programs] == [program.id]
        assert "No changes" in served(project, sandbox, "plan", "--detailed-exitcode").stdout


    def test_a_program_manifest_without_topic_ids_does_not_unlink_its_topics(self, project: Project, served_sandbox) -> None:
        """The program side of the same link: ``topicIds`` left out are not managed, so an edit of the program
        is a PUT that sends its live topics back instead of ``[]``."""
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        served(project, sandbox, "apply", "--auto-approve")
        speech = sdk.SpeechTextAnalyticsApi(sdk_client(sandbox))
        listed = next(p for p in speech.get_speechandtextanalytics_programs().entities if p.name == "Billing Quality")
        linked = sorted(t.id for t in speech.get_speechandtextanalytics_program(listed.id).topics)
        assert len(linked) == 2
        path = project.manifests / "speech-programs.yaml"
        head, _, tail = path.read_text().partition("name: Billing Quality\n")
        tail = tail.split("  topicIds:\n")[0] + "  tags:" + tail.split("  tags:")[1]
        path.write_text(head + "name: Billing Quality\n" + tail.replace("Disputes about", "Disputes over"))
        plan = json.loads(served(project, sandbox, "plan", "--format", "json").stdout)
        change = changes_of(plan)["SpeechProgram/Billing Quality"]
        assert [fc["path"] for fc in change["field_changes"]] == ["description"]
        served(project, sandbox, "apply", "--auto-approve")
        assert sorted(t.id for t in speech.get_speechandtextanalytics_program(listed.id).topics) == linked
        assert "No changes" in served(project, sandbox, "plan", "--detailed-exitcode").stdout


class TestArchitectUserPrompt:
    def test_the_sdk_creates_reads_pages_and_updates_prompts(self, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        architect = sdk.ArchitectApi(sdk_client(sandbox))
        made = []
        for name in ("MainMenuGreeting", "AfterHoursNotice", "HoldMusicIntro"):
            prompt = sdk.Prompt()
            prompt.name, prompt.description = name, f"{name} description"
            made.append(architect.post_architect_prompts(prompt))
        assert all(isinstance(p, sdk.Prompt) and p.id and p.self_uri == f"/api/v2/architect/prompts/{p.id}" for p in made)
        read = architect.get_architect_prompt(made[0].id)
        no_unknown_enums(read)
        assert (read.name, read.description) == ("MainMenuGreeting", "MainMenuGreeting description")

        second = architect.get_architect_prompts(page_number=2, page_size=2)
        assert isinstance(second, sdk.PromptEntityListing) and (second.total, second.page_count, len(second.entities)) == (3, 2, 1)
        assert second.previous_uri and second.next_uri is None and second.first_uri
        assert [p.id for p in architect.get_architect_prompts(name=["mainmenugreeting"]).entities] == [made[0].id]

        update = sdk.Prompt()
        update.name, update.description = "MainMenuGreeting", "changed"
        assert architect.put_architect_prompt(made[0].id, update).description == "changed"
        architect.delete_architect_prompt(made[2].id)
        assert architect.get_architect_prompts().total == 2

    def test_sdk_prompts_are_adopted_without_duplicates(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        architect = sdk.ArchitectApi(sdk_client(sandbox))
        prompt = sdk.Prompt()
        prompt.name, prompt.description = "MainMenuGreeting", "Played when the IVR answers"
        made = architect.post_architect_prompts(prompt)
        # its resources, as manifests-real/prompts.yaml declares them (PromptAssetCreate)
        for language, tts, text in (
            ("en-us", "Thank you for calling. For billing, press 1.", "Thank you for calling. For billing, press 1."),
            ("es-us", "Gracias por llamar. Para facturación, oprima 1.", None),
        ):
            asset = sdk.PromptAssetCreate()
            asset.language, asset.tts_string, asset.text = language, tts, text
            assert architect.post_architect_prompt_resources(made.id, asset).language == language
        plan = json.loads(served(project, sandbox, "plan", "--format", "json").stdout)
        actions = {c["name"]: (c["action"], c.get("object_id")) for c in plan["changes"] if c["kind"] == "ArchitectUserPrompt"}
        assert actions == {"MainMenuGreeting": ("no-op", made.id), "AfterHoursNotice": ("create", None)}
        served(project, sandbox, "apply", "--auto-approve")
        prompts = architect.get_architect_prompts().entities
        assert sorted(p.name for p in prompts) == ["AfterHoursNotice", "MainMenuGreeting"]
        assert next(p for p in prompts if p.name == "MainMenuGreeting").id == made.id


def _credential(sdk: Any, name: str, type_name: str, fields: dict[str, str]) -> Any:
    credential, credential_type = sdk.Credential(), sdk.CredentialType()
    credential_type.name = type_name
    credential.name, credential.type, credential.credential_fields = name, credential_type, fields
    return credential


class TestIntegrationCredential:
    def test_the_sdk_creates_reads_pages_and_updates_credentials(self, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        integrations = sdk.IntegrationsApi(sdk_client(sandbox))
        made = [integrations.post_integrations_credentials(body=_credential(sdk, f"Cred {i}", "basicAuth", {
            "userName": "u", "password": f"password-{i}"})) for i in range(3)]
        assert all(isinstance(c, sdk.CredentialInfo) and c.type.name == "basicAuth" for c in made)
        read = integrations.get_integrations_credential(made[0].id)
        assert isinstance(read, sdk.Credential) and read.name == "Cred 0" and read.credential_fields is None  # write-only
        no_unknown_enums(read)
        first = integrations.get_integrations_credentials_listing(page_size="2")
        assert isinstance(first, sdk.CredentialInfoCursorListing) and [c.name for c in first.entities] == ["Cred 0", "Cred 1"]
        after = dict(parse_qsl(urlsplit(first.next_uri).query))["after"]
        second = integrations.get_integrations_credentials_listing(page_size="2", after=after)
        assert [c.name for c in second.entities] == ["Cred 2"] and second.previous_uri and second.next_uri is None
        with pytest.warns(DeprecationWarning):  # the SDK's page listing: deprecated, still answered
            paged = integrations.get_integrations_credentials(page_number=2, page_size=2)
        assert isinstance(paged, sdk.CredentialInfoListing) and (paged.total, paged.page_count) == (3, 2)
        assert [c.name for c in paged.entities] == ["Cred 2"] and paged.previous_uri and paged.next_uri is None

        types = integrations.get_integrations_credentials_types()  # the SDK reads a bare list[CredentialType]
        basic = next(t for t in types if isinstance(t, sdk.CredentialType) and t.name == "basicAuth")
        assert basic.required == ["userName", "password"] and set(basic.properties) == {"userName", "password"}
        with pytest.raises(sdk.rest.ApiException) as lacking:
            integrations.post_integrations_credentials(body=_credential(sdk, "Cred 9", "basicAuth", {"userName": "u"}))
        assert lacking.value.status == 400 and "lacks password" in lacking.value.body

        bad = _credential(sdk, "Cred 0", "basicAuth", {})
        with pytest.raises(sdk.rest.ApiException) as refused:
            integrations.put_integrations_credential(made[0].id, body=bad)
        assert refused.value.status == 400 and "password-0" not in str(refused.value.body)
        renamed = integrations.put_integrations_credential(made[0].id, body=_credential(sdk, "Cred A", "basicAuth", {"userName": "u", "password": "x"}))
        assert renamed.name == "Cred A"
        integrations.delete_integrations_credential(made[2].id)
        assert len(integrations.get_integrations_credentials_listing().entities) == 2

    def test_sdk_credentials_are_adopted_and_their_secrets_never_surface(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        integrations = sdk.IntegrationsApi(sdk_client(sandbox))
        made = integrations.post_integrations_credentials(body=_credential(sdk, "CRM Basic Auth", "basicAuth", {
            "userName": CREDENTIAL_ENV["CRM_API_USER"], "password": CREDENTIAL_ENV["CRM_API_PASSWORD"]}))
        outputs = [served(project, sandbox, "plan", "--format", "json")]
        plan = json.loads(outputs[0].stdout)
        actions = {c["name"]: (c["action"], c.get("object_id")) for c in plan["changes"] if c["kind"] == "IntegrationCredential"}
        assert actions == {"CRM Basic Auth": ("no-op", made.id), "Ticketing Token": ("create", None)}
        outputs.append(served(project, sandbox, "apply", "--auto-approve"))
        outputs.append(served(project, sandbox, "apply", "--auto-approve", "--rotate-secret", "IntegrationCredential/CRM Basic Auth"))
        assert "CRM Basic Auth" in outputs[-1].stdout
        outputs.append(served(project, sandbox, "plan", "--out", "saved.plan"))
        credentials = integrations.get_integrations_credentials_listing().entities
        assert sorted(c.name for c in credentials) == ["CRM Basic Auth", "Ticketing Token"]
        assert next(c for c in credentials if c.name == "CRM Basic Auth").id == made.id
        files = [p for p in project.root.rglob("*") if p.is_file() and not p.name.startswith("served-")]  # the org's store
        texts = {**{f"output {i}": o.output for i, o in enumerate(outputs)}, **{str(p): p.read_text(errors="replace") for p in files}}
        leaked = [(name, where) for name, value in CREDENTIAL_ENV.items() for where, text in texts.items() if value in text]
        assert leaked == [] and project.audit_log.exists() and (project.root / "saved.plan").exists()


class TestEveryExample:
    def test_apply_twice_writes_nothing_the_second_time(self, project: Project) -> None:
        project.run("apply", "--auto-approve")
        programs = project.live("SpeechProgram")
        topics = project.live("SpeechTopic")
        assert sorted(t["id"] for t in programs["Billing Quality"]["topics"]) == sorted(
            topics[n]["id"] for n in ("Billing Dispute", CANCELLATION))
        assert programs["Retention"]["published"] is True and programs["Billing Quality"]["published"] is False
        before = len(project.audit_records())
        result = project.run("apply", "--auto-approve")
        assert "No changes" in result.stdout and len(project.audit_records()) == before

    def test_export_then_plan_of_the_export_is_clean_for_every_kind(self, project: Project) -> None:
        project.run("apply", "--auto-approve")
        exported = project.run("export", "--out", "out")
        assert not any(v in exported.output for v in CREDENTIAL_ENV.values())
        credential = (project.root / "out/integration-credential/crm-basic-auth.yaml").read_text()
        assert "basicAuth" in credential and "credentialFields" not in credential  # never read back
        exported = {p.parent.name for p in (project.root / "out").rglob("*.yaml")}
        plan = json.loads(project.run("plan", "out", "--format", "json", "--detailed-exitcode").stdout)
        assert {c["kind"] for c in plan["changes"]} == {k.name for k in PLATFORM_KINDS}
        assert all(c["action"] == "no-op" for c in plan["changes"]) and len(exported) == len(PLATFORM_KINDS)
        program = (project.root / "out/speech-program/billing-quality.yaml").read_text()
        assert "${ref:SpeechTopic/Billing Dispute.id}" in program and "${ref:SpeechTopic/Cancellation Intent.id}" in program


class TestCredentialManifests:
    def _errors(self, tmp_path: Path, fields: str) -> list[str]:
        from reconciler.core.errors import ManifestError
        from reconciler.manifests import load_manifests

        (tmp_path / "c.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: IntegrationCredential\nmetadata:\n  name: C\n"
            f"spec:\n  type: {{name: basicAuth}}\n  credentialFields: {fields}\n")
        try:
            load_manifests([tmp_path / "c.yaml"], env=CREDENTIAL_ENV)
        except ManifestError as exc:
            return [str(issue).replace(str(tmp_path) + "/", "") for issue in exc.issues]
        return []

    def test_each_field_comes_from_the_environment_only(self, tmp_path: Path) -> None:
        assert self._errors(tmp_path, "{userName: '${env:CRM_API_USER}', password: '${env:CRM_API_PASSWORD}'}") == []
        (literal,) = self._errors(tmp_path, "{userName: '${env:CRM_API_USER}', password: hunter22}")
        assert "spec.credentialFields.password: must be ${env:NAME}" in literal and "hunter22" not in literal
        (unset,) = self._errors(tmp_path, "{password: '${env:NOT_SET_ANYWHERE}'}")
        assert "environment variable NOT_SET_ANYWHERE is not set" in unset
        (number,) = self._errors(tmp_path, "{pin: 1234}")
        assert "spec.credentialFields: must be ${env:NAME}" in number and "1234" not in number

    def test_a_read_type_is_compared_by_its_name(self) -> None:
        from reconciler.kinds import REGISTRY

        kind = REGISTRY["IntegrationCredential"]
        live = {"name": "C", "type": {"id": "t1", "name": "basicAuth", "properties": {}, "required": ["password"]}}
        desired = kind.essence({"name": "C", "type": {"name": "basicAuth"}, "credentialFields": {"password": "x"}})
        assert kind.comparable(kind.essence(live), desired) == desired
