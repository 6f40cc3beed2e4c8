"""Connections to a real server: several small httpcore pools instead of one large one.

Why: httpcore 1.0's pool re-examines every connection it holds each time a request
joins or leaves it (``_assign_requests_to_connections``): an ``is_idle`` scan per queued
request (quadratic in connections) and, for each idle connection, a readability check
that polls its socket and builds anyio's extra-attribute table. With 34 connections
(``--concurrency 32``) that was about 40 % of an apply's CPU, more than the requests
themselves. Split into pools of at most :data:`SHARD` connections, the same scans cost
a few connections each, and the total stays ``connections``.

Each request goes to the pool with the fewest requests in flight (its connection is
held until the answer's body is closed), so no pool queues while another has room.
"""

from __future__ import annotations

import math
import urllib.request
from collections.abc import AsyncIterator, Callable

import httpx

#: connections per pool: a handful, so that httpcore's per-request scans stay short
SHARD = 8


def default_transport(connections: int) -> ShardedTransport | None:
    """The transport for a real server: sharded pools, or ``None`` (httpx's own) behind a proxy.

    Why ``None`` then: httpx reads ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` from the
    environment only for a client given no transport of its own, and a CI runner behind a
    corporate proxy must keep working; httpx finds proxies with ``urllib.request.getproxies``.
    """
    return None if urllib.request.getproxies() else ShardedTransport(connections)


class ShardedTransport(httpx.AsyncBaseTransport):
    """``connections`` keep-alive connections in all, in pools of at most :data:`SHARD`."""

    def __init__(self, connections: int, *, shard: int = SHARD) -> None:
        count = max(1, math.ceil(connections / max(1, shard)))
        per_pool = max(1, math.ceil(connections / count))
        limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
        # one TLS context for all (each costs ~0.1 s: the CA bundle is parsed); httpx's defaults otherwise
        tls = httpx.create_ssl_context()
        self._pools = [httpx.AsyncHTTPTransport(verify=tls, limits=limits) for _ in range(count)]
        self._busy = [0] * count

    @property
    def pools(self) -> int:
        return len(self._pools)

    @property
    def in_flight(self) -> tuple[int, ...]:
        """Requests whose connection is still held, per pool."""
        return tuple(self._busy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._busy[index] -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Released(response.stream, lambda: self._release(index))
        return response

    def _release(self, index: int) -> None:
        self._busy[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _Released(httpx.AsyncByteStream):
    """An answer's body that tells its pool, once, when it is closed (its connection is free again)."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()
