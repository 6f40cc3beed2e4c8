"""A hostile audit receiver (``apply --audit-url``): one that answers, but never finishes answering.

httpx's timeout is per read, so a receiver that trickles its answer a byte at a time keeps
a request alive for ever. The forwarder must neither hold the run (its end waited on the
delivery lock the stuck request held, deaf to SIGTERM) nor count on the body: only the
status acknowledges a record. The receiver is a real socket on 127.0.0.1 (respx cannot
trickle); each case is bounded by the test's timeout, never by a timed assert.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.audit.background import BackgroundForwarder
from reconciler.audit.forward import Forwarder, RetryPolicy
from reconciler.audit.trail import AuditTrail

from ._harness import TIME_BOUND

#: per-read timeout well above the trickle's pace, so that no read ever times out
POLICY = RetryPolicy(attempts=1, initial_wait=0.01, max_wait=0.01, max_seconds=1.0, timeout=0.5)
TRICKLE = 0.05

Behaviour = Callable[[socket.socket, threading.Event], None]


def trickled_headers(conn: socket.socket, stop: threading.Event) -> None:
    """A status line and headers that never end: a byte at a time, each well within the read timeout."""
    for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * 10**6:
        if stop.wait(TRICKLE):
            return
        conn.sendall(bytes([byte]))


def trickled_body(conn: socket.socket, stop: threading.Event) -> None:
    """An acknowledgement (200) at once, then a body promised long and sent a byte at a time."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n")
    while not stop.wait(TRICKLE):
        conn.sendall(b"x")


@pytest.fixture
def receiver() -> Iterator[Callable[[Behaviour], str]]:
    """Start a receiver on 127.0.0.1 that reads each request's head, then answers with a behaviour; its URL."""
    stop = threading.Event()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)

    def handle(conn: socket.socket, behaviour: Behaviour) -> None:
        with conn:
            conn.settimeout(TIME_BOUND)
            seen = b""
            while b"\r\n\r\n" not in seen:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                seen += chunk
            try:
                behaviour(conn, stop)
            except OSError:  # the client gave up on us: what a trickle wants to see
                return

    def start(behaviour: Behaviour) -> str:
        def serve() -> None:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                threading.Thread(target=handle, args=(conn, behaviour), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{server.getsockname()[1]}/audit"

    try:
        yield start
    finally:
        stop.set()
        time.sleep(0.2)  # lets the serving threads see ``stop`` before the socket goes
        server.close()


def _log_with_records(tmp_path: Path) -> Path:
    trail = AuditTrail.open(tmp_path / "audit.jsonl", target="sandbox:test")
    trail.run_started("run-1", {"create": 1})
    trail.run_finished({"created": 1}, 0)
    trail.close()
    return tmp_path / "audit.jsonl"


@pytest.mark.timeout(TIME_BOUND)
def test_the_run_ends_though_the_receiver_never_finishes_its_answer(
    tmp_path: Path, receiver: Callable[[Behaviour], str]
) -> None:
    """The background pass is stuck in the request (and holds the lock): finish reports, it does not wait for ever."""
    log = _log_with_records(tmp_path)
    url = receiver(trickled_headers)
    forwarding = BackgroundForwarder(lambda stop: Forwarder(log, url, policy=POLICY, stop_event=stop))
    result = forwarding.finish(timeout=0.5)
    assert result.delivered == 0
    assert result.undelivered == 2
    assert result.error == "the endpoint did not finish answering within 0.5 s"


@pytest.mark.timeout(TIME_BOUND)
def test_an_acknowledgement_whose_body_trickles_delivers_the_record(
    tmp_path: Path, receiver: Callable[[Behaviour], str]
) -> None:
    """The status acknowledges the record; the body is read for at most the policy's timeout, then let go."""
    log = _log_with_records(tmp_path)
    forwarder = Forwarder(log, receiver(trickled_body), policy=POLICY)
    try:
        result = forwarder.deliver_pending()
    finally:
        forwarder.close()
    assert (result.delivered, result.undelivered, result.error) == (2, 0, None)
    assert forwarder.count_pending() == 0
