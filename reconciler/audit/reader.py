"""Reading an audit log line by line, shared by verify, show and forwarding.

Readers take no lock: a writer appends whole lines and fsyncs, so a reader sees complete
lines plus, at most, the start of a line being written (or left torn by a killed
process). That last partial line is reported as ``complete=False`` and never treated
as a record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from reconciler.audit.records import RECORD_TYPES
from reconciler.core.bounded import SURROGATE_ESCAPE_BYTES, lone_surrogate
from reconciler.core.errors import AuditError
from reconciler.core.paths import not_regular, open_unlinked, reason

#: no record comes near this; a longer line is not one (and is not read whole into memory)
MAX_LINE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class RawLine:
    """One line of the log as stored; ``data`` excludes the newline."""

    number: int
    offset: int
    data: bytes
    complete: bool

    @property
    def end(self) -> int:
        """Offset just past this line (and its newline)."""
        return self.offset + len(self.data) + (1 if self.complete else 0)


def open_log(path: str | Path) -> BinaryIO:
    """The log at ``path`` opened for reading; an :class:`AuditError` for anything but a regular file.

    Why: ``audit show`` of a FIFO blocked in ``open`` for ever, and of ``/dev/urandom`` read
    random lines for ever, none of them a record; the kind is judged on the descriptor,
    opened without blocking. A symbolic link is refused as the writer refuses it (:mod:`.log`):
    what is read as the log is the file that is written as the log.
    """
    try:
        fd = open_unlinked(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise AuditError(f"no audit log at {path}") from None
    except OSError as exc:
        raise AuditError(f"cannot read audit log {path}: {reason(exc)}") from None
    try:
        kind = not_regular(os.fstat(fd).st_mode)
    except OSError as exc:  # pragma: no cover - fstat of a descriptor just opened
        kind = f"cannot be read: {reason(exc)}"
    if kind is not None:
        os.close(fd)
        raise AuditError(f"cannot read audit log {path}: it {kind}")
    return os.fdopen(fd, "rb")


def iter_raw_lines(path: str | Path, *, start_offset: int = 0, start_line: int = 1) -> Iterator[RawLine]:
    """Every line from ``start_offset`` (which must be a line start) to the end of the file."""
    with open_log(path) as handle:
        handle.seek(start_offset)
        offset, number = start_offset, start_line
        while chunk := handle.readline(MAX_LINE_BYTES + 1):
            complete = chunk.endswith(b"\n")
            if not complete and len(chunk) > MAX_LINE_BYTES:
                raise AuditError(f"{path}: line {number} is longer than {MAX_LINE_BYTES} bytes: not an audit record")
            data = chunk[:-1] if complete else chunk
            yield RawLine(number, offset, data, complete)
            offset += len(chunk)
            number += 1


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: Python's decoder reads ``NaN``, ``Infinity`` and ``-Infinity``, which JSON has not; this one refuses them
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def parse_line(line: RawLine) -> dict[str, Any] | None:
    """The record on a complete line, or ``None`` when it is not a JSON object.

    ``NaN`` and ``Infinity`` make a line no JSON, as they are: no record we write holds one
    (``audit verify`` names such a line as edited). Read, ``audit show --format json``
    printed ``NaN`` back, which no JSON reader takes, and forwarding sent the record on.
    """
    if not line.complete:
        return None
    try:
        value = _DECODER.decode(line.data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: a line nested deeper than the parser's stack is no record either
        return None
    if SURROGATE_ESCAPE_BYTES.search(line.data) and lone_surrogate(value) is not None:
        return None  # an edited line: no record we write holds a lone surrogate (it could not be printed)
    return value if isinstance(value, dict) else None


def is_record(value: dict[str, Any] | None) -> bool:
    """Whether a parsed line looks like an audit record at all (a type we write and a ``seq``)."""
    return value is not None and value.get("type") in RECORD_TYPES and isinstance(value.get("seq"), int)


def read_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """Records in file order, skipping what is not one (use :mod:`.verify` to judge the log).

    A file in which no line is a record is not an audit log (random bytes, some other
    JSON, an empty file): that is an :class:`AuditError`, not an empty selection.
    """
    seen = False
    for line in iter_raw_lines(path):
        record = parse_line(line)
        if is_record(record):
            seen = True
            assert record is not None
            yield record
    if not seen:
        raise not_a_log(path)


def not_a_log(path: str | Path) -> AuditError:
    """The error for a file with no audit record in it."""
    try:
        empty = Path(path).stat().st_size == 0
    except OSError:
        empty = False
    why = "it is empty" if empty else "no line of it is an audit record"
    return AuditError(f"{path} is not an audit log: {why}")
