"""Checking an audit log: the hash chain, the sequence, and each record's form.

A record is bad, and verification stops at it, when its line is not UTF-8 JSON, lacks
a field its type requires, is not byte-for-byte its own canonical serialization, has a
``hash`` that does not match its content, a ``prev_hash`` that is not the previous
record's ``hash`` (64 zeros for the first), or a ``seq`` that is not the previous one
plus one; an outcome is bad whose ``outcome`` is none of ``success``, ``failure`` and
``superseded``, or a ``superseded`` one whose ``superseded_by`` is not an earlier
successful outcome record of the run it names, of a write that makes its intent moot
(:class:`.supersede.MootCheck`). Editing any byte of
record N therefore fails at record N; deleting record N fails at the record after it.

A hash chain cannot tell that records were cut off the *end* of a file; forwarding the
records to another system (``--audit-url``) is what anchors the tail.

A final line without its newline is a torn write (see :mod:`.log`): it is reported,
not counted, and does not fail verification unless it holds a complete JSON value (then
the newline was removed by hand, which is tampering).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.audit.reader import RawLine, is_record, iter_raw_lines, not_a_log
from reconciler.audit.records import (
    FORMAT_VERSION,
    GENESIS_HASH,
    INTENT,
    OUTCOME,
    OUTCOMES,
    RECORD_TYPES,
    RUN_END,
    SUCCESS,
    SUPERSEDED,
    missing_fields,
    stored_form,
)
from reconciler.audit.supersede import MootCheck
from reconciler.core.bounded import SURROGATE_ESCAPE_BYTES, lone_surrogate
from reconciler.core.errors import AuditError


class AuditChainError(AuditError):
    """Verification failed at one line; ``seq`` is ``None`` when the line is no record."""

    def __init__(self, path: str | Path, line: int, seq: int | None, reason: str) -> None:
        self.path, self.line, self.seq, self.reason = str(path), line, seq, reason
        where = f"record {seq} (line {line})" if seq is not None else f"line {line}"
        super().__init__(f"{path}: {where}: {reason}")


@dataclass
class VerifyReport:
    """What a successful verification saw."""

    path: str
    records: int = 0
    runs: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    #: intents with no outcome: writes in flight when a run was interrupted
    open_intents: list[int] = field(default_factory=list)
    #: runs with a start and no end
    unfinished_runs: list[str] = field(default_factory=list)
    torn_tail_bytes: int = 0

    def summary(self) -> str:
        text = (
            f"ok: {self.records} record{'s' if self.records != 1 else ''}, "
            f"{self.runs} run{'s' if self.runs != 1 else ''}, chain intact"
        )
        if self.open_intents:
            shown = ", ".join(str(s) for s in self.open_intents[:10]) + (", …" if len(self.open_intents) > 10 else "")
            text += (
                f"\n{len(self.open_intents)} intent(s) without outcome (writes in flight when a run stopped): "
                f"seq {shown}"
            )
        if self.unfinished_runs:
            text += f"\n{len(self.unfinished_runs)} run(s) without an end record: {', '.join(self.unfinished_runs)}"
        if self.torn_tail_bytes:
            text += (
                f"\nthe last line is an incomplete write ({self.torn_tail_bytes} bytes), not a record; "
                "the next writer moves it to the .torn file"
            )
        return text


def _decode(path: Path, line: RawLine) -> dict[str, Any]:
    try:
        value = json.loads(line.data.decode("utf-8"))
    except UnicodeDecodeError:
        raise AuditChainError(path, line.number, None, "not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise AuditChainError(path, line.number, None, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise AuditChainError(path, line.number, None, "JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise AuditChainError(path, line.number, None, "not a JSON object")
    if SURROGATE_ESCAPE_BYTES.search(line.data) and (escape := lone_surrogate(value)) is not None:
        # no record we write holds one (canonical JSON is UTF-8): hashing it was a UnicodeEncodeError
        raise AuditChainError(path, line.number, None, f"holds the escape {escape}, half of a UTF-16 surrogate "
                                                       "pair (the line was edited)")
    return value


def _is_torn(line: RawLine) -> bool:
    """A final fragment that a killed writer could have left: no newline, no whole JSON value."""
    # A cut can split a UTF-8 sequence, hence "replace"; but a whole JSON object followed
    # by anything (even an invalid byte) is an edited record, not a torn one.
    if not line.data.startswith(b'{"'):
        return False  # every record starts so (canonical JSON): this fragment is not one of ours
    try:
        json.JSONDecoder().raw_decode(line.data.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return True
    return False


def form_problem(record: dict[str, Any]) -> str | None:
    """Why ``record`` is not of a form we write (type, required fields, format version); None if it is."""
    if record.get("type") not in RECORD_TYPES:
        return f"unknown record type {record.get('type')!r}"
    missing = missing_fields(record)
    if missing:
        return f"missing field(s): {', '.join(missing)}"
    if record.get("format_version") != FORMAT_VERSION:
        return f"format_version {record.get('format_version')!r} is not {FORMAT_VERSION}"
    if record["type"] == OUTCOME and record.get("outcome") not in OUTCOMES:
        return f"unknown outcome {record.get('outcome')!r}"
    if record["type"] == OUTCOME and record.get("outcome") == SUPERSEDED and not _names_record(record):
        return "a superseded outcome without superseded_by {seq, run_id}"
    return None


def _names_record(record: dict[str, Any]) -> bool:
    by = record.get("superseded_by")
    return isinstance(by, dict) and isinstance(by.get("seq"), int) and isinstance(by.get("run_id"), str)


def _superseding_problem(record: dict[str, Any], successes: dict[int, str]) -> str | None:
    """Why the record a ``superseded`` outcome names is not an earlier successful outcome of that run; None if it is."""
    by = record["superseded_by"]
    if successes.get(by["seq"]) != by["run_id"]:
        return (f"superseded_by names record {by['seq']!r} of run {by['run_id']!r}, which is not an earlier "
                "successful outcome of that run")
    return None


def no_record(path: str | Path, line: RawLine, last_seq: int, last_hash: str) -> AuditChainError:
    """What ``audit verify`` says of a whole ``line`` the reader takes for no record (:func:`.reader.parse_line`).

    Why: the backlog scan of each apply (:mod:`.backlog`) skips such a line and reports the
    break; in its own words it called a record edited to hold ``NaN`` 'not an audit record',
    with no seq, where ``audit verify`` names the record and the NaN.
    """
    try:
        record = _decode(Path(path), line)
    except AuditChainError as exc:
        return exc
    seq = record.get("seq") if isinstance(record.get("seq"), int) else None
    return AuditChainError(path, line.number, seq, record_problem(record, line.data, last_seq, last_hash)
                           or "not an audit record")


def record_problem(record: dict[str, Any], data: bytes, last_seq: int, last_hash: str) -> str | None:
    """Why ``record``, stored as the line ``data`` after ``last_seq``, is bad: its form, then its link; None if sound.

    The one judgement of a record that ``audit verify`` and each apply's backlog scan
    (:mod:`.backlog`) make, in the same words. Why the form too: a record lacking a field, or
    of another ``format_version``, whose hash someone recomputed, is a sound link of the
    chain; the scan, which checked only the link, said nothing of it while verify failed.
    """
    return form_problem(record) or link_problem(record, data, last_seq, last_hash)


def link_problem(record: dict[str, Any], data: bytes, last_seq: int, last_hash: str) -> str | None:
    """Why ``record``, stored as the line ``data``, does not continue the chain after ``last_seq``; None if it does.

    ``last_seq`` 0 and ``last_hash`` 64 zeros stand before the first record. Part of
    :func:`record_problem`, which ``audit verify`` and the backlog scan of each apply share.
    """
    try:
        line, digest = stored_form(record)
    except ValueError:  # json.loads reads NaN and Infinity; no record we write holds one
        return "holds NaN or Infinity, which JSON has not (the line was edited)"
    if line != data:
        return "not in canonical form (the line was edited)"
    if digest != record.get("hash"):
        return "hash mismatch: the record's content does not match its hash"
    if record.get("prev_hash") != last_hash:
        return ("prev_hash does not match the hash of the previous record" if last_seq
                else "prev_hash of the first record is not 64 zeros")
    if record.get("seq") != last_seq + 1:
        return f"sequence number {record.get('seq')!r} does not follow {last_seq}"
    return None


def verify_log(path: str | Path) -> VerifyReport:
    """Check the whole log; raise :class:`AuditChainError` at the first bad record."""
    path = Path(path)
    report = VerifyReport(path=str(path))
    runs: dict[str, bool] = {}  # run id -> has an end record, in order of first appearance
    pending: set[int] = set()
    intents: set[int] = set()
    #: seq of each successful outcome -> its run id (one string per run): what a superseded outcome may name
    successes: dict[int, str] = {}
    run_names: dict[str, str] = {}
    moot = MootCheck()  # whether the success a superseded outcome names made its intent moot
    for line in iter_raw_lines(path):
        if not line.complete:
            if _is_torn(line):
                report.torn_tail_bytes = len(line.data)
                break
            if not report.records and not line.data.startswith(b'{"'):
                raise not_a_log(path)
            raise AuditChainError(path, line.number, None, "record is not followed by a newline (edited?)")
        try:
            record = _decode(path, line)
        except AuditChainError as exc:
            if not report.records:  # the very first line is no JSON object: some other file
                raise AuditChainError(path, line.number, None, f"not an audit log ({exc.reason})") from None
            raise
        if not report.records and not is_record(record):
            raise AuditChainError(path, line.number, None, "not an audit log (the first line is no audit record)")
        seq = record.get("seq") if isinstance(record.get("seq"), int) else None

        def bad(reason: str, seq: int | None = seq, number: int = line.number) -> AuditChainError:
            return AuditChainError(path, number, seq, reason)

        broken = record_problem(record, line.data, report.last_seq, report.last_hash)
        if broken is not None:
            raise bad(broken)

        kind = record["type"]
        run_id = str(record["run_id"])
        runs[run_id] = runs.get(run_id, False) or kind == RUN_END
        if kind == INTENT:
            pending.add(record["seq"])
            intents.add(record["seq"])
            moot.intent(record)
        elif kind == OUTCOME:
            if record["intent_seq"] not in intents:
                raise bad(f"outcome for intent {record['intent_seq']!r}, which is not an earlier intent")
            if record["intent_seq"] not in pending:
                raise bad(f"second outcome for intent {record['intent_seq']!r}")
            pending.discard(record["intent_seq"])
            if record["outcome"] == SUCCESS:
                successes[record["seq"]] = run_names.setdefault(run_id, run_id)
            elif record["outcome"] == SUPERSEDED and (named := _superseding_problem(record, successes)):
                raise bad(named)
            if false := moot.outcome(record):
                raise bad(false)

        report.records += 1
        report.last_seq = record["seq"]
        report.last_hash = record["hash"]
    if report.records == 0 and not report.torn_tail_bytes:
        # nothing here was ever a record: random bytes, other JSON, an empty file
        raise not_a_log(path)
    report.runs = len(runs)
    report.open_intents = sorted(pending)
    report.unfinished_runs = [run for run, ended in runs.items() if not ended]
    return report
