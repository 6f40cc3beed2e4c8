"""Live objects settled at read (plan/readtime.py): which become stubs, and that the plan is the same.

The key test builds each plan twice, from the full listing and from the listing as the
settler leaves it page by page, and compares the plan documents.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest

from reconciler.kinds import REGISTRY
from reconciler.manifests.desired import DesiredObject
from reconciler.plan.builder import PrunePolicy
from reconciler.plan.compare import compare
from reconciler.plan.identity import ambiguous_identities, duplicate_names, duplicate_warnings, live_index, pin_issues
from reconciler.plan.readtime import settler
from reconciler.plan.settled import SettledLive

from ._support import ENV, applied, desired, hook, live_hook, live_rule, object_id, plain_hook, plan_of, rule, voice

PAGE = 3  # small pages: objects of one name can fall on different pages


def settled(
    objects: Sequence[DesiredObject],
    live: Mapping[str, Sequence[Mapping[str, Any]]],
    rotate: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """``live`` as read through the settler, page by page (each page a fresh decode)."""
    settle = settler(objects, rotate, env)
    out: dict[str, list[dict[str, Any]]] = {}
    for kind_name, listed in live.items():
        kept: list[dict[str, Any]] = []
        for start in range(0, len(listed), PAGE):
            kept.extend(settle(REGISTRY[kind_name], copy.deepcopy([dict(o) for o in listed[start : start + PAGE]])))
        out[kind_name] = kept
    return out


def estate() -> list[DesiredObject]:
    """Objects of every shape: plain ones, one with placeholders, one referenced by a spec field."""
    objects: list[DesiredObject] = [voice(f"voice {i}") for i in range(7)]
    objects += [rule(f"rule {i}") for i in range(7)]
    objects += [plain_hook(f"plain {i}") for i in range(5)]
    objects.append(hook("secret hook", rule_name="rule 1"))
    return objects


def test_a_no_change_plans_live_objects_are_stubs() -> None:
    objects = estate()
    live = settled(objects, applied(objects))
    stubs = {(k, o["name"]) for k, objs in live.items() for o in objs if type(o) is SettledLive}
    full = {(k, o["name"]) for k, objs in live.items() for o in objs if type(o) is not SettledLive}
    assert full == {("Webhook", "secret hook")}  # placeholders: comparing it needs the environment
    assert len(stubs) == len(objects) - 1
    stub = next(o for o in live["SpeechRule"] if o["name"] == "rule 3")
    assert set(stub) == {"id", "name", "version"}
    assert stub["id"] == object_id("SpeechRule", "rule 3")


@pytest.mark.parametrize(
    "case",
    ["differs", "pinned", "rotated", "placeholders", "case-only rename"],
)
def test_objects_that_are_not_trusted_no_ops_stay_whole(case: str) -> None:
    objects = estate()
    live = applied(objects)
    target = next(o for o in live["SpeechRule"] if o["name"] == "rule 2")
    rotate: list[str] = []
    if case == "differs":
        target["tags"] = ["changed"]
    elif case == "pinned":
        objects = [replace(o, pinned_id=target["id"]) if o.name == "rule 2" else o for o in objects]
    elif case == "rotated":
        rotate = ["SpeechRule/rule 2"]
    elif case == "placeholders":
        objects = [
            desired("SpeechRule", "rule 2", {**o.spec, "description": "${env:TEAM_TOKEN}"}) if o.name == "rule 2" else o
            for o in objects
        ]
        target["description"] = ENV["TEAM_TOKEN"]
    else:
        target["name"] = "RULE 2"
    after = settled(objects, live, rotate)
    kept = next(o for o in after["SpeechRule"] if o["name"].casefold() == "rule 2")
    assert type(kept) is dict
    assert kept == {k: v for k, v in target.items()}
    assert plan_of(objects, after, rotate=rotate) == plan_of(objects, live, rotate=rotate)


def test_an_object_whose_id_another_document_pins_stays_whole() -> None:
    objects = estate()
    live = applied(objects)
    taken = next(o for o in live["SpeechRule"] if o["name"] == "rule 4")
    pinning = desired("SpeechRule", "renamed rule", dict(rule().spec))
    objects.append(replace(pinning, pinned_id=taken["id"]))
    after = settled(objects, live)
    assert type(next(o for o in after["SpeechRule"] if o["name"] == "rule 4")) is dict
    assert plan_of(objects, after) == plan_of(objects, live)


def test_a_second_live_object_of_a_name_stays_whole_and_is_reported_the_same() -> None:
    objects = estate()
    live = applied(objects)
    twin = copy.deepcopy(next(o for o in live["VoiceProfile"] if o["name"] == "voice 5"))
    twin["id"] = "another-id"
    live["VoiceProfile"].append(twin)
    after = settled(objects, live)
    named = [o for o in after["VoiceProfile"] if o["name"] == "voice 5"]
    assert [type(o) for o in named] == [SettledLive, dict]
    ids = {key: [o["id"] for o in objs] for key, objs in duplicate_names(live).items()}
    assert {key: [o["id"] for o in objs] for key, objs in duplicate_names(after).items()} == ids
    assert [str(i) for i in ambiguous_identities(objects, duplicate_names(after))] == [
        str(i) for i in ambiguous_identities(objects, duplicate_names(live))
    ]
    assert duplicate_warnings(objects, duplicate_names(after)) == duplicate_warnings(objects, duplicate_names(live))
    assert pin_issues(objects, after) == pin_issues(objects, live)
    assert plan_of(objects, after) == plan_of(objects, live)


def test_a_kind_without_revision_field_is_never_settled() -> None:
    kind = REGISTRY["SpeechRule"]
    bare = replace(kind, revision_field=None)
    objects = [rule("rule 0")]
    listed = applied(objects)["SpeechRule"]
    assert type(settler(objects)(bare, copy.deepcopy(listed))[0]) is dict
    assert type(settler(objects)(kind, copy.deepcopy(listed))[0]) is SettledLive


def test_a_stub_keeps_the_fields_other_declarations_reference() -> None:
    """An apply resolves ``${ref:…}`` from the live objects: a referenced field must stay readable."""
    objects = estate()
    objects.append(desired("Webhook", "described", {
        "requestUrl": "https://x.example.com/h",
        "eventFilters": [{"event": "rules.updated", "filter": "${ref:SpeechRule/rule 6.description}"}],
    }))
    live = applied(objects)
    live["SpeechRule"] = [{**o, "description": "six"} if o["name"] == "rule 6" else o for o in live["SpeechRule"]]
    objects = [desired("SpeechRule", "rule 6", {**o.spec, "description": "six"}) if o.name == "rule 6" else o
               for o in objects]
    stub = next(o for o in settled(objects, live)["SpeechRule"] if o["name"] == "rule 6")
    assert type(stub) is SettledLive and stub["description"] == "six"


def test_compare_refuses_a_stub_settled_for_another_declaration() -> None:
    objects = [rule("rule 0")]
    stub = settler(objects)(REGISTRY["SpeechRule"], copy.deepcopy(applied(objects)["SpeechRule"]))[0]
    other = desired("SpeechRule", "rule 0", dict(rule().spec))
    with pytest.raises(ValueError, match="settled at read"):
        compare(other, ENV, lambda key, field: None, {other.key.folded: stub}, False)
    with pytest.raises(ValueError, match="settled at read"):
        compare(objects[0], ENV, lambda key, field: None, {objects[0].key.folded: stub}, True)


def test_the_plan_built_from_stubs_equals_the_plan_built_from_full_objects() -> None:
    """Every part of a plan at once: no-ops, updates, a replace, creates, renames, deletes, refusals."""
    objects = estate()
    objects.append(rule("not yet live"))
    objects.append(plain_hook("renamed hook"))
    live = applied(
        objects[:-2],
        extra=[live_hook("old hook", filter_text=f"ruleId eq {object_id('SpeechRule', 'rule 0')}"),
               live_rule("stray"), live_hook("manual keep")],
    )
    # a rename: the live object of the old name is the declared one, unmanaged until prune
    live["Webhook"].append({**copy.deepcopy(next(o for o in live["Webhook"] if o["name"] == "plain 0")),
                            "id": "renamed-id", "name": "Renamed-Hook-Old"})
    changed = next(o for o in live["VoiceProfile"] if o["name"] == "voice 3")
    changed["rate"] = 2
    replaced = next(o for o in live["VoiceProfile"] if o["name"] == "voice 4")
    replaced["language"] = "fr-FR"
    for prune in (PrunePolicy(), PrunePolicy(kinds=frozenset({"Webhook", "SpeechRule"}), exclude=("manual *",))):
        for rotate in ((), ("Webhook/secret hook",), ("SpeechRule/rule 5",)):
            after = settled(objects, live, rotate)
            assert any(type(o) is SettledLive for objs in after.values() for o in objs)
            full, stubbed = plan_of(objects, live, prune=prune, rotate=rotate), plan_of(
                objects, after, prune=prune, rotate=rotate
            )
            assert stubbed.model_dump_json() == full.model_dump_json()
            assert live_index(after, objects).keys() == live_index(live, objects).keys()


def test_a_page_is_kept_in_order_with_its_length() -> None:
    objects = estate()
    listed = applied(objects)["SpeechRule"]
    after = settler(objects)(REGISTRY["SpeechRule"], copy.deepcopy(listed))
    assert [o["id"] for o in after] == [o["id"] for o in listed]



# ---- declarations holding ${env:…} (and no ${ref:…}), settled when the settler has the environment ----------

STRAY_ID = object_id("SpeechRule", "stray")
WITH_STRAY = {**ENV, "STRAY_RULE": STRAY_ID}


def env_hook(name: str, **extra: Any) -> DesiredObject:
    """A webhook whose secret and a header come from the environment, with no reference."""
    spec = {**plain_hook(name).spec, "authScheme": "bearer", "authSecret": "${env:HOOK_TOKEN}",
            "headers": {"X-Team": "${env:TEAM_TOKEN}"}, **extra}
    return desired("Webhook", name, spec, line=60)


def test_with_the_environment_env_only_declarations_are_stubs_and_references_stay_whole() -> None:
    objects = [*estate(), env_hook("env 0"), env_hook("env 1")]
    live = applied(objects)
    without = settled(objects, live)
    with_env = settled(objects, live, env=ENV)
    whole = {o["name"] for objs in with_env.values() for o in objs if type(o) is not SettledLive}
    assert whole == {"secret hook"}  # it holds ${ref:…}: comparing it needs another object
    assert {o["name"] for o in without["Webhook"] if type(o) is not SettledLive} == {"secret hook", "env 0", "env 1"}
    assert plan_of(objects, with_env).model_dump_json() == plan_of(objects, live).model_dump_json()


def test_an_env_declaration_whose_variable_is_unset_stays_whole() -> None:
    objects = [*estate(), env_hook("env 0")]
    live = applied(objects)
    after = settled(objects, live, env={"TEAM_TOKEN": ENV["TEAM_TOKEN"]})  # HOOK_TOKEN unset
    kept = next(o for o in after["Webhook"] if o["name"] == "env 0")
    assert type(kept) is dict and kept == next(o for o in live["Webhook"] if o["name"] == "env 0")


def test_an_env_declaration_whose_value_changed_stays_whole() -> None:
    objects = [*estate(), env_hook("env 0")]
    live = applied(objects)
    changed = {**ENV, "TEAM_TOKEN": "another team"}
    after = settled(objects, live, env=changed)
    assert type(next(o for o in after["Webhook"] if o["name"] == "env 0")) is dict
    assert plan_of(objects, after, env=changed).model_dump_json() == plan_of(objects, live, env=changed).model_dump_json()


def test_plans_from_env_stubs_equal_plans_from_full_objects_deletes_refused_by_an_env_value_included() -> None:
    """A settled declaration's resolved spec still counts for the safety check: its env value names a doomed id."""
    objects = [*estate(), env_hook("env 0"), env_hook("env 1", description="${env:STRAY_RULE}")]
    live = applied(objects, WITH_STRAY, extra=[live_rule("stray"), live_hook("manual keep")])
    after = settled(objects, live, env=WITH_STRAY)
    assert type(next(o for o in after["Webhook"] if o["name"] == "env 1")) is SettledLive
    for prune in (PrunePolicy(), PrunePolicy(kinds=frozenset({"Webhook", "SpeechRule"}), exclude=("manual *",))):
        for rotate in ((), ("Webhook/env 0",)):
            stubs = settled(objects, live, rotate, env=WITH_STRAY)
            full = plan_of(objects, live, env=WITH_STRAY, prune=prune, rotate=rotate)
            assert plan_of(objects, stubs, env=WITH_STRAY, prune=prune, rotate=rotate).model_dump_json() == (
                full.model_dump_json()
            )
    refused = plan_of(objects, after, env=WITH_STRAY, prune=PrunePolicy(kinds=frozenset({"SpeechRule"})))
    assert any("still referenced by Webhook/env 1" in text for text in refused.model_dump_json().split('"'))
