"""Apply results: counts, failure lines and progress lines."""

from __future__ import annotations

from reconciler.apply.result import ApplyResult, ChangeOutcome, Outcome
from reconciler.plan.model import Action, ResourceChange

CREATE = ResourceChange(kind="VoiceProfile", name="Main", action=Action.CREATE)
UPDATE = ResourceChange(kind="Webhook", name="Hook", action=Action.UPDATE, object_id="w-1", live_version=3)


class TestApplyResult:
    def test_counts_and_failures(self) -> None:
        result = ApplyResult.from_outcomes(
            [
                ChangeOutcome.of(CREATE, Outcome.SUCCESS, object_id="v-1", version=1),
                ChangeOutcome.of(UPDATE, Outcome.STALE, error="moved"),
            ],
            hooks=["refresh the TTS cache"],
            target="sandbox",
        )
        assert result.counts == {"success": 1, "failed": 0, "skipped": 0, "stale": 1}
        assert result.failed == 1
        assert result.failure_lines() == ["Webhook/Hook (update): stale: moved"]
        assert result.changes[1].object_id == "w-1"  # defaults to the plan's id

    def test_all_success_has_no_failures(self) -> None:
        result = ApplyResult.from_outcomes([ChangeOutcome.of(CREATE, Outcome.SUCCESS)])
        assert result.failed == 0 and result.failure_lines() == []

    def test_progress_lines(self) -> None:
        ok = ChangeOutcome.of(CREATE, Outcome.SUCCESS, object_id="v-1", version=1)
        failed = ChangeOutcome.of(UPDATE, Outcome.FAILED, error="HTTP 400 bad.request")
        assert ok.line() == "ok       + create VoiceProfile/Main  (id v-1, version 1)"
        assert failed.line() == "FAILED   ~ update Webhook/Hook: HTTP 400 bad.request"
