"""Several small connection pools: requests spread over them, every connection released after its answer."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from reconciler.genesys.pool import ShardedTransport, default_transport
from reconciler.sandbox import SandboxOptions
from reconciler.sandbox.server import serve_in_thread


def test_connections_are_split_into_pools_of_at_most_eight() -> None:
    assert ShardedTransport(34).pools == 5  # --concurrency 32: 34 connections
    assert ShardedTransport(10).pools == 2
    assert ShardedTransport(3).pools == 1


def test_requests_in_flight_spread_over_the_pools_and_are_released(tmp_path: Path) -> None:
    transport = ShardedTransport(16)
    seen: list[tuple[int, ...]] = []

    class Peek(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await transport.handle_async_request(request)
            seen.append(transport.in_flight)
            return response

    with serve_in_thread(SandboxOptions(db_path=tmp_path / "s.db", latency_ms=20, rate_limit=0)) as served:

        async def main() -> list[int]:
            async with httpx.AsyncClient(base_url=served.url, transport=Peek()) as http:
                codes: list[int] = []

                async def get() -> None:
                    codes.append((await http.get("/api/v2/voice/profiles")).status_code)  # delayed by the latency

                async with anyio.create_task_group() as group:
                    for _ in range(40):
                        group.start_soon(get)
                return codes

        codes = anyio.run(main)
    assert codes == [401] * 40  # no token: refused, answered all the same
    assert transport.in_flight == (0, 0)  # every answer's connection went back to its pool
    assert any(min(s) > 0 for s in seen)  # both pools busy at once: the least busy one takes the next


def test_behind_a_proxy_httpx_keeps_its_own_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx applies HTTPS_PROXY / NO_PROXY only to a client without a transport of its own."""
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(default_transport(10), ShardedTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert default_transport(10) is None


def test_the_tls_context_is_built_only_for_https_and_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain-http target (a loopback sandbox) never parses the CA bundle; https pools share one context."""
    built: list[object] = []
    real = httpx.create_ssl_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", counted)
    transport = ShardedTransport(16)
    assert built == []  # nothing at construction
    with serve_in_thread(SandboxOptions(db_path=tmp_path / "s.db", rate_limit=0)) as served:

        async def main() -> None:
            async with httpx.AsyncClient(base_url=served.url, transport=transport) as http:
                assert (await http.get("/api/v2/voice/profiles")).status_code == 401
                assert built == []  # plain http: no TLS context
                for _ in range(2):  # nothing listens there: the connection is refused after the context is built
                    with pytest.raises(httpx.ConnectError):
                        await http.get("https://127.0.0.1:1/api/v2/voice/profiles")

        anyio.run(main)
    assert len(built) == 1  # one context for every https pool
    assert transport.in_flight == (0, 0)
