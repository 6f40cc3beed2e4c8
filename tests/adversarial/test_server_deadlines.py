"""Hostile servers that are slow, not wrong: an answer that trickles, a login never answered.

Each server is a real socket on 127.0.0.1 (respx cannot trickle or hold a connection), so
what ends the request is the client's own bound: the overall deadline of a request, the
read timeout of each attempt of the login. The limits that set those bounds refuse values
that could not work.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from reconciler.core.errors import TransportError
from reconciler.genesys import ClientLimits, GenesysClient, Target

from ._harness import TIME_BOUND
from ._hostile import VOICE


# ---- the overall deadline: a server that trickles one header byte at a time -------------
class _SocketServer:
    """A loopback socket server on a free port, serving from a daemon thread until :meth:`close`."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


class Trickler(_SocketServer):
    """A loopback socket server that answers every request one byte every ``pause`` seconds."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.requests = 0
        super().__init__()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.requests += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                if self.stop.wait(self.pause):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("attempts", [1, 2], ids=["one-attempt", "retried"])
async def test_a_trickling_server_cannot_keep_a_request_alive(attempts: int) -> None:
    """Each byte comes well within the read timeout; only the overall deadline ends the request."""
    server = Trickler(pause=0.1)
    try:
        target = Target(kind="genesys", api_url=server.url, login_url=server.url, client_id="c", client_secret="s")
        limits = ClientLimits(
            request_deadline=0.8, timeout=0.5, max_attempts=attempts, backoff_initial=0.0, backoff_max=0.0
        )
        started = time.monotonic()
        async with GenesysClient(target, limits=limits) as client:
            with pytest.raises(TransportError) as caught:
                await client.list_all(VOICE)
        assert time.monotonic() - started < 0.8 * attempts + 2
        assert caught.value.retryable and caught.value.code == "deadline"
        assert "no complete answer within 0.8 s" in str(caught.value)
        assert "ClientLimits.request_deadline" in str(caught.value)
        assert server.requests == attempts
    finally:
        server.close()


class Silent(_SocketServer):
    """A loopback socket server that takes every connection and request and never answers."""

    def __init__(self) -> None:
        self.connections = 0
        super().__init__()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        held = []
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            held.append(conn)  # open and unanswered until the test ends
        for conn in held:
            conn.close()


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_a_login_never_answered_is_the_logins_error_after_its_own_attempts() -> None:
    """Each token request times out (0.3 s a read); three of them outlast the 0.5 s request deadline.

    Before, that deadline cut the login short and the error named the API call
    (``GET /api/v2/voice/profiles failed: deadline``), whose retries started the login over.
    """
    server = Silent()
    try:
        target = Target(kind="genesys", api_url=server.url, login_url=server.url, client_id="c", client_secret="s")
        limits = ClientLimits(request_deadline=0.5, timeout=0.3, max_attempts=3, backoff_initial=0.0, backoff_max=0.0)
        started = time.monotonic()
        async with GenesysClient(target, limits=limits) as client:
            with pytest.raises(TransportError) as caught:
                await client.list_all(VOICE)
        took = time.monotonic() - started
        assert str(caught.value) == (
            "POST /oauth/token failed: timeout: timed out waiting for the answer [correlation id: none]"
        )
        assert server.connections == 3  # the login's three attempts; no API request was sent
        assert 0.9 <= took < 0.9 + 2
    finally:
        server.close()


def test_the_limits_refuse_a_deadline_or_ceiling_that_cannot_work() -> None:
    from reconciler.core.errors import ConfigError

    for bad in ({"request_deadline": 0}, {"max_pages": 0}, {"max_extra_pages": -1}):
        with pytest.raises(ConfigError, match="invalid client limits"):
            ClientLimits(**bad)  # type: ignore[arg-type]  # the dict's values are the fields' types

