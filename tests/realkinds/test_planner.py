"""The planner on the platform kinds: replacement, the singleton, the one-way publish flag,
revisions without versions, entity references read back as ids. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler.core.errors import ConfigError
from reconciler.core.keys import Location
from reconciler.manifests.desired import KNOWN_AFTER_APPLY, DesiredObject
from reconciler.plan.builder import PrunePolicy, build_plan
from reconciler.plan.model import Action, Plan, summary_line
from reconciler.render import render_plan

from ._support import TOPIC, TRIGGER, TTS, trigger_body

TOPIC_SPEC = {"dialect": "en-US", "phrases": [{"text": "refund"}, {"text": "charge back"}], "published": True}
TRIGGER_SPEC = {k: v for k, v in trigger_body().items() if k != "name"}


def desired(kind: str, name: str, spec: Mapping[str, Any], line: int = 1) -> DesiredObject:
    return DesiredObject(kind=kind, name=name, spec=dict(spec), source=Location("manifests/real.yaml", line, 1))


def live_topic(name: str, **changes: Any) -> dict[str, Any]:
    """A topic as GET /topics/{id} shows it after apply and publish (programs as references)."""
    body = TOPIC.api_body(name, {**TOPIC_SPEC, **changes})
    ids = body.pop("programIds", [])
    programs = [{"id": p, "selfUri": f"/api/v2/speechandtextanalytics/programs/{p}"} for p in ids]
    return {"id": f"topic-{name}", **body, "phrases": body["phrases"][::-1], "programs": programs,
            "published": changes.get("published", True), "datePublished": "2024-05-01T10:00:00.000Z",
            "dateModified": "2024-05-01T09:00:00.000Z", "selfUri": f"/t/{name}"}


def live_trigger(name: str, **changes: Any) -> dict[str, Any]:
    body = TRIGGER.api_body(name, {**TRIGGER_SPEC, **changes})
    return {"id": f"trigger-{name}", **body, "version": 3, "selfUri": f"/tr/{name}"}


def live_settings(**changes: Any) -> dict[str, Any]:
    return {"name": "org", **TTS.api_body("org", {"defaultEngine": "amazon-polly", **changes})}


def plan_of(objects: Sequence[DesiredObject], live: Mapping[str, list[dict[str, Any]]], **kwargs: Any) -> Plan:
    return build_plan(objects, live, env={}, target="sandbox:x", target_description="sandbox x",
                      manifests_digest="sha256:" + "0" * 64, created_at=datetime(2024, 5, 1, tzinfo=UTC), **kwargs)


def only(plan: Plan) -> Any:
    (change,) = plan.changes
    return change


class TestReplacement:
    def test_a_topic_name_change_plans_a_replace_with_its_reason(self) -> None:
        plan = plan_of([desired("ProcessAutomationTrigger", "T", {**TRIGGER_SPEC, "topicName": "v2.other"})],
                       {"ProcessAutomationTrigger": [live_trigger("T")]})
        change = only(plan)
        assert change.action == Action.REPLACE
        assert "topicName changes force replacement (delete, then create)" in change.reason
        assert [fc.path for fc in change.field_changes] == ["topicName"]
        assert (change.object_id, change.live_version) == ("trigger-T", 3)
        assert plan.summary == {"create": 0, "update": 0, "replace": 1, "delete": 0, "no-op": 0}
        assert summary_line(plan.summary) == "0 to create, 0 to update, 1 to replace, 0 to delete, 0 unchanged"
        assert "-/+ replace ProcessAutomationTrigger/T" in render_plan(plan, "text")
        assert "to replace" in render_plan(plan, "markdown")

    def test_other_changes_are_updates(self) -> None:
        plan = plan_of([desired("ProcessAutomationTrigger", "T", {**TRIGGER_SPEC, "enabled": False})],
                       {"ProcessAutomationTrigger": [live_trigger("T")]})
        assert only(plan).action == Action.UPDATE and "replace" not in plan.summary

    def test_a_reference_to_a_replaced_object_is_known_after_apply(self) -> None:
        referrer = {**TRIGGER_SPEC, "matchCriteria": [
            {"jsonPath": "triggerId", "operator": "Equal", "value": "${ref:ProcessAutomationTrigger/T.id}"}]}
        live = {"ProcessAutomationTrigger": [live_trigger("T"), live_trigger("Watcher", matchCriteria=[
            {"jsonPath": "triggerId", "operator": "Equal", "value": "trigger-T"}])]}
        unchanged = plan_of([desired("ProcessAutomationTrigger", "T", TRIGGER_SPEC),
                             desired("ProcessAutomationTrigger", "Watcher", referrer)], live)
        assert {c.name: c.action for c in unchanged.changes} == {"T": Action.NOOP, "Watcher": Action.NOOP}

        replaced = plan_of([desired("ProcessAutomationTrigger", "T", {**TRIGGER_SPEC, "topicName": "v2.other"}),
                            desired("ProcessAutomationTrigger", "Watcher", referrer)], live)
        watcher = next(c for c in replaced.changes if c.name == "Watcher")
        assert watcher.action == Action.UPDATE and tuple(map(str, watcher.depends_on)) == ("ProcessAutomationTrigger/T",)
        assert [(fc.path, fc.before, fc.after) for fc in watcher.field_changes] == [
            ("matchCriteria[0].value", "trigger-T", KNOWN_AFTER_APPLY)]

    def test_replacing_an_object_an_unmanaged_one_still_names_is_refused(self) -> None:
        # the replace deletes trigger-T; the unmanaged Watcher would be left naming a deleted id
        watcher = live_trigger("Watcher", matchCriteria=[{"jsonPath": "triggerId", "operator": "Equal", "value": "trigger-T"}])
        plan = plan_of([desired("ProcessAutomationTrigger", "T", {**TRIGGER_SPEC, "topicName": "v2.other"})],
                       {"ProcessAutomationTrigger": [live_trigger("T"), watcher]})
        assert plan.errors == ("ProcessAutomationTrigger/T is still referenced by ProcessAutomationTrigger/Watcher; "
                               "it cannot be replaced (deleted, then created with a new id)",)


class TestReplaceCountsAsDelete:
    """A replace deletes its live object (the new one has another id): every delete bound counts it."""

    @staticmethod
    def replaced(count: int, live_extra: int = 0, **prune: Any) -> Plan:
        names = [f"T{i}" for i in range(count)]
        objects = [desired("ProcessAutomationTrigger", n, {**TRIGGER_SPEC, "topicName": "v2.other"}) for n in names]
        kept = [f"K{i}" for i in range(live_extra)]
        objects += [desired("ProcessAutomationTrigger", n, TRIGGER_SPEC) for n in kept]
        live = {"ProcessAutomationTrigger": [live_trigger(n) for n in [*names, *kept]]}
        return plan_of(objects, live, prune=PrunePolicy(**prune))

    def test_max_deletes_counts_a_replace(self) -> None:
        """``--max-deletes 0`` let a replace through, while ``policy.limits`` counted it as a delete."""
        plan = self.replaced(1, live_extra=9, max_deletes=0)
        assert plan.errors == ("the plan would delete 1 live object (1 replaced), more than --max-deletes 0",)

    def test_the_per_plan_bound_counts_replaces_with_pruned_deletes(self) -> None:
        objects = [desired("ProcessAutomationTrigger", f"T{i}", {**TRIGGER_SPEC, "topicName": "v2.other"})
                   for i in range(6)]
        objects += [desired("ProcessAutomationTrigger", f"K{i}", TRIGGER_SPEC) for i in range(40)]
        live = {"ProcessAutomationTrigger": [live_trigger(f"T{i}") for i in range(6)]
                + [live_trigger(f"K{i}") for i in range(40)] + [live_trigger(f"S{i}") for i in range(5)]}
        plan = plan_of(objects, live, prune=PrunePolicy(kinds=frozenset({"ProcessAutomationTrigger"})))
        assert plan.summary["replace"] == 6 and plan.summary["delete"] == 5
        assert plan.errors == ("the plan would delete 11 live objects (5 pruned, 6 replaced), more than the bound "
                               "of 10 per plan (prune.maxDeletes); pass --max-deletes N to allow more",)

    def test_the_percent_bound_counts_replaces(self) -> None:
        plan = self.replaced(2, live_extra=2)
        assert plan.errors == ("the plan would delete 2 of the 4 managed live ProcessAutomationTrigger objects "
                               "(2 replaced, 50%), more than the bound of 1 (25% of 4, at least 1, "
                               "prune.maxDeletePercent); pass --max-deletes N to allow more",)

    def test_one_replace_in_a_small_kind_passes(self) -> None:
        assert self.replaced(1, live_extra=1).applyable

    def test_max_deletes_lifts_the_percent_bound(self) -> None:
        """An absolute ``--max-deletes N`` is the user's own statement: it stands in for both bounds."""
        plan = self.replaced(2, live_extra=2, max_deletes=2)
        assert plan.applyable, plan.errors


class TestSingleton:
    def test_declared_settings_are_only_ever_updated(self) -> None:
        spec = {"defaultEngine": "google-cloud"}
        change = only(plan_of([desired("TtsSettings", "org", spec)], {"TtsSettings": [live_settings()]}))
        assert change.action == Action.UPDATE and change.object_id is None
        # no version on the platform: the revision is a digest of the settings read at plan
        assert change.live_version == TTS.revision(live_settings()) and str(change.live_version).startswith("sha256:")
        assert [(fc.path, fc.before, fc.after) for fc in change.field_changes] == [
            ("defaultEngine", "amazon-polly", "google-cloud")]

    def test_undeclared_settings_are_neither_unmanaged_nor_deleted(self) -> None:
        live = {"TtsSettings": [live_settings()], "ProcessAutomationTrigger": [live_trigger("Stray")]}
        plan = plan_of([], live, prune=PrunePolicy(kinds=frozenset({"ProcessAutomationTrigger"})))
        assert [(c.action, c.address) for c in plan.changes] == [(Action.DELETE, "ProcessAutomationTrigger/Stray")]
        assert plan.unmanaged == ()

    def test_pruning_the_singleton_is_refused(self) -> None:
        with pytest.raises(ConfigError, match="TtsSettings is the org's single settings object"):
            plan_of([], {"TtsSettings": [live_settings()]}, prune=PrunePolicy(kinds=frozenset({"TtsSettings"})))

    def test_settings_missing_live_are_a_plan_error_not_a_create(self) -> None:
        plan = plan_of([desired("TtsSettings", "org", {"defaultEngine": "google-cloud"})], {"TtsSettings": []})
        assert not plan.applyable
        assert plan.errors == ("TtsSettings/org: the org's TtsSettings was not found live; it is never created "
                               "(check the target and scopes)",)


class TestTopics:
    def test_an_applied_topic_is_a_no_op_whatever_the_order_and_with_programs_as_references(self) -> None:
        spec = {**TOPIC_SPEC, "programIds": ["p2", "p1"], "tags": ["b", "a"]}
        live = live_topic("T", programIds=["p1", "p2"], tags=["a", "b"])
        assert only(plan_of([desired("SpeechTopic", "T", spec)], {"SpeechTopic": [live]})).action == Action.NOOP

    def test_the_revision_is_date_modified(self) -> None:
        change = only(plan_of([desired("SpeechTopic", "T", {**TOPIC_SPEC, "description": "new"})],
                              {"SpeechTopic": [live_topic("T")]}))
        assert change.action == Action.UPDATE and change.live_version == "2024-05-01T09:00:00.000Z"

    def test_published_true_is_managed(self) -> None:
        change = only(plan_of([desired("SpeechTopic", "T", TOPIC_SPEC)], {"SpeechTopic": [live_topic("T", published=False)]}))
        assert change.action == Action.UPDATE
        assert [(fc.path, fc.before, fc.after) for fc in change.field_changes] == [("published", False, True)]

    def test_published_false_is_not_managed_the_api_cannot_unpublish(self) -> None:
        spec = {k: v for k, v in TOPIC_SPEC.items() if k != "published"}
        for published in (True, False):
            change = only(plan_of([desired("SpeechTopic", "T", spec)], {"SpeechTopic": [live_topic("T", published=published)]}))
            assert change.action == Action.NOOP, published

    def test_a_phrase_change_shows_in_the_diff(self) -> None:
        spec = {**TOPIC_SPEC, "phrases": [{"text": "refund"}, {"text": "charge back", "sentiment": "Negative"}]}
        change = only(plan_of([desired("SpeechTopic", "T", spec)], {"SpeechTopic": [live_topic("T")]}))
        assert change.action == Action.UPDATE
        assert [fc.path for fc in change.field_changes] == ["phrases[0].sentiment"]
