"""Drift reports: differs, missing and unmanaged, read from the same comparison as plans."""

from __future__ import annotations

from reconciler.plan.builder import PrunePolicy
from reconciler.plan.drift import DriftReport, compute_drift, drift_from_plan

from ._support import DIGEST, ENV, FIXED_TIME, TARGET, TARGET_DESCRIPTION, applied, live_hook, plan_of, sample, voice


def drift(objects, live):  # type: ignore[no-untyped-def]
    return compute_drift(
        objects,
        live,
        env=ENV,
        target=TARGET,
        target_description=TARGET_DESCRIPTION,
        manifests_digest=DIGEST,
        created_at=FIXED_TIME,
    )


class TestDrift:
    def test_no_drift_after_apply(self) -> None:
        objects = sample()
        report = drift(objects, applied(objects))
        assert not report.has_drift
        assert report.summary == {"differs": 0, "missing": 0, "unmanaged": 0, "renamed_live": 0}

    def test_differs_missing_and_unmanaged(self) -> None:
        objects = sample()
        live = applied(objects[1:], extra=[live_hook("Stray")])
        live["SpeechRule"][0]["enabled"] = False
        report = drift(objects, live)
        assert report.has_drift
        assert [m.address for m in report.missing] == ["VoiceProfile/IVR Main"]
        assert [(d.address, [(f.path, f.before, f.after) for f in d.field_changes]) for d in report.differs] == [
            ("SpeechRule/Billing", [("enabled", False, True)])
        ]
        assert report.unmanaged == ("Webhook/Stray",)
        assert report.differs[0].object_id is not None and report.differs[0].live_version == 1

    def test_pruned_objects_count_as_unmanaged(self) -> None:
        live = applied([voice()], extra=[live_hook("Stray"), live_hook("Other")])
        plan = plan_of([voice()], live, prune=PrunePolicy(kinds=frozenset({"Webhook"})))
        report = drift_from_plan(plan)
        assert report.unmanaged == ("Webhook/Other", "Webhook/Stray")
        assert report.has_drift

    def test_prune_safety_errors_do_not_carry_over(self) -> None:
        live = applied([voice()], extra=[live_hook(f"Stray {i}") for i in range(12)])
        plan = plan_of([voice()], live, prune=PrunePolicy(kinds=frozenset({"Webhook"})))
        assert plan.errors  # too many deletes for an apply ...
        report = DriftReport.from_plan(plan)
        assert report.errors == () and len(report.unmanaged) == 12  # ... but drift only reports
