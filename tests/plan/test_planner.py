"""The planner as a pure function: no-ops, edits, creates, prune, renames, order, safety, secrets."""

from __future__ import annotations

import copy

import pytest

import reconciler.plan.fielddiff
from reconciler.core.errors import ConfigError
from reconciler.core.graph import ReferenceCycleError
from reconciler.manifests.desired import KNOWN_AFTER_APPLY, SENSITIVE
from reconciler.plan.builder import PrunePolicy
from reconciler.plan.model import Action, Plan

from ._support import (
    ENV,
    SECRET,
    TEAM_TOKEN,
    applied,
    by_address,
    desired,
    hook,
    live_hook,
    live_rule,
    object_id,
    plain_hook,
    plan_of,
    rule,
    sample,
    voice,
)


def actions(plan: Plan) -> dict[str, Action]:
    return {c.address: c.action for c in plan.changes}


class TestNoChangeAfterApply:
    def test_every_kind_round_trips_to_no_op(self) -> None:
        objects = sample()
        plan = plan_of(objects, applied(objects))
        assert actions(plan) == {
            "VoiceProfile/IVR Main": Action.NOOP,
            "SpeechRule/Billing": Action.NOOP,
            "Webhook/CRM Sync": Action.NOOP,
        }
        assert not plan.has_changes
        assert plan.applyable
        assert plan.summary == {"create": 0, "update": 0, "delete": 0, "no-op": 3}

    @pytest.mark.parametrize("seed", range(5))
    def test_shuffled_unordered_lists_are_not_a_change(self, seed: int) -> None:
        objects = sample()
        assert not plan_of(objects, applied(objects, seed=seed)).has_changes

    def test_numbers_compare_by_value(self) -> None:
        objects = [voice(rate=1, pitch=0, volume=1.0, customParams={"sampleRate": 8000})]
        live = applied(objects)
        live["VoiceProfile"][0]["rate"] = 1.0
        live["VoiceProfile"][0]["pitch"] = 0.0
        live["VoiceProfile"][0]["volume"] = 1
        assert not plan_of(objects, live).has_changes

    def test_name_matches_case_insensitively_but_case_change_is_an_update(self) -> None:
        objects = [voice("IVR Main")]
        live = applied([voice("ivr main")])
        plan = plan_of(objects, live)
        (change,) = plan.changes
        assert change.action == Action.UPDATE
        assert [(fc.path, fc.before, fc.after) for fc in change.field_changes] == [("name", "ivr main", "IVR Main")]
        assert "name case changed" in change.reason

    def test_no_op_keeps_id_and_version_but_no_payload(self) -> None:
        objects = [voice()]
        (change,) = plan_of(objects, applied(objects, version=4)).changes
        assert change.object_id == object_id("VoiceProfile", "IVR Main")
        assert change.live_version == 4
        assert change.before is None and change.after is None and change.spec is None

    def test_no_deepdiff_for_equal_objects(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Large no-change plans stay cheap: field diffs run only where essences differ."""

        def boom(*args: object, **kwargs: object) -> None:
            raise AssertionError("field diff called for an unchanged object")

        # the diff's one entry point (DeepDiff itself is now only its fallback for unusual values)
        monkeypatch.setattr(reconciler.plan.fielddiff, "positional_differences", boom)
        objects = [voice(f"Voice {i}") for i in range(2000)] + [rule(f"Rule {i}") for i in range(500)]
        plan = plan_of(objects, applied(objects))
        assert plan.summary["no-op"] == 2500


class TestSingleFieldEdit:
    def test_scalar_edit_is_one_update_with_old_and_new(self) -> None:
        live = applied([voice()], version=3)
        plan = plan_of([voice(rate=1.5)], live)
        (change,) = plan.changes
        assert change.action == Action.UPDATE
        assert change.live_version == 3
        assert change.object_id == object_id("VoiceProfile", "IVR Main")
        assert [(fc.path, fc.before, fc.after) for fc in change.field_changes] == [("rate", 1.0, 1.5)]
        assert change.reason == "1 field differs"
        assert change.before is not None and change.after is not None
        assert change.before["rate"] == 1.0 and change.after["rate"] == 1.5

    def test_edit_inside_an_unordered_list_is_one_field_change(self) -> None:
        old = rule()
        new_phrases = copy.deepcopy(old.spec["phrases"])
        new_phrases[1]["matchType"] = "exact"
        plan = plan_of([rule(phrases=new_phrases)], applied([old], seed=3))
        (change,) = plan.changes
        assert len(change.field_changes) == 1
        fc = change.field_changes[0]
        assert fc.path.startswith("phrases[") and fc.path.endswith("].matchType")
        assert (fc.before, fc.after) == ("fuzzy", "exact")
        index = int(fc.path.split("[")[1].split("]")[0])
        assert change.after is not None and change.after["phrases"][index]["phrase"] == "cancel my account"

    def test_added_and_removed_tags(self) -> None:
        plan = plan_of([rule(tags=["billing", "churn", "gold"])], applied([rule()]))
        (change,) = plan.changes
        got = sorted((fc.change_type, fc.before, fc.after) for fc in change.field_changes)
        assert got == [("add", None, "gold"), ("remove", "vip", None)]

    def test_header_dict_key_path(self) -> None:
        edited = hook(headers={"X-Team": "${env:TEAM_TOKEN}", "X-Source": "crm"})
        plan = plan_of([rule(), edited], applied([rule(), hook()]))
        change = by_address(plan)["Webhook/CRM Sync"]
        got = [(fc.path, fc.before, fc.after) for fc in change.field_changes]
        assert got == [("headers.X-Source", "genesys", "crm")]


class TestCreate:
    def test_missing_object_is_created_with_unresolved_spec(self) -> None:
        plan = plan_of([voice()], {})
        (change,) = plan.changes
        assert change.action == Action.CREATE
        assert change.reason == "not found live"
        assert change.object_id is None and change.live_version is None and change.before is None
        assert change.after is not None and change.after["pitch"] == 0.0  # defaults shown
        assert change.spec == dict(voice().spec)
        assert change.source == "manifests/objs.yaml:2"

    def test_reference_to_new_object_is_known_after_apply(self) -> None:
        plan = plan_of([rule(), hook()], {})
        created = by_address(plan)["Webhook/CRM Sync"]
        assert created.after is not None
        assert created.after["eventFilters"][0]["filter"] == f"ruleId eq {KNOWN_AFTER_APPLY}"
        assert created.spec is not None
        assert created.spec["eventFilters"][0]["filter"] == "ruleId eq ${ref:SpeechRule/Billing.id}"

    def test_reference_to_live_object_shows_its_id(self) -> None:
        objects = [rule(), hook()]
        live = applied([rule()])
        plan = plan_of(objects, live)
        created = by_address(plan)["Webhook/CRM Sync"]
        assert created.after is not None
        assert created.after["eventFilters"][0]["filter"] == f"ruleId eq {object_id('SpeechRule', 'Billing')}"
        assert created.depends_on == ()  # the rule is unchanged

    def test_update_whose_reference_becomes_unknown(self) -> None:
        """Pointing a live webhook at a rule that does not exist yet: an update, shown as unknown."""
        objects = [rule("Billing 2"), hook(rule_name="Billing 2")]
        live = applied([rule("Billing"), hook()])
        plan = plan_of(objects, live)
        change = by_address(plan)["Webhook/CRM Sync"]
        assert change.action == Action.UPDATE
        assert tuple(map(str, change.depends_on)) == ("SpeechRule/Billing 2",)
        assert [fc.after for fc in change.field_changes] == [f"ruleId eq {KNOWN_AFTER_APPLY}"]
        assert "known after apply" in change.reason


class TestPrune:
    def test_without_prune_undeclared_objects_are_unmanaged(self) -> None:
        live = applied([voice()], extra=[live_hook("Stray"), live_rule("Old rule")])
        plan = plan_of([voice()], live)
        assert not plan.has_changes
        assert plan.unmanaged == ("SpeechRule/Old rule", "Webhook/Stray")

    def test_prune_deletes_only_its_kind(self) -> None:
        live = applied([voice()], extra=[live_hook("Stray"), live_rule("Old rule"), live_hook("Other")])
        plan = plan_of([voice()], live, prune=PrunePolicy(kinds=frozenset({"Webhook"}), max_deletes=5))
        deletes = [c.address for c in plan.changes if c.action == Action.DELETE]
        assert deletes == ["Webhook/Other", "Webhook/Stray"]
        assert plan.unmanaged == ("SpeechRule/Old rule",)
        assert actions(plan)["VoiceProfile/IVR Main"] == Action.NOOP
        stray = by_address(plan)["Webhook/Stray"]
        assert stray.reason == "not declared; pruning Webhook is enabled"
        assert stray.object_id == object_id("Webhook", "Stray") and stray.live_version == 1
        assert stray.before is not None and stray.after is None

    def test_excluded_names_are_never_deleted(self) -> None:
        live = applied([voice()], extra=[live_hook("Legacy-Feed"), live_hook("Manual one"), live_hook("Stray")])
        policy = PrunePolicy(kinds=frozenset({"Webhook"}), exclude=("legacy-*", "MANUAL *"), max_deletes=5)
        plan = plan_of([voice()], live, prune=policy)
        assert [c.address for c in plan.changes if c.action == Action.DELETE] == ["Webhook/Stray"]
        assert set(plan.unmanaged) == {"Webhook/Legacy-Feed", "Webhook/Manual one"}

    def test_more_than_ten_deletes_is_refused_but_listed(self) -> None:
        declared = [plain_hook(f"Kept {i}") for i in range(40)]
        live = applied(declared, extra=[live_hook(f"Stray {i}") for i in range(11)])
        plan = plan_of(declared, live, prune=PrunePolicy(kinds=frozenset({"Webhook"})))
        assert plan.summary["delete"] == 11
        assert not plan.applyable
        assert plan.errors == ("the plan would delete 11 live objects (11 pruned), more than the bound of 10 per plan "
                               "(prune.maxDeletes); pass --max-deletes N to allow more",)

    def test_ten_deletes_pass_the_absolute_bound(self) -> None:
        declared = [plain_hook(f"Kept {i}") for i in range(40)]
        live = applied(declared, extra=[live_hook(f"Stray {i}") for i in range(10)])
        plan = plan_of(declared, live, prune=PrunePolicy(kinds=frozenset({"Webhook"})))
        assert plan.summary["delete"] == 10
        assert plan.applyable, plan.errors

    def test_percent_bound_per_kind(self) -> None:
        live = applied([], extra=[live_hook("A"), live_hook("B"), live_hook("C"), live_hook("D")])
        declared = [plain_hook("A"), plain_hook("B")]
        plan = plan_of(declared, live, prune=PrunePolicy(kinds=frozenset({"Webhook"})))
        assert plan.summary["delete"] == 2
        assert not plan.applyable
        assert any("2 of the 4 managed live Webhook objects (2 pruned, 50%)" in e for e in plan.errors), plan.errors

    def test_percent_bound_is_of_the_live_objects_the_plan_manages(self) -> None:
        """Excluded live objects counted in the share: 20 hand-made webhooks let 2 of the 2 managed ones go."""
        live = applied([], extra=[*(live_hook(f"Manual {i}") for i in range(20)), live_hook("A"), live_hook("B")])
        plan = plan_of([], live, prune=PrunePolicy(kinds=frozenset({"Webhook"}), exclude=("manual *",)))
        assert plan.summary["delete"] == 2
        assert not plan.applyable
        assert any("2 of the 2 managed live Webhook objects" in e for e in plan.errors), plan.errors

    def test_percent_bound_counts_declared_live_objects_as_managed(self) -> None:
        declared = [plain_hook("Kept 1"), plain_hook("Kept 2")]
        stray = [live_hook("A"), live_hook("B"), live_hook("C")]
        live = applied(declared, extra=[*(live_hook(f"Manual {i}") for i in range(20)), *stray])
        plan = plan_of(declared, live, prune=PrunePolicy(kinds=frozenset({"Webhook"}), exclude=("manual *",)))
        assert plan.summary["delete"] == 3
        assert any("3 of the 5 managed live Webhook objects" in e for e in plan.errors), plan.errors  # 2 declared + 3 pruned

    def test_small_kind_can_lose_one_object(self) -> None:
        live = applied([], extra=[live_hook("A"), live_hook("B")])
        plan = plan_of([plain_hook("A")], live, prune=PrunePolicy(kinds=frozenset({"Webhook"})))
        assert plan.summary["delete"] == 1
        assert plan.applyable, plan.errors

    def test_explicit_max_deletes_overrides_both_bounds(self) -> None:
        live = applied([], extra=[live_hook(f"S{i}") for i in range(12)])
        refused = plan_of([], live, prune=PrunePolicy(kinds=frozenset({"Webhook"}), max_deletes=11))
        allowed = plan_of([], live, prune=PrunePolicy(kinds=frozenset({"Webhook"}), max_deletes=12))
        assert refused.errors == ("the plan would delete 12 live objects (12 pruned), more than --max-deletes 11",)
        assert allowed.applyable and allowed.summary["delete"] == 12

    def test_unknown_prune_kind_is_a_config_error(self) -> None:
        with pytest.raises(ConfigError, match="Webhok"):
            plan_of([], {}, prune=PrunePolicy(kinds=frozenset({"Webhok"})))


class TestRename:
    def test_rename_with_prune_is_delete_plus_create_saying_so(self) -> None:
        old = [rule(), hook("Old Name")]
        new = [rule(), hook("New Name")]
        plan = plan_of(new, applied(old), prune=PrunePolicy(kinds=frozenset({"Webhook"})))
        changes = by_address(plan)
        assert changes["Webhook/New Name"].action == Action.CREATE
        assert changes["Webhook/Old Name"].action == Action.DELETE
        assert "replaces 'Old Name'" in changes["Webhook/New Name"].reason
        assert "renamed to 'New Name'" in changes["Webhook/Old Name"].reason
        assert [c.address for c in plan.changes][-1] == "Webhook/Old Name"  # deletes last

    def test_rename_without_prune_leaves_old_unmanaged_and_says_so(self) -> None:
        plan = plan_of([voice("New")], applied([voice("Old")]))
        (change,) = plan.changes
        assert change.action == Action.CREATE
        assert "likely renamed from 'Old'" in change.reason
        assert plan.unmanaged == ("VoiceProfile/Old",)
        assert "enable pruning VoiceProfile to delete it" in change.reason

    def test_rename_from_an_excluded_name_does_not_suggest_enabling_pruning(self) -> None:
        # pruning is already on: the exclude pattern is what keeps the old object
        prune = PrunePolicy(kinds=frozenset({"VoiceProfile"}), exclude=("old*",))
        plan = plan_of([voice("New")], applied([voice("Old")]), prune=prune)
        (change,) = plan.changes
        assert "likely renamed from 'Old'" in change.reason
        assert "enable pruning" not in change.reason and "prune.exclude keeps it" in change.reason


class TestOrder:
    def test_referenced_objects_first_and_depends_on(self) -> None:
        plan = plan_of(list(reversed(sample())), {})
        order = [c.address for c in plan.changes]
        assert order.index("SpeechRule/Billing") < order.index("Webhook/CRM Sync")
        assert tuple(map(str, by_address(plan)["Webhook/CRM Sync"].depends_on)) == ("SpeechRule/Billing",)

    def test_deletes_after_writes_referrers_first(self) -> None:
        rule_id = object_id("SpeechRule", "Gone rule")
        live = applied([], extra=[live_rule("Gone rule"), live_hook("Gone hook", f"ruleId eq {rule_id}")])
        plan = plan_of(
            [voice()], live, prune=PrunePolicy(kinds=frozenset({"Webhook", "SpeechRule"}), max_deletes=5)
        )
        order = [c.address for c in plan.changes]
        assert order == ["VoiceProfile/IVR Main", "Webhook/Gone hook", "SpeechRule/Gone rule"]
        assert plan.applyable, plan.errors

    def test_reference_cycle_is_refused(self) -> None:
        a = hook("A", rule_name="X", description="${ref:Webhook/B.id}")
        b = hook("B", rule_name="X", description="${ref:Webhook/A.id}")
        with pytest.raises(ReferenceCycleError):
            plan_of([a, b], {})


class TestSafety:
    def test_deleting_a_rule_a_live_webhook_mentions_is_refused(self) -> None:
        rule_id = object_id("SpeechRule", "Old rule")
        live = applied([], extra=[live_rule("Old rule"), live_hook("Unmanaged hook", f"ruleId eq {rule_id}")])
        plan = plan_of([], live, prune=PrunePolicy(kinds=frozenset({"SpeechRule"})))
        assert not plan.applyable
        assert plan.errors == (
            "SpeechRule/Old rule is still referenced by Webhook/Unmanaged hook; it cannot be deleted",
        )
        assert actions(plan)["SpeechRule/Old rule"] == Action.DELETE  # still shown

    def test_removing_a_rule_a_declared_webhook_references_is_refused(self) -> None:
        live = applied([rule(), hook()])
        plan = plan_of([hook()], live, prune=PrunePolicy(kinds=frozenset({"SpeechRule"})))
        assert any("SpeechRule/Billing is still referenced by Webhook/CRM Sync" in e for e in plan.errors)
        assert not plan.applyable

    def test_reference_to_nothing_is_an_error(self) -> None:
        plan = plan_of([hook(rule_name="Nowhere")], {})
        assert plan.errors == (
            "Webhook/CRM Sync: eventFilters[0].filter refers to SpeechRule/Nowhere, which is neither declared nor live",
        )


class TestSecrets:
    def test_env_values_are_masked_everywhere(self) -> None:
        objects = sample()
        for plan in (plan_of(objects, {}), plan_of(objects, applied(objects, env={**ENV, "TEAM_TOKEN": "old-team"}))):
            dumped = plan.model_dump_json()
            assert SECRET not in dumped and TEAM_TOKEN not in dumped and "old-team" not in dumped
        created = by_address(plan_of(objects, {}))["Webhook/CRM Sync"]
        assert created.after is not None
        assert created.after["headers"] == {"X-Team": SENSITIVE, "X-Source": "genesys"}
        assert created.after["authSecretSet"] is True and "authSecret" not in created.after

    def test_changed_env_value_is_a_masked_update(self) -> None:
        objects = sample()
        plan = plan_of(objects, applied(objects, env={**ENV, "TEAM_TOKEN": "old-team"}))
        change = by_address(plan)["Webhook/CRM Sync"]
        assert change.action == Action.UPDATE
        (fc,) = change.field_changes
        expected = ("headers.X-Team", SENSITIVE, SENSITIVE, "value from environment changed")
        assert (fc.path, fc.before, fc.after, fc.note) == expected
        assert change.before is not None and change.before["headers"]["X-Team"] == SENSITIVE
        assert "value from environment changed" in change.reason

    def test_write_only_secret_added_changes_its_flag(self) -> None:
        objects = sample()
        live = applied(objects)
        live["Webhook"][0]["authSecretSet"] = False
        change = by_address(plan_of(objects, live))["Webhook/CRM Sync"]
        assert [(fc.path, fc.before, fc.after) for fc in change.field_changes] == [("authSecretSet", False, True)]

    def test_write_only_secret_value_is_not_compared(self) -> None:
        objects = sample()
        plan = plan_of(objects, applied(objects), env={**ENV, "HOOK_TOKEN": "a-different-secret"})
        assert not plan.has_changes

    def test_rotate_resends_a_write_only_secret(self) -> None:
        objects = sample()
        plan = plan_of(objects, applied(objects), rotate=["Webhook/crm sync"])
        change = by_address(plan)["Webhook/CRM Sync"]
        assert change.action == Action.UPDATE
        assert [(fc.path, fc.before, fc.after) for fc in change.field_changes] == [("authSecret", SENSITIVE, SENSITIVE)]
        assert "rotation requested" in change.reason
        assert SECRET not in plan.model_dump_json()

    def test_rotate_of_undeclared_object_is_an_error(self) -> None:
        """Only a warning and exit 0 before: the rotation asked for (a typo in the name) never happened."""
        with pytest.raises(ConfigError) as info:
            plan_of(sample(), {}, rotate=["Webhook/CRM Synk"])
        assert str(info.value) == (
            "rotate: Webhook/CRM Synk is not declared in the manifests, so there is nothing to re-send "
            "(did you mean 'Webhook/CRM Sync'?)"
        )

    def test_rotate_of_undeclared_objects_names_each_without_a_guess_when_none_is_close(self) -> None:
        with pytest.raises(ConfigError) as info:
            plan_of([voice()], {}, rotate=["Webhook/Nope", "SpeechRule/Gone"])
        assert str(info.value) == (
            "rotate: Webhook/Nope is not declared in the manifests, so there is nothing to re-send; "
            "rotate: SpeechRule/Gone is not declared in the manifests, so there is nothing to re-send"
        )

    def test_rotate_naming_an_unknown_kind_is_an_error(self) -> None:
        """A mistyped kind was a warning and exit 0: the rotation the user asked for never happened."""
        with pytest.raises(ConfigError) as info:
            plan_of([voice()], {}, rotate=["Webhok/CRM Sync"])
        assert str(info.value).startswith("rotate: Webhok/CRM Sync: unknown kind 'Webhok'")

    def test_missing_env_variables_are_named_all_at_once(self) -> None:
        with pytest.raises(ConfigError) as info:
            plan_of(sample(), {}, env={})
        text = str(info.value)
        assert "HOOK_TOKEN" in text and "TEAM_TOKEN" in text and "Webhook/CRM Sync" in text

    def test_env_inside_unordered_list_is_masked_on_both_sides(self) -> None:
        spec_phrases = [{"phrase": "${env:TEAM_TOKEN}"}, {"phrase": "refund"}]
        plan = plan_of(
            [desired("SpeechRule", "Secret phrases", {"phrases": spec_phrases})],
            applied([desired("SpeechRule", "Secret phrases", {"phrases": spec_phrases})], env={"TEAM_TOKEN": "older"}),
        )
        dumped = plan.model_dump_json()
        assert TEAM_TOKEN not in dumped and "older" not in dumped
        (change,) = plan.changes
        assert change.action == Action.UPDATE
