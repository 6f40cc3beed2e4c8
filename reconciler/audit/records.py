"""The audit record format (version 1): fields, canonical serialization and hashing.

A record is a flat JSON object. Its ``hash`` is the SHA-256 (lower-case hex) of the
record's *canonical serialization* without the ``hash`` key: JSON with keys sorted,
no insignificant whitespace, non-ASCII characters written as UTF-8. The log stores
each record as exactly the canonical serialization of the whole record (``hash``
included) followed by ``\\n``, so that any edit of any byte either breaks the JSON,
changes the hash input, or makes the line non-canonical: all three are detected.

``prev_hash`` is the ``hash`` of the record before it in the same file; the first
record of a file has ``prev_hash`` = 64 zeros (:data:`GENESIS_HASH`). A log that goes
on across runs keeps one chain and one ``seq`` sequence (1, 2, 3, …).

Only this module knows how to serialize and hash, so that the writer, the verifier and
any receiver that re-checks forwarded records agree byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from reconciler.core.canonical import canonical_bytes as _canonical_bytes

FORMAT_VERSION: Final = 1
GENESIS_HASH: Final = "0" * 64

RUN_START: Final = "run.start"
INTENT: Final = "intent"
OUTCOME: Final = "outcome"
RUN_END: Final = "run.end"
RECORD_TYPES: Final = (RUN_START, INTENT, OUTCOME, RUN_END)

#: every record carries these, whatever its type
COMMON_FIELDS: Final = (
    "format_version",
    "id",
    "seq",
    "prev_hash",
    "hash",
    "timestamp",
    "type",
    "run_id",
    "actor",
    "source",
    "target",
)

#: fields specific to each type (always present; ``None`` when not applicable)
TYPE_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    RUN_START: ("summary", "tool_version"),
    INTENT: ("kind", "name", "object_id", "action", "changes", "method", "path"),
    OUTCOME: (
        "intent_seq",
        "intent_id",
        "kind",
        "name",
        "action",
        "method",
        "path",
        "outcome",
        "status",
        "correlation_id",
        "latency_ms",
        "object_id",
        "version",
        "error",
    ),
    RUN_END: ("counts", "exit_status"),
}

SUCCESS: Final = "success"
FAILURE: Final = "failure"
#: an intent whose fate nobody knows, made moot by a later successful write (:mod:`.supersede`); only a later
#: run's settling writes it, with ``superseded_by`` (``{seq, run_id}`` of that write's outcome record)
SUPERSEDED: Final = "superseded"
#: what a write's own answer says
ANSWERED: Final = (SUCCESS, FAILURE)
OUTCOMES: Final = (SUCCESS, FAILURE, SUPERSEDED)


def canonical_bytes(record: Mapping[str, Any]) -> bytes:
    """The one serialization used for hashing and for storage."""
    return _canonical_bytes(record, allow_nan=False)


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical serialization of ``record`` minus its ``hash`` key."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def seal(record: dict[str, Any]) -> dict[str, Any]:
    """Set ``record['hash']`` and return the record."""
    record["hash"] = record_hash(record)
    return record


def encode_line(record: Mapping[str, Any]) -> bytes:
    """A sealed record as it is stored: canonical JSON and one newline."""
    return canonical_bytes(record) + b"\n"


def seal_line(record: dict[str, Any]) -> bytes:
    """:func:`seal` ``record`` and return its :func:`encode_line`, encoding its fields once for both.

    Encoding the fields before and after ``"hash"`` once (:func:`_members`) instead of the
    whole record twice halves the cost of sealing, which every write pays twice (intent and
    outcome; issue 17).
    """
    head, tail = _members(record)
    digest = hashlib.sha256(_object(head, tail)).hexdigest()
    record["hash"] = digest
    return _object(head, b'"hash":"' + digest.encode("ascii") + b'"', tail) + b"\n"


def stored_form(record: Mapping[str, Any]) -> tuple[bytes, str]:
    """The canonical line of ``record`` as it stands (no newline) and the hash of its content, encoded once.

    Why: checking a record read back (:func:`reconciler.audit.verify.link_problem`) asks both,
    and each apply's backlog scan checks every record it reads; :func:`canonical_bytes` and
    :func:`record_hash` would encode it twice. ``ValueError`` for NaN or Infinity (not JSON).
    """
    head, tail = _members(record)
    digest = hashlib.sha256(_object(head, tail)).hexdigest()
    if "hash" not in record:
        return _object(head, tail), digest
    return _object(head, b'"hash":' + canonical_bytes(record["hash"]), tail), digest


def _members(record: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """The canonical members of the fields before ``"hash"``, and of those after it, without braces.

    The canonical form lists the keys in order, so a record is the two side by side, with
    its ``hash`` (if any) between them: the record with and without it are encoded at once.
    """
    head = {k: v for k, v in record.items() if k < "hash"}
    tail = {k: v for k, v in record.items() if k > "hash"}
    return canonical_bytes(head)[1:-1], canonical_bytes(tail)[1:-1]


def _object(*members: bytes) -> bytes:
    """One JSON object of canonical ``members`` in order (empty ones left out)."""
    return b"{" + b",".join(member for member in members if member) + b"}"


def utc_timestamp(now: datetime | None = None) -> str:
    """ISO 8601 in UTC with microseconds and a ``Z``, e.g. ``2024-05-01T12:00:00.000123Z``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> datetime:
    """Inverse of :func:`utc_timestamp` (also accepts any ISO 8601 with an offset)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def missing_fields(record: Mapping[str, Any]) -> list[str]:
    """Fields that the record's type requires and that are absent (not merely ``None``)."""
    wanted = list(COMMON_FIELDS) + list(TYPE_FIELDS.get(str(record.get("type")), ()))
    return [name for name in wanted if name not in record]
