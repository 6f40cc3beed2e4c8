"""The Genesys sandbox: a faithful, embeddable emulator of the API contract.

Two ways to use it:

* embedded — ``httpx.AsyncClient(transport=embedded_transport(options), base_url=...)``
  talks to the ASGI app in-process, no port; this is the reconciler's default target
  when no Genesys credentials are configured;
* served — ``reconciler sandbox serve`` (or :func:`reconciler.sandbox.server.serve_in_thread`)
  runs the same app under uvicorn, API and login on one base URL.

State lives in SQLite (:attr:`SandboxOptions.db_path`) so that it survives between CLI
runs and can be shared by several processes. This module stays import-light: the CLI
imports it at start-up, so starlette, httpx and sqlite are only imported on use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from reconciler.sandbox.app import SandboxApp

DEFAULT_DB = ".reconciler/sandbox.db"
DEFAULT_CLIENT_ID = "sandbox"
DEFAULT_CLIENT_SECRET = "sandbox-secret"


@dataclass(frozen=True)
class ClientGrant:
    """An OAuth client the sandbox knows: its secret and the platform permissions its roles give
    (``*`` for all; a segment may be ``*``). ``sandbox serve --clients FILE`` reads these."""

    client_id: str
    secret: str
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SandboxOptions:
    """How a sandbox behaves: where it keeps state, who may log in, which faults it injects.

    ``rate_limit`` is requests per ``rate_window`` seconds per token (0 disables it).
    Genesys counts per minute, the default; a test shortens the window, with the
    rate and token lifetimes scaled along, to meet the same 429s in a fraction of the
    time (the client only ever sees ``Retry-After``, never the window). ``fail_rate`` and
    ``drop_rate`` are probabilities applied to collection writes only, drawn from a
    ``random.Random(seed)`` so a run with a seed is reproducible.

    Realism of a real org: ``clients`` adds OAuth clients holding chosen permissions;
    ``read_lag_ms`` makes listings and reads show writes that late (a real org's reads
    lag its writes); ``publish_seconds`` is how long a publish job runs (``0``: it
    completes on its second poll) and ``publish_fail_rate`` the chance it ends ``Failed``.
    ``clock`` (seconds) drives the read lag and publish jobs, so tests use virtual time.
    ``features_off``: org features the org lacks; its reads leave out the fields a kind shows
    only with one (``Kind.shown_with_feature``: without ``GenesysExtended``, a dictionary
    feedback's ``transcriptionEngine``). Empty: every feature on, every field shown.
    """

    db_path: str | Path = DEFAULT_DB
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    latency_ms: int = 0
    rate_limit: int = 300
    rate_window: float = 60.0
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    token_ttl: int = 3600
    seed: int | None = None
    clients: tuple[ClientGrant, ...] = ()
    read_lag_ms: int = 0
    publish_seconds: float = 0.0
    publish_fail_rate: float = 0.0
    clock: Callable[[], float] | None = field(default=None, compare=False)
    features_off: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("fail_rate", "drop_rate", "publish_fail_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.fail_rate + self.drop_rate > 1.0:
            raise ValueError("fail_rate + drop_rate must not exceed 1")
        for name in ("latency_ms", "rate_limit", "read_lag_ms", "publish_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.rate_window <= 0:
            raise ValueError("rate_window must be positive")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be positive")


def create_app(options: SandboxOptions | None = None) -> SandboxApp:
    """The sandbox as a Starlette (ASGI) application over ``options.db_path``."""
    from reconciler.sandbox.app import build_app

    return build_app(options or SandboxOptions())


def embedded_transport(options: SandboxOptions | None = None) -> httpx.AsyncBaseTransport:
    """An httpx transport that serves requests from an in-process sandbox app.

    A response the sandbox drops (``drop_rate``) surfaces as
    :class:`httpx.RemoteProtocolError`, exactly like a closed connection would.
    """
    from reconciler.sandbox.transport import EmbeddedTransport

    app = create_app(options or SandboxOptions())
    return EmbeddedTransport(app, on_close=app.close)  # the transport owns the app: closing it closes the store


__all__ = [
    "ClientGrant",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_DB",
    "SandboxOptions",
    "create_app",
    "embedded_transport",
]
