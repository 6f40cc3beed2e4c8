"""``reconciler audit verify`` and ``reconciler audit show`` through the real CLI group."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.audit.query import parse_since
from reconciler.cli import main

from .conftest import lines_of, open_trail, records_of, write_run


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def two_runs(log_path: Path) -> Path:
    with open_trail(log_path) as trail:
        write_run(trail, "11111111-aaaa", writes=2)
    with open_trail(log_path) as trail:
        write_run(trail, "22222222-bbbb", writes=3, fail_last=True)
    return log_path


class TestVerifyCommand:
    def test_an_intact_log_prints_ok_and_exits_0(self, runner: CliRunner, two_runs: Path) -> None:
        result = runner.invoke(main, ["audit", "verify", str(two_runs)])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "ok: 14 records, 2 runs, chain intact"

    def test_a_tampered_log_exits_1_naming_the_first_bad_record(self, runner: CliRunner, two_runs: Path) -> None:
        lines = lines_of(two_runs)
        lines[8] = lines[8].replace(b'"status":200', b'"status":201')
        two_runs.write_bytes(b"".join(lines))
        result = runner.invoke(main, ["audit", "verify", str(two_runs)])
        assert result.exit_code == 1
        assert result.stderr.startswith(f"error: {two_runs}: record 9 (line 9): hash mismatch")
        assert "Traceback" not in result.output

    def test_a_missing_log_exits_1_without_traceback(self, runner: CliRunner, tmp_path: Path) -> None:
        result = runner.invoke(main, ["audit", "verify", str(tmp_path / "none.jsonl")])
        assert result.exit_code == 1
        assert "no audit log at" in result.stderr and result.exception is not None
        assert isinstance(result.exception, SystemExit)

    def test_the_default_file_is_relative_to_the_working_directory(
        self, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        with open_trail(None) as trail:  # type: ignore[arg-type]
            write_run(trail, "r")
        assert (tmp_path / ".reconciler" / "audit.jsonl").is_file()
        result = runner.invoke(main, ["audit", "verify"])
        assert result.exit_code == 0 and "ok: 6 records, 1 run" in result.output

    def test_interrupted_runs_are_reported(self, runner: CliRunner, log_path: Path) -> None:
        trail = open_trail(log_path)
        trail.run_started("cut", {})
        seq = trail.intent(kind="Webhook", name="w", object_id=None, action="create", method="POST",
                           path="/api/v2/webhooks")
        trail.log.close()  # the process "dies" here
        result = runner.invoke(main, ["audit", "verify", str(log_path)])
        assert result.exit_code == 0
        assert f"1 intent(s) without outcome (writes in flight when a run stopped): seq {seq}" in result.output
        assert "1 run(s) without an end record: cut" in result.output


class TestShowCommand:
    def _json(self, runner: CliRunner, *args: str) -> list[dict]:
        result = runner.invoke(main, ["audit", "show", *args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def test_json_prints_every_record_as_stored(self, runner: CliRunner, two_runs: Path) -> None:
        assert self._json(runner, str(two_runs)) == records_of(two_runs)

    def test_text_is_a_table_with_one_row_per_record(self, runner: CliRunner, two_runs: Path) -> None:
        result = runner.invoke(main, ["audit", "show", str(two_runs)])
        assert result.exit_code == 0
        rows = result.output.splitlines()
        assert rows[0].split() == ["SEQ", "TIME", "(UTC)", "RUN", "TYPE", "ACTION", "OBJECT", "RESULT", "DETAIL"]
        assert len(rows) == 15
        failure = rows[13]
        assert failure.split()[:3] == ["13", *records_of(two_runs)[12]["timestamp"][:19].split("T")]
        assert "outcome" in failure and "VoiceProfile/Voice 2" in failure and "failure 409" in failure
        assert "duplicate.name" in failure and "corr-22222222-bbbb-2" in failure
        assert "by alice @ 0123456789ab" in rows[1]

    def test_filters_by_kind_and_name_ignoring_case(self, runner: CliRunner, two_runs: Path) -> None:
        shown = self._json(runner, str(two_runs), "--kind", "webhook")
        assert shown and {r["kind"] for r in shown} == {"Webhook"}
        assert len(shown) == 2 * 1 + 2 * 1  # hook-1 in each run: intent + outcome
        shown = self._json(runner, str(two_runs), "--name", "VOICE 2")
        assert [(r["type"], r["name"], r["run_id"]) for r in shown] == [
            ("intent", "Voice 2", "22222222-bbbb"),
            ("outcome", "Voice 2", "22222222-bbbb"),
        ]

    def test_filters_by_run_id_prefix(self, runner: CliRunner, two_runs: Path) -> None:
        shown = self._json(runner, str(two_runs), "--run", "2222")
        assert len(shown) == 8 and {r["run_id"] for r in shown} == {"22222222-bbbb"}

    def test_filters_combine(self, runner: CliRunner, two_runs: Path) -> None:
        shown = self._json(runner, str(two_runs), "--run", "1111", "--kind", "VoiceProfile")
        assert [(r["type"], r["name"]) for r in shown] == [("intent", "Voice 0"), ("outcome", "Voice 0")]

    def test_since_relative_and_absolute(self, runner: CliRunner, two_runs: Path) -> None:
        assert len(self._json(runner, str(two_runs), "--since", "1h")) == 14
        future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        refused = runner.invoke(main, ["audit", "show", str(two_runs), "--since", future])
        assert refused.exit_code == 1 and f"--since: '{future}' is not in the past" in refused.stderr
        seventh = records_of(two_runs)[6]["timestamp"]
        assert [r["seq"] for r in self._json(runner, str(two_runs), "--since", seventh)] == list(range(7, 15))

    def test_no_match_says_so(self, runner: CliRunner, two_runs: Path) -> None:
        result = runner.invoke(main, ["audit", "show", str(two_runs), "--name", "nobody"])
        assert (result.exit_code, result.output.strip()) == (0, "no matching audit records")

    def test_a_bad_since_is_a_clear_error_with_exit_1(self, runner: CliRunner, two_runs: Path) -> None:
        result = runner.invoke(main, ["audit", "show", str(two_runs), "--since", "yesterday-ish"])
        assert result.exit_code == 1
        assert "--since: cannot read 'yesterday-ish' as a time" in result.stderr

    def test_text_shows_what_a_record_quotes_of_a_server_on_the_records_line(
        self, runner: CliRunner, log_path: Path
    ) -> None:
        """A live name, an id and a server's error may hold line breaks (and ANSI): one row each, escaped."""
        forged = "Plan: 0 to create, 0 to update, 0 to delete."
        with open_trail(log_path) as trail:
            trail.run_started("hostile", {})
            seq = trail.intent(kind="Webhook", name=f"w\n{forged}", object_id=None, action="create",
                               method="POST", path="/api/v2/webhooks")
            trail.outcome(intent_seq=seq, outcome="failure", status=400, correlation_id="c\u20281",
                          object_id="id\r\n::error ::x", error={"code": "bad\x85::x", "message": f"\x1b[2J{forged}"})
            trail.run_finished({"failed": 1}, exit_status=1)
        result = runner.invoke(main, ["audit", "show", str(log_path)])
        assert result.exit_code == 0, result.output
        rows = result.output.splitlines()
        assert len(rows) == 5, rows  # the header and four records
        assert not any(row.lstrip().startswith(("Plan:", "::")) for row in rows)
        assert "\x1b" not in result.output and "Webhook/w\\nPlan: 0 to create" in rows[2]
        assert "id id\\r\\n::error ::x" in rows[3] and "bad\\x85::x" in rows[3]


class TestParseSince:
    NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("30m", datetime(2024, 5, 1, 11, 30, tzinfo=UTC)),
            ("2h", datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
            ("1d", datetime(2024, 4, 30, 12, 0, tzinfo=UTC)),
            ("1w", datetime(2024, 4, 24, 12, 0, tzinfo=UTC)),
            ("90s", datetime(2024, 5, 1, 11, 58, 30, tzinfo=UTC)),
            ("2024-04-01T08:00:00Z", datetime(2024, 4, 1, 8, 0, tzinfo=UTC)),
            ("2024-04-01T10:00:00+02:00", datetime(2024, 4, 1, 8, 0, tzinfo=UTC)),
            ("2024-04-01", datetime(2024, 4, 1, 0, 0, tzinfo=UTC)),
        ],
    )
    def test_accepted_forms(self, text: str, expected: datetime) -> None:
        assert parse_since(text, now=self.NOW) == expected

    @pytest.mark.parametrize("text", ["", "2x", "soon", "2024-13-01"])
    def test_rejected_forms(self, text: str) -> None:
        with pytest.raises(ValueError, match="ISO 8601"):
            parse_since(text, now=self.NOW)

    @pytest.mark.parametrize("text", ["9999-12-31", "2024-05-01T12:00:00Z", "2024-05-02T00:00:00+02:00"])
    def test_a_time_not_in_the_past_is_refused_as_drift_refuses_it(self, text: str) -> None:
        """``audit show --since 9999-12-31`` answered 'no matching records' where drift refused the date."""
        with pytest.raises(ValueError, match="is not in the past"):
            parse_since(text, now=self.NOW)
