"""The executor's API: intent before the request, outcome after, run records around."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.core.errors import RateLimitedError

from .conftest import open_trail, records_of


class TestIntentAndOutcome:
    def test_an_intent_is_on_disk_when_intent_returns(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            seq = trail.intent(kind="Webhook", name="w", object_id="id-1", action="update",
                               changes=[{"path": "enabled", "before": True, "after": False}],
                               method="put", path="/api/v2/webhooks/id-1")
            on_disk = records_of(log_path)
        assert [(r["type"], r["seq"]) for r in on_disk] == [("intent", seq)]
        assert on_disk[0]["method"] == "PUT"
        assert on_disk[0]["changes"] == [{"path": "enabled", "before": True, "after": False}]

    def test_open_intents_track_writes_without_outcome(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            a = trail.intent(kind="Webhook", name="a", object_id=None, action="create", method="POST",
                             path="/api/v2/webhooks")
            b = trail.intent(kind="Webhook", name="b", object_id=None, action="create", method="POST",
                             path="/api/v2/webhooks")
            assert trail.open_intents == [a, b]
            trail.outcome(intent_seq=a, outcome="success", status=200, object_id="x", version=1)
            assert trail.open_intents == [b]

    def test_outcome_copies_the_intent_so_each_record_stands_alone(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            seq = trail.intent(kind=None, name=None, object_id=None, action="hook", method="POST",
                               path="/api/v2/tts/settings/refresh")
            trail.outcome(intent_seq=seq, outcome="success", status=202, correlation_id="c", latency_ms=4.56)
        intent, outcome = records_of(log_path)
        for field in ("kind", "name", "action", "method", "path"):
            assert outcome[field] == intent[field]
        assert (outcome["intent_seq"], outcome["intent_id"], outcome["latency_ms"]) == (seq, intent["id"], 4.6)

    def test_an_api_error_becomes_status_code_and_correlation_id(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            seq = trail.intent(kind="Webhook", name="w", object_id=None, action="create", method="POST",
                               path="/api/v2/webhooks")
            trail.outcome(intent_seq=seq, outcome="failure", latency_ms=2,
                          error=RateLimitedError(429, "too.many.requests", "slow down", correlation_id="c-9",
                                                 retry_after=3))
        outcome = records_of(log_path)[1]
        assert (outcome["status"], outcome["correlation_id"]) == (429, "c-9")
        assert outcome["error"] == {"code": "too.many.requests", "message": "slow down"}

    def test_a_correlation_id_is_recorded_bounded_whoever_read_it(self, log_path: Path) -> None:
        """The id is the server's text: a megabyte of it, or a line break, went into the record as sent."""
        with open_trail(log_path) as trail:
            seq = trail.intent(kind="Webhook", name="w", object_id=None, action="create", method="POST",
                               path="/api/v2/webhooks")
            trail.outcome(intent_seq=seq, outcome="success", status=200, correlation_id="c\n" + "d" * 1_000_000)
        outcome = records_of(log_path)[1]
        assert outcome["correlation_id"] == "c?" + "d" * 118 + "...(cut)"

    def test_an_outcome_for_no_open_intent_is_a_programming_error(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            seq = trail.intent(kind="Webhook", name="w", object_id=None, action="create", method="POST",
                               path="/api/v2/webhooks")
            trail.outcome(intent_seq=seq, outcome="success")
            with pytest.raises(ValueError, match="no open intent"):
                trail.outcome(intent_seq=seq, outcome="success")
            with pytest.raises(ValueError, match="outcome must be one of"):
                trail.outcome(intent_seq=seq, outcome="maybe")
        assert len(records_of(log_path)) == 2

    def test_records_carry_the_run_id_given_at_run_start(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            trail.run_started("run-42", {"create": 1, "update": 0})
            seq = trail.intent(kind="Webhook", name="w", object_id=None, action="create", method="POST",
                               path="/api/v2/webhooks")
            trail.outcome(intent_seq=seq, outcome="success")
            trail.run_finished({"created": 1}, 0)
        assert {r["run_id"] for r in records_of(log_path)} == {"run-42"}

    def test_close_is_idempotent_and_the_parent_directory_is_created(self, tmp_path: Path) -> None:
        log = tmp_path / "deep" / "er" / "audit.jsonl"
        trail = open_trail(log)
        trail.run_started("r", {})
        trail.close()
        trail.close()
        assert log.is_file()
