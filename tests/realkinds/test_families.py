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

import pytest

from reconciler.kinds import PLATFORM_KINDS

from ._support import CANCELLATION, Project, changes_of, make_project
from .test_sdk import no_unknown_enums, sdk_client, served

PROGRAMS = "/api/v2/speechandtextanalytics/programs"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path, files=None)


def _program(sdk: Any, name: str, topic_ids: list[str], tags: list[str]) -> Any:
    request = sdk.ProgramRequest()
    request.name, request.description, request.topic_ids, request.tags = name, "Calls where customers want to leave", topic_ids, tags
    return request


class TestSpeechProgram:
    def test_the_sdk_creates_reads_pages_and_publishes_programs(self, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox()
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

        sandbox = served_sandbox()
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


class TestArchitectUserPrompt:
    def test_the_sdk_creates_reads_pages_and_updates_prompts(self, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox()
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

        sandbox = served_sandbox()
        architect = sdk.ArchitectApi(sdk_client(sandbox))
        prompt = sdk.Prompt()
        prompt.name, prompt.description = "MainMenuGreeting", "Played when the IVR answers"
        made = architect.post_architect_prompts(prompt)
        plan = json.loads(served(project, sandbox, "plan", "--format", "json").stdout)
        actions = {c["name"]: (c["action"], c.get("object_id")) for c in plan["changes"] if c["kind"] == "ArchitectUserPrompt"}
        assert actions == {"MainMenuGreeting": ("no-op", made.id), "AfterHoursNotice": ("create", None)}
        served(project, sandbox, "apply", "--auto-approve")
        prompts = architect.get_architect_prompts().entities
        assert sorted(p.name for p in prompts) == ["AfterHoursNotice", "MainMenuGreeting"]
        assert next(p for p in prompts if p.name == "MainMenuGreeting").id == made.id


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
        project.run("export", "--out", "out")
        exported = {p.parent.name for p in (project.root / "out").rglob("*.yaml")}
        plan = json.loads(project.run("plan", "out", "--format", "json", "--detailed-exitcode").stdout)
        assert {c["kind"] for c in plan["changes"]} == {k.name for k in PLATFORM_KINDS}
        assert all(c["action"] == "no-op" for c in plan["changes"]) and len(exported) == len(PLATFORM_KINDS)
        program = (project.root / "out/speech-program/billing-quality.yaml").read_text()
        assert "${ref:SpeechTopic/Billing Dispute.id}" in program and "${ref:SpeechTopic/Cancellation Intent.id}" in program
