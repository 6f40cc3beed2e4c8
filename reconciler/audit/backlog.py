"""What earlier runs left unfinished, read back from the audit log at the start of an apply.

Two things outlive an interrupted run (Ctrl-C, SIGTERM, SIGKILL, a full disk):

- **intents without an outcome**: writes whose fate nobody recorded. The next run reads
  live state and *settles* each one it can judge (see :mod:`reconciler.app.settling`),
  appending an outcome record marked ``settled``; history is never rewritten;
- **intents made moot**: an open intent no listing can judge (a hook call, a publish job, an
  update of masked values only) that a later successful write made moot is *superseded*
  (:mod:`.supersede`); the next run closes it with an outcome ``superseded``;
- **hooks that were due**: a kind with a post-write hook was written (or maybe written:
  an open intent counts) after that hook last succeeded. The next run calls the hook.

The scan also keeps each object's last successful create (kind, name, target, id, time)
until a successful delete of it, for a while (:data:`CREATED_KEPT`): a platform's listing
lags its writes, so the next apply may not see what this one created
(:mod:`reconciler.apply.earlier` asks it).

A run still going (another process appending to the same log) must not be settled: each
apply holds an exclusive ``flock`` on ``<log>.run-<run id>`` for its life (released by
the kernel however the process ends), and a run without an end record is judged
finished only when that lock can be taken.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.audit.checkpoint import ChainBreak, ScanState, resume, save
from reconciler.audit.reader import is_record, iter_raw_lines, parse_line
from reconciler.audit.records import FAILURE, GENESIS_HASH, INTENT, OUTCOME, RUN_END, SUCCESS, parse_timestamp
from reconciler.audit.supersede import moot_key, supersedable, supersedes
from reconciler.audit.verify import AuditChainError, no_record, record_problem
from reconciler.core.errors import AuditError
from reconciler.core.paths import open_unlinked, reason, status

HOOK_ACTION = "hook"
WRITE_ACTIONS = frozenset({"create", "update", "delete"})
#: how long the scan keeps a create (in its checkpoint too): far longer than any lookup asks
#: (:data:`reconciler.apply.earlier.RECENT_CREATE`), short enough to keep the checkpoint small
CREATED_KEPT = timedelta(hours=1)


def run_lock_path(log_path: Path, run_id: str) -> Path:
    return log_path.with_name(f"{log_path.name}.run-{run_id}")


def run_is_alive(log_path: Path, run_id: str) -> bool:
    """Whether the process of ``run_id`` still holds its run lock."""
    lock = run_lock_path(log_path, run_id)
    try:
        fd = open_unlinked(lock, os.O_RDWR)  # a link there is no run's lock
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


@dataclass(frozen=True)
class Supersession:
    """The later successful write that made an open intent moot: its outcome record's seq and run, and how."""

    seq: int
    run_id: str
    how: str


@dataclass(frozen=True)
class OpenIntent:
    """An intent of a finished (or dead) run that has no outcome record."""

    seq: int
    id: str
    run_id: str
    kind: str | None
    name: str | None
    object_id: str | None
    action: str
    method: str
    path: str
    changes: tuple[dict[str, Any], ...] = ()
    #: the target it was sent to, and when it was recorded (UTC): a create of a kind whose names may
    #: repeat, young and not yet listed, may have landed all the same (:mod:`reconciler.apply.earlier`)
    target: str | None = None
    at: datetime | None = None
    #: a later successful write made it moot (:mod:`.supersede`); ``None`` if none did (yet)
    superseded_by: Supersession | None = None


@dataclass(frozen=True)
class CreatedObject:
    """An object a run created (its successful create's outcome record), not deleted by a run since."""

    kind: str
    name: str
    target: str
    object_id: str
    #: when the create's outcome was recorded (UTC)
    at: datetime
    seq: int
    #: a delete of it was sent since, whose fate is unknown (a run killed or an answer lost): a ``404`` for
    #: its id is then explained by that delete, not taken for a lagging read
    delete_sent: bool = False


@dataclass
class Backlog:
    open_intents: list[OpenIntent] = field(default_factory=list)
    #: kind -> seq of its last write that succeeded or whose fate is unknown
    kinds_written: dict[str, int] = field(default_factory=dict)
    #: "METHOD path" of a hook -> seq of its last successful call
    hooks_called: dict[str, int] = field(default_factory=dict)
    #: where the log's hash chain is broken (as ``audit verify`` says it), if the scans ever found it broken
    chain_break: str | None = None
    #: objects created within :data:`CREATED_KEPT` and not deleted since, whatever their target
    created: list[CreatedObject] = field(default_factory=list)

    def recent_creates(self, target: str, now: datetime, within: timedelta) -> list[CreatedObject]:
        """The objects created on ``target`` less than ``within`` before ``now`` (and not deleted since)."""
        return [c for c in self.created if c.target == target and now - within <= c.at <= now + within]

    def hook_due(self, method: str, path: str, kinds: Iterable[str]) -> bool:
        """Whether one of ``kinds`` was written after the hook ``method path`` last succeeded."""
        called = self.hooks_called.get(f"{method.upper()} {path}", 0)
        return any(self.kinds_written.get(kind, 0) > called for kind in kinds)


def read_backlog(log_path: str | Path) -> Backlog:
    """The unfinished business in the log at ``log_path`` (an empty backlog if there is no log).

    Only the records appended since the last scan are read, from the state that scan left
    in ``<log>.backlog`` (:mod:`.checkpoint` says when it is trusted); which runs are still
    going is asked anew each time.

    Each record read is also checked, its form and its link in the hash chain, as ``audit verify``
    checks it (:func:`.verify.record_problem`), and the first break found is kept in the checkpoint:
    an apply appending to a log already broken says so every time, at the cost of hashing only the
    records it reads.
    """
    path = Path(log_path)
    try:
        # not Path.exists: it raises on a name too long or a directory without permission; a link is refused
        # by the reader (:func:`.reader.open_log`), a dangling one too
        found = status(path, follow=False)
    except OSError as exc:
        raise AuditError(f"cannot read audit log {path}: {reason(exc)}") from None
    if found is None or found.st_size == 0:
        return Backlog()
    state = resume(path)
    for seq, intent in state.intents.items():
        _candidate(state, seq, intent)
    for line in iter_raw_lines(path, start_offset=state.offset, start_line=state.line):
        record = parse_line(line)
        last_seq, last_hash = (state.last[0], state.last[1]) if state.last is not None else (0, GENESIS_HASH)
        if not is_record(record):
            if line.complete and state.broken is None:  # an incomplete last line is a torn write, not a break
                damage = no_record(path, line, last_seq, last_hash)
                state.broken = ChainBreak(line.number, damage.seq, damage.reason)
            continue
        assert record is not None
        if state.broken is None:
            problem = record_problem(record, line.data, last_seq, last_hash)
            if problem is not None:
                state.broken = ChainBreak(line.number, record["seq"], problem)
        _take(state, record)
        state.offset, state.line = line.end, line.number + 1
        if isinstance(record.get("hash"), str):
            state.last = (record["seq"], record["hash"], line.offset)
    _forget_old_creates(state, datetime.now(UTC) - CREATED_KEPT)
    save(path, state)
    return _backlog(path, state)


def _take(state: ScanState, record: dict[str, Any]) -> None:
    """One record's effect on the scan: intents opened and closed, runs ended, writes and hook calls."""
    kind = record["type"]
    if kind == RUN_END:
        state.ended.add(str(record.get("run_id")))
    elif kind == INTENT:
        state.intents[record["seq"]] = record
        _candidate(state, record["seq"], record)
        _note_delete_sent(state, record)
        if record.get("action") in WRITE_ACTIONS and record.get("kind"):
            state.written[str(record["kind"])] = record["seq"]
    elif kind == OUTCOME:
        intent = state.intents.pop(record.get("intent_seq"), None)  # type: ignore[arg-type]  # any key may be absent
        if intent is None:
            return
        _closed(state, intent)
        success = record.get("outcome") == SUCCESS
        if success:
            _take_created(state, intent, record)
            _supersede(state, intent, record)
        if intent.get("action") == HOOK_ACTION and success:
            state.called[f"{intent.get('method')} {intent.get('path')}"] = record["seq"]
        elif record.get("outcome") == FAILURE and state.written.get(str(intent.get("kind"))) == intent["seq"]:
            state.written.pop(str(intent.get("kind")))  # this write did not happen (a superseded one may have)


def _supersede(state: ScanState, intent: dict[str, Any], record: dict[str, Any]) -> None:
    """The open intents that the write of ``intent``, which succeeded (``record``), makes moot; the first such write
    of each is kept."""
    shared = moot_key(intent)
    for seq in sorted(state.candidates.get(shared, ())) if shared is not None else ():
        if seq not in state.superseded and (how := supersedes(intent, state.intents[seq])):
            state.superseded[seq] = {"seq": record["seq"], "run_id": str(record.get("run_id")), "how": how}


def _candidate(state: ScanState, seq: int, intent: dict[str, Any]) -> None:
    """Index an open intent a later write may make moot (:attr:`ScanState.candidates`)."""
    shared = moot_key(intent)
    if shared is not None and supersedable(intent):
        state.candidates.setdefault(shared, set()).add(seq)


def _closed(state: ScanState, intent: dict[str, Any]) -> None:
    """An intent got its outcome: no longer a candidate, nor made moot."""
    state.superseded.pop(intent["seq"], None)
    shared = moot_key(intent)
    waiting = state.candidates.get(shared) if shared is not None else None
    if shared is not None and waiting is not None:
        waiting.discard(intent["seq"])
        if not waiting:
            del state.candidates[shared]


def _created_key(target: Any, kind: Any, name: Any) -> str:
    return f"{target}\n{kind}\n{str(name).casefold()}"


def _take_created(state: ScanState, intent: dict[str, Any], record: dict[str, Any]) -> None:
    """A successful create (with the id it made) is kept; a successful delete of that object forgets it."""
    kind, name, action = intent.get("kind"), intent.get("name"), intent.get("action")
    if not isinstance(kind, str) or not isinstance(name, str):
        return
    key = _created_key(record.get("target"), kind, name)
    object_id = record.get("object_id")
    if action == "create" and isinstance(object_id, str) and isinstance(record.get("timestamp"), str):
        state.created[key] = {"kind": kind, "name": name, "target": str(record.get("target")),
                              "object_id": object_id, "timestamp": record["timestamp"], "seq": record["seq"]}
    elif action == "delete" and key in state.created:
        state.created.pop(key)


def _note_delete_sent(state: ScanState, intent: dict[str, Any]) -> None:
    """A delete intent for a kept create: its outcome may never come (see :attr:`CreatedObject.delete_sent`)."""
    kind, name = intent.get("kind"), intent.get("name")
    if intent.get("action") == "delete" and isinstance(kind, str) and isinstance(name, str):
        entry = state.created.get(_created_key(intent.get("target"), kind, name))
        if entry is not None and entry.get("object_id") == intent.get("object_id"):
            entry["delete_sent"] = True


def _forget_old_creates(state: ScanState, before: datetime) -> None:
    for key, entry in list(state.created.items()):
        at = _moment(entry.get("timestamp"))
        if at is None or at < before:
            del state.created[key]


def _moment(text: Any) -> datetime | None:
    try:
        return parse_timestamp(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _created(state: ScanState) -> list[CreatedObject]:
    found = []
    for entry in state.created.values():
        at = _moment(entry.get("timestamp"))
        if at is not None:
            found.append(CreatedObject(kind=str(entry.get("kind")), name=str(entry.get("name")),
                                       target=str(entry.get("target")), object_id=str(entry.get("object_id")),
                                       at=at, seq=int(entry.get("seq") or 0),
                                       delete_sent=entry.get("delete_sent") is True))
    return found


def _supersession(entry: dict[str, Any] | None) -> Supersession | None:
    if entry is None or not isinstance(entry.get("seq"), int):
        return None
    return Supersession(seq=entry["seq"], run_id=str(entry.get("run_id")), how=str(entry.get("how")))


def _backlog(path: Path, state: ScanState) -> Backlog:
    """The backlog the scan found: open intents of runs that are over (ended, or dead without an end)."""
    backlog = Backlog(kinds_written=dict(state.written), hooks_called=dict(state.called), created=_created(state))
    if state.broken is not None:
        backlog.chain_break = str(AuditChainError(path, state.broken.line, state.broken.seq, state.broken.reason))
    runs = {str(i.get("run_id")) for i in state.intents.values()} - state.ended
    alive = {run for run in runs if run_is_alive(path, run)}
    for seq, intent in sorted(state.intents.items()):
        run_id = str(intent.get("run_id"))
        if run_id in alive:
            continue
        changes = tuple(c for c in intent.get("changes") or () if isinstance(c, dict))
        backlog.open_intents.append(
            OpenIntent(
                seq=seq,
                id=str(intent.get("id")),
                run_id=run_id,
                kind=intent.get("kind"),
                name=intent.get("name"),
                object_id=intent.get("object_id"),
                action=str(intent.get("action")),
                method=str(intent.get("method")),
                path=str(intent.get("path")),
                changes=changes,
                target=str(intent["target"]) if intent.get("target") is not None else None,
                at=_moment(intent.get("timestamp")),
                superseded_by=_supersession(state.superseded.get(seq)),
            )
        )
    return backlog


__all__ = ["CREATED_KEPT", "Backlog", "CreatedObject", "OpenIntent", "Supersession", "read_backlog", "run_is_alive",
           "run_lock_path"]
