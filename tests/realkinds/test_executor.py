"""The executor's platform-kind paths where the sandbox cannot fail on cue: a replace whose
create is refused after its delete, a publish job that fails or never ends, a publish
refused by the API. A scripted writer stands in for the client; the trail records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio

from reconciler.apply.executor import apply_plan
from reconciler.apply.result import Outcome
from reconciler.apply.stale import stale_reason
from reconciler.apply.steps import (
    CreateStep,
    DeleteStep,
    PublishFlagStep,
    ReplaceCreateStep,
    ReplaceDeleteStep,
    UpdateStep,
    build_steps,
)
from reconciler.core.errors import BadRequestError
from reconciler.core.keys import ObjectKey
from reconciler.kinds import REGISTRY, Kind, Publish
from reconciler.plan.model import COMPUTED_CHANGE_FIELDS, Action, FieldChange, Plan, ResourceChange

from ._support import TRIGGER, topic_body, trigger_body


@dataclass
class Result:
    object: dict[str, Any] | None
    status: int = 200
    correlation_id: str | None = "corr-1"
    latency_ms: float = 1.0
    adopted: bool = False


@dataclass
class ScriptedWriter:
    """Creates and deletes succeed unless told otherwise; the publish job ends as ``job_state``."""

    refuse_creates: bool = False
    job_state: str = "Completed"
    refuse_publish: bool = False
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def create(self, kind: Kind, body: dict[str, Any]) -> Result:
        self.calls.append(("create", body["name"]))
        if self.refuse_creates:
            raise BadRequestError(400, "bad.request", "refused", method="POST", path=kind.collection)
        return Result({"id": f"new-{body['name']}", **body})

    async def update(self, kind: Kind, object_id: str, body: dict[str, Any], version: int) -> Result:
        self.calls.append(("update", object_id))
        return Result({"id": object_id, **body})

    async def delete(self, kind: Kind, object_id: str) -> Result:
        self.calls.append(("delete", object_id))
        return Result(None, status=204)

    async def call_hook(self, hook: Any) -> Result:  # pragma: no cover - no hook kinds here
        return Result(None)

    async def publish(self, publish: Publish, ids: list[str]) -> Result:
        self.calls.append(("publish", ",".join(ids)))
        if self.refuse_publish:
            raise BadRequestError(400, "bad.request", "no such topic", method="POST", path=publish.path)
        return Result({"id": "job-1", publish.state_field: self.job_state})


@dataclass
class Trail:
    records: list[dict[str, Any]] = field(default_factory=list)
    sync_seconds: float = 0.0  # nothing goes to disk

    def intent(self, **fields: Any) -> int:
        self.records.append({"type": "intent", **fields})
        return len(self.records)

    def outcome(self, **fields: Any) -> None:
        self.records.append({"type": "outcome", **fields})


def plan(*changes: ResourceChange) -> Plan:
    return Plan(tool_version="t", created_at=datetime(2024, 5, 1, tzinfo=UTC), target="x", target_description="x",
                manifests_digest="d", changes=changes)


def run(the_plan: Plan, writer: ScriptedWriter, live: dict[str, list[dict[str, Any]]]) -> tuple[Any, Trail]:
    trail = Trail()
    result = anyio.run(partial(apply_plan, the_plan, writer, live=live, env={}, trail=trail))
    return result, trail


def topic_create(name: str = "T") -> ResourceChange:
    spec = {k: v for k, v in topic_body(name).items() if k != "name"} | {"published": True}
    return ResourceChange(kind="SpeechTopic", name=name, action=Action.CREATE, spec=spec, after={"name": name})


class TestReplace:
    def change(self) -> ResourceChange:
        spec = {k: v for k, v in trigger_body("T", topicName="v2.other").items() if k != "name"}
        return ResourceChange(kind=TRIGGER.name, name="T", action=Action.REPLACE, object_id="old-id", live_version=3,
                              spec=spec, before={"topicName": "v2.x"}, after={"topicName": "v2.other"},
                              field_changes=(FieldChange(path="topicName", before="v2.x", after="v2.other"),))

    def live(self) -> dict[str, list[dict[str, Any]]]:
        return {TRIGGER.name: [{"id": "old-id", "name": "T", "version": 3, **trigger_body("T")}]}

    def test_it_deletes_then_creates_two_audited_writes_one_outcome(self) -> None:
        writer = ScriptedWriter()
        result, trail = run(plan(self.change()), writer, self.live())
        assert writer.calls == [("delete", "old-id"), ("create", "T")]
        (outcome,) = result.changes
        assert (outcome.action, outcome.outcome, outcome.object_id) == (Action.REPLACE, Outcome.SUCCESS, "new-T")
        intents = [(r["action"], r["method"], r["object_id"]) for r in trail.records if r["type"] == "intent"]
        assert intents == [("delete", "DELETE", "old-id"), ("create", "POST", None)]
        assert [r["changes"] for r in trail.records if r["type"] == "intent"] == [
            [{"path": "topicName", "before": "v2.x", "after": None}],
            [{"path": "topicName", "before": None, "after": "v2.other"}],
        ]

    def test_a_refused_create_after_the_delete_is_reported_as_such(self) -> None:
        writer = ScriptedWriter(refuse_creates=True)
        result, trail = run(plan(self.change()), writer, self.live())
        (outcome,) = result.changes
        assert outcome.outcome == Outcome.FAILED and outcome.error.startswith("deleted, but the create failed: ")
        assert [r["outcome"] for r in trail.records if r["type"] == "outcome"] == ["success", "failure"]

    def test_a_stale_object_is_neither_deleted_nor_created(self) -> None:
        live = {TRIGGER.name: [{"id": "old-id", "name": "T", "version": 4, **trigger_body("T")}]}
        writer = ScriptedWriter()
        result, _ = run(plan(self.change()), writer, live)
        assert writer.calls == [] and result.changes[0].outcome == Outcome.STALE


class TestPublishing:
    def test_one_job_publishes_every_written_topic_that_asks_for_it(self) -> None:
        writer = ScriptedWriter()
        unpublished = ResourceChange(kind="SpeechTopic", name="Draft", action=Action.CREATE,
                                     spec={k: v for k, v in topic_body("Draft").items() if k != "name"})
        result, trail = run(plan(topic_create("A"), topic_create("B"), unpublished), writer, {})
        assert ("publish", "new-A,new-B") in writer.calls
        assert result.hooks_called == ("publish speech topics: 2 SpeechTopic objects published",)
        (job,) = [r for r in trail.records if r["type"] == "intent" and r["action"] == "hook"]
        assert job["changes"] == [{"path": "topicIds", "before": None, "after": ["new-A", "new-B"]}]
        assert all(c.outcome == Outcome.SUCCESS for c in result.changes)

    def test_a_failed_job_fails_the_topics_it_was_publishing(self) -> None:
        writer = ScriptedWriter(job_state="Failed")
        result, trail = run(plan(topic_create("A")), writer, {})
        (outcome,) = result.changes
        assert outcome.outcome == Outcome.FAILED and result.failed == 1
        assert outcome.error == "written, but not published: publish job job-1 failed (state 'Failed')"
        job_outcome = trail.records[-1]
        assert (job_outcome["outcome"], job_outcome["error"]["code"]) == ("failure", "job.failed")

    def test_a_job_still_running_at_the_timeout_is_a_failure(self) -> None:
        result, _ = run(plan(topic_create("A")), ScriptedWriter(job_state="Running"), {})
        assert "did not finish in time" in (result.changes[0].error or "")

    def test_a_refused_job_is_recorded_and_reported(self) -> None:
        result, trail = run(plan(topic_create("A")), ScriptedWriter(refuse_publish=True), {})
        assert result.changes[0].outcome == Outcome.FAILED
        assert result.hooks_called[0].startswith("publish speech topics: failed: ")
        assert trail.records[-1]["status"] == 400

    def test_a_publish_only_update_writes_nothing_but_the_job(self) -> None:
        spec = {k: v for k, v in topic_body("A").items() if k != "name"} | {"published": True}
        change = ResourceChange(kind="SpeechTopic", name="A", action=Action.UPDATE, object_id="t-1",
                                live_version="2024-05-01T00:00:00.000Z", spec=spec,
                                field_changes=(FieldChange(path="published", before=False, after=True),))
        live = {"SpeechTopic": [{"id": "t-1", "name": "A", "dateModified": "2024-05-01T00:00:00.000Z"}]}
        writer = ScriptedWriter()
        result, _ = run(plan(change), writer, live)
        assert writer.calls == [("publish", "t-1")] and result.changes[0].outcome == Outcome.SUCCESS


class TestSteps:
    """The pure half of apply: which typed step each change becomes, and what it waits for."""

    def test_each_action_becomes_its_step_with_its_waits(self) -> None:
        hook = ResourceChange(kind="Webhook", name="H", action=Action.UPDATE, object_id="w-1", live_version=3,
                              depends_on=("SpeechRule/R", "SpeechRule/Unchanged"),
                              field_changes=(FieldChange(path="url", before="a", after="b"),))
        rule = ResourceChange(kind="SpeechRule", name="R", action=Action.CREATE)
        gone = ResourceChange(kind="Webhook", name="Old", action=Action.DELETE, object_id="w-2", live_version=1)
        same = ResourceChange(kind="Webhook", name="Same", action=Action.NOOP)
        steps = build_steps(plan(rule, hook, gone, same))
        created, updated, deleted = steps.objects
        assert isinstance(created, CreateStep) and isinstance(updated, UpdateStep) and isinstance(deleted, DeleteStep)
        # only planned changes are waited for; the PUT carries the version the plan read
        assert updated.requires == (ObjectKey("SpeechRule", "R"),) and updated.version == 3
        assert deleted.after == (ObjectKey("SpeechRule", "R"), ObjectKey("Webhook", "H")) and deleted.requires == ()

    def test_a_pruned_object_goes_after_the_pruned_objects_that_name_it(self) -> None:
        """Deleted at once, an integration could go while its data action's delete is still in flight (the
        platform may refuse it or take the action with it, failing that delete); dependents go first."""
        integration = ResourceChange(kind="Integration", name="I", action=Action.DELETE, object_id="i-1",
                                     before={"integrationType": {"id": "custom-rest-actions"}})
        action = ResourceChange(kind="DataAction", name="A", action=Action.DELETE, object_id="a-1",
                                before={"integrationId": "i-1", "category": "c"})
        other = ResourceChange(kind="DataAction", name="B", action=Action.DELETE, object_id="a-2",
                               before={"integrationId": "i-9"})
        credential = ResourceChange(kind="IntegrationCredential", name="C", action=Action.DELETE, object_id="i-1x")
        steps = build_steps(plan(credential, integration, action, other))
        by_name = {s.change.name: s for s in steps.objects}
        # required, not merely after: a failed delete of the action keeps the integration it names
        assert by_name["I"].requires == (ObjectKey("DataAction", "A"),) and by_name["I"].after == ()
        assert all(by_name[n].requires == () and by_name[n].after == () for n in "ABC")

    def test_an_id_named_inside_a_pruned_objects_text_counts_as_the_plan_counts_it(self) -> None:
        """A webhook's filter names a rule's id as a word of a string: the plan's still-referenced test
        (``mentioned``) sees it, so the apply's order must too (a plain equality did not)."""
        rule = ResourceChange(kind="SpeechRule", name="R", action=Action.DELETE, object_id="r-1")
        hook = ResourceChange(kind="Webhook", name="H", action=Action.DELETE, object_id="w-1",
                              before={"eventFilters": [{"event": "rules.updated", "filter": "ruleId eq r-1"}]})
        steps = build_steps(plan(rule, hook))
        by_name = {s.change.name: s for s in steps.objects}
        assert by_name["R"].requires == (ObjectKey("Webhook", "H"),) and by_name["H"].requires == ()

    def test_replace_publish_flag_and_publish_jobs(self) -> None:
        flag = ResourceChange(kind="SpeechTopic", name="A", action=Action.UPDATE, object_id="t-1",
                              live_version="2024-05-01T00:00:00.000Z", spec={"published": True},
                              field_changes=(FieldChange(path="published", before=False, after=True),))
        replace = ResourceChange(kind=TRIGGER.name, name="T", action=Action.REPLACE, object_id="old", live_version=3)
        steps = build_steps(plan(topic_create("B"), flag, replace))
        assert [type(s) for s in steps.objects] == [CreateStep, PublishFlagStep, ReplaceDeleteStep, ReplaceCreateStep]
        (job,) = steps.publishes
        assert job.kind.name == "SpeechTopic"
        assert job.candidates == (ObjectKey("SpeechTopic", "B"), ObjectKey("SpeechTopic", "A"))

    def test_a_hook_step_names_the_kinds_that_declare_it(self) -> None:
        hooked = [k for k in REGISTRY.values() if k.after_write is not None]
        assert hooked, "a kind with a post-write hook"
        change = ResourceChange(kind=hooked[0].name, name="X", action=Action.CREATE)
        (step,) = build_steps(plan(change)).hooks
        assert step.hook == hooked[0].after_write and hooked[0].name in step.kinds


class TestTypedPlanFields:
    def test_depends_on_holds_keys_and_saves_as_kind_name_strings(self) -> None:
        change = ResourceChange(kind="Webhook", name="H", action=Action.CREATE, depends_on=("SpeechRule/A/B",))
        assert change.depends_on == (ObjectKey("SpeechRule", "A/B"),)
        dumped = change.model_dump(mode="json")
        assert dumped["depends_on"] == ["SpeechRule/A/B"]
        stored = {k: v for k, v in dumped.items() if k not in COMPUTED_CHANGE_FIELDS}  # as a saved plan reads back
        assert ResourceChange.model_validate(stored) == change

    def test_a_timestamp_revision_reads_as_a_modification_time(self) -> None:
        change = ResourceChange(kind="SpeechTopic", name="A", action=Action.UPDATE, object_id="t-1",
                                live_version="2024-05-01T00:00:00.000Z")
        moved = {"id": "t-1", "name": "A", "dateModified": "2024-05-02T00:00:00.000Z"}
        stale = stale_reason(change, moved, REGISTRY["SpeechTopic"])
        assert stale is not None and stale.detail == (
            "planned against modified 2024-05-01T00:00:00.000Z, live is now modified 2024-05-02T00:00:00.000Z; "
            "run plan again"
        )
