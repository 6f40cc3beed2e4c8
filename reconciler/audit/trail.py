"""The audit trail of one apply: what the executor calls around every write.

Order of events for one write::

    seq = trail.intent(...)      # record written and fsynced; only then is the request sent
    <HTTP request>
    trail.outcome(intent_seq=seq, ...)

``intent`` and ``outcome`` are synchronous on purpose: an fsync costs about a millisecond,
and it is what makes the promise "a killed apply leaves an intent for exactly the writes
in flight" true. The executor runs its writes as anyio tasks on one thread; the
underlying :class:`~.log.AuditLog` also takes a thread lock and a file lock, so other
threads and processes appending to the same file are safe too.

Forwarding (``forward_url``) happens on a background thread (see :mod:`.forward`) and
never delays or fails a write; :meth:`AuditTrail.delivery_summary` tells how it went.
Every field a caller passes goes through :class:`~.redact.Redactor` first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.audit.background import BackgroundForwarder
from reconciler.audit.backlog import OpenIntent, run_lock_path
from reconciler.audit.forward import DeliveryResult, Forwarder, RetryPolicy, check_forward_url
from reconciler.audit.log import AuditLog
from reconciler.audit.records import ANSWERED, INTENT, OUTCOME, RUN_END, RUN_START, SUPERSEDED
from reconciler.audit.redact import Redactor
from reconciler.audit.source import Source, detect_source
from reconciler.core.errors import ApiError
from reconciler.core.http import bounded_correlation_id
from reconciler.core.paths import open_unlinked

DEFAULT_AUDIT_LOG = Path(".reconciler") / "audit.jsonl"


@dataclass(frozen=True)
class _Intent:
    id: str
    kind: str | None
    name: str | None
    action: str
    method: str
    path: str


class AuditTrail:
    """Writes run, intent and outcome records for one run to an :class:`~.log.AuditLog`."""

    def __init__(
        self,
        log: AuditLog,
        *,
        target: str,
        source: Source,
        redactor: Redactor,
        forwarder: BackgroundForwarder | None = None,
    ) -> None:
        self.log = log
        self.target = target
        self.source = source
        self.run_id: str = str(uuid.uuid4())
        self._redactor = redactor
        self._forwarder = forwarder
        self._delivery: DeliveryResult | None = None
        self._intents: dict[int, _Intent] = {}
        self._lock = threading.Lock()
        #: the thread appending inside :meth:`group` and the intents it announced there
        self._grouped: tuple[int, list[int]] | None = None
        self._closed = False
        self._run_lock: int | None = None
        # the same for every record of the run: redacted once (it was half of a record's CPU)
        self._actor = redactor.text(source.actor)
        self._source = redactor.value(source.to_json())
        self._target = redactor.text(target)

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        target: str,
        source: Source | None = None,
        forward_url: str | None = None,
        secret_values: Iterable[str] = (),
        retry_policy: RetryPolicy | None = None,
        forward_cooldown: float = 5.0,
    ) -> AuditTrail:
        """Open (or create) the log at ``path`` (default ``.reconciler/audit.jsonl``).

        ``secret_values`` are cut out of every string written (defence in depth, see
        :mod:`.redact`). With ``forward_url``, records are also posted there, starting
        with any backlog a previous run could not deliver.
        """
        log = AuditLog(path if path is not None else DEFAULT_AUDIT_LOG)
        forwarder = None
        if forward_url:
            # refused here, in the caller's thread, before any record: not later in the forwarding thread
            log_path, url, policy = log.path, check_forward_url(forward_url), retry_policy

            def make(stop: threading.Event) -> Forwarder:
                return Forwarder(log_path, url, policy=policy, stop_event=stop)

            forwarder = BackgroundForwarder(make, cooldown=forward_cooldown)
        return cls(
            log,
            target=target,
            source=source or detect_source(),
            redactor=Redactor(secret_values),
            forwarder=forwarder,
        )

    # ---- records -------------------------------------------------------------------------
    def run_started(
        self, run_id: str, summary: Mapping[str, int], *, override: Mapping[str, Any] | None = None
    ) -> None:
        """The first record of an apply: what it is about to do (and, with ``override``, which
        guardrails it goes through, why and on whose word: an extra ``override`` field).
        The run lock is held from here."""
        self.run_id = str(run_id)
        self._hold_run_lock()
        extra = {} if override is None else {"override": dict(override)}
        self._append(RUN_START, summary=dict(summary), tool_version=__version__, **extra)

    def settle(self, intent: OpenIntent, *, outcome: str, note: str, object_id: str | None = None,
               version: int | None = None) -> None:
        """Record what became of an earlier run's unanswered write, as this run found it live.

        An ordinary outcome record for that intent (so ``audit verify`` no longer counts
        it open), with ``settled`` saying how it was judged and by which run.
        """
        if outcome not in ANSWERED:
            raise ValueError(f"outcome must be one of {ANSWERED}, not {outcome!r}")
        self._close(intent, outcome=outcome, object_id=object_id, version=version,
                    error=None if outcome == "success" else {"code": "settled", "message": note},
                    settled=f"{note} (settled by run {self.run_id})")

    def supersede(self, intent: OpenIntent, *, by_seq: int, by_run: str, how: str) -> None:
        """Close an earlier run's unanswered write that a later successful write made moot (:mod:`.supersede`).

        Its fate stays unknown, so the outcome is neither ``success`` nor ``failure`` but
        ``superseded``; ``superseded_by`` names the outcome record of the write that made it moot.
        """
        self._close(intent, outcome=SUPERSEDED, object_id=intent.object_id, version=None, error=None,
                    settled=f"superseded: {how} (record {by_seq} of run {by_run}; settled by run {self.run_id})",
                    superseded_by={"seq": int(by_seq), "run_id": str(by_run)})

    def _close(self, intent: OpenIntent, **fields: Any) -> None:
        """The outcome record of an earlier run's intent, closed by this run: no answer of its own to record."""
        self._append(
            OUTCOME,
            intent_seq=intent.seq,
            intent_id=intent.id,
            kind=intent.kind,
            name=intent.name,
            action=intent.action,
            method=intent.method,
            path=intent.path,
            status=None,
            correlation_id=None,
            latency_ms=None,
            **fields,
        )

    def intent(
        self,
        *,
        kind: str | None,
        name: str | None,
        object_id: str | None,
        action: str,
        changes: Iterable[Mapping[str, Any]] = (),
        method: str,
        path: str,
    ) -> int:
        """Announce a write; returns its ``seq`` once the record is on disk."""
        record = self._append(
            INTENT,
            kind=kind,
            name=name,
            object_id=object_id,
            action=action,
            method=method.upper(),
            path=path,
            redacted={"changes": self._redactor.changes(changes)},
        )
        seq = int(record["seq"])
        with self._lock:
            self._intents[seq] = _Intent(record["id"], kind, name, action, method.upper(), path)
        grouped = self._grouped
        if grouped is not None and grouped[0] == threading.get_ident():
            grouped[1].append(seq)
        return seq

    def outcome(
        self,
        *,
        intent_seq: int,
        outcome: str,
        status: int | None = None,
        correlation_id: str | None = None,
        latency_ms: float | None = None,
        object_id: str | None = None,
        version: int | None = None,
        error: Mapping[str, Any] | ApiError | None = None,
    ) -> None:
        """Record how the write announced by ``intent_seq`` ended."""
        if outcome not in ANSWERED:
            raise ValueError(f"outcome must be one of {ANSWERED}, not {outcome!r}")
        with self._lock:
            announced = self._intents.pop(intent_seq, None)
        if announced is None:
            raise ValueError(f"no open intent with seq {intent_seq} in this trail")
        if isinstance(error, ApiError):
            status = error.status if status is None else status
            correlation_id = correlation_id or error.correlation_id
            error = {"code": error.code, "message": error.api_message}
        self._append(
            OUTCOME,
            intent_seq=intent_seq,
            intent_id=announced.id,
            kind=announced.kind,
            name=announced.name,
            action=announced.action,
            method=announced.method,
            path=announced.path,
            outcome=outcome,
            status=status,
            correlation_id=bounded_correlation_id(correlation_id),  # the server's text: bounded wherever it came from
            latency_ms=None if latency_ms is None else round(float(latency_ms), 1),
            object_id=object_id,
            version=version,
            error=None if error is None else {"code": error.get("code"), "message": error.get("message")},
        )

    def run_finished(self, counts: Mapping[str, int], exit_status: int) -> None:
        """The last record of an apply; then forwarding gets its final, bounded pass."""
        self._append(RUN_END, counts=dict(counts), exit_status=int(exit_status))
        self._release_run_lock()
        self._finish_forwarding()

    @contextlib.contextmanager
    def group(self) -> Iterator[None]:
        """Records this thread writes inside share one write and one fsync as the block closes.

        Nothing written inside is on disk before that (see :meth:`.log.AuditLog.group`): a
        caller tells nobody a record is written before the block closed without an error.
        If it did not, the intents announced inside were never announced.
        """
        announced: list[int] = []
        try:
            with self.log.group():  # one group at a time: set and cleared under the log's lock
                self._grouped = (threading.get_ident(), announced)
                try:
                    yield
                finally:
                    self._grouped = None
        except BaseException:
            with self._lock:
                for seq in announced:
                    self._intents.pop(seq, None)
            raise
        if self._forwarder is not None:  # told once the group's records are on disk, not as each is sealed
            self._forwarder.notify()

    @property
    def sync_seconds(self) -> float:
        """What writing a record to disk costs lately (seconds): see :attr:`.log.AuditLog.sync_seconds`."""
        return self.log.sync_seconds

    @property
    def open_intents(self) -> list[int]:
        """Writes announced by this trail and not yet given an outcome."""
        with self._lock:
            return sorted(self._intents)

    # ---- forwarding ---------------------------------------------------------------------------
    def delivery_summary(self) -> str | None:
        """One line on forwarding for the apply's summary; ``None`` without ``forward_url``."""
        if self._forwarder is None:
            return None
        result = self._finish_forwarding()
        assert result is not None
        endpoint = self._forwarder.endpoint
        if result.undelivered < 0:
            return (
                f"audit forwarding to {endpoint} failed ({result.error}); undelivered records are sent on the next run"
            )
        if result.undelivered:
            return (
                f"audit forwarding: {result.undelivered} record(s) undelivered to {endpoint} "
                f"({result.error or 'endpoint busy'}); they are kept in {self.log.path} and sent on the next run"
            )
        return f"audit forwarding: {result.delivered} record(s) delivered to {endpoint}"

    def _finish_forwarding(self) -> DeliveryResult | None:
        if self._forwarder is not None and self._delivery is None:
            self._delivery = self._forwarder.finish()
        return self._delivery

    # ---- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._release_run_lock()
            self._finish_forwarding()
        finally:
            self.log.close()

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals -----------------------------------------------------------------------------
    def _hold_run_lock(self) -> None:
        """Tell later runs this one is alive (:func:`.backlog.run_is_alive`); best effort."""
        try:
            fd = open_unlinked(run_lock_path(self.log.path, self.run_id), os.O_RDWR | os.O_CREAT)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            return
        self._run_lock = fd

    def _release_run_lock(self) -> None:
        fd, self._run_lock = self._run_lock, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(run_lock_path(self.log.path, self.run_id))
        os.close(fd)

    def _append(self, record_type: str, *, redacted: Mapping[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """Seal and write a record of ``fields`` (redacted here) and ``redacted`` (redacted by the caller)."""
        safe = {name: self._redactor.value(value) for name, value in fields.items()}
        if redacted:
            safe.update(redacted)
        record = self.log.append(
            {
                "type": record_type,
                "run_id": self.run_id,
                "actor": self._actor,
                "source": dict(self._source),
                "target": self._target,
                **safe,
            }
        )
        grouped = self._grouped
        if self._forwarder is not None and (grouped is None or grouped[0] != threading.get_ident()):
            self._forwarder.notify()
        return record
