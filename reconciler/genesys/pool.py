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
import ssl
import urllib.request
from collections.abc import AsyncIterator, Callable
from functools import partial

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
        self._count = max(1, math.ceil(connections / max(1, shard)))
        per_pool = max(1, math.ceil(connections / self._count))
        self._limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
        #: the pools per URL scheme, built for the first request of that scheme (see :meth:`_pools_for`)
        self._shards: dict[str, _Shards] = {}

    @property
    def pools(self) -> int:
        return self._count

    @property
    def in_flight(self) -> tuple[int, ...]:
        """Requests whose connection is still held, per pool (pools of both schemes added up)."""
        held = [0] * self._count
        for shards in self._shards.values():
            held = [a + b for a, b in zip(held, shards.busy, strict=True)]
        return tuple(held)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shards = self._pools_for(request.url.scheme)
        index = min(range(len(shards.busy)), key=shards.busy.__getitem__)
        shards.busy[index] += 1
        try:
            response = await shards.pools[index].handle_async_request(request)
        except BaseException:
            shards.busy[index] -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Released(response.stream, partial(shards.release, index))
        return response

    def _pools_for(self, scheme: str) -> _Shards:
        """The pools for ``scheme``, built at its first request.

        Why lazily: the TLS context costs ~2.4 MiB and ~20 ms (certifi's CA bundle is parsed), and
        a plain-http target (a loopback sandbox) never uses it. https pools share one context, with
        httpx's defaults; plain-http pools get a bare one that trusts no certificate (httpx needs a
        context for every pool; these never start TLS, and would fail closed if they did).
        """
        shards = self._shards.get(scheme)
        if shards is None:
            tls = httpx.create_ssl_context() if scheme == "https" else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            shards = self._shards[scheme] = _Shards(self._count, self._limits, tls)
        return shards

    async def aclose(self) -> None:
        for shards in self._shards.values():
            for pool in shards.pools:
                await pool.aclose()


class _Shards:
    """The pools of one URL scheme, and how many requests each holds a connection for."""

    def __init__(self, count: int, limits: httpx.Limits, tls: ssl.SSLContext) -> None:
        self.pools = [httpx.AsyncHTTPTransport(verify=tls, limits=limits) for _ in range(count)]
        self.busy = [0] * count

    def release(self, index: int) -> None:
        self.busy[index] -= 1


class _Released(httpx.AsyncByteStream):
    """An answer's body that tells its pool, once, when it is closed (its connection is free again)."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()  # the pool's own iterator: no generator of ours around every chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()
