"""Fixtures for the audit trail tests: a fixed source (no git calls), sample runs, and a
tiny HTTP receiver on 127.0.0.1 that can be down (port bound, not listening), failing,
blocked or up."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from reconciler.audit.forward import RetryPolicy
from reconciler.audit.source import Source
from reconciler.audit.trail import AuditTrail

SOURCE = Source(
    actor="alice",
    os_user="alice",
    host="build-01",
    commit="0123456789abcdef0123456789abcdef01234567",
    branch="main",
    repository="https://git.example.com/org/config",
    dirty=False,
    ci=None,
    ci_run_url=None,
)

#: fast backoff so that a down endpoint costs milliseconds in tests
FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05, max_seconds=5.0, timeout=5.0)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "audit.jsonl"


def open_trail(path: Path, **kwargs: Any) -> AuditTrail:
    kwargs.setdefault("target", "sandbox:test")
    kwargs.setdefault("source", SOURCE)
    if kwargs.get("forward_url"):
        kwargs.setdefault("retry_policy", FAST_RETRY)
        kwargs.setdefault("forward_cooldown", 0.05)
    return AuditTrail.open(path, **kwargs)


def write_run(trail: AuditTrail, run_id: str, *, writes: int = 2, fail_last: bool = False) -> list[int]:
    """A whole apply: run.start, ``writes`` intent/outcome pairs, run.end. Returns intent seqs."""
    trail.run_started(run_id, {"create": writes})
    seqs = []
    for i in range(writes):
        kind, name = ("VoiceProfile", f"Voice {i}") if i % 2 == 0 else ("Webhook", f"hook-{i}")
        seq = trail.intent(
            kind=kind,
            name=name,
            object_id=None,
            action="create",
            changes=[{"path": "description", "before": None, "after": f"made by {run_id}"}],
            method="POST",
            path=f"/api/v2/{'voice/profiles' if i % 2 == 0 else 'webhooks'}",
        )
        if fail_last and i == writes - 1:
            trail.outcome(
                intent_seq=seq,
                outcome="failure",
                status=409,
                correlation_id=f"corr-{run_id}-{i}",
                latency_ms=3.25,
                error={"code": "duplicate.name", "message": "name already used"},
            )
        else:
            trail.outcome(
                intent_seq=seq,
                outcome="success",
                status=200,
                correlation_id=f"corr-{run_id}-{i}",
                latency_ms=12.5,
                object_id=f"id-{run_id}-{i}",
                version=1,
            )
        seqs.append(seq)
    trail.run_finished({"created": writes - int(fail_last), "failed": int(fail_last)}, int(fail_last))
    return seqs


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def records_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines_of(path)]


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that stores each POSTed body.

    It starts *down*: its port is bound (so nobody else takes it) but not listening,
    so connections are refused. ``up()`` starts listening. ``status`` answers every
    request with that code (bodies are stored only for 2xx); ``fail_first`` answers
    503 to that many requests first; ``gate`` (when set) holds every request until set.
    """

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.keys: list[str] = []
        self.status = 200
        self.fail_first = 0
        self.requests = 0
        self.gate: threading.Event | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.gate is not None:
                    receiver.gate.wait(30)
                with receiver._lock:
                    receiver.requests += 1
                    status = receiver.status
                    if receiver.fail_first > 0:
                        receiver.fail_first -= 1
                        status = 503
                    if 200 <= status < 300:
                        receiver.bodies.append(body)
                        receiver.keys.append(self.headers.get("Idempotency-Key", ""))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.server.daemon_threads = True
        self.server.server_bind()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/audit"
        self._thread: threading.Thread | None = None

    def up(self) -> None:
        self.server.server_activate()
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(10)
        self.server.server_close()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.bodies]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()
