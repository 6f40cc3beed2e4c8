"""Retry classes: 429 after Retry-After, 5xx/timeouts/connection errors with backoff, other 4xx never."""

from __future__ import annotations

import random

import httpx
import pytest
import respx

from reconciler.core.errors import (
    BadRequestError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermanentError,
    PermissionError_,
    RateLimitedError,
    ServerError,
    TransportError,
)
from reconciler.genesys import ClientLimits, GenesysClient, Target

from ._support import FAST, VOICE, FakeSleep, error_body

pytestmark = pytest.mark.anyio

ITEM = "/api/v2/voice/profiles/x"
OK = httpx.Response(200, json={"id": "x"})


def too_many(retry_after: str | None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(429, json=error_body(429, "too.many.requests"), headers=headers)


class TestRateLimited:
    async def test_waits_retry_after_plus_a_little_jitter(self, client: GenesysClient, router: respx.MockRouter,
                                                          fake_sleep: FakeSleep) -> None:
        route = router.get(ITEM).mock(side_effect=[too_many("3"), OK])
        assert await client.get(VOICE, "x") == {"id": "x"}
        assert route.call_count == 2
        waits = [s for s in fake_sleep.positive if s >= 1]
        assert len(waits) == 1
        assert 3.0 <= waits[0] <= 3.3
        assert client.stats.rate_limited == 1
        assert client.stats.retries["too.many.requests"] == 1
        assert client.stats.wait_counts["retry-after"] == 1

    async def test_wait_is_capped(self, target: Target, router: respx.MockRouter, token_route: respx.Route,
                                  fake_sleep: FakeSleep) -> None:
        router.get(ITEM).mock(side_effect=[too_many("3600"), OK])
        limits = ClientLimits(requests_per_minute=60_000, rate_burst=1000, max_retry_after=7.5)
        async with GenesysClient(target, limits=limits, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            await client.get(VOICE, "x")
        assert max(fake_sleep.calls) == 7.5

    async def test_without_retry_after_backs_off(self, client: GenesysClient, router: respx.MockRouter,
                                                 fake_sleep: FakeSleep) -> None:
        router.get(ITEM).mock(side_effect=[too_many(None), OK])
        await client.get(VOICE, "x")
        assert client.stats.wait_counts["backoff"] == 1

    async def test_holds_every_caller_not_just_the_one_refused(self, target: Target, router: respx.MockRouter,
                                                               token_route: respx.Route, fake_sleep: FakeSleep) -> None:
        router.get(ITEM).mock(return_value=too_many("5"))
        router.get("/api/v2/voice/profiles/y").mock(return_value=httpx.Response(200, json={"id": "y"}))
        limits = ClientLimits(requests_per_minute=60_000, rate_burst=1000, max_attempts=1)
        async with GenesysClient(target, limits=limits, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(RateLimitedError):
                await client.get(VOICE, "x")
            assert fake_sleep.positive == []
            await client.get(VOICE, "y")  # another call: paced behind the hold the 429 put on everyone
        assert fake_sleep.positive == [pytest.approx(5.0)]
        assert client.stats.wait_counts["pacing"] == 1

    async def test_gives_up_after_max_attempts_with_the_last_error(self, client: GenesysClient,
                                                                   router: respx.MockRouter) -> None:
        route = router.get(ITEM).mock(return_value=too_many("1"))
        with pytest.raises(RateLimitedError) as info:
            await client.get(VOICE, "x")
        assert route.call_count == FAST.max_attempts
        assert info.value.retry_after == 1.0


class TestServerAndTransportFailures:
    @pytest.mark.parametrize("status,code", [(500, "internal.server.error"), (502, "bad.gateway"),
                                             (503, "service.unavailable"), (504, "gateway.timeout")])
    async def test_5xx_is_retried(self, client: GenesysClient, router: respx.MockRouter, status: int,
                                  code: str) -> None:
        route = router.get(ITEM).mock(side_effect=[httpx.Response(status, json=error_body(status, code)), OK])
        assert await client.get(VOICE, "x") == {"id": "x"}
        assert route.call_count == 2
        assert client.stats.retries[code] == 1

    async def test_408_request_timeout_is_retried_as_cx_as_code_does(self, client: GenesysClient,
                                                                    router: respx.MockRouter) -> None:
        """CX as Code retries a 408 in every retry predicate (util_retries.go: IsStatus400, IsStatus404,
        IsVersionMismatch ... each add ``http.StatusRequestTimeout``): it was a permanent error here, the apply's end."""
        route = router.get(ITEM).mock(side_effect=[httpx.Response(408, json=error_body(408, "request.timeout")), OK])
        assert await client.get(VOICE, "x") == {"id": "x"}
        assert route.call_count == 2
        assert client.stats.retries["request.timeout"] == 1

    @pytest.mark.parametrize(
        "exc,code",
        [
            (httpx.ReadTimeout("slow"), "timeout"),
            (httpx.ConnectTimeout("slow"), "connect.timeout"),
            (httpx.ConnectError("refused"), "connection.refused"),
            (httpx.RemoteProtocolError("closed"), "connection.dropped"),
            (httpx.ReadError("reset"), "connection.dropped"),
        ],
    )
    async def test_transport_failures_are_retried(self, client: GenesysClient, router: respx.MockRouter,
                                                  exc: Exception, code: str) -> None:
        route = router.get(ITEM).mock(side_effect=[exc, OK])
        assert await client.get(VOICE, "x") == {"id": "x"}
        assert route.call_count == 2
        assert client.stats.retries[code] == 1

    async def test_backoff_grows_exponentially_and_is_capped(self, target: Target, router: respx.MockRouter,
                                                             token_route: respx.Route, fake_sleep: FakeSleep) -> None:
        router.get(ITEM).mock(return_value=httpx.Response(503, json=error_body(503, "service.unavailable")))
        limits = ClientLimits(requests_per_minute=60_000, rate_burst=1000, max_attempts=6, backoff_initial=1.0,
                              backoff_max=10.0)
        async with GenesysClient(target, limits=limits, sleep=fake_sleep, clock=fake_sleep.clock, rng=random.Random(3)) as client:
            with pytest.raises(ServerError) as info:
                await client.get(VOICE, "x")
        waits = fake_sleep.positive
        assert len(waits) == 5
        for n, wait in enumerate(waits[:4]):  # 1, 2, 4, 8 seconds, each plus up to 1 s of jitter
            assert 2**n <= wait <= 2**n + 1
        assert waits[4] == 10.0  # 16 + jitter, capped
        assert info.value.status == 503

    async def test_exhausted_transport_retries_raise_transport_error(self, client: GenesysClient,
                                                                     router: respx.MockRouter) -> None:
        router.get(ITEM).mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(TransportError) as info:
            await client.get(VOICE, "x")
        assert (info.value.status, info.value.code, info.value.method, info.value.path) == (0, "timeout", "GET", ITEM)


class TestPermanentFailures:
    @pytest.mark.parametrize(
        "status,code,cls",
        [
            (400, "bad.request", BadRequestError),
            (403, "missing.any.permissions", PermissionError_),
            (404, "not.found", NotFoundError),
            (409, "conflict", ConflictError),
            (422, "unprocessable", PermanentError),
        ],
    )
    async def test_other_4xx_are_never_retried(self, client: GenesysClient, router: respx.MockRouter,
                                               fake_sleep: FakeSleep, status: int, code: str,
                                               cls: type[Exception]) -> None:
        route = router.get(ITEM).mock(return_value=httpx.Response(status, json=error_body(status, code)))
        with pytest.raises(cls):
            await client.get(VOICE, "x")
        assert route.call_count == 1
        assert client.stats.total_retries == 0
        assert fake_sleep.positive == []

    async def test_a_request_the_http_library_refuses_to_send_is_reported_at_once(
        self, client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        """h11's LocalProtocolError (our own header is illegal) was retried as a dropped connection: never sent, it
        is refused the same way every time."""
        refused = httpx.LocalProtocolError("Illegal header value b'Bearer s3cr3t\\n'")
        route = router.get(ITEM).mock(side_effect=[refused, OK])
        with pytest.raises(InvalidRequestError) as info:
            await client.get(VOICE, "x")
        assert route.call_count == 1
        assert client.stats.total_retries == 0 and fake_sleep.positive == []
        assert (info.value.status, info.value.code) == (0, "request.invalid")
        assert str(info.value) == (f"GET {ITEM} failed: request.invalid: the request is malformed and was not sent "
                                   "(Illegal header value); sending it again cannot help [correlation id: none]")
