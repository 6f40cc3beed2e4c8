"""reference_order: referenced objects first, levels, cycles; dangling references ignored."""

from __future__ import annotations

import pytest

from reconciler.core.errors import PlanError
from reconciler.core.graph import ReferenceCycleError, dependencies, find_cycles, reference_order
from reconciler.core.keys import Location, ObjectKey
from reconciler.manifests.desired import DesiredObject


def obj(kind: str, name: str, *refs: str) -> DesiredObject:
    """An object whose description references ``Kind/Name`` for each of ``refs``."""
    text = " ".join(f"${{ref:{r}.id}}" for r in refs)
    return DesiredObject(kind=kind, name=name, spec={"description": text}, source=Location("m.yaml", 1, 1))


def key(text: str) -> ObjectKey:
    kind, name = text.split("/", 1)
    return ObjectKey(kind, name)


class TestOrder:
    def test_unrelated_objects_share_level_zero_in_declaration_order(self) -> None:
        objects = [obj("Webhook", "b"), obj("SpeechRule", "a")]
        assert reference_order(objects) == [[key("Webhook/b"), key("SpeechRule/a")]]

    def test_referenced_objects_come_first(self) -> None:
        objects = [
            obj("Webhook", "hook", "SpeechRule/rule"),
            obj("SpeechRule", "rule", "VoiceProfile/voice"),
            obj("VoiceProfile", "voice"),
            obj("Webhook", "other", "VoiceProfile/voice"),
        ]
        assert reference_order(objects) == [
            [key("VoiceProfile/voice")],
            [key("SpeechRule/rule"), key("Webhook/other")],
            [key("Webhook/hook")],
        ]

    def test_names_match_case_insensitively(self) -> None:
        objects = [obj("Webhook", "hook", "SpeechRule/RULE"), obj("SpeechRule", "Rule")]
        assert reference_order(objects) == [[key("SpeechRule/Rule")], [key("Webhook/hook")]]
        assert dependencies(objects)[key("Webhook/hook")] == [key("SpeechRule/rule")]

    def test_undeclared_targets_are_ignored(self) -> None:
        assert reference_order([obj("Webhook", "hook", "SpeechRule/elsewhere")]) == [[key("Webhook/hook")]]

    def test_repeated_reference_counts_once(self) -> None:
        objects = [obj("Webhook", "hook", "SpeechRule/r", "SpeechRule/r"), obj("SpeechRule", "r")]
        assert dependencies(objects)[key("Webhook/hook")] == [key("SpeechRule/r")]

    def test_empty(self) -> None:
        assert reference_order([]) == []


class TestCycles:
    def test_two_object_cycle_is_found_from_the_first_declared(self) -> None:
        objects = [obj("VoiceProfile", "free"), obj("Webhook", "b", "SpeechRule/a"), obj("SpeechRule", "a", "Webhook/b")]
        assert find_cycles(objects) == [[key("Webhook/b"), key("SpeechRule/a")]]

    def test_self_reference_is_a_cycle(self) -> None:
        assert find_cycles([obj("SpeechRule", "me", "SpeechRule/ME")]) == [[key("SpeechRule/me")]]

    def test_longer_cycle_lists_its_path(self) -> None:
        objects = [obj("Webhook", "a", "Webhook/b"), obj("Webhook", "b", "Webhook/c"), obj("Webhook", "c", "Webhook/a")]
        assert find_cycles(objects) == [[key("Webhook/a"), key("Webhook/b"), key("Webhook/c")]]

    def test_reference_order_refuses_a_cycle(self) -> None:
        objects = [obj("Webhook", "a", "Webhook/b"), obj("Webhook", "b", "Webhook/a")]
        with pytest.raises(ReferenceCycleError) as info:
            reference_order(objects)
        assert isinstance(info.value, PlanError)
        assert str(info.value) == "reference cycle: Webhook/a -> Webhook/b -> Webhook/a"

    def test_an_acyclic_diamond_has_no_cycle(self) -> None:
        objects = [
            obj("Webhook", "top", "SpeechRule/l", "SpeechRule/r"),
            obj("SpeechRule", "l", "VoiceProfile/base"),
            obj("SpeechRule", "r", "VoiceProfile/base"),
            obj("VoiceProfile", "base"),
        ]
        assert find_cycles(objects) == []
        assert [len(level) for level in reference_order(objects)] == [1, 2, 1]
