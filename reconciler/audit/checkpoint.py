"""Where the last backlog scan of an audit log stopped, kept beside it in ``<log>.backlog``.

Why: every apply (and, before it, the command line's check for pending business) read the
whole log to find the intents left without an outcome and the hooks owed: about one second
per 100,000 records, growing with every run for the life of the log. The scan's state is
small (the open intents, the last write per kind, the last call per hook, the creates of the last hour), so it is saved
with the place it was taken, and the next scan reads only the records appended since.

Trust, as :mod:`.forward` trusts its delivery marks: the checkpoint names the ``seq``, chain
``hash`` and offset of the last record it took in, and is used only when the log still
holds that very record there. The log is append-only and hash-chained, so a log truncated,
rotated or replaced fails that check and is scanned whole, as is a checkpoint that cannot
be read (another format, a torn write, a file that is not one). The checkpoint is a cache,
never the truth: nothing is lost by deleting it, and one that cannot be written (a
read-only directory) only means the next scan reads the whole log again.

Written whole to a temporary file and renamed over the old one, so a reader sees one
checkpoint or the other; two runs saving at once each save a true one. It holds open
intents as the log stores them (already redacted there), with the log's own permissions.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reconciler.audit.reader import iter_raw_lines, parse_line
from reconciler.core.paths import open_unlinked

SUFFIX = ".backlog"
#: 2: the scan checks the hash chain and keeps its first break (a checkpoint of 1 never looked: scanned whole once);
#: 3: it keeps the recent creates (:attr:`ScanState.created`; a checkpoint of 2 lacks them: scanned whole once);
#: 4: the scan checks each record's form too (a checkpoint of 3 may have passed a resealed record of another
#: form: scanned whole once);
#: 5: it keeps which open intents a later successful write made moot (:attr:`ScanState.superseded`)
FORMAT = 5


@dataclass(frozen=True)
class ChainBreak:
    """The first place the scan found the hash chain broken: as :class:`~.verify.AuditChainError` names it."""

    line: int
    #: ``None`` when the line is no record at all
    seq: int | None
    reason: str


@dataclass
class ScanState:
    """What a backlog scan knows after the records it has taken in, and where it stopped."""

    #: seq -> an intent with no outcome yet (any run's)
    intents: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: runs with an end record (kept, between scans, only for runs that still have open intents)
    ended: set[str] = field(default_factory=set)
    #: kind -> seq of its last write that succeeded or whose fate is unknown
    written: dict[str, int] = field(default_factory=dict)
    #: "METHOD path" of a hook -> seq of its last successful call
    called: dict[str, int] = field(default_factory=dict)
    #: the last record taken in: its seq, chain hash and the offset of its line; ``None`` before any
    last: tuple[int, str, int] | None = None
    #: where the next record is read from: the end of the last complete line taken in, and its line number
    offset: int = 0
    line: int = 1
    #: the first break in the chain of the records taken in, kept until the log is replaced (then scanned whole)
    broken: ChainBreak | None = None
    #: "target\nkind\nfolded name" -> the last successful create of that object not deleted since
    #: (``kind``, ``name``, ``target``, ``object_id``, ``timestamp``, ``seq``); only recent ones are kept
    created: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: seq of an open intent -> the later successful write that made it moot (:mod:`.supersede`):
    #: ``seq`` and ``run_id`` of its outcome record, ``how`` in words
    superseded: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: the open intents a later write may make moot, by :func:`.supersede.key` (not saved: built from ``intents``)
    candidates: dict[tuple[str, ...], set[int]] = field(default_factory=dict)


def path_of(log_path: Path) -> Path:
    return log_path.with_name(log_path.name + SUFFIX)


def resume(log_path: Path) -> ScanState:
    """The saved state, if it still describes the start of this log; a fresh state otherwise."""
    saved = _load(path_of(log_path))
    if saved is None or saved.last is None:
        return ScanState()
    seq, chain_hash, offset = saved.last
    try:
        if not 0 <= offset < log_path.stat().st_size:
            return ScanState()
    except OSError:
        return ScanState()
    at_mark = next(iter_raw_lines(log_path, start_offset=offset), None)
    record = parse_line(at_mark) if at_mark is not None else None
    if at_mark is None or record is None or record.get("seq") != seq or record.get("hash") != chain_hash:
        return ScanState()
    if at_mark.end != saved.offset:
        return ScanState()
    return saved


def save(log_path: Path, state: ScanState) -> None:
    """Keep ``state`` for the next scan; silently skipped when it cannot be written (see the module)."""
    if state.last is None:
        return
    open_runs = {str(intent.get("run_id")) for intent in state.intents.values()}
    document = {
        "format": FORMAT,
        "last": {"seq": state.last[0], "hash": state.last[1], "offset": state.last[2]},
        "offset": state.offset,
        "line": state.line,
        "intents": {str(seq): record for seq, record in state.intents.items()},
        "ended": sorted(state.ended & open_runs),
        "written": state.written,
        "called": state.called,
        "broken": None if state.broken is None else asdict(state.broken),
        "created": state.created,
        "superseded": {str(seq): entry for seq, entry in state.superseded.items()},
    }
    target = path_of(log_path)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        data = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
        fd = open_unlinked(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except (OSError, TypeError, ValueError):
        try:
            tmp.unlink()
        except OSError:
            pass


def _load(path: Path) -> ScanState | None:
    try:
        fd = open_unlinked(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a link there is no checkpoint of ours
        with os.fdopen(fd, "rb") as handle:
            document = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return None
    try:
        if document["format"] != FORMAT:
            return None
        last = document["last"]
        state = ScanState(
            intents={int(seq): dict(record) for seq, record in document["intents"].items()},
            ended={str(run) for run in document["ended"]},
            written={str(kind): int(seq) for kind, seq in document["written"].items()},
            called={str(hook): int(seq) for hook, seq in document["called"].items()},
            last=(int(last["seq"]), str(last["hash"]), int(last["offset"])),
            offset=int(document["offset"]),
            line=int(document["line"]),
            broken=None if document["broken"] is None else _chain_break(document["broken"]),
            created={str(key): dict(entry) for key, entry in document["created"].items()},
            superseded={int(seq): dict(entry) for seq, entry in document["superseded"].items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if any(not isinstance(record, dict) or record.get("seq") != seq for seq, record in state.intents.items()):
        return None
    return state


def _chain_break(saved: dict[str, Any]) -> ChainBreak:
    seq = saved["seq"]
    return ChainBreak(line=int(saved["line"]), seq=None if seq is None else int(seq), reason=str(saved["reason"]))


__all__ = ["ChainBreak", "ScanState", "path_of", "resume", "save"]
