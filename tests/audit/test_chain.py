"""The hash chain as written: format, hashing, one chain across runs and processes."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.audit.log import AuditLog
from reconciler.audit.records import (
    COMMON_FIELDS,
    FORMAT_VERSION,
    GENESIS_HASH,
    TYPE_FIELDS,
    canonical_bytes,
    encode_line,
    parse_timestamp,
    record_hash,
    seal,
    seal_line,
)
from reconciler.audit.verify import verify_log
from reconciler.core.errors import AuditError

from .conftest import SOURCE, lines_of, open_trail, records_of, write_run


class TestRecordFormat:
    def test_each_line_is_the_canonical_serialization_of_its_record(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            write_run(trail, "run-1")
        for line in lines_of(log_path):
            record = json.loads(line)
            assert line == canonical_bytes(record) + b"\n"
            assert b'", "' not in line and b'": ' not in line  # no insignificant whitespace
            assert list(record) == sorted(record)  # keys stored in sorted order

    def test_hash_is_sha256_of_the_canonical_record_without_hash(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            write_run(trail, "run-1")
        for record in records_of(log_path):
            body = {k: v for k, v in record.items() if k != "hash"}
            expected = hashlib.sha256(
                json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
            ).hexdigest()
            assert record["hash"] == expected == record_hash(record)

    def test_every_record_has_the_common_and_type_fields(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            write_run(trail, "run-1", fail_last=True)
        records = records_of(log_path)
        assert [r["type"] for r in records] == ["run.start", "intent", "outcome", "intent", "outcome", "run.end"]
        for record in records:
            assert set(COMMON_FIELDS) | set(TYPE_FIELDS[record["type"]]) <= set(record)
            assert record["format_version"] == FORMAT_VERSION
            assert record["actor"] == "alice"
            assert record["source"]["commit"] == SOURCE.commit
            assert record["source"]["branch"] == "main"
            assert record["target"] == "sandbox:test"
            assert record["run_id"] == "run-1"
            assert parse_timestamp(record["timestamp"]).utcoffset().total_seconds() == 0
            assert record["timestamp"].endswith("Z")
        failure = records[4]
        assert failure["outcome"] == "failure"
        assert (failure["status"], failure["correlation_id"]) == (409, "corr-run-1-1")
        assert failure["error"] == {"code": "duplicate.name", "message": "name already used"}
        assert failure["intent_seq"] == records[3]["seq"] and failure["intent_id"] == records[3]["id"]
        assert (failure["kind"], failure["name"], failure["method"]) == ("Webhook", "hook-1", "POST")
        success = records[2]
        assert (success["object_id"], success["version"], success["latency_ms"]) == ("id-run-1-0", 1, 12.5)
        assert records[0]["summary"] == {"create": 2}
        assert (records[5]["counts"], records[5]["exit_status"]) == ({"created": 1, "failed": 1}, 1)

    def test_ids_are_unique(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            write_run(trail, "run-1", writes=5)
        ids = [r["id"] for r in records_of(log_path)]
        assert len(set(ids)) == len(ids) == 12


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
#: field names on both sides of "hash" in sorted order, and some that only just miss it
_FIELD_NAMES = st.text(max_size=8) | st.sampled_from(["has", "hasg", "hashed", "hash_", "hasi", "Hash", "h"])


class TestSealLine:
    """What the log writes (``seal_line``: one encoding split around ``hash``) is the format's definition."""

    @settings(max_examples=300, deadline=None)
    @given(fields=st.dictionaries(_FIELD_NAMES.filter(lambda k: k != "hash"), _JSON_VALUES, max_size=6))
    def test_seal_line_writes_what_seal_and_encode_line_define(self, fields: dict[str, object]) -> None:
        record, reference = dict(fields), dict(fields)
        line = seal_line(record)
        assert line == encode_line(seal(reference))
        assert record == reference  # the same hash set on the record
        assert json.loads(line) == reference and record["hash"] == record_hash(record)


class TestChain:
    def test_first_record_starts_from_64_zeros_and_each_links_to_the_previous(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            write_run(trail, "run-1")
        records = records_of(log_path)
        assert records[0]["prev_hash"] == GENESIS_HASH == "0" * 64
        for before, after in itertools.pairwise(records):
            assert after["prev_hash"] == before["hash"]
            assert after["seq"] == before["seq"] + 1
        assert records[0]["seq"] == 1

    def test_a_second_run_continues_the_chain_and_the_sequence(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            write_run(trail, "run-1")
        first = records_of(log_path)
        with open_trail(log_path) as trail:
            write_run(trail, "run-2", writes=3)
        records = records_of(log_path)
        assert records[: len(first)] == first
        second = records[len(first)]
        assert second["run_id"] == "run-2"
        assert second["prev_hash"] == first[-1]["hash"]
        assert second["seq"] == first[-1]["seq"] + 1
        report = verify_log(log_path)
        assert (report.records, report.runs, report.open_intents) == (14, 2, [])

    def test_two_trails_open_at_once_in_one_process_keep_one_chain(self, log_path: Path) -> None:
        one, two = open_trail(log_path), open_trail(log_path)
        try:
            one.run_started("a", {})
            two.run_started("b", {})
            one.run_finished({}, 0)
            two.run_finished({}, 0)
        finally:
            one.close()
            two.close()
        assert [r["run_id"] for r in records_of(log_path)] == ["a", "b", "a", "b"]
        assert verify_log(log_path).records == 4

    def test_appending_to_a_log_whose_last_record_is_damaged_is_refused(self, log_path: Path) -> None:
        with open_trail(log_path) as trail:
            write_run(trail, "run-1")
        data = log_path.read_bytes()
        log_path.write_bytes(data[:-20] + b"X" + data[-19:])
        with AuditLog(log_path) as log, pytest.raises(AuditError, match="damaged"):
            log.append({"type": "run.start"})
        assert log_path.read_bytes()[:-20] == data[:-20]


def _append_many(path: str, worker: int, count: int) -> None:
    with AuditLog(path) as log:
        for i in range(count):
            log.append({"type": "run.start", "run_id": f"w{worker}", "actor": "x", "source": {}, "target": "t",
                        "summary": {"i": i}, "tool_version": "t"})


class TestConcurrentProcesses:
    def test_processes_appending_to_one_file_interleave_whole_records_in_one_chain(self, log_path: Path) -> None:
        log_path.parent.mkdir(parents=True)
        ctx = multiprocessing.get_context("spawn")
        workers = [ctx.Process(target=_append_many, args=(str(log_path), w, 40)) for w in range(4)]
        for p in workers:
            p.start()
        for p in workers:
            p.join(60)
            assert p.exitcode == 0
        report = verify_log(log_path)
        assert report.records == 160
        records = records_of(log_path)
        assert [r["seq"] for r in records] == list(range(1, 161))
        for w in range(4):
            assert [r["summary"]["i"] for r in records if r["run_id"] == f"w{w}"] == list(range(40))
