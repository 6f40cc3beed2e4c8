"""A replace as two steps: the order :func:`build_steps` gives them, and how the scheduler and executor run them.

The order is Terraform's destroy-then-create chain (reconciler/apply/steps.py says why): the
dependents' deletes, the referenced object's delete, its create, the dependents' creates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio
import yaml

from reconciler.apply.executor import apply_plan
from reconciler.apply.interrupt import Stop
from reconciler.apply.result import ChangeOutcome, Outcome
from reconciler.apply.scheduler import Slot, run_steps
from reconciler.apply.steps import (
    DeleteHalf,
    DeleteStep,
    ObjectStep,
    ReplaceCreateStep,
    ReplaceDeleteStep,
    StepId,
    Steps,
    UpdateStep,
    build_steps,
)
from reconciler.core.errors import ConflictError
from reconciler.core.keys import ObjectKey
from reconciler.kinds import Kind
from reconciler.plan.model import Action, Plan, ResourceChange

from ._support import REPO

INTEG, A = ObjectKey("Integration", "I"), ObjectKey("DataAction", "A")
#: a valid data action's spec (the example's), naming the integration I
ACTION_SPEC = {**next(d for d in yaml.safe_load_all((REPO / "manifests-real" / "data-actions.yaml").read_text())
                      if d["metadata"]["name"] == "Notify CRM Of Call")["spec"],
               "integrationId": "${ref:Integration/I.id}"}


def plan(*changes: ResourceChange) -> Plan:
    return Plan(tool_version="t", created_at=datetime(2024, 5, 1, tzinfo=UTC), target="x", target_description="x",
                manifests_digest="d", changes=changes)


def integration(action: Action = Action.REPLACE, name: str = "I", object_id: str = "i-1") -> ResourceChange:
    # integrations carry no version: a plan has no revision of theirs to check
    return ResourceChange(kind="Integration", name=name, action=action, object_id=object_id,
                          before={"integrationType": {"id": "custom-rest-actions"}},
                          spec={"integrationType": {"id": "custom-rest-actions-v2"}})


def data_action(action: Action = Action.REPLACE, name: str = "A", names: str = "i-1", object_id: str = "a-1",
                depends_on: tuple[str, ...] = ("Integration/I",)) -> ResourceChange:
    return ResourceChange(kind="DataAction", name=name, action=action,
                          object_id=None if action == Action.CREATE else object_id,
                          live_version=None if action == Action.CREATE else 1,
                          before=None if action == Action.CREATE else {"integrationId": names, "category": "c"},
                          spec=None if action == Action.DELETE else ACTION_SPEC,
                          depends_on=() if action == Action.DELETE else depends_on)


def by_id(steps: Steps) -> dict[StepId, ObjectStep]:
    return {s.id: s for s in steps.objects}


def assert_no_cycle(steps: Steps) -> list[StepId]:
    """A topological order of the steps' waits (the scheduler would hang on a cycle); it must cover every step."""
    waits = {s.id: set(s.requires) | set(s.after) for s in steps.objects}
    order: list[StepId] = []
    while waits:
        ready = [k for k, w in waits.items() if not w - set(order)]
        assert ready, f"the waits form a cycle among {sorted(map(str, waits))}"
        order.extend(ready)
        for k in ready:
            del waits[k]
    return order


class TestOrder:
    def test_both_replaced_the_action_is_deleted_first_and_created_last(self) -> None:
        steps = build_steps(plan(integration(), data_action()))
        s = by_id(steps)
        assert [type(x) for x in steps.objects] == [ReplaceDeleteStep, ReplaceCreateStep] * 2
        # (a) the integration's delete waits for the action's, and needs it to succeed
        assert s[DeleteHalf(INTEG)].requires == (DeleteHalf(A),) and s[DeleteHalf(A)].requires == ()
        # (b) each create waits for its own delete, the action's for the new integration too
        assert s[INTEG].requires == (DeleteHalf(INTEG),) and s[A].requires == (DeleteHalf(A), INTEG)
        assert s[INTEG].continues == DeleteHalf(INTEG) and s[DeleteHalf(INTEG)].continues is None
        # one step per change carries its outcome
        assert [x.id for x in steps.per_change] == [INTEG, A]
        assert assert_no_cycle(steps) == [DeleteHalf(A), DeleteHalf(INTEG), INTEG, A]

    def test_a_pruned_action_naming_a_replaced_integration_goes_before_it(self) -> None:
        """The cycle to avoid: a pruned delete waits for every write, and a write needing the new integration
        waits for the old one's delete, which waits for the pruned action. The pruned action waits for the
        writes that need no replace only."""
        pruned = data_action(Action.DELETE, name="Old")
        created = data_action(Action.CREATE, name="New")
        unrelated = ResourceChange(kind="VoiceProfile", name="V", action=Action.CREATE)
        steps = build_steps(plan(integration(), pruned, created, unrelated))
        s = by_id(steps)
        old, new, voice = ObjectKey("DataAction", "Old"), ObjectKey("DataAction", "New"), ObjectKey("VoiceProfile", "V")
        assert s[DeleteHalf(INTEG)].requires == (old,)
        assert isinstance(s[old], DeleteStep) and s[old].after == (voice,)
        assert s[new].requires == (INTEG,)
        order = assert_no_cycle(steps)
        assert order.index(old) < order.index(DeleteHalf(INTEG)) < order.index(INTEG) < order.index(new)

    def test_a_pruned_object_not_named_by_a_replace_still_waits_for_every_write(self) -> None:
        pruned = ResourceChange(kind="Webhook", name="Gone", action=Action.DELETE, object_id="w-9", before={})
        steps = build_steps(plan(integration(), data_action(), pruned))
        assert by_id(steps)[ObjectKey("Webhook", "Gone")].after == (INTEG, A)
        assert_no_cycle(steps)

    def test_a_dependent_only_updated_to_the_new_id_is_updated_after_the_create(self) -> None:
        """The update needs the new id: delete old, create new, update. An update that stops naming the
        replaced object (it needs no replace) goes before its delete, so nothing names it when it goes."""
        rule = ResourceChange(kind="SpeechRule", name="R", action=Action.REPLACE, object_id="r-1", live_version=1,
                              before={"name": "R"}, spec={})
        follows = ResourceChange(kind="Webhook", name="Follows", action=Action.UPDATE, object_id="w-1", live_version=1,
                                 before={"ruleId": "r-1"}, spec={}, depends_on=("SpeechRule/R",))
        leaves = ResourceChange(kind="Webhook", name="Leaves", action=Action.UPDATE, object_id="w-2", live_version=1,
                                before={"filter": "ruleId eq r-1"}, spec={})
        steps = build_steps(plan(rule, follows, leaves))
        s, r = by_id(steps), ObjectKey("SpeechRule", "R")
        assert isinstance(s[ObjectKey("Webhook", "Follows")], UpdateStep)
        assert s[ObjectKey("Webhook", "Follows")].requires == (r,)  # the create half: the new id
        assert s[DeleteHalf(r)].requires == (ObjectKey("Webhook", "Leaves"),) and s[DeleteHalf(r)].after == ()
        order = assert_no_cycle(steps)
        assert order.index(DeleteHalf(r)) < order.index(r) < order.index(ObjectKey("Webhook", "Follows"))


def _run(steps: Steps, fail: Iterable[StepId] = (), stop_after: StepId | None = None,
         ) -> tuple[dict[StepId, ChangeOutcome], list[str], list[ChangeOutcome]]:
    """Run ``steps`` with an evaluation that fails the ids in ``fail`` and requests a stop after ``stop_after``."""
    sent: list[str] = []
    reported: list[ChangeOutcome] = []
    stop = Stop(grace=0)
    failing = set(fail)

    async def evaluate(step: ObjectStep, slot: Slot) -> ChangeOutcome:
        sent.append(str(step.id))
        if step.id == stop_after:
            stop.request()
        if step.id in failing:
            return ChangeOutcome.of(step.change, Outcome.FAILED, error="refused")
        return ChangeOutcome.of(step.change, Outcome.SUCCESS)

    outcomes = anyio.run(partial(run_steps, steps.objects, evaluate, concurrency=1, progress=reported.append,
                                 stop=stop))
    return outcomes, sent, reported


class TestScheduler:
    def test_a_failed_delete_half_is_the_changes_outcome_and_its_create_is_never_sent(self) -> None:
        steps = build_steps(plan(integration(), data_action()))
        outcomes, sent, reported = _run(steps, fail=[DeleteHalf(A)])
        assert sent == ["DataAction/A (its delete)"]  # the integration's delete needs the action's to succeed
        assert (outcomes[A].outcome, outcomes[A].error) == (Outcome.FAILED, "refused")
        assert outcomes[INTEG].outcome == Outcome.SKIPPED
        assert outcomes[INTEG].error == "depends on DataAction/A (its delete), which failed"
        # one report per change, whichever half decided it
        assert sorted((o.name, o.outcome) for o in reported) == [("A", Outcome.FAILED), ("I", Outcome.SKIPPED)]

    def test_a_create_not_sent_after_its_delete_leaves_the_change_half_done(self) -> None:
        steps = build_steps(plan(integration(), data_action()))
        outcomes, sent, reported = _run(steps, fail=[INTEG])
        assert sent == ["DataAction/A (its delete)", "Integration/I (its delete)", "Integration/I"]
        assert (outcomes[A].outcome, outcomes[A].error) == (
            Outcome.FAILED, "deleted, but not created: depends on Integration/I, which failed")
        assert len(reported) == 2

    def test_a_stop_between_the_halves_still_creates_what_was_deleted(self) -> None:
        """The create half finishes a change already begun: stopping there would leave the object deleted."""
        steps = build_steps(plan(integration()))
        outcomes, sent, reported = _run(steps, stop_after=DeleteHalf(INTEG))
        assert sent == ["Integration/I (its delete)", "Integration/I"]
        assert outcomes[INTEG].outcome == Outcome.SUCCESS
        assert reported == [outcomes[INTEG]]

    def test_a_stop_starts_no_new_change_but_finishes_the_begun_one(self) -> None:
        steps = build_steps(plan(integration(), data_action()))
        outcomes, sent, _ = _run(steps, stop_after=DeleteHalf(A))
        # the action's delete is written, so its create may follow; the integration's replace has not begun
        assert sent == ["DataAction/A (its delete)"]
        assert outcomes[INTEG].outcome == Outcome.SKIPPED and outcomes[INTEG].error == "not started: SIGINT"
        assert (outcomes[A].outcome, outcomes[A].error) == (
            Outcome.FAILED, "deleted, but not created: not started: SIGINT")


@dataclass
class Result:
    object: dict[str, Any] | None
    status: int = 200
    correlation_id: str | None = "corr-1"
    latency_ms: float = 1.0
    adopted: bool = False


@dataclass
class Platform:
    """Refuses to delete an integration a live data action names, as a platform guarding references would."""

    live_actions: dict[str, str] = field(default_factory=lambda: {"a-1": "i-1"})
    calls: list[str] = field(default_factory=list)

    async def create(self, kind: Kind, body: dict[str, Any]) -> Result:
        self.calls.append(f"create {body['name']}")
        return Result({"id": f"new-{body['name']}", **body})

    async def delete(self, kind: Kind, object_id: str) -> Result:
        self.calls.append(f"delete {object_id}")
        if object_id in self.live_actions.values():
            raise ConflictError(409, "conflict", "in use", method="DELETE", path=kind.item_path(object_id))
        self.live_actions.pop(object_id, None)
        return Result(None, status=204)

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - nothing else is called
        raise AssertionError(name)


LIVE = {"Integration": [{"id": "i-1", "name": "I", "integrationType": {"id": "custom-rest-actions"}}],
        "DataAction": [{"id": "a-1", "name": "A", "version": 1, "integrationId": "i-1", "category": "c"}]}


class TestExecutor:
    def test_the_chain_runs_in_terraforms_order_and_reports_one_replace_each(self) -> None:
        platform = Platform()
        result = anyio.run(partial(apply_plan, plan(integration(), data_action()), platform, live=LIVE, env={}))
        assert platform.calls == ["delete a-1", "delete i-1", "create I", "create A"]
        assert [(c.name, c.action, c.outcome, c.object_id) for c in result.changes] == [
            ("I", Action.REPLACE, Outcome.SUCCESS, "new-I"), ("A", Action.REPLACE, Outcome.SUCCESS, "new-A")]

    def test_a_refused_delete_half_says_so_and_sends_nothing_else(self) -> None:
        platform = Platform(live_actions={"x": "a-1"})  # something names the action: its delete is refused
        result = anyio.run(partial(apply_plan, plan(integration(), data_action()), platform, live=LIVE, env={}))
        assert platform.calls == ["delete a-1"]
        outcome = {c.name: c for c in result.changes}
        assert outcome["A"].outcome == Outcome.FAILED
        assert (outcome["A"].error or "").startswith("not replaced, the delete failed: DELETE ")
        assert outcome["I"].outcome == Outcome.SKIPPED

    def test_a_body_that_cannot_be_built_costs_nothing(self) -> None:
        """Checked before the delete half, as the one-step replace built it before its delete."""
        broken = integration().model_copy(update={"spec": {"integrationType": {"id": "${env:MISSING_TYPE}"}}})
        platform = Platform()
        live = {"Integration": LIVE["Integration"]}  # no action names it
        result = anyio.run(partial(apply_plan, plan(broken), platform, live=live, env={}))
        assert platform.calls == []
        assert result.changes[0].error == "Integration/I: environment variable MISSING_TYPE is not set"
