"""Forwarding audit records to an HTTP endpoint, none lost, each delivered once.

The log file is the source of truth; forwarding only ever *reads* it. Each record is
POSTed as its exact stored line (so the receiver can re-check the hash chain), with an
``Idempotency-Key`` header holding the record's unique ``id``, in log order.

Delivery state lives beside the log in ``<log>.delivered``: per endpoint (its URL with
any credentials and query removed), the ``seq``, ``hash`` and file offset of the last
record the endpoint acknowledged with a 2xx. It is replaced atomically (write, fsync,
rename) after each acknowledged record, so everything after it is, by definition,
undelivered, and the next run sends it. A crash between the acknowledgement and the
state update can resend one record; receivers dedupe by ``id`` (or ``hash``). If the
log was replaced (the recorded hash is not found at the recorded offset), the state is
looked up by hash, or delivery starts again from the first record.

Retries use tenacity with exponential backoff on connection errors, timeouts, 429 and
5xx; any other 4xx means the receiver refuses the record, and delivery stops there so
that order is kept. An endpoint that stays down never fails the apply: the caller gets
a :class:`DeliveryResult` and says so in its summary.

Writes are never blocked by forwarding: :class:`~reconciler.audit.background.BackgroundForwarder`
delivers from a daemon thread, woken after each append, and at the end of a run drains
what is left within a bounded time. A ``flock`` on ``<log>.delivered.lock`` keeps two processes from
delivering the same records at once.

A receiver is a server like any other and may misbehave: httpx's timeout is per read,
so one that trickles its answer (a byte every few seconds) keeps a request alive for
ever. Only an acknowledgement's status is used, so at most :data:`MAX_ACK_BYTES` of its
body are read, within the policy's timeout; and the run's end never waits on a request
past its bound (``BackgroundForwarder.finish``): what is not acknowledged by then
stays pending for the next run, as for an endpoint that is down.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    stop_when_event_set,
    wait_exponential,
)

from reconciler.audit.reader import RawLine, iter_raw_lines, parse_line
from reconciler.audit.source import strip_credentials
from reconciler.core.errors import AuditError
from reconciler.core.http import library_reason
from reconciler.core.paths import open_unlinked, reason
from reconciler.core.urls import check_url

DELIVERED_SUFFIX = ".delivered"
STATE_VERSION = 1
#: the most of an acknowledgement's body read: only its status counts (a receiver's body is not ours to hold)
MAX_ACK_BYTES = 64 * 1024


class _TryAgain(Exception):
    """The endpoint may accept the record later (down, timeout, 429, 5xx)."""


class _Refused(Exception):
    """The endpoint answered with a 4xx other than 429, or the request could not be sent: resending cannot help."""


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for one record: ``attempts`` tries within ``max_seconds``, waits doubling."""

    attempts: int = 4
    initial_wait: float = 0.25
    max_wait: float = 4.0
    max_seconds: float = 10.0
    timeout: float = 5.0


@dataclass
class DeliveryResult:
    """How far a delivery pass got."""

    delivered: int = 0
    undelivered: int = 0
    error: str | None = None


@dataclass(frozen=True)
class _Mark:
    """The last record an endpoint acknowledged."""

    seq: int
    hash: str
    offset: int  # where its line starts


def check_forward_url(url: str) -> str:
    """The audit endpoint, if it is https (http only on loopback) and carries no credentials.

    ``https://user:pass@collector`` is refused rather than used: httpx would send the
    pair as Basic auth and the summary line would name it. A collector that needs a
    secret gets it as a header (``headers``), never in the URL.
    """
    return check_url(url, source="--audit-url", example="https://audit.example.com/records", allow_query=True,
                     instead="")


def endpoint_key(url: str) -> str:
    return strip_credentials(url) or url


def _skim(response: httpx.Response, deadline: float) -> None:
    """Read an acknowledgement's body raw (no inflation) until it ends, passes :data:`MAX_ACK_BYTES` or ``deadline``.

    Read to its end, the connection serves the next record; only the status counts, so a body
    trickled or flooded is let go early (its connection closed), not held nor waited for.
    """
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > MAX_ACK_BYTES or time.monotonic() > deadline:
            return


class Forwarder:
    """Delivers the records of one log to one endpoint, resuming where it stopped."""

    def __init__(
        self,
        log_path: str | Path,
        url: str,
        *,
        policy: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        self.log_path = Path(log_path)
        self.url = check_forward_url(url)
        self.endpoint = endpoint_key(url)
        self.state_path = self.log_path.with_name(self.log_path.name + DELIVERED_SUFFIX)
        self.lock_path = self.log_path.with_name(self.log_path.name + DELIVERED_SUFFIX + ".lock")
        self.policy = policy or RetryPolicy()
        #: set to abandon retries early (the background thread is stopping)
        self.stop_event = stop_event
        self._client = httpx.Client(
            timeout=self.policy.timeout,
            transport=transport,
            headers={"Content-Type": "application/json", **dict(headers or {})},
        )

    def close(self) -> None:
        self._client.close()

    # ---- delivery -----------------------------------------------------------------------
    def deliver_pending(self, *, wait_for_lock: bool = True) -> DeliveryResult:
        """Send every complete record after the last acknowledged one, in order."""
        result = DeliveryResult()
        with self._state_lock(wait_for_lock) as locked:
            if not locked:  # another process is delivering this log right now
                result.undelivered = self.count_pending()
                return result
            lines = self._pending_lines(self._load_mark())
            for line in lines:
                record = parse_line(line)
                if record is None or not isinstance(record.get("seq"), int):
                    result.error = f"line {line.number} of the log is not a record (run `reconciler audit verify`)"
                    result.undelivered = 1 + sum(1 for _ in lines)
                    return result
                try:
                    self._post(line.data, str(record.get("id", "")))
                except (_TryAgain, _Refused) as exc:
                    result.error = str(exc)
                    result.undelivered = 1 + sum(1 for rest in lines if rest.complete)
                    return result
                self._save_mark(_Mark(record["seq"], str(record.get("hash")), line.offset))
                result.delivered += 1
        return result

    def count_pending(self) -> int:
        """Records not yet acknowledged by this endpoint."""
        return sum(1 for _ in self._pending_lines(self._load_mark()))

    def _post(self, body: bytes, record_id: str) -> None:
        policy = self.policy
        stop = stop_after_attempt(policy.attempts) | stop_after_delay(policy.max_seconds)
        if self.stop_event is not None:
            stop = stop | stop_when_event_set(self.stop_event)
        wait = wait_exponential(multiplier=policy.initial_wait, max=policy.max_wait)
        retrying = Retrying(stop=stop, wait=wait, retry=retry_if_exception_type(_TryAgain), reraise=True)
        for attempt in retrying:
            with attempt:
                self._post_once(body, record_id)

    def _post_once(self, body: bytes, record_id: str) -> None:
        try:
            headers = {"Idempotency-Key": record_id}
            with self._client.stream("POST", self.url, content=body, headers=headers) as response:
                _skim(response, time.monotonic() + self.policy.timeout)
        except httpx.TimeoutException:
            raise _TryAgain("endpoint timed out") from None
        except httpx.LocalProtocolError as exc:  # h11 will not send it, ever (an edited id as Idempotency-Key)
            raise _Refused(f"a record's request is malformed and was not sent ({library_reason(str(exc))})") from None
        except httpx.TransportError as exc:
            raise _TryAgain(f"endpoint unreachable: {type(exc).__name__}") from None
        if response.is_success:
            return
        if response.status_code == 429 or response.status_code >= 500:
            raise _TryAgain(f"endpoint answered HTTP {response.status_code}")
        raise _Refused(f"endpoint refused a record: HTTP {response.status_code}")

    # ---- reading the log ---------------------------------------------------------------------
    def _pending_lines(self, mark: _Mark | None) -> Iterator[RawLine]:
        if not self.log_path.exists():
            return iter(())
        start = self._resume_offset(mark)
        return (line for line in iter_raw_lines(self.log_path, start_offset=start) if line.complete)

    def _resume_offset(self, mark: _Mark | None) -> int:
        """The offset of the first undelivered line (0 when the mark is not in this log)."""
        if mark is None:
            return 0
        if self._offset_ok(mark):
            at_mark = next(iter_raw_lines(self.log_path, start_offset=mark.offset), None)
            record = parse_line(at_mark) if at_mark is not None else None
            if at_mark is not None and record is not None and record.get("hash") == mark.hash:
                return at_mark.end
        for line in iter_raw_lines(self.log_path):  # the log changed under us: find the mark by hash
            record = parse_line(line)
            if record is not None and record.get("hash") == mark.hash:
                return line.end
        return 0

    def _offset_ok(self, mark: _Mark) -> bool:
        try:
            return 0 <= mark.offset < self.log_path.stat().st_size
        except OSError:
            return False

    # ---- state sidecar -------------------------------------------------------------------------
    @contextmanager
    def _state_lock(self, wait: bool) -> Iterator[bool]:
        try:
            fd = open_unlinked(self.lock_path, os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            raise AuditError(f"cannot lock forwarding's state {self.lock_path}: {reason(exc)}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _read_state(self) -> dict[str, Any]:
        try:
            with os.fdopen(open_unlinked(self.state_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
                state = json.loads(handle.read().decode("utf-8"))  # a link there is no state of ours
        except (OSError, ValueError):
            return {"format_version": STATE_VERSION, "endpoints": {}}
        if not isinstance(state, dict) or not isinstance(state.get("endpoints"), dict):
            return {"format_version": STATE_VERSION, "endpoints": {}}
        return state

    def _load_mark(self) -> _Mark | None:
        entry = self._read_state()["endpoints"].get(self.endpoint)
        try:
            return _Mark(int(entry["seq"]), str(entry["hash"]), int(entry["offset"]))
        except (TypeError, KeyError, ValueError):
            return None

    def _save_mark(self, mark: _Mark) -> None:
        state = self._read_state()
        state["format_version"] = STATE_VERSION
        state["endpoints"][self.endpoint] = {"seq": mark.seq, "hash": mark.hash, "offset": mark.offset}
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        data = json.dumps(state, sort_keys=True, indent=1).encode("utf-8")
        fd = open_unlinked(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.state_path)
