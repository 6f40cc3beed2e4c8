"""``verify_log``: any edited byte fails at its record; torn final lines are handled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.audit.backlog import read_backlog
from reconciler.audit.log import AuditLog
from reconciler.audit.verify import AuditChainError, verify_log
from reconciler.core.errors import AuditError

from .conftest import lines_of, open_trail, records_of, write_run


@pytest.fixture
def sample_log(log_path: Path) -> Path:
    """Two runs, 10 records: run.start, intent, outcome, intent, outcome (failure), run.end, …"""
    with open_trail(log_path) as trail:
        write_run(trail, "run-1", fail_last=True)
    with open_trail(log_path) as trail:
        write_run(trail, "run-2", writes=1)
    return log_path


def _flip(data: bytes, offset: int, mask: int = 0x01) -> bytes:
    return data[:offset] + bytes([data[offset] ^ mask]) + data[offset + 1 :]


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


class TestIntactLogs:
    def test_an_untouched_log_verifies(self, sample_log: Path) -> None:
        report = verify_log(sample_log)
        assert (report.records, report.runs, report.last_seq) == (10, 2, 10)
        assert report.open_intents == [] and report.unfinished_runs == [] and report.torn_tail_bytes == 0
        assert report.last_hash == records_of(sample_log)[-1]["hash"]
        assert report.summary() == "ok: 10 records, 2 runs, chain intact"

    def test_an_empty_file_is_not_an_audit_log(self, log_path: Path) -> None:
        # issue 13: apply always writes a run.start first, so an empty file was never a log
        log_path.parent.mkdir(parents=True)
        log_path.write_bytes(b"")
        with pytest.raises(AuditError, match="is not an audit log: it is empty"):
            verify_log(log_path)

    def test_a_missing_log_is_an_audit_error(self, tmp_path: Path) -> None:
        with pytest.raises(AuditError, match="no audit log"):
            verify_log(tmp_path / "nope.jsonl")


class TestEveryByte:
    @pytest.mark.parametrize("record_index", range(4))
    def test_flipping_any_single_byte_fails_at_the_record_holding_it(self, log_path: Path, record_index: int) -> None:
        """Exhaustive over a run with one record of each type (run.start, intent, outcome, run.end)."""
        with open_trail(log_path) as trail:
            write_run(trail, "run-1", writes=1)
        data = log_path.read_bytes()
        lines = lines_of(log_path)
        start = sum(len(line) for line in lines[:record_index])
        for offset in range(start, start + len(lines[record_index])):
            log_path.write_bytes(_flip(data, offset))
            with pytest.raises(AuditChainError) as caught:
                verify_log(log_path)
            assert caught.value.line == record_index + 1 == _line_of(data, offset), (offset, caught.value)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(where=st.floats(min_value=0, max_value=1, exclude_max=True), value=st.integers(0, 255))
    def test_replacing_any_byte_by_any_other_fails_at_its_record(
        self, sample_log: Path, where: float, value: int
    ) -> None:
        data = _pristine(sample_log)
        offset = int(where * len(data))
        if data[offset] == value:
            value ^= 0xFF
        sample_log.write_bytes(data[:offset] + bytes([value]) + data[offset + 1 :])
        with pytest.raises(AuditChainError) as caught:
            verify_log(sample_log)
        assert caught.value.line == _line_of(data, offset)


_PRISTINE: dict[Path, bytes] = {}


def _pristine(path: Path) -> bytes:
    """The log as first written (hypothesis reuses the fixture across examples)."""
    return _PRISTINE.setdefault(path, path.read_bytes())


class TestNamedPositions:
    """One edit in a chosen place of each record, with a realistic (printable) change."""

    POSITIONS = {
        "inside a value": lambda line: line.index(b'"target":"') + len(b'"target":"') + 2,
        "inside a key": lambda line: line.index(b'"run_id"') + 3,
        "the hash value": lambda line: line.index(b'"hash":"') + len(b'"hash":"') + 10,
        "the hash key": lambda line: line.index(b'"hash"') + 2,
        "the prev_hash value": lambda line: line.index(b'"prev_hash":"') + len(b'"prev_hash":"') + 63,
        "the sequence number": lambda line: line.index(b'"seq":') + len(b'"seq":'),
        "the timestamp": lambda line: line.index(b'"timestamp":"') + len(b'"timestamp":"') + 18,
    }

    @pytest.mark.parametrize("record_index", range(10))
    @pytest.mark.parametrize("position", list(POSITIONS))
    def test_edit_fails_verification_naming_that_record(
        self, sample_log: Path, record_index: int, position: str
    ) -> None:
        lines = lines_of(sample_log)
        line = lines[record_index]
        at = self.POSITIONS[position](line)
        replacement = b"5" if line[at : at + 1] != b"5" else b"6"
        if position in ("inside a key", "the hash key"):
            replacement = line[at : at + 1].upper()
        lines[record_index] = line[:at] + replacement + line[at + 1 :]
        assert lines[record_index] != line
        sample_log.write_bytes(b"".join(lines))
        with pytest.raises(AuditChainError) as caught:
            verify_log(sample_log)
        assert caught.value.line == record_index + 1
        assert f"line {record_index + 1}" in str(caught.value)

    def test_a_rehashed_edit_still_fails_at_the_next_record(self, sample_log: Path) -> None:
        """Recomputing the edited record's own hash moves the break to its successor."""
        from reconciler.audit.records import encode_line, seal

        lines = lines_of(sample_log)
        record = json.loads(lines[2])
        record["status"] = 201
        lines[2] = encode_line(seal(record))
        sample_log.write_bytes(b"".join(lines))
        with pytest.raises(AuditChainError, match="prev_hash") as caught:
            verify_log(sample_log)
        assert (caught.value.line, caught.value.seq) == (4, 4)

    def test_a_nan_written_into_a_record_fails_at_it_without_a_traceback(self, sample_log: Path) -> None:
        """json.loads reads NaN; encoding it again for the check raised ValueError, a traceback of audit verify."""
        lines = lines_of(sample_log)
        assert b'"status":200' in lines[2]
        lines[2] = lines[2].replace(b'"status":200', b'"status":NaN')
        sample_log.write_bytes(b"".join(lines))
        with pytest.raises(AuditChainError, match="holds NaN or Infinity, which JSON has not") as caught:
            verify_log(sample_log)
        assert (caught.value.line, caught.value.seq) == (3, 3)

    def test_a_deleted_record_fails_at_the_record_after_it(self, sample_log: Path) -> None:
        lines = lines_of(sample_log)
        del lines[4]
        sample_log.write_bytes(b"".join(lines))
        with pytest.raises(AuditChainError, match="prev_hash") as caught:
            verify_log(sample_log)
        assert caught.value.line == 5

    def test_swapped_records_fail(self, sample_log: Path) -> None:
        lines = lines_of(sample_log)
        lines[3], lines[4] = lines[4], lines[3]
        sample_log.write_bytes(b"".join(lines))
        with pytest.raises(AuditChainError) as caught:
            verify_log(sample_log)
        assert caught.value.line == 4

    def test_a_removed_final_newline_is_tampering_not_a_torn_write(self, sample_log: Path) -> None:
        sample_log.write_bytes(sample_log.read_bytes()[:-1])
        with pytest.raises(AuditChainError, match="newline") as caught:
            verify_log(sample_log)
        assert caught.value.line == 10


class TestTornLastLine:
    """A killed writer can leave the start of a line; it is never a record whose request was sent."""

    def _tear(self, path: Path) -> bytes:
        with open_trail(path) as trail:
            trail.run_started("next", {})
        lines = lines_of(path)
        fragment = lines[-1][:57]
        path.write_bytes(b"".join(lines[:-1]) + fragment)
        return fragment

    def test_verify_tolerates_and_reports_a_torn_final_line(self, sample_log: Path) -> None:
        fragment = self._tear(sample_log)
        report = verify_log(sample_log)
        assert (report.records, report.torn_tail_bytes) == (10, len(fragment))
        assert "incomplete write (57 bytes)" in report.summary()

    def test_the_next_writer_moves_the_fragment_aside_and_continues_the_chain(self, sample_log: Path) -> None:
        fragment = self._tear(sample_log)
        last_hash = json.loads(lines_of(sample_log)[9])["hash"]
        with AuditLog(sample_log) as log:
            record = log.append({"type": "run.start", "run_id": "r", "actor": "a", "source": {}, "target": "t",
                                 "summary": {}, "tool_version": "x"})
            assert log.torn_fragments_moved == 1
        assert (record["seq"], record["prev_hash"]) == (11, last_hash)
        assert sample_log.with_name("audit.jsonl.torn").read_bytes() == fragment + b"\n"
        report = verify_log(sample_log)
        assert (report.records, report.torn_tail_bytes) == (11, 0)

    def test_a_torn_line_that_is_the_whole_file_is_moved_aside_too(self, log_path: Path) -> None:
        log_path.parent.mkdir(parents=True)
        log_path.write_bytes(b'{"action":"cre')
        assert verify_log(log_path).torn_tail_bytes == 14
        with open_trail(log_path) as trail:
            trail.run_started("r", {})
        assert records_of(log_path)[0]["seq"] == 1
        assert verify_log(log_path).records == 1

    def test_a_cut_inside_a_multibyte_character_is_still_a_torn_line(self, sample_log: Path) -> None:
        with open_trail(sample_log) as trail:
            trail.intent(kind="VoiceProfile", name="Größe", object_id=None, action="create", method="POST",
                         path="/api/v2/voice/profiles")
        lines = lines_of(sample_log)
        cut = lines[-1].index("ö".encode()) + 1  # between the two bytes of "ö"
        sample_log.write_bytes(b"".join(lines[:-1]) + lines[-1][:cut])
        assert verify_log(sample_log).torn_tail_bytes == cut

    def test_a_torn_line_in_the_middle_is_not_tolerated(self, sample_log: Path) -> None:
        lines = lines_of(sample_log)
        lines[5] = lines[5][:40]  # a fragment followed by more records
        sample_log.write_bytes(b"".join(lines))
        with pytest.raises(AuditChainError, match="not valid JSON") as caught:
            verify_log(sample_log)
        assert caught.value.line == 6


class TestTheApplysScanNamesDamageAsVerifyDoes:
    """An apply's backlog scan checks each record as ``audit verify`` does and must name a break in its words.

    Why: a record edited to hold ``NaN`` was 'line 3: not an audit record' to the scan (no seq,
    no reason), and 'record 3 (line 3): holds NaN or Infinity' to ``audit verify``.
    """

    @pytest.mark.parametrize(
        "edit",
        [
            (b'"status":200', b'"status":NaN'),
            (b'"status":200', b'"status":Infinity'),
            (b'"status":200', b'"status":-Infinity'),
            (b'"type":"outcome"', b'"type":"outcome!"'),
            (b'"seq":3', b'"seq":"3"'),
            (b'"alice"', b'"\\ud800"'),
        ],
        ids=["nan", "infinity", "minus-infinity", "unknown-type", "seq-not-int", "lone-surrogate"],
    )
    def test_a_damaged_record(self, sample_log: Path, edit: tuple[bytes, bytes]) -> None:
        lines = lines_of(sample_log)
        assert edit[0] in lines[2]
        lines[2] = lines[2].replace(*edit, 1)
        sample_log.write_bytes(b"".join(lines))
        with pytest.raises(AuditChainError) as caught:
            verify_log(sample_log)
        assert caught.value.line == 3
        assert read_backlog(sample_log).chain_break == str(caught.value)

    @pytest.mark.parametrize("line", [b"not a record\n", b"[1, 2]\n", b'{"a": 1}\n', b"\xff\xfe\n"])
    def test_a_line_that_is_no_record(self, sample_log: Path, line: bytes) -> None:
        lines = lines_of(sample_log)
        lines.insert(2, line)
        sample_log.write_bytes(b"".join(lines))
        with pytest.raises(AuditChainError) as caught:
            verify_log(sample_log)
        assert caught.value.line == 3
        assert read_backlog(sample_log).chain_break == str(caught.value)
