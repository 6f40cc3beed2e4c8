"""The stale message names what moved: a revision, or, where none tells, the id."""

from __future__ import annotations

from reconciler.apply.stale import stale_reason
from reconciler.kinds import REGISTRY
from reconciler.plan.model import Action, ResourceChange

INTEGRATION = REGISTRY["Integration"]  # no version, no dates
WEBHOOK = REGISTRY["Webhook"]


def test_an_unversioned_object_made_again_since_the_plan_names_both_ids() -> None:
    # was "planned against absent, live is now absent": the plan did see it, by id
    change = ResourceChange(kind="Integration", name="T", action=Action.REPLACE, object_id="old-id")
    stale = stale_reason(change, {"id": "new-id", "name": "T"}, INTEGRATION)
    assert stale is not None and stale.detail == "planned against id old-id, live is now id new-id; run plan again"
    gone = stale_reason(change, None, INTEGRATION)
    assert gone is not None and gone.detail == "planned against id old-id, live is now absent; run plan again"


def test_a_versioned_object_made_again_at_the_same_version_names_both_ids() -> None:
    change = ResourceChange(kind="Webhook", name="W", action=Action.UPDATE, object_id="old-id", live_version=1)
    stale = stale_reason(change, {"id": "new-id", "name": "W", "version": 1}, WEBHOOK)
    assert stale is not None and stale.detail == "planned against id old-id, live is now id new-id; run plan again"
    moved = stale_reason(change, {"id": "old-id", "name": "W", "version": 2}, WEBHOOK)
    assert moved is not None and moved.detail == "planned against version 1, live is now version 2; run plan again"


def test_a_delete_whose_id_a_live_object_names_since_the_plan_is_refused() -> None:
    # plan prunes trigger T; before the saved plan is applied, someone makes Watcher naming T's id
    from datetime import UTC, datetime

    from reconciler.apply.stale import referenced_since
    from reconciler.core.keys import ObjectKey
    from reconciler.plan.builder import PrunePolicy, build_plan

    def trigger(name: str, **more: object) -> dict[str, object]:
        return {"id": f"trigger-{name}", "name": name, "topicName": "v2.x", "target": {"type": "Workflow", "id": "wf"},
                "version": 1, **more}

    plan = build_plan([], {"ProcessAutomationTrigger": [trigger("T")]}, env={}, target="sandbox:x",
                      target_description="sandbox x", manifests_digest="sha256:" + "0" * 64,
                      created_at=datetime(2024, 5, 1, tzinfo=UTC),
                      prune=PrunePolicy(kinds=frozenset({"ProcessAutomationTrigger"})))
    assert [c.action for c in plan.changes] == [Action.DELETE] and not plan.errors
    watcher = trigger("Watcher", matchCriteria=[{"jsonPath": "triggerId", "operator": "Equal", "value": "trigger-T"}])
    assert referenced_since(plan, {"ProcessAutomationTrigger": [trigger("T")]}) == {}
    assert referenced_since(plan, {"ProcessAutomationTrigger": [trigger("T"), watcher]}) == {
        ObjectKey("ProcessAutomationTrigger", "T"): "ProcessAutomationTrigger/Watcher references it now "
        "(not when planned); it cannot be deleted; run plan again"}


def test_a_reference_resolves_to_a_declared_object_or_a_live_one_the_plan_keeps() -> None:
    """An undeclared rule deleted since the plan (or deleted by it) leaves the webhook naming it unresolvable."""
    from reconciler.apply.stale import referenced_kinds, unresolvable_references
    from reconciler.plan.model import Plan

    spec = {"requestUrl": "https://x.example.com", "eventFilters": [
        {"event": "rules.updated", "filter": "ruleId eq ${ref:SpeechRule/Rule.id}"}]}
    hook = ResourceChange(kind="Webhook", name="W", action=Action.UPDATE, object_id="w", live_version=1, spec=spec)

    def plan(*more: ResourceChange) -> Plan:
        return Plan(tool_version="t", created_at="2024-05-01T00:00:00Z", target="sandbox:x", target_description="x",
                    manifests_digest="sha256:" + "0" * 64, changes=(hook, *more))

    rule = {"id": "r", "name": "rule", "version": 1}
    assert referenced_kinds(plan()) == {"SpeechRule"}
    assert unresolvable_references(plan(), {"SpeechRule": [rule]}) == []
    declared = ResourceChange(kind="SpeechRule", name="Rule", action=Action.NOOP, object_id="r", live_version=1)
    assert unresolvable_references(plan(declared), {}) == []
    gone = ["Webhook/W: eventFilters[0].filter refers to SpeechRule/Rule, which is neither declared in the plan "
            "nor live"]
    assert unresolvable_references(plan(), {"SpeechRule": []}) == gone
    pruned = ResourceChange(kind="SpeechRule", name="Rule", action=Action.DELETE, object_id="r", live_version=1)
    assert unresolvable_references(plan(pruned), {"SpeechRule": [rule]}) == gone
