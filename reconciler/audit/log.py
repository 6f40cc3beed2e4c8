"""The append-only writer: one JSON line per record, fsynced before ``append`` returns.

Why each choice:

- **fsync before ``append`` returns.** An intent is announced *before* its request is sent;
  a record still in a buffer when the process is killed would be a write with no trace.
  The file is opened ``O_APPEND`` and written with ``os.write`` (no user-space buffer), then
  ``os.fsync``; a new file also gets its directory fsynced.
- **Group commit.** Threads appending while an fsync is under way queue their records;
  the next one to get the lock writes every queued record and fsyncs once for all of
  them (each caller still returns only once its own record is on disk). An fsync costs
  about 5 ms on an ordinary disk: one per record serialised an apply's writes at under
  100 a second, whatever ``--concurrency`` said (issue 17).
- **Groups.** A caller that has several records at hand (apply, for the writes in flight
  together: :mod:`reconciler.apply.placement`) opens :meth:`AuditLog.group`: its appends are sealed in
  order as they come, then written with one ``os.write`` and one fsync when the group closes.
  None of them is on disk before that, so the caller reports none of them written before the
  group closed without error (an intent's request is sent only then).
- **One chain across processes.** Every append holds an exclusive ``fcntl.flock`` on
  the log and reads the sequence number and hash of the *current* last record under
  it, so two processes appending to one file interleave whole records and keep one
  chain (within a process a ``threading.Lock`` does the same for threads).
- **Torn last line.** A process killed (or a disk filled) in the middle of ``os.write``
  can leave a final line without its newline. Such a line is never a record whose
  request was sent, because ``append`` returns only after the whole line is fsynced.
  The next append, under the lock, moves those bytes verbatim to ``<log>.torn`` (one
  fragment per line, fsynced) and truncates the log back to its last newline, so the
  fragment is kept for inspection and the chain goes on from the last whole record.
  :func:`reconciler.audit.verify.verify_log` tolerates such a fragment only as the
  very last line, and says so.
- **Refuse rather than fork the chain.** If the last whole record is unreadable or its
  hash is wrong, ``append`` raises :class:`AuditError` instead of starting a second
  chain: the caller must not send a write it cannot audit.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

from reconciler.audit.records import FORMAT_VERSION, GENESIS_HASH, record_hash, seal_line, utc_timestamp
from reconciler.core.errors import AuditError
from reconciler.core.paths import LinkRefused, open_unlinked, reason, status

TORN_SUFFIX = ".torn"
_TAIL_CHUNK = 64 * 1024


#: how many of the latest batches :attr:`AuditLog.sync_seconds` looks at (the quickest of them)
SYNC_WINDOW = 8


@dataclass(frozen=True)
class _Tail:
    """The end of the log as last seen: its size, last ``seq`` and last ``hash``."""

    size: int
    seq: int
    hash: str


class _Group:
    """Records sealed inside :meth:`AuditLog.group`, waiting for its one write and fsync."""

    __slots__ = ("lines", "owner", "tail")

    def __init__(self, tail: _Tail, owner: int) -> None:
        self.tail = tail
        self.owner = owner
        self.lines: list[bytes] = []

    def add(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        record, line = _sealed(fields, self.tail.seq + 1, self.tail.hash)
        self.lines.append(line)
        self.tail = _Tail(self.tail.size + len(line), record["seq"], record["hash"])
        return record


def _sealed(fields: Mapping[str, Any], seq: int, prev_hash: str) -> tuple[dict[str, Any], bytes]:
    """``fields`` as the record numbered ``seq`` after the record whose hash is ``prev_hash``, and its line."""
    record: dict[str, Any] = dict(fields)
    record.update(
        format_version=FORMAT_VERSION, id=str(uuid.uuid4()), seq=seq, prev_hash=prev_hash, timestamp=utc_timestamp()
    )
    return record, seal_line(record)


class _Queued:
    """One caller's record on its way to disk: the fields, then the sealed record or the error."""

    __slots__ = ("error", "fields", "record")

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = fields
        self.record: dict[str, Any] | None = None
        self.error: AuditError | None = None


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AuditLog:
    """Appends sealed records to one file; safe across threads and processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.torn_path = self.path.with_name(self.path.name + TORN_SUFFIX)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = status(self.path, follow=False) is None
            self._fd: int | None = open_unlinked(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        except OSError as exc:  # a symbolic link too: the records would go wherever it leads
            raise AuditError(f"cannot open audit log {self.path}: {reason(exc)}") from None
        if created:
            _fsync_dir(self.path.parent)
        self._lock = threading.Lock()
        #: records waiting for the next group commit; guarded by ``_queue_lock``, never held across I/O
        self._queue: list[_Queued] = []
        self._queue_lock = threading.Lock()
        self._tail: _Tail | None = None
        #: the open :meth:`group`, if any (its owner holds ``_lock`` until it closes)
        self._group: _Group | None = None
        #: how many torn fragments this writer moved aside (for reports and tests)
        self.torn_fragments_moved = 0
        #: what writing and fsyncing each of the latest batches took (seconds; lock waits excluded)
        self._sync_times: deque[float] = deque(maxlen=SYNC_WINDOW)
        self._sync_seconds = 0.0

    # ---- public -----------------------------------------------------------------------
    def append(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Seal ``fields`` into the next record of the chain, write and fsync it, return it.

        Records queued by other threads meanwhile are written and fsynced with it (group commit).
        Inside this thread's :meth:`group`, the record is sealed now and written when the group closes.
        """
        group = self._group
        if group is not None and group.owner == threading.get_ident():
            return group.add(fields)
        mine = _Queued(fields)
        with self._queue_lock:
            self._queue.append(mine)
        with self._lock:
            if mine.record is None and mine.error is None:  # nobody wrote it while this thread waited
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._write_batch(batch)
        if mine.error is not None:
            raise mine.error
        assert mine.record is not None
        return mine.record

    def _write_batch(self, batch: list[_Queued]) -> None:
        """Seal ``batch`` in order after the current last record; one write, one fsync."""
        try:
            with self._locked() as fd:
                size = self._repair_torn_tail(fd)
                tail = self._read_tail(fd, size)
                records: list[dict[str, Any]] = []
                lines: list[bytes] = []
                for queued in batch:
                    prev_hash = records[-1]["hash"] if records else tail.hash
                    record, line = _sealed(queued.fields, tail.seq + 1 + len(records), prev_hash)
                    records.append(record)
                    lines.append(line)
                data = b"".join(lines)
                self._write_all(fd, data)
                self._tail = _Tail(size + len(data), records[-1]["seq"], records[-1]["hash"])
        except AuditError as exc:
            for queued in batch:
                queued.error = exc
            return
        except BaseException as exc:  # not an audit failure (a bug, an interrupt): the others must not wait for ever
            for queued in batch:
                queued.error = AuditError(f"audit log {self.path}: record not written ({exc!r})")
            raise
        for queued, written in zip(batch, records, strict=True):
            queued.record = written

    @contextmanager
    def group(self) -> Iterator[None]:
        """This thread's appends inside share one write and one fsync, made as the block closes.

        Every record appended inside is on disk once the block has closed without an error; if
        it raises (here or in the block), none of them may be taken as written. Other threads'
        appends wait for the block to close: keep it to sealing records, not to waiting.
        """
        with self._lock, self._locked() as fd:
            size = self._repair_torn_tail(fd)
            group = self._group = _Group(self._read_tail(fd, size), threading.get_ident())
            try:
                yield
            finally:
                self._group = None
            if group.lines:
                self._write_all(fd, b"".join(group.lines))
                self._tail = group.tail

    def last_seq(self) -> int:
        """The ``seq`` of the last whole record (0 for an empty log); the :class:`AuditError` of :meth:`append` if
        the log cannot be appended to (its last record damaged), having set a torn last line aside as it would.

        Why callers ask: an apply checks here, before it warns that it appends to a log broken
        further up, that it can append at all (:mod:`reconciler.app.applying`).
        """
        with self._lock, self._locked() as fd:
            return self._read_tail(fd, self._repair_torn_tail(fd)).seq

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals --------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[int]:
        fd = self._fd
        if fd is None:
            raise AuditError(f"audit log {self.path} is closed")
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _write_all(self, fd: int, data: bytes) -> None:
        started = perf_counter()
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except OSError as exc:
            self._tail = None
            raise AuditError(f"cannot write audit log {self.path}: {reason(exc)}") from None
        times = self._sync_times  # under ``_lock`` (both callers hold it): readers only see the float
        times.append(perf_counter() - started)
        self._sync_seconds = min(times)

    @property
    def sync_seconds(self) -> float:
        """What writing and fsyncing a batch costs lately: the quickest of the last :data:`SYNC_WINDOW` (0 before any).

        How callers decide whether an append may block their thread (see :mod:`reconciler.apply.placement`).
        Why the quickest, not an average: a batch's time also holds whatever kept its thread from
        running on after the fsync, and on a worker thread that is mostly the wait for the GIL, which
        the event loop holds for up to the switch interval (5 ms). An average of those (issue 17: a
        0.2 ms fsync measured 0.4-0.6 ms on threads, with spikes of several ms) kept an apply's records
        on worker threads for good once one slow fsync had sent them there, at some 0.4 ms more CPU per
        write than in place. A disk that is slow is slow every time; its quickest batch says so too.
        """
        return self._sync_seconds

    def _repair_torn_tail(self, fd: int) -> int:
        """Move a final line without newline to the ``.torn`` sidecar; return the size after."""
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return size
        start = self._last_newline_before(fd, size) + 1
        fragment = os.pread(fd, size - start, start)
        try:
            sidecar = open_unlinked(self.torn_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(sidecar, fragment + b"\n")
                os.fsync(sidecar)
            finally:
                os.close(sidecar)
            os.ftruncate(fd, start)
            os.fsync(fd)
        except OSError as exc:
            where = f" in {self.torn_path}" if isinstance(exc, LinkRefused) else ""
            raise AuditError(f"cannot set aside the torn last line of {self.path}{where}: {reason(exc)}") from None
        self.torn_fragments_moved += 1
        self._tail = None
        return start

    @staticmethod
    def _last_newline_before(fd: int, end: int) -> int:
        """Offset of the last ``\\n`` before ``end``, or -1."""
        pos = end
        while pos > 0:
            begin = max(0, pos - _TAIL_CHUNK)
            chunk = os.pread(fd, pos - begin, begin)
            found = chunk.rfind(b"\n")
            if found >= 0:
                return begin + found
            pos = begin
        return -1

    def _read_tail(self, fd: int, size: int) -> _Tail:
        if self._tail is not None and self._tail.size == size:
            return self._tail
        if size == 0:
            tail = _Tail(0, 0, GENESIS_HASH)
        else:
            start = self._last_newline_before(fd, size - 1) + 1
            line = os.pread(fd, size - 1 - start, start)
            tail = _Tail(size, *self._seq_and_hash(line, lambda: self._line_number(fd, start)))
        self._tail = tail
        return tail

    @staticmethod
    def _line_number(fd: int, start: int) -> int:
        """The number (from 1) of the line starting at ``start``: read only to name a damaged record."""
        newlines, pos = 0, 0
        while pos < start:
            chunk = os.pread(fd, min(_TAIL_CHUNK, start - pos), pos)
            if not chunk:
                break
            newlines += chunk.count(b"\n")
            pos += len(chunk)
        return newlines + 1

    def _seq_and_hash(self, line: bytes, number: Callable[[], int]) -> tuple[int, str]:
        """The last record's ``seq`` and ``hash``; an :class:`AuditError` naming the damage (at line ``number()``)."""
        found = _link(line)
        if not isinstance(found, str):
            return found
        raise AuditError(
            f"cannot append to the audit log {self.path}: its last record (line {number()}) is damaged ({found}); "
            "refusing to append: the hash chain would go on from a record nobody can check. "
            f"`reconciler audit verify {self.path}` names the damage; to start a new chain, move the log aside "
            "(keep it as evidence) or write to another log (apply --audit-log NEW_FILE); "
            "see docs/audit.md, 'The hash chain'"
        )


def _link(line: bytes) -> tuple[int, str] | str:
    """The ``seq`` and ``hash`` of the record on ``line``, or why a new record cannot chain to it."""
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return "not UTF-8"
    except (ValueError, RecursionError):
        return "not valid JSON"
    if not (isinstance(record, dict) and isinstance(record.get("seq"), int) and isinstance(record.get("hash"), str)):
        return "not an audit record: no seq or hash"
    try:
        digest = record_hash(record)
    except (ValueError, TypeError):  # NaN or Infinity, which JSON has not
        return "holds NaN or Infinity, which JSON has not"
    if digest != record["hash"]:
        return "hash mismatch: the record's content does not match its hash"
    return record["seq"], digest
