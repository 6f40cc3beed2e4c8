"""Fixed, deterministic plans, drift reports and apply results for the renderer tests."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime, timedelta

from plan._support import (
    ENV,
    FIXED_TIME,
    applied,
    desired,
    hook,
    live_hook,
    live_rule,
    object_id,
    plain_hook,
    plan_of,
    rule,
    voice,
)

from reconciler.apply.result import ApplyResult, ChangeOutcome, Outcome
from reconciler.core.keys import ObjectKey
from reconciler.plan.builder import PrunePolicy
from reconciler.plan.drift import Attribution, DriftReport, drift_from_plan
from reconciler.plan.model import Action, Plan
from reconciler.plan.warning import whole_plan

TOOL_VERSION = "0.0.0-golden"

FEED_SPEC = {
    "description": "Voice changes for the audit platform.",
    "requestUrl": "https://audit.example.com/feed",
    "method": "PUT",
    "eventFilters": [{"event": "voice.profile.updated"}, {"event": "voice.profile.deleted"}],
}


def full_plan() -> Plan:
    """Every kind of change: create, updates (list item, tag, env value, secret flag), rename, no-op."""
    spanish = voice("Spanish", language="es-ES", voice="azure-es-ES-ElviraNeural", engine="azure_tts")
    live_objects = [spanish, rule(), hook()]
    live = applied(
        live_objects,
        env={**ENV, "TEAM_TOKEN": "previous-team-token"},
        version=4,
        extra=[("Webhook", {"name": "Old Feed", **copy.deepcopy(FEED_SPEC)}), live_rule("Legacy rule")],
    )
    live["Webhook"][0]["authSecretSet"] = False
    phrases = copy.deepcopy(rule().spec["phrases"])
    phrases[1]["matchType"] = "exact"
    wanted = [
        voice("IVR Main", pitch=-1.5, customParams={"neural": True}),
        live_objects[0],
        rule(phrases=phrases, tags=["billing", "churn", "vip", "priority"]),
        hook(),
        desired("Webhook", "New Feed", FEED_SPEC, line=44, file="manifests/webhooks.yaml"),
    ]
    # the rule as a plan of part of a project pulls it in: only a file not given declares it, the hook references it
    included = {ObjectKey("SpeechRule", "Billing"): (ObjectKey("Webhook", "CRM Sync"),)}
    plan = plan_of(wanted, live, prune=PrunePolicy(kinds=frozenset({"Webhook"})), tool_version=TOOL_VERSION,
                   included=included)
    # a warning as planning adds it (a rotation of an undeclared object, the warning shown here before, is an error)
    return plan.model_copy(update={"warnings": whole_plan((
        "1 live object(s) declared in files not given are left alone: manifests/legacy.yaml of the project manifests "
        "(the directory holding reconciler.yaml, subfolders included) not given, so this run neither compares, "
        "updates nor deletes what they declare (give manifests to include them)",
    ))})


def refused_plan() -> Plan:
    """Pruning a speech rule that an unmanaged webhook still names: listed, not applyable."""
    rule_id = object_id("SpeechRule", "Old rule")
    live = applied([voice()], extra=[live_rule("Old rule"), live_hook("Hand-made hook", f"ruleId eq {rule_id}")])
    return plan_of([voice()], live, prune=PrunePolicy(kinds=frozenset({"SpeechRule"})), tool_version=TOOL_VERSION)


def unchanged_plan() -> Plan:
    objects = [voice(), rule(), hook()]
    return plan_of(objects, applied(objects), tool_version=TOOL_VERSION)


def drift_report() -> DriftReport:
    objects = [voice(), rule(), hook()]
    live = applied(objects[1:], env={**ENV, "TEAM_TOKEN": "previous-team-token"}, extra=[live_hook("Stray")])
    live["SpeechRule"][0]["enabled"] = False
    # pinned by metadata.id and renamed outside git: one drifted object, worded as a live rename
    pager = dataclasses.replace(plain_hook("Pager"), pinned_id=object_id("Webhook", "Pager"))
    [live_pager] = applied([pager])["Webhook"]
    live["Webhook"].append({**live_pager, "name": "Pager v2"})
    objects.append(pager)
    # renamed outside git, not pinned: missing under its declared name, its new name not also unmanaged
    alerts = plain_hook("Alerts")
    [live_alerts] = applied([alerts])["Webhook"]
    live["Webhook"].append({**live_alerts, "name": "Alerts v2"})
    objects.append(alerts)
    report = drift_from_plan(plan_of(objects, live, tool_version=TOOL_VERSION))
    # who changed what, as the audit service would say (reconciler.app.attribution fills it in)
    at = datetime(2024, 4, 30, 9, 15, tzinfo=UTC)
    changed_by = {
        report.differs[0].address: Attribution(by="ui_editor*", action="Update", at=at, fields=("enabled",), writes=2),
        "Webhook/Stray": Attribution(by="Jo <b>Admin</b>", by_type="user", action="Create", at=at, fields=("name",)),
    }
    return report.model_copy(update={
        "changed_by": changed_by, "attributed_since": at - timedelta(days=7), "unattributed_kinds": ("VoiceProfile",)
    })


def apply_result() -> ApplyResult:
    plan = full_plan()
    changes = {c.address: c for c in plan.changes}
    outcomes = [
        ChangeOutcome.of(
            changes["VoiceProfile/IVR Main"],
            Outcome.SUCCESS,
            object_id="0f6d3c1e-0000-4000-8000-000000000001",
            version=1,
        ),
        ChangeOutcome.of(changes["SpeechRule/Billing"], Outcome.SUCCESS, version=5),
        ChangeOutcome.of(
            changes["Webhook/CRM Sync"],
            Outcome.FAILED,
            error="PUT /api/v2/webhooks/abc failed: HTTP 400 bad.request: invalid header (fields: headers) "
            "[correlation id: 2b1f0c8e-7d1a-4c55-9e0b-3f5d2a6c1e90]",
        ),
        ChangeOutcome.of(
            changes["Webhook/New Feed"],
            Outcome.SUCCESS,
            object_id="0f6d3c1e-0000-4000-8000-000000000002",
            version=1,
            adopted=True,
        ),
        ChangeOutcome.of(
            changes["Webhook/Old Feed"],
            Outcome.STALE,
            error="Webhook/Old Feed is stale: planned against version 4, live is now 5; run plan again",
        ),
    ]
    skipped = changes["SpeechRule/Billing"].model_copy(update={"name": "Dependent", "action": Action.CREATE})
    outcomes.append(ChangeOutcome.of(skipped, Outcome.SKIPPED, error="depends on SpeechRule/Billing 2, which failed"))
    return ApplyResult.from_outcomes(
        outcomes,
        hooks=["refresh the TTS cache"],
        target=plan.target,
        target_description=plan.target_description,
        finished_at=FIXED_TIME,
    ).model_copy(update={"tool_version": TOOL_VERSION})
