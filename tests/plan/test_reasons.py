"""Typed reasons: each planned action says why with a fixed code, and the sentence people read."""

from __future__ import annotations

import json

from reconciler.plan.builder import PrunePolicy
from reconciler.plan.drift import drift_from_plan
from reconciler.plan.model import Action, Plan, Reason, ReasonCode, ResourceChange, plan_from_document
from reconciler.plan.planfile import plan_document

from ._support import ENV, applied, by_address, hook, plan_of, rule, sample, voice

WEBHOOKS = PrunePolicy(kinds=frozenset({"Webhook"}))


def codes(change: ResourceChange) -> list[ReasonCode]:
    return [r.code for r in change.reasons]


class TestCodes:
    def test_create_is_not_live_and_no_op_is_up_to_date(self) -> None:
        plan = plan_of([voice(), rule()], applied([rule()]))
        changes = by_address(plan)
        assert codes(changes["VoiceProfile/IVR Main"]) == [ReasonCode.NOT_LIVE]
        assert codes(changes["SpeechRule/Billing"]) == [ReasonCode.UP_TO_DATE]
        assert changes["SpeechRule/Billing"].reasons == (Reason(code=ReasonCode.UP_TO_DATE, text="up to date"),)

    def test_update_lists_its_reasons_in_order(self) -> None:
        live = applied([rule(), hook()], env={**ENV, "TEAM_TOKEN": "old-team"})
        change = by_address(plan_of([rule(), hook()], live))["Webhook/CRM Sync"]
        assert change.action == Action.UPDATE
        assert codes(change) == [ReasonCode.FIELDS_DIFFER, ReasonCode.ENV_CHANGED]

    def test_name_case_and_rotation(self) -> None:
        (renamed,) = plan_of([voice("IVR Main")], applied([voice("ivr main")])).changes
        assert codes(renamed) == [ReasonCode.FIELDS_DIFFER, ReasonCode.NAME_CASE]
        objects = sample()
        rotated = by_address(plan_of(objects, applied(objects), rotate=["Webhook/CRM Sync"]))["Webhook/CRM Sync"]
        assert codes(rotated) == [ReasonCode.ROTATION]

    def test_reference_to_a_created_object_is_known_after_apply(self) -> None:
        live = applied([rule(), hook()])
        change = by_address(plan_of([rule("Other"), hook(rule_name="Other")], live))["Webhook/CRM Sync"]
        assert change.action == Action.UPDATE
        assert ReasonCode.KNOWN_AFTER_APPLY in codes(change)

    def test_prune_and_renames(self) -> None:
        plan = plan_of([rule(), hook("New Name")], applied([rule(), hook("Old Name")]), prune=WEBHOOKS)
        changes = by_address(plan)
        assert codes(changes["Webhook/New Name"]) == [ReasonCode.NOT_LIVE, ReasonCode.RENAMED_FROM]
        assert codes(changes["Webhook/Old Name"]) == [ReasonCode.PRUNED, ReasonCode.RENAMED_TO]
        kept = by_address(plan_of([voice("New")], applied([voice("Old")])))["VoiceProfile/New"]
        assert codes(kept) == [ReasonCode.NOT_LIVE, ReasonCode.LIKELY_RENAMED]

    def test_reason_is_the_texts_joined(self) -> None:
        plan = plan_of([rule(), hook("New Name")], applied([rule(), hook("Old Name")]), prune=WEBHOOKS)
        for change in plan.changes:
            assert change.reasons
            assert change.reason == "; ".join(r.text for r in change.reasons)


class TestDocuments:
    def plan(self) -> Plan:
        return plan_of([rule(), hook("New Name")], applied([rule(), hook("Old Name")]), prune=WEBHOOKS)

    def test_saved_document_holds_codes_and_the_display_sentence(self) -> None:
        document = plan_document(self.plan())
        created = next(c for c in document["changes"] if c["name"] == "New Name")
        assert [r["code"] for r in created["reasons"]] == ["not_live", "renamed_from"]
        assert created["reason"] == "not found live; replaces 'Old Name' (renamed in manifests)"

    def test_document_round_trips_without_trusting_the_computed_sentence(self) -> None:
        plan = self.plan()
        document = json.loads(json.dumps(plan_document(plan)))
        del document["checksum"]
        document["changes"][0]["reason"] = "edited by hand"  # derived, so dropped rather than read
        assert plan_from_document(document) == plan

    def test_drift_keeps_the_reasons(self) -> None:
        plan = plan_of([voice(), rule()], applied([rule()]))
        (missing,) = drift_from_plan(plan).missing
        assert missing.reasons == by_address(plan)["VoiceProfile/IVR Main"].reasons
        assert missing.reason == "not found live"
