"""An unreachable API says so at once (issue 16): one line on the first unanswered attempt, then the final error.

A real closed loopback port (connection refused) and a virtual time line: no test waits.
"""

from __future__ import annotations

import socket

import httpx
import pytest
import respx

from reconciler.core.errors import TransportError
from reconciler.genesys import ClientLimits, GenesysClient, Target

from ._support import API, CLIENT_ID, CLIENT_SECRET, VOICE, FakeSleep

LIMITS = ClientLimits(requests_per_minute=60_000, rate_burst=1000, backoff_initial=2.0, backoff_max=8.0, max_attempts=5)


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.anyio
async def test_a_refused_connection_is_told_once_before_any_wait_and_the_error_still_ends_the_call() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    target = Target(kind="genesys", api_url=url, login_url=url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    sleep = FakeSleep()
    start = sleep.now
    said: list[tuple[str, float]] = []
    async with GenesysClient(target, limits=LIMITS, sleep=sleep, clock=sleep.clock,
                             notice=lambda text: said.append((text, sleep.now - start))) as client:
        with pytest.raises(TransportError) as info:
            await client.get(VOICE, "x")
        with pytest.raises(TransportError):
            await client.get(VOICE, "y")  # a second failing call says nothing more
    assert said == [(f"could not connect to {url}: retrying (attempt 2 of 5)…", 0.0)]
    assert info.value.code == "connection.refused"
    assert sleep.now - start > 10  # the retries did happen, on the virtual clock: ~20 s unannounced before


@pytest.mark.anyio
async def test_a_timeout_on_the_api_is_told_with_its_reason(
    target: Target, router: respx.MockRouter, token_route: respx.Route, fake_sleep: FakeSleep
) -> None:
    answers = [httpx.ReadTimeout("slow"), httpx.Response(200, json={"id": "x"})]
    router.get("/api/v2/voice/profiles/x").mock(side_effect=answers)
    said: list[str] = []
    async with GenesysClient(
        target, limits=LIMITS, sleep=fake_sleep, clock=fake_sleep.clock, notice=said.append
    ) as client:
        assert await client.get(VOICE, "x") == {"id": "x"}
    assert said == [f"no answer from {API} (timed out waiting for the answer): retrying (attempt 2 of 5)…"]


@pytest.mark.anyio
async def test_without_a_notice_nothing_is_said_and_nothing_breaks(fake_sleep: FakeSleep) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    target = Target(kind="genesys", api_url=url, login_url=url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    async with GenesysClient(target, limits=LIMITS, sleep=fake_sleep, clock=fake_sleep.clock) as client:
        with pytest.raises(TransportError):
            await client.get(VOICE, "x")


def test_the_cli_wires_the_notice_to_stderr(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    from reconciler.cli.options import run_options

    options = run_options({"target": "sandbox", "region": None, "api_url": None, "client_id": None,
                           "sandbox_db": str(tmp_path) + "/s.db", "requests_per_minute": None})
    assert options.notice is not None
    options.notice("could not connect to https://api.example.test: retrying (attempt 2 of 5)…")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.endswith("could not connect to https://api.example.test: retrying (attempt 2 of 5)…\n")


@pytest.mark.anyio
async def test_a_long_wait_for_a_rate_limited_login_is_told_once(
    target: Target, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """A login answering 429 with a long Retry-After waits up to max_retry_after per attempt: minutes, once silent."""
    limited = httpx.Response(429, json={"code": "too.many.requests"}, headers={"Retry-After": "999999"})
    router.post("/oauth/token").mock(side_effect=[limited, limited, httpx.Response(200, json={"access_token": "t"})])
    router.get("/api/v2/voice/profiles/x").mock(return_value=httpx.Response(200, json={"id": "x"}))
    said: list[str] = []
    async with GenesysClient(
        target, limits=LIMITS, sleep=fake_sleep, clock=fake_sleep.clock, notice=said.append
    ) as client:
        assert await client.get(VOICE, "x") == {"id": "x"}
    assert said == [f"rate limited by {API} (HTTP 429): waiting 60 s before attempt 2 of 5…"]


@pytest.mark.anyio
async def test_a_short_rate_limit_wait_says_nothing(
    target: Target, router: respx.MockRouter, token_route: respx.Route, fake_sleep: FakeSleep
) -> None:
    limited = httpx.Response(429, json={"code": "too.many.requests"}, headers={"Retry-After": "2"})
    router.get("/api/v2/voice/profiles/x").mock(side_effect=[limited, httpx.Response(200, json={"id": "x"})])
    said: list[str] = []
    async with GenesysClient(
        target, limits=LIMITS, sleep=fake_sleep, clock=fake_sleep.clock, notice=said.append
    ) as client:
        assert await client.get(VOICE, "x") == {"id": "x"}
    assert said == []
