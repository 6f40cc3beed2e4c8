"""Tokens: one fetch shared by concurrent calls, renewed before expiry, one refresh on 401, safe failures."""

from __future__ import annotations

import base64
import dataclasses
import random
import time
from typing import Any
from urllib.parse import parse_qs

import anyio
import httpx
import pytest
import respx

from reconciler.core.errors import AuthenticationError, InvalidRequestError, ServerError, TransportError
from reconciler.genesys import ClientLimits, ClientStats, GenesysClient, Target
from reconciler.genesys.auth import TokenProvider

from ._support import API, CLIENT_ID, CLIENT_SECRET, FAST, TOKEN, VOICE, FakeSleep, envelope, error_body, read_by_id

pytestmark = pytest.mark.anyio

EMPTY = envelope([], page=1, size=100, total=0)


def token_answer(value: str, expires_in: int = 86400) -> httpx.Response:
    return httpx.Response(200, json={"access_token": value, "token_type": "bearer", "expires_in": expires_in})


class TestTokenRequest:
    async def test_basic_auth_and_client_credentials_form(self, client: GenesysClient, router: respx.MockRouter,
                                                          token_route: respx.Route) -> None:
        router.get("/api/v2/voice/profiles").mock(return_value=httpx.Response(200, json=EMPTY))
        await client.list_all(VOICE)
        request = token_route.calls.last.request
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        assert request.headers["Authorization"] == f"Basic {expected}"
        assert parse_qs(request.content.decode()) == {"grant_type": ["client_credentials"]}

    async def test_api_calls_carry_the_bearer_token(self, client: GenesysClient, router: respx.MockRouter) -> None:
        route = router.get("/api/v2/voice/profiles").mock(return_value=httpx.Response(200, json=EMPTY))
        await client.list_all(VOICE)
        assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"

    async def test_refused_token_request_reports_status_and_code_never_the_secret(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        router.post("/oauth/token").mock(
            return_value=httpx.Response(
                401, json={"error": "invalid_client", "error_description": f"bad secret {CLIENT_SECRET}"}
            )
        )
        api = router.get("/api/v2/voice/profiles").mock(return_value=httpx.Response(200, json=EMPTY))
        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(AuthenticationError) as info:
                await client.list_all(VOICE)
        error = info.value
        assert (error.status, error.code, error.method, error.path) == (401, "invalid_client", "POST", "/oauth/token")
        assert CLIENT_SECRET not in str(error)
        assert "401" in str(error) and "invalid_client" in str(error)
        assert not api.called
        assert client.stats.token_fetches == 1  # a refused token is not retried

    async def test_genesys_error_body_on_400(self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep) -> None:
        router.post("/oauth/token").mock(return_value=httpx.Response(400, json=error_body(400, "bad.credentials")))
        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(AuthenticationError) as info:
                await client.get(VOICE, "x")
        assert (info.value.status, info.value.code) == (400, "bad.credentials")

    async def test_token_server_errors_are_retried(self, target: Target, router: respx.MockRouter,
                                                   fake_sleep: FakeSleep) -> None:
        token = router.post("/oauth/token").mock(
            side_effect=[httpx.Response(503, json=error_body(503, "service.unavailable")), httpx.ConnectError("refused"),
                         token_answer(TOKEN)]
        )
        router.get("/api/v2/voice/profiles").mock(return_value=httpx.Response(200, json=EMPTY))
        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            assert await client.list_all(VOICE) == []
        assert token.call_count == 3

    async def test_a_token_request_the_http_library_refuses_to_send_is_tried_once(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        token = router.post("/oauth/token").mock(side_effect=httpx.LocalProtocolError("Illegal header value b'x'"))
        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(InvalidRequestError, match="POST /oauth/token failed: request.invalid"):
                await client.get(VOICE, "x")
        assert token.call_count == 1 and fake_sleep.positive == []

    async def test_token_server_errors_exhausting_attempts(self, target: Target, router: respx.MockRouter,
                                                           fake_sleep: FakeSleep) -> None:
        router.post("/oauth/token").mock(return_value=httpx.Response(500, json=error_body(500, "internal.server.error")))
        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(ServerError):
                await client.get(VOICE, "x")

    async def test_unreachable_login_is_retried_once_over_not_per_call_attempt(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        """The token fetch's own retries are the only ones: the call needing it does not start them over."""
        token = router.post("/oauth/token").mock(side_effect=httpx.ConnectError("refused"))
        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(TransportError):
                await client.get(VOICE, "x")
        assert token.call_count == FAST.max_attempts

    async def test_callers_queued_behind_a_failed_fetch_share_its_failure(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        token = router.post("/oauth/token").mock(side_effect=httpx.ConnectError("refused"))
        failures: list[BaseException] = []

        async def call() -> None:
            try:
                await client.get(VOICE, "x")
            except TransportError as exc:
                failures.append(exc)

        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            async with anyio.create_task_group() as tg:
                for _ in range(5):
                    tg.start_soon(call)
        assert len(failures) == 5
        assert token.call_count == FAST.max_attempts

    async def test_answer_without_access_token(self, target: Target, router: respx.MockRouter,
                                               fake_sleep: FakeSleep) -> None:
        router.post("/oauth/token").mock(
            return_value=httpx.Response(200, json={"token_type": "bearer"}, headers={"ININ-Correlation-Id": "c-tok"})
        )
        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(AuthenticationError, match="invalid.token.response") as info:
                await client.get(VOICE, "x")
        assert str(info.value).endswith("[correlation id: c-tok]")  # the login's answer, as the platform logged it

    @pytest.mark.parametrize(
        "value", ["tok\r\nX-Injected: 1", "tok\x00en", "tok\u00e9n", "tok en", "tok\u2028en"],
        ids=["crlf", "nul", "non-ascii", "space", "line-separator"],
    )
    async def test_an_access_token_no_header_can_carry_is_refused_once_not_sent(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep, value: str
    ) -> None:
        """Not sent as a header (a CRLF would have made every request unsendable, retried as a dropped connection)."""
        token = router.post("/oauth/token").mock(return_value=token_answer(value))
        api = router.get(url__regex=r"/api/v2/voice/profiles/.+").mock(side_effect=read_by_id)
        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(AuthenticationError, match="invalid.token.response.*not a bearer token") as info:
                await client.get(VOICE, "x")
        assert (token.call_count, api.call_count) == (1, 0)
        assert value not in str(info.value)


class NeverAnswers:
    """A login server that takes each request and says nothing, for ever (respx counts only answered calls)."""

    def __init__(self) -> None:
        self.requests = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


#: a short overall deadline (real seconds: only it ends a request that is never answered), three attempts
HANGING = dataclasses.replace(FAST, request_deadline=0.2, max_attempts=3)


class TestLoginThatHangs:
    """A login never answered is the login's failure, named ``POST /oauth/token``, after the login's own retries only.

    Before, the token fetch ran inside the API request's deadline: it was cut off and reported
    as ``GET ... deadline``, and the API call's retries started the login over each time.
    """

    async def test_is_reported_as_the_login_after_its_own_attempts(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        login = NeverAnswers()
        router.post("/oauth/token").mock(side_effect=login)
        api = router.get("/api/v2/voice/profiles").mock(return_value=httpx.Response(200, json=EMPTY))
        started = time.monotonic()
        async with GenesysClient(target, limits=HANGING, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(TransportError) as info:
                await client.list_all(VOICE)
        error = info.value
        assert (error.method, error.path, error.code) == ("POST", "/oauth/token", "deadline")
        assert str(error).startswith("POST /oauth/token failed: deadline: no complete answer within 0.2 s")
        assert login.requests == HANGING.max_attempts  # the login's attempts, not multiplied by the call's
        assert not api.called
        assert time.monotonic() - started < HANGING.max_attempts * 0.2 + 1.5

    async def test_a_refresh_after_401_that_hangs_names_the_login(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        answers = iter([token_answer("old")])
        hang = NeverAnswers()

        async def login(request: httpx.Request) -> httpx.Response:
            answer = next(answers, None)
            return answer if answer is not None else await hang(request)

        router.post("/oauth/token").mock(side_effect=login)
        api = router.get("/api/v2/voice/profiles/x").mock(
            return_value=httpx.Response(401, json=error_body(401, "authentication.required"))
        )
        async with GenesysClient(target, limits=HANGING, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(TransportError) as info:
                await client.get(VOICE, "x")
        assert (info.value.method, info.value.path, info.value.code) == ("POST", "/oauth/token", "deadline")
        assert api.call_count == 1  # the call is not retried: the login already was
        assert hang.requests == HANGING.max_attempts

    async def test_calls_waiting_for_the_login_share_its_failure(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        login = NeverAnswers()
        router.post("/oauth/token").mock(side_effect=login)
        router.get(url__regex=r"/api/v2/voice/profiles/.+").mock(side_effect=read_by_id)
        failures: list[TransportError] = []

        async def call(n: int) -> None:
            try:
                await client.get(VOICE, f"id-{n}")
            except TransportError as exc:
                failures.append(exc)

        started = time.monotonic()
        # two in flight: three calls wait for a slot, and reach the login only once it has failed
        limits = dataclasses.replace(HANGING, max_concurrency=2)
        async with GenesysClient(target, limits=limits, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            async with anyio.create_task_group() as tg:
                for n in range(5):
                    tg.start_soon(call, n)
        assert len(failures) == 5
        assert {(e.method, e.path, e.code) for e in failures} == {("POST", "/oauth/token", "deadline")}
        assert login.requests == HANGING.max_attempts  # one login for all five, not one each
        assert time.monotonic() - started < HANGING.max_attempts * 0.2 + 1.5

    async def test_a_failed_login_is_not_tried_again_by_later_calls(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        """Its retries are spent: each later call of the command gets the same error at once, not another login."""
        login = NeverAnswers()
        router.post("/oauth/token").mock(side_effect=login)
        api = router.get(url__regex=r"/api/v2/voice/profiles/.+").mock(return_value=httpx.Response(200, json={}))
        async with GenesysClient(target, limits=HANGING, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            with pytest.raises(TransportError) as first:
                await client.get(VOICE, "a")
            started = time.monotonic()
            with pytest.raises(TransportError) as later:
                await client.get(VOICE, "b")
            assert time.monotonic() - started < 0.1
        assert str(later.value) == str(first.value)
        assert login.requests == HANGING.max_attempts
        assert not api.called

    async def test_a_slow_login_does_not_use_up_the_api_request_deadline(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        """Login 0.15 s, then the API 0.1 s: each within the 0.2 s deadline, so the call succeeds at once."""

        async def slow(answer: httpx.Response, seconds: float) -> httpx.Response:
            await anyio.sleep(seconds)
            return answer

        sent: list[httpx.Request] = []  # respx counts only the calls it answered

        def api(request: httpx.Request) -> Any:
            sent.append(request)
            return slow(httpx.Response(200, json={"id": "x"}), 0.1)

        router.post("/oauth/token").mock(side_effect=lambda request: slow(token_answer(TOKEN), 0.15))
        router.get("/api/v2/voice/profiles/x").mock(side_effect=api)
        async with GenesysClient(target, limits=HANGING, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            assert (await client.get(VOICE, "x"))["id"] == "x"
        assert len(sent) == 1  # not cut off at 0.2 s and sent again


class TestTokenCache:
    async def test_concurrent_calls_share_one_fetch(self, client: GenesysClient, router: respx.MockRouter,
                                                    token_route: respx.Route) -> None:
        router.get(url__regex=r"/api/v2/voice/profiles/.+").mock(side_effect=read_by_id)
        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(client.get, VOICE, f"id-{i}")
        assert token_route.call_count == 1
        assert client.stats.token_fetches == 1

    async def test_token_reused_until_shortly_before_expiry(self) -> None:
        now = [0.0]
        answers = iter([token_answer("t1", expires_in=100), token_answer("t2", expires_in=100)])
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: next(answers))) as http:
            provider = TokenProvider(
                http, login_url=API, client_id="i", client_secret="s", limits=ClientLimits(),
                stats=ClientStats(), clock=lambda: now[0],
            )
            assert await provider.token() == "t1"
            now[0] = 79.0  # margin is min(60, 100/5) = 20 s
            assert await provider.token() == "t1"
            now[0] = 80.5
            assert await provider.token() == "t2"

    @pytest.mark.parametrize(
        "expires_in", ["-5", "0", "NaN", "-1e400", "1" + "0" * 400],
        ids=["negative", "zero", "nan", "-inf", "integer-too-large-for-a-float"],  # the last: an OverflowError traceback
    )
    async def test_a_lifetime_that_is_no_lifetime_is_taken_as_absent(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep, expires_in: str
    ) -> None:
        """Not one token fetch per API request: the token is kept (a day) and renewed on a 401, as the SDKs do."""
        token = router.post("/oauth/token").mock(
            return_value=httpx.Response(
                200, content=f'{{"access_token": "{TOKEN}", "expires_in": {expires_in}}}'.encode(),
                headers={"Content-Type": "application/json"},
            )
        )
        api = router.get(url__regex=r"/api/v2/voice/profiles/.+").mock(side_effect=read_by_id)
        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            for n in range(3):
                await client.get(VOICE, f"id-{n}")
            fake_sleep.now += 86400 - 61  # a day's token is renewed a minute before its day is out
            await client.get(VOICE, "id-3")
            assert token.call_count == 1
            fake_sleep.now += 2
            await client.get(VOICE, "id-4")
        assert token.call_count == 2
        assert {c.request.headers["Authorization"] for c in api.calls} == {f"Bearer {TOKEN}"}

    async def test_invalidate_drops_only_the_stale_token(self) -> None:
        answers = iter([token_answer("t1"), token_answer("t2")])
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: next(answers))) as http:
            provider = TokenProvider(http, login_url=API, client_id="i", client_secret="s", limits=ClientLimits(),
                                     stats=ClientStats())
            assert await provider.token() == "t1"
            provider.invalidate("some-older-token")
            assert await provider.token() == "t1"
            provider.invalidate("t1")
            assert await provider.token() == "t2"


class TestRefreshOn401:
    async def test_401_refreshes_once_and_retries_the_call(self, target: Target, router: respx.MockRouter,
                                                           fake_sleep: FakeSleep) -> None:
        token = router.post("/oauth/token").mock(side_effect=[token_answer("old"), token_answer("new")])

        def answer(request: httpx.Request) -> httpx.Response:
            if request.headers["Authorization"] == "Bearer new":
                return httpx.Response(200, json={"id": "x", "name": "n"})
            return httpx.Response(401, json=error_body(401, "authentication.required"))

        api = router.get("/api/v2/voice/profiles/x").mock(side_effect=answer)
        async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            assert (await client.get(VOICE, "x"))["id"] == "x"
        assert token.call_count == 2
        assert [c.request.headers["Authorization"] for c in api.calls] == ["Bearer old", "Bearer new"]
        assert client.stats.token_refreshes_on_401 == 1

    async def test_second_401_is_an_authentication_error(self, client: GenesysClient, router: respx.MockRouter,
                                                         token_route: respx.Route) -> None:
        api = router.get("/api/v2/voice/profiles/x").mock(
            return_value=httpx.Response(401, json=error_body(401, "authentication.required"),
                                        headers={"ININ-Correlation-Id": "c-401"})
        )
        with pytest.raises(AuthenticationError) as info:
            await client.get(VOICE, "x")
        assert api.call_count == 2
        assert token_route.call_count == 2
        assert info.value.correlation_id == "c-401"
        assert TOKEN not in str(info.value)

    async def test_many_calls_failing_with_one_stale_token_refresh_it_once(
        self, target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        token = router.post("/oauth/token").mock(side_effect=[token_answer("old"), token_answer("new"),
                                                              token_answer("newer")])
        gate = anyio.Event()
        arrived = [0]

        async def answer(request: httpx.Request) -> httpx.Response:
            if request.headers["Authorization"] == "Bearer old":
                arrived[0] += 1
                if arrived[0] == 10:
                    gate.set()
                await gate.wait()  # all ten hold the old token before any learns it is stale
                return httpx.Response(401, json=error_body(401, "authentication.required"))
            return read_by_id(request)

        router.get(url__regex=r"/api/v2/voice/profiles/.+").mock(side_effect=answer)
        limits = ClientLimits(requests_per_minute=60_000, rate_burst=100, max_concurrency=10)
        async with GenesysClient(target, limits=limits, sleep=fake_sleep, clock=fake_sleep.clock, rng=random.Random(1)) as client:
            async with anyio.create_task_group() as tg:
                for i in range(10):
                    tg.start_soon(client.get, VOICE, f"id-{i}")
        assert token.call_count == 2
