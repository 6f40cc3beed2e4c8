"""A plan of part of a project: what the files not given declare is left alone, never pruned."""

from __future__ import annotations

from reconciler.manifests.elsewhere import Declared
from reconciler.plan.builder import PrunePolicy
from reconciler.plan.model import Action, Plan

from ._support import applied, by_address, live_hook, live_rule, object_id, plain_hook, plan_of, voice

FILES = ("manifests/webhooks.yaml", "manifests/rules.yaml")


def deletes(plan: Plan) -> list[str]:
    return [c.address for c in plan.changes if c.action == Action.DELETE]


def elsewhere(*names: tuple[str, str], ids: tuple[tuple[str, str], ...] = ()) -> Declared:
    return Declared(files=FILES, project="manifests", names=frozenset((k, n.casefold()) for k, n in names), ids=frozenset(ids))


def test_an_object_a_file_not_given_declares_is_neither_deleted_nor_listed_as_unmanaged() -> None:
    live = applied([voice()], extra=[live_hook("CRM Sync"), live_hook("Stray"), live_rule("Old rule")])
    # declared as 'crm sync' elsewhere: matched case-insensitively, as the plan matches names
    prune = PrunePolicy(kinds=frozenset({"Webhook"}), max_deletes=5, elsewhere=elsewhere(("Webhook", "crm SYNC")))
    plan = plan_of([voice()], live, prune=prune)
    assert deletes(plan) == ["Webhook/Stray"]  # a truly undeclared one is still pruned
    assert plan.unmanaged == ("SpeechRule/Old rule",)
    assert [(str(w), w.at) for w in plan.warnings] == [(  # about the whole plan: no manifest place
        "1 live object(s) declared in files not given are left alone: manifests/webhooks.yaml and 1 more file(s) "
        "of the project manifests (the directory holding reconciler.yaml, subfolders included) not given, so this "
        "run neither compares, updates nor deletes what they declare (give manifests to include them)", None,
    )]
    assert plan.applyable, plan.errors


def test_a_pin_elsewhere_keeps_the_object_of_that_id_only() -> None:
    kept = {**live_hook("Dup")[1], "id": "kept-id"}
    other = {**live_hook("Dup")[1], "id": "other-id"}
    live = applied([voice()], extra=[("Webhook", kept), ("Webhook", other)])
    prune = PrunePolicy(kinds=frozenset({"Webhook"}), max_deletes=5, elsewhere=elsewhere(ids=(("Webhook", "kept-id"),)))
    plan = plan_of([voice()], live, prune=prune)
    assert [(c.address, c.object_id) for c in plan.changes if c.action == Action.DELETE] == [("Webhook/Dup", "other-id")]


def test_a_pruned_object_a_left_alone_one_still_names_is_not_deleted() -> None:
    rule_id = object_id("SpeechRule", "Old rule")
    live = applied([], extra=[live_rule("Old rule"), live_hook("Hook elsewhere", f"ruleId eq {rule_id}")])
    prune = PrunePolicy(kinds=frozenset({"SpeechRule", "Webhook"}), elsewhere=elsewhere(("Webhook", "Hook elsewhere")))
    plan = plan_of([], live, prune=prune)
    assert deletes(plan) == ["SpeechRule/Old rule"]
    assert plan.errors == ("SpeechRule/Old rule is still referenced by Webhook/Hook elsewhere; it cannot be deleted",)


def test_an_object_declared_elsewhere_is_no_old_name_of_a_create() -> None:
    """Equal but for its name to a create here, it is another file's object, not this one's old name."""
    live = applied([plain_hook("Same")])
    prune = PrunePolicy(kinds=frozenset({"Webhook"}), elsewhere=elsewhere(("Webhook", "Same")))
    plan = plan_of([plain_hook("Copy")], live, prune=prune)
    change = by_address(plan)["Webhook/Copy"]
    assert change.action == Action.CREATE and "renamed" not in change.reason
    assert deletes(plan) == [] and plan.unmanaged == ()


def test_the_whole_project_says_nothing_of_files_not_given() -> None:
    live = applied([voice()], extra=[live_hook("Stray")])
    plan = plan_of([voice()], live, prune=PrunePolicy(kinds=frozenset({"Webhook"})))
    assert plan.warnings == () and deletes(plan) == ["Webhook/Stray"]


def test_files_not_given_that_declare_nothing_live_say_nothing() -> None:
    """'0 live object(s) … are left alone' told nothing: no live object of theirs was at stake."""
    live = applied([voice()], extra=[live_hook("Stray")])
    prune = PrunePolicy(kinds=frozenset({"Webhook"}), max_deletes=5, elsewhere=elsewhere(("Webhook", "Not yet live")))
    plan = plan_of([voice()], live, prune=prune)
    assert plan.warnings == () and deletes(plan) == ["Webhook/Stray"]
