"""A backlog scan resumed from ``<log>.backlog`` finds exactly what a scan of the whole log finds.

Each test writes real sealed records through :class:`AuditLog` and compares the resumed
scan with a whole scan of the same bytes (the checkpoint deleted first).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.audit import checkpoint
from reconciler.audit.backlog import Backlog, read_backlog
from reconciler.audit.log import AuditLog
from reconciler.audit.records import encode_line, seal
from reconciler.audit.redact import Redactor
from reconciler.audit.trail import AuditTrail
from reconciler.audit.verify import AuditChainError, verify_log

from .conftest import SOURCE


def whole_scan(log: Path) -> Backlog:
    """The backlog as a scan of the whole log gives it (no checkpoint to start from, none left)."""
    side = checkpoint.path_of(log)
    kept = side.read_bytes() if side.exists() else None
    side.unlink(missing_ok=True)
    try:
        return read_backlog(log)
    finally:
        side.unlink(missing_ok=True)
        if kept is not None:
            side.write_bytes(kept)


def same(one: Backlog, other: Backlog) -> bool:
    return asdict(one) == asdict(other)


class _DeadRun(AuditTrail):
    """A trail whose records are an apply's, as :class:`AuditTrail` builds them, with no run lock held.

    Why: these tests read the backlog of runs that are over (their process gone, its lock with
    it); a run still holding its lock would keep its open intents out of every scan alike.
    """

    def _hold_run_lock(self) -> None:
        return None


class Writer:
    """Sealed records of several runs, built by :class:`AuditTrail`: intents (writes, masked updates and hooks),
    outcomes, ends."""

    def __init__(self, log: Path) -> None:
        self.path = log
        self.trails: dict[str, AuditTrail] = {}
        #: intents without an outcome yet, in the order announced, with the trail (run) that announced them
        self.open: list[tuple[int, AuditTrail]] = []

    def close(self) -> None:
        for trail in self.trails.values():
            trail.close()

    def trail(self, run: str) -> AuditTrail:
        if run not in self.trails:
            trail = self.trails[run] = _DeadRun(AuditLog(self.path), target="sandbox:test", source=SOURCE,
                                                redactor=Redactor())
            trail.run_id = run
        return self.trails[run]

    def step(self, op: tuple[str, int]) -> None:
        what, n = op
        run = f"run-{n % 3}"
        if what == "start":
            self.trail(run).run_started(run, {})
        elif what in ("write", "hook", "secret"):
            trail = self.trail(run)
            if what == "secret":  # an update of a masked value only: a later one of the same object supersedes it
                seq = trail.intent(kind="A", name=f"o{n % 2}", object_id=f"id{n % 2}", action="update",
                                   changes=[{"path": "authSecret", "after": "(sensitive)"}], method="PUT",
                                   path=f"/api/v2/x/id{n % 2}")
            elif what == "write":
                seq = trail.intent(kind=("A", "B")[n % 2], name=f"o{n}", object_id=None,
                                   action=("create", "update", "delete")[n % 3],
                                   changes=[{"path": "name", "after": f"o{n}"}], method="POST", path=f"/api/v2/x/{n}")
            else:
                seq = trail.intent(kind=None, name=None, object_id=None, action="hook", method="POST",
                                   path=f"/hooks/{n % 2}")
            self.open.append((seq, trail))
        elif what in ("success", "failure") and self.open:
            seq, trail = self.open.pop(n % len(self.open))
            trail.outcome(intent_seq=seq, outcome=what)
        elif what == "end":
            self.trail(run).run_finished({}, 0)


OPS = st.tuples(st.sampled_from(["start", "write", "hook", "secret", "success", "failure", "end"]),
                st.integers(0, 50))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(st.lists(OPS, max_size=8), min_size=1, max_size=6))
def test_resumed_scans_equal_whole_scans_after_every_append(tmp_path_factory: pytest.TempPathFactory,
                                                            chunks: list[list[tuple[str, int]]]) -> None:
    log = tmp_path_factory.mktemp("log") / "audit.jsonl"
    writer = Writer(log)
    try:
        for chunk in chunks:
            for op in chunk:
                writer.step(op)
            if log.exists():
                resumed = read_backlog(log)
                assert same(resumed, whole_scan(log))
    finally:
        writer.close()


def _log_with_open_intent(tmp_path: Path, records: int = 3) -> tuple[Path, Writer]:
    log = tmp_path / "audit.jsonl"
    writer = Writer(log)
    writer.step(("start", 1))
    writer.step(("write", 1))
    for n in range(records):
        writer.step(("write", 10 + n))
        writer.step(("success", -1))  # the write just announced
    writer.step(("end", 1))
    return log, writer


def test_the_scan_leaves_a_checkpoint_and_the_next_reads_only_what_follows_it(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    log, writer = _log_with_open_intent(tmp_path)
    first = read_backlog(log)
    assert [i.name for i in first.open_intents] == ["o1"]
    saved = json.loads(checkpoint.path_of(log).read_text())
    assert saved["offset"] == log.stat().st_size

    writer.step(("success", 0))  # the open intent gets its outcome after the checkpoint
    writer.close()
    read_from: list[int] = []
    real = checkpoint.iter_raw_lines

    def spy(path: Any, *, start_offset: int = 0, start_line: int = 1) -> Any:
        read_from.append(start_offset)
        return real(path, start_offset=start_offset, start_line=start_line)

    monkeypatch.setattr("reconciler.audit.backlog.iter_raw_lines", spy)
    second = read_backlog(log)
    assert read_from == [saved["offset"]]  # not from the start of the log
    assert second.open_intents == [] and same(second, whole_scan(log))


def test_a_log_replaced_under_the_checkpoint_is_scanned_whole(tmp_path: Path) -> None:
    log, writer = _log_with_open_intent(tmp_path)
    read_backlog(log)
    writer.close()
    log.unlink()  # another log at the same path: same offsets, other records
    other = Writer(log)
    for n in range(8):
        other.step(("write", 100 + n))
    other.step(("end", 1))
    other.close()
    assert same(read_backlog(log), whole_scan(log))
    assert len(read_backlog(log).open_intents) == 8


def test_a_log_replaced_by_one_of_the_same_shape_is_scanned_whole(tmp_path: Path) -> None:
    """Every line at the same offset as before, other records in them: only the chain hash tells them apart."""
    log = tmp_path / "audit.jsonl"
    for n in (1, 2):  # o1 (kind B, update) then, in its place, o2 (kind A, delete): lines of the same length
        log.unlink(missing_ok=True)
        writer = Writer(log)
        writer.step(("start", 1))
        writer.step(("write", n))
        writer.close()
        found = read_backlog(log)
    assert [(i.name, i.kind) for i in found.open_intents] == [("o2", "A")]
    assert same(found, whole_scan(log))


def test_a_truncated_log_is_scanned_whole(tmp_path: Path) -> None:
    log, writer = _log_with_open_intent(tmp_path, records=6)
    writer.close()
    read_backlog(log)
    data = log.read_bytes()
    log.write_bytes(data[: data.index(b"\n", len(data) // 3) + 1])
    assert same(read_backlog(log), whole_scan(log))


@pytest.mark.parametrize("content", [b"", b"not json", b"[]", b'{"format": 1}', b'{"format": 99}',
                                     b'{"format":1,"last":{"seq":1,"hash":"x","offset":0},"offset":0,"line":1,'
                                     b'"intents":{"1":[]},"ended":[],"written":{},"called":{}}'])
def test_an_unreadable_checkpoint_means_a_whole_scan(tmp_path: Path, content: bytes) -> None:
    log, writer = _log_with_open_intent(tmp_path)
    writer.close()
    expected = whole_scan(log)
    checkpoint.path_of(log).write_bytes(content)
    assert same(read_backlog(log), expected)


def test_a_torn_last_line_is_left_for_the_next_scan(tmp_path: Path) -> None:
    log, writer = _log_with_open_intent(tmp_path)
    writer.close()
    whole = log.read_bytes()
    last_start = whole.rindex(b"\n", 0, len(whole) - 1) + 1
    log.write_bytes(whole[: last_start + 10])  # the last record half written
    read_backlog(log)
    assert json.loads(checkpoint.path_of(log).read_text())["offset"] == last_start
    log.write_bytes(whole)  # the record completed
    assert same(read_backlog(log), whole_scan(log))


def test_a_checkpoint_that_cannot_be_written_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log, writer = _log_with_open_intent(tmp_path)
    writer.close()
    expected = whole_scan(log)

    def refused(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(checkpoint.os, "replace", refused)  # as a read-only directory answers
    assert same(read_backlog(log), expected)
    assert not checkpoint.path_of(log).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["audit.jsonl"]  # no temporary file left behind


def test_a_valid_log_has_no_chain_break(tmp_path: Path) -> None:
    log, writer = _log_with_open_intent(tmp_path)
    read_backlog(log)
    writer.step(("success", 0))
    writer.close()
    assert read_backlog(log).chain_break is None and whole_scan(log).chain_break is None


def test_a_break_in_the_records_read_since_the_checkpoint_is_found_and_kept(tmp_path: Path) -> None:
    """The scan checks each record it reads as a link of the chain; the break outlives the scan that found it."""
    log, writer = _log_with_open_intent(tmp_path, records=2)
    read_backlog(log)
    checked_up_to = log.stat().st_size
    for n in range(3):
        writer.step(("write", 20 + n))
    writer.close()
    data = log.read_bytes()
    edited = data.index(b'"name":"o21"', checked_up_to)  # a record appended after the checkpoint
    log.write_bytes(data[:edited] + b'"name":"o99"' + data[edited + len(b'"name":"o21"'):])
    line = log.read_bytes().count(b"\n", 0, edited) + 1
    expected = f"{log}: record {line} (line {line}): hash mismatch: the record's content does not match its hash"
    assert read_backlog(log).chain_break == expected  # resumed from the checkpoint
    assert read_backlog(log).chain_break == expected  # and again, past the break
    assert whole_scan(log).chain_break == expected


def test_a_line_that_is_no_record_breaks_the_chain(tmp_path: Path) -> None:
    log, writer = _log_with_open_intent(tmp_path, records=1)
    writer.close()
    records = log.read_bytes()
    log.write_bytes(records + b"not a record\n")
    line = records.count(b"\n") + 1
    assert read_backlog(log).chain_break == f"{log}: line {line}: not valid JSON (Expecting value at column 1)"


@pytest.mark.parametrize(("edit", "reason"), [
    (lambda record: record.pop("actor"), "missing field(s): actor"),
    (lambda record: record.update(format_version=2), "format_version 2 is not 1"),
    (lambda record: record.update(type="intent.v2"), "unknown record type 'intent.v2'"),
])
def test_a_record_of_another_form_resealed_breaks_the_chain_as_audit_verify_says(
    tmp_path: Path, edit: Callable[[dict[str, Any]], object], reason: str
) -> None:
    """Its hash recomputed, the record is a sound link of the chain: only its form tells it is not one we write."""
    log, writer = _log_with_open_intent(tmp_path, records=1)
    read_backlog(log)  # the checkpoint: the edited record is read past it, and again in a whole scan
    writer.step(("write", 30))
    writer.close()
    lines = log.read_bytes().splitlines(keepends=True)
    record = json.loads(lines[-1])
    edit(record)
    lines[-1] = encode_line(seal(record))
    log.write_bytes(b"".join(lines))
    with pytest.raises(AuditChainError) as verified:
        verify_log(log)
    expected = f"{log}: record {len(lines)} (line {len(lines)}): {reason}"
    assert str(verified.value) == expected
    assert read_backlog(log).chain_break == expected  # resumed from the checkpoint
    assert whole_scan(log).chain_break == expected
