"""``audit show``: select records by time, kind, name and run; print a table or JSON.

Showing is not verifying: it reads every whole record it can and ignores the rest
(``audit verify`` is the judge of integrity). A line that is no JSON (``NaN`` in it
included), no object or no record is left out, as :func:`~reconciler.audit.reader.parse_line`
reads it; a record breaking the chain is shown as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.audit.reader import read_records
from reconciler.audit.records import INTENT, OUTCOME, RUN_END, RUN_START, parse_timestamp
from reconciler.core.visible import control

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DETAIL_WIDTH = 72


def duration_ago(text: str, now: datetime) -> datetime | None:
    """The time ``text`` (``90s``, ``30m``, ``2h``, ``1.5d``, ``1w``) names before ``now``; ``None`` for no duration.

    One reading of a duration for every ``--since`` (``audit show``, ``drift``). ``ValueError``
    for one reaching back before the year 1 (``99999999999d``: a traceback before).
    """
    match = _RELATIVE.match(text)
    if match is None:
        return None
    amount, unit = float(match.group(1)), match.group(2).lower()
    try:
        return now - timedelta(**{_UNITS[unit]: amount})
    except OverflowError:
        raise ValueError(f"{text.strip()!r} reaches back before the year 1") from None


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``2h``, ``30m``, ``1d``, ``1w``, ``90s`` ago, or an ISO 8601 time (UTC if no offset), in the past.

    The one reading of every ``--since`` (``audit show``, ``drift``): a time to come is refused, as
    it is a typo more often than a wish to see nothing. Raises ``ValueError`` with a message meant
    for the user.
    """
    now = now or datetime.now(UTC)
    ago = duration_ago(text, now)
    if ago is not None:
        return ago
    try:
        when = parse_timestamp(text.strip())
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a time: it is neither a duration ago (30m, 2h, 1d, 1w) "
            "nor an ISO 8601 date or time (2024-05-01T12:00:00Z)"
        ) from None
    if when >= now:
        raise ValueError(f"{text!r} is not in the past")
    return when


@dataclass(frozen=True)
class Filters:
    """Conditions a record must meet; ``None`` means "any". Kind and name ignore case."""

    since: datetime | None = None
    kind: str | None = None
    name: str | None = None
    run: str | None = None

    def matches(self, record: Mapping[str, Any]) -> bool:
        if self.since is not None:
            try:
                if parse_timestamp(str(record.get("timestamp"))) < self.since:
                    return False
            except ValueError:
                return False
        if self.kind is not None and str(record.get("kind") or "").casefold() != self.kind.casefold():
            return False
        if self.name is not None and str(record.get("name") or "").casefold() != self.name.casefold():
            return False
        return self.run is None or str(record.get("run_id", "")).startswith(self.run)


def select(path: str | Path, filters: Filters) -> list[dict[str, Any]]:
    return [record for record in read_records(path) if filters.matches(record)]


def render_json(records: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps(list(records), indent=2, sort_keys=True, ensure_ascii=False)


def _object(record: Mapping[str, Any]) -> str:
    if record.get("kind") and record.get("name"):
        return f"{record['kind']}/{record['name']}"
    return str(record.get("path") or "-") if record.get("type") in (INTENT, OUTCOME) else "-"


def _counts(counts: Any) -> str:
    if not isinstance(counts, Mapping):
        return ""
    return " ".join(f"{k}={v}" for k, v in counts.items())


def _result(record: Mapping[str, Any]) -> str:
    if record.get("type") == OUTCOME:
        status = record.get("status")
        return f"{record.get('outcome')} {status}" if status is not None else str(record.get("outcome"))
    if record.get("type") == RUN_END:
        return f"exit {record.get('exit_status')}"
    return ""


def _detail(record: Mapping[str, Any]) -> str:
    kind = record.get("type")
    if kind == RUN_START:
        source = record.get("source") or {}
        commit = str(source.get("commit") or "")[:12]
        return f"{_counts(record.get('summary'))} by {record.get('actor')}" + (f" @ {commit}" if commit else "")
    if kind == RUN_END:
        return _counts(record.get("counts"))
    if kind == INTENT:
        changes = record.get("changes") or []
        paths = ", ".join(str(c.get("path")) for c in changes if isinstance(c, Mapping))
        text = f"{record.get('method')} {record.get('path')}"
        return f"{text}; {len(changes)} change(s): {paths}" if changes else text
    if kind == OUTCOME:
        # what support asks for first comes first: the error code and the correlation id
        parts = [f"intent {record.get('intent_seq')}"]
        error = record.get("error")
        if isinstance(error, Mapping):
            parts.append(str(error.get("code")))
        if record.get("correlation_id"):
            parts.append(f"corr {record['correlation_id']}")
        if record.get("object_id"):
            parts.append(f"id {record['object_id']}")
        if record.get("version") is not None:
            parts.append(f"v{record['version']}")
        if record.get("latency_ms") is not None:
            parts.append(f"{record['latency_ms']} ms")
        by = record.get("superseded_by")
        if isinstance(by, Mapping):  # what made the intent moot comes before the words of how
            parts.append(f"superseded by {by.get('seq')} of run {str(by.get('run_id'))[:8]}")
        if isinstance(error, Mapping) and error.get("message"):
            parts.append(str(error["message"]))
        return "; ".join(parts)
    return ""


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_text(records: Iterable[Mapping[str, Any]]) -> str:
    header = ("SEQ", "TIME (UTC)", "RUN", "TYPE", "ACTION", "OBJECT", "RESULT", "DETAIL")
    # what the records quote of a server (names, ids, error messages) shows on the record's one line
    rows = [tuple(control(cell) for cell in row) for row in _rows(records)]
    if not rows:
        return "no matching audit records"
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


def _rows(records: Iterable[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    return [
        (
            str(r.get("seq", "")),
            str(r.get("timestamp", ""))[:19].replace("T", " "),
            str(r.get("run_id", ""))[:8],
            str(r.get("type", "")),
            str(r.get("action") or "-") if r.get("type") in (INTENT, OUTCOME) else "-",
            _object(r),
            _result(r) or "-",
            _shorten(control(_detail(r)), DETAIL_WIDTH),  # escaped before it is cut to width
        )
        for r in records
    ]
