"""The planner and the one graph module: references walked once per plan, deletes ordered by it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

import reconciler.core.graph
import reconciler.plan.builder
from reconciler.core.graph import Node, chain_depths, reference_graph, strongly_connected
from reconciler.core.keys import ObjectKey
from reconciler.kinds import KINDS, kind_rank
from reconciler.manifests import load_manifests
from reconciler.plan.builder import PrunePolicy
from reconciler.plan.model import Action

from ._support import applied, live_hook, live_rule, object_id, plan_of, sample, voice

EXAMPLES = Path(__file__).resolve().parents[2] / "manifests"
EXAMPLE_ENV = {"CRM_WEBHOOK_PASSWORD": "example-crm-password-123"}


class TestOneWalk:
    def test_loading_and_planning_walk_the_references_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        calls: list[int] = []
        real = reconciler.core.graph._dependencies

        def counted(objects: Iterable[Node]) -> dict[ObjectKey, list[ObjectKey]]:
            calls.append(1)
            return real(objects)

        monkeypatch.setattr(reconciler.core.graph, "_dependencies", counted)
        manifests = load_manifests([EXAMPLES], env=EXAMPLE_ENV)
        plan = plan_of(list(manifests.objects), {}, env=EXAMPLE_ENV, graph=manifests.graph)
        assert len(calls) == 1
        assert plan.summary["create"] == len(manifests.objects)

    def test_a_given_graph_is_not_recomputed_and_plans_the_same(self, monkeypatch: pytest.MonkeyPatch) -> None:
        objects = sample()
        expected = plan_of(objects, {})
        graph = reference_graph(objects)

        def refuse(objects: object) -> None:
            raise AssertionError("the planner walked the references again")

        monkeypatch.setattr(reconciler.plan.builder, "reference_graph", refuse)
        assert plan_of(objects, {}, graph=graph) == expected

    def test_a_graph_of_other_objects_is_refused(self) -> None:
        with pytest.raises(ValueError, match="other objects"):
            plan_of(sample(), {}, graph=reference_graph([voice()]))


class TestDeleteOrder:
    def test_deletes_that_mention_each_other_in_a_loop_still_plan(self) -> None:
        rule_id = object_id("SpeechRule", "Gone rule")
        kind, gone_rule = live_rule("Gone rule")
        hook_kind, gone_hook = live_hook("Gone hook", f"ruleId eq {rule_id}")
        gone_rule = {**gone_rule, "description": f"see {object_id('Webhook', 'Gone hook')}"}  # a loop: no order fits
        live = applied([], extra=[(kind, gone_rule), (hook_kind, gone_hook)])
        plan = plan_of([], live, prune=PrunePolicy(kinds=frozenset({"Webhook", "SpeechRule"}), max_deletes=5))
        # a loop shares one place: kinds fall back to registry order, last kind first
        assert [c.address for c in plan.changes] == ["Webhook/Gone hook", "SpeechRule/Gone rule"]
        assert all(c.action == Action.DELETE for c in plan.changes)


class TestGenericGraph:
    def test_groups_come_after_what_they_depend_on(self) -> None:
        deps = {"a": ["b"], "b": ["c"], "c": ["b"], "d": []}
        groups = strongly_connected(deps)
        assert sorted(map(sorted, groups)) == [["a"], ["b", "c"], ["d"]]
        assert [sorted(g) for g in groups].index(["b", "c"]) < [sorted(g) for g in groups].index(["a"])

    def test_chain_depths_count_a_loop_as_one_step(self) -> None:
        assert chain_depths({"a": ["b"], "b": ["c"], "c": ["b"], "d": []}) == {"a": 1, "b": 0, "c": 0, "d": 0}
        assert chain_depths({1: [2], 2: [3], 3: []}) == {1: 2, 2: 1, 3: 0}


def test_kind_rank_is_registry_order_and_unknown_last() -> None:
    assert [kind_rank(k.name) for k in KINDS] == list(range(len(KINDS)))
    assert kind_rank("NoSuchKind") == len(KINDS)
