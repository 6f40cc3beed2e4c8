"""The served mode: the sandbox app under uvicorn, on one base URL for API and login.

:func:`run` is what ``reconciler sandbox serve`` calls (blocking, until Ctrl-C);
:func:`serve_in_thread` starts it on a background thread on a socket bound in advance
(port 0 = any free port, so parallel tests never collide) and is what the test
fixtures and benchmarks use.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

from reconciler.core.errors import ConfigError
from reconciler.core.paths import reason
from reconciler.sandbox import SandboxOptions, create_app
from reconciler.sandbox.edge import DroppedResponse

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxApp


class _HideDrops(logging.Filter):
    """A dropped response is a feature, not an error worth a traceback in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedResponse)


def _config(app: SandboxApp, host: str, port: int, log_level: str, *, quiet: bool) -> uvicorn.Config:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDrops) for f in logger.filters):
        logger.addFilter(_HideDrops())
    extra: dict[str, Any] = {"log_config": None} if quiet else {}
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=30,
        **extra,
    )


def run(
    options: SandboxOptions,
    host: str = "127.0.0.1",
    port: int = 8765,
    log_level: str = "info",
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted; ``on_listening`` gets the URL once the port is taken (its real number for 0)."""
    sock = listening_socket(host, port)
    url = f"http://{_url_host(host)}:{sock.getsockname()[1]}"
    app = create_app(options)
    try:
        sock.listen(2048)  # uvicorn's backlog: a client told the URL is queued until the server accepts
        if on_listening is not None:
            on_listening(url)
        uvicorn.Server(_config(app, host, port, log_level, quiet=False)).run(sockets=[sock])
    finally:
        sock.close()
        app.close()


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (``0``: any free port), for uvicorn to serve on.

    Why bind here rather than let uvicorn: the banner can name the port really taken when 0
    asks for any, and an address in use or unknown is one :class:`ConfigError` line (exit 1),
    not uvicorn's log record. Accepted sockets inherit ``TCP_NODELAY``: without it Nagle and
    delayed ACKs add about 40 ms to a request.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {reason(exc)}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {reason(exc)}") from None
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class ServedSandbox:
    """A sandbox answering at ``url`` (``http://127.0.0.1:PORT``) with ``options``."""

    url: str
    options: SandboxOptions
    server: uvicorn.Server


@contextmanager
def serve_in_thread(
    options: SandboxOptions, host: str = "127.0.0.1", startup_timeout: float = 15.0, port: int = 0
) -> Iterator[ServedSandbox]:
    """Run a served sandbox on a free port (or ``port``: a restart at the same address) for the ``with`` block."""
    sock = listening_socket(host, port)
    port = sock.getsockname()[1]
    app = create_app(options)
    server = uvicorn.Server(_config(app, host, port, "warning", quiet=True))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"sandbox-{port}")
    thread.start()
    url = f"http://{host}:{port}"
    try:
        _wait_until_up(url, thread, startup_timeout)
        yield ServedSandbox(url=url, options=options, server=server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        if not thread.is_alive():  # a server still stopping may still be answering: its store stays open
            app.close()


def _wait_until_up(url: str, thread: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url + "/__sandbox__/stats", timeout=1.0)
            return
        except httpx.TransportError:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox at {url} did not start") from None
            time.sleep(0.02)
