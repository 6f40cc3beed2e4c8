"""Realism and faults: failed and dropped writes, seeds, latency, the rate limit."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from sandbox_data import assert_error, valid

from reconciler.kinds import (
    CONTRACT_KINDS as KINDS,  # the seed contract's conventions; tests/realkinds covers the platform kinds
)
from reconciler.sandbox import SandboxOptions, embedded_transport
from reconciler.sandbox.faults import Fault, FaultInjector, RateLimiter

KIND = KINDS[0]
GRANT = {"grant_type": "client_credentials"}
CREDENTIALS = ("sandbox", "sandbox-secret")


async def open_client(options: SandboxOptions) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    async with httpx.AsyncClient(transport=embedded_transport(options), base_url="http://sandbox.local") as client:
        token = (await client.post("/oauth/token", data=GRANT, auth=CREDENTIALS)).json()["access_token"]
        yield client, {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def faulty(sandbox_options: SandboxOptions, request: pytest.FixtureRequest):
    """``faulty`` is parametrised indirectly with option overrides."""
    options = dataclasses.replace(sandbox_options, **request.param)
    async for pair in open_client(options):
        yield pair


@pytest.mark.anyio
class TestFailedWrites:
    @pytest.mark.parametrize("faulty", [{"fail_rate": 1.0, "seed": 1}], indirect=True)
    async def test_every_write_fails_with_500_502_503_or_504_and_commits_nothing(self, faulty) -> None:
        client, headers = faulty
        statuses = set()
        for i in range(24):
            response = await client.post(KIND.collection, json=valid(KIND, name=f"n{i}"), headers=headers)
            assert response.status_code in (500, 502, 503, 504)
            codes = {500: "internal.server.error", 502: "bad.gateway", 503: "service.unavailable",
                     504: "gateway.timeout"}
            assert_error(response, response.status_code, codes[response.status_code])
            statuses.add(response.status_code)
        assert statuses == {500, 502, 503, 504}
        listing = await client.get(KIND.collection, headers=headers)
        assert listing.status_code == 200 and listing.json()["total"] == 0
        stats = (await client.get("/__sandbox__/stats")).json()
        assert stats["faults"] == {"failed": 24, "dropped": 0}

    @pytest.mark.parametrize("faulty", [{"fail_rate": 1.0, "drop_rate": 0.0}], indirect=True)
    async def test_reads_tokens_hooks_and_admin_are_never_faulted(self, faulty) -> None:
        client, headers = faulty
        assert (await client.post("/oauth/token", data=GRANT, auth=CREDENTIALS)).status_code == 200
        assert (await client.get(KIND.collection, headers=headers)).status_code == 200
        hook = next(k.after_write for k in KINDS if k.after_write)
        assert (await client.request(hook.method, hook.path, headers=headers)).status_code == 202
        assert (await client.post("/__sandbox__/reset")).status_code == 200


@pytest.mark.anyio
class TestDroppedWrites:
    @pytest.mark.parametrize("faulty", [{"drop_rate": 1.0}], indirect=True)
    async def test_a_dropped_create_committed(self, faulty) -> None:
        client, headers = faulty
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(KIND.collection, json=valid(KIND, name="Lost answer"), headers=headers)
        found = (await client.get(KIND.collection, params={"name": "lost answer"}, headers=headers)).json()
        assert found["total"] == 1
        stored = found["entities"][0]
        with pytest.raises(httpx.RemoteProtocolError):
            await client.put(stored["selfUri"], json=stored, headers=headers)
        assert (await client.get(stored["selfUri"], headers=headers)).json()["version"] == 2
        with pytest.raises(httpx.RemoteProtocolError):
            await client.delete(stored["selfUri"], headers=headers)
        assert (await client.get(stored["selfUri"], headers=headers)).status_code == 404
        assert (await client.get("/__sandbox__/stats")).json()["faults"] == {"failed": 0, "dropped": 3}

    @pytest.mark.parametrize("faulty", [{"drop_rate": 1.0}], indirect=True)
    async def test_refused_writes_are_answered(self, faulty) -> None:
        """Only a write that commits loses its answer; a 400 or 409 always arrives."""
        client, headers = faulty
        assert_error(await client.post(KIND.collection, json={}, headers=headers), 400, "bad.request")
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(KIND.collection, json=valid(KIND), headers=headers)
        assert_error(await client.post(KIND.collection, json=valid(KIND), headers=headers), 409, "duplicate.name")

    def test_served_drops_close_the_connection(self, served_sandbox) -> None:
        sandbox = served_sandbox(drop_rate=1.0)
        with httpx.Client(base_url=sandbox.url) as client:
            token = client.post("/oauth/token", data=GRANT, auth=CREDENTIALS).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            with pytest.raises(httpx.RemoteProtocolError):
                client.post(KIND.collection, json=valid(KIND), headers=headers)
            stored = client.get(KIND.collection, headers=headers).json()["entities"][0]
            with pytest.raises(httpx.RemoteProtocolError):
                client.delete(stored["selfUri"], headers=headers)  # a 204 is cut off too
            assert client.get(KIND.collection, headers=headers).json()["total"] == 0
            assert client.get("/__sandbox__/stats").json()["faults"]["dropped"] == 2


class TestSeeds:
    @staticmethod
    def outcomes(seed: int | None, count: int = 40) -> list[Fault]:
        injector = FaultInjector(fail_rate=0.3, drop_rate=0.3, seed=seed)
        return [injector.decide() for _ in range(count)]

    def test_same_seed_same_faults(self) -> None:
        assert self.outcomes(42) == self.outcomes(42)
        assert self.outcomes(42) != self.outcomes(43)
        assert set(self.outcomes(42)) == set(Fault)

    def test_no_rates_no_faults(self) -> None:
        injector = FaultInjector(0.0, 0.0, seed=None)
        assert {injector.decide() for _ in range(100)} == {Fault.NONE}

    @pytest.mark.anyio
    async def test_a_seeded_sandbox_replays_the_same_sequence(self, tmp_path) -> None:
        async def run(db: str) -> list[int | str]:
            options = SandboxOptions(db_path=tmp_path / db, fail_rate=0.3, drop_rate=0.3, seed=5)
            seen: list[int | str] = []
            async for client, headers in open_client(options):
                for i in range(20):
                    try:
                        response = await client.post(KIND.collection, json=valid(KIND, name=f"n{i}"), headers=headers)
                        seen.append(response.status_code)
                    except httpx.RemoteProtocolError:
                        seen.append("dropped")
            return seen

        first, second = await run("a.db"), await run("b.db")
        assert first == second
        assert {200, "dropped"} <= set(first) and ({500, 503} & set(first))


@pytest.mark.anyio
async def test_latency_is_added_to_genesys_requests_only(tmp_path, monkeypatch) -> None:
    from reconciler.sandbox import edge

    slept: list[float] = []
    real_sleep = anyio.sleep

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(edge.anyio, "sleep", fake_sleep)
    async for client, headers in open_client(SandboxOptions(db_path=tmp_path / "s.db", latency_ms=250)):
        await client.get(KIND.collection, headers=headers)
        await client.get("/__sandbox__/stats")
    assert slept == [0.25, 0.25]  # the token request and the list, not the admin call


class TestRateLimit:
    def test_sliding_window_with_retry_after_in_whole_seconds(self) -> None:
        now = [1000.0]
        limiter = RateLimiter(3, window=60.0, clock=lambda: now[0])
        for step in (0.0, 5.0, 5.0):  # hits at 1000, 1005, 1010
            now[0] += step
            assert limiter.hit("t") is None
        now[0] = 1010.5
        assert limiter.hit("t") == 50  # the first hit frees its slot at 1060.0
        assert limiter.hit("other") is None
        now[0] = 1060.0
        assert limiter.hit("t") is None  # took the freed slot
        assert limiter.hit("t") == 5  # the next slot frees at 1065.0

    def test_zero_disables_it(self) -> None:
        limiter = RateLimiter(0)
        assert all(limiter.hit("t") is None for _ in range(1000))

    @pytest.mark.anyio
    async def test_a_virtual_clock_drives_the_window_too(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """A test's virtual time waited out Retry-After, but the window ran on the real clock: 429 for ever."""
        now = [5000.0]
        options = SandboxOptions(db_path=tmp_path / "s.db", rate_limit=1, rate_window=60.0, clock=lambda: now[0])
        async for client, headers in open_client(options):
            assert (await client.get(KIND.collection, headers=headers)).status_code == 200
            limited = await client.get(KIND.collection, headers=headers)
            assert limited.status_code == 429
            now[0] += int(limited.headers["Retry-After"])  # waited in virtual time
            assert (await client.get(KIND.collection, headers=headers)).status_code == 200

    @pytest.mark.anyio
    async def test_past_the_limit_429_with_retry_after_per_token(self, tmp_path) -> None:
        options = SandboxOptions(db_path=tmp_path / "s.db", rate_limit=3)
        async for client, headers in open_client(options):
            for _ in range(3):
                assert (await client.get(KIND.collection, headers=headers)).status_code == 200
            limited = await client.get(KIND.collection, headers=headers)
            assert_error(limited, 429, "too.many.requests.retry.after")  # the platform's code
            assert 1 <= int(limited.headers["Retry-After"]) <= 60
            # the token endpoint and the admin surface are not limited; a new token has its own budget
            other = (await client.post("/oauth/token", data=GRANT, auth=CREDENTIALS)).json()["access_token"]
            fresh = await client.get(KIND.collection, headers={"Authorization": f"Bearer {other}"})
            assert fresh.status_code == 200
            assert (await client.get("/__sandbox__/stats")).json()["rateLimited"] == 1

    @pytest.mark.slow
    @pytest.mark.timeout(60)
    def test_a_burst_meets_429s_and_a_patient_client_gets_every_answer(self, served_sandbox) -> None:
        """60 requests a window: 100 requests; waiting as Retry-After says gets all 100 answered.

        The window is three seconds rather than Genesys's minute (the sliding-window unit test
        above covers the minute), so the Retry-After waits take seconds, not a minute.
        """
        sandbox = served_sandbox(rate_limit=60, rate_window=3.0)
        answered, limited = 0, []
        with httpx.Client(base_url=sandbox.url, timeout=10) as client:
            token = client.post("/oauth/token", data=GRANT, auth=CREDENTIALS).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(100):
                for _attempt in range(5):
                    response = client.get(KIND.collection, headers=headers)
                    if response.status_code != 429:
                        break
                    limited.append(int(response.headers["Retry-After"]))
                    anyio.run(anyio.sleep, limited[-1])
                assert response.status_code == 200
                answered += 1
            stats = client.get("/__sandbox__/stats").json()
        assert answered == 100
        assert limited and all(1 <= s <= 3 for s in limited)
        assert stats["rateLimited"] == len(limited)
        assert stats["requests"][f"GET {KIND.collection}"] == 100 + len(limited)
