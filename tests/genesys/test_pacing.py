"""Pacing: one rate limiter and one concurrency bound shared by every call, on a fake time line."""

from __future__ import annotations

import anyio
import httpx
import pytest
import respx

from reconciler.core.errors import ConfigError
from reconciler.genesys import ClientLimits, GenesysClient, Target
from reconciler.genesys.pacing import RateLimiter

from ._support import VOICE, FakeSleep, read_by_id

pytestmark = pytest.mark.anyio


def send_times(limiter: RateLimiter, clock: FakeSleep, n: int) -> list[float]:
    """When n back-to-back requests may go out, all asked for at once."""
    return [clock.now + limiter.reserve() for _ in range(n)]


def max_in_window(times: list[float], window: float = 60.0) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


class TestRateLimiter:
    def test_spaces_requests_at_the_configured_rate(self) -> None:
        clock = FakeSleep()
        limiter = RateLimiter(60, burst=1, clock=clock.clock)
        times = send_times(limiter, clock, 5)
        assert [round(t - clock.now, 6) for t in times] == [0.0, 1.0, 2.0, 3.0, 4.0]

    def test_burst_goes_out_at_once_then_spacing(self) -> None:
        clock = FakeSleep()
        limiter = RateLimiter(60, burst=3, clock=clock.clock)
        offsets = [round(t - clock.now, 6) for t in send_times(limiter, clock, 5)]
        assert offsets == [0.0, 0.0, 0.0, 1.0, 2.0]

    @pytest.mark.parametrize("rpm,burst", [(280, 4), (110, 4), (300, 1)])
    def test_no_minute_holds_more_than_rate_plus_burst(self, rpm: int, burst: int) -> None:
        clock = FakeSleep()
        limiter = RateLimiter(rpm, burst=burst, clock=clock.clock)
        times = send_times(limiter, clock, 3 * rpm)
        assert max_in_window(times) <= rpm + burst

    def test_steady_rate_is_the_configured_one(self) -> None:
        clock = FakeSleep()
        limiter = RateLimiter(280, burst=4, clock=clock.clock)
        times = send_times(limiter, clock, 2800)
        per_minute = len(times) / ((times[-1] - times[0]) / 60)
        assert 0.95 * 280 <= per_minute <= 1.01 * 280

    @pytest.mark.parametrize("rpm,burst,cap", [(286, 16, 298), (60, 10, 62), (120, 40, 130)])
    def test_a_cap_bounds_every_minute_below_rate_plus_burst(self, rpm: int, burst: int, cap: int) -> None:
        clock = FakeSleep()
        limiter = RateLimiter(rpm, burst=burst, per_minute_cap=cap, clock=clock.clock)
        times = send_times(limiter, clock, 6 * rpm)
        assert max_in_window(times) <= cap < rpm + burst
        assert times[burst - 1] == times[0]  # the burst still goes out at once
        steady = (len(times) - cap) / ((times[-1] - times[cap - 1]) / 60)
        assert steady >= 0.99 * rpm  # and the long run keeps the configured rate

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_a_cap_holds_when_requests_come_at_irregular_times(self, seed: int) -> None:
        """Requests asked for now and then (idle gaps refill the burst): bookings stay in order, every minute capped."""
        import random

        rng = random.Random(seed)
        clock = FakeSleep()
        limiter = RateLimiter(286, burst=16, per_minute_cap=298, clock=clock.clock)
        times: list[float] = []
        for _ in range(3000):
            clock.now += rng.choice([0.0, 0.0, 0.01, 0.2, 3.0, 20.0])
            times.append(clock.now + limiter.reserve())
        assert times == sorted(times)
        assert max_in_window(times) <= 298

    def test_without_a_cap_rate_plus_burst_can_fill_a_minute(self) -> None:
        """What the cap is for: 286 a minute with a burst of 16 alone lets a minute hold 302."""
        clock = FakeSleep()
        limiter = RateLimiter(286, burst=16, clock=clock.clock)
        assert max_in_window(send_times(limiter, clock, 1000)) > 300

    def test_idle_time_does_not_bank_more_than_the_burst(self) -> None:
        clock = FakeSleep()
        limiter = RateLimiter(60, burst=2, clock=clock.clock)
        send_times(limiter, clock, 3)
        clock.now += 3600
        offsets = [round(t - clock.now, 6) for t in send_times(limiter, clock, 4)]
        assert offsets == [0.0, 0.0, 1.0, 2.0]

    def test_hold_pauses_everyone(self) -> None:
        clock = FakeSleep()
        limiter = RateLimiter(600, burst=4, clock=clock.clock)
        limiter.hold(5.0)
        offsets = [round(t - clock.now, 6) for t in send_times(limiter, clock, 3)]
        assert offsets == [5.0, 5.1, 5.2]  # after a hold, no burst: paced from the first

    async def test_acquire_sleeps_the_reserved_wait(self) -> None:
        clock = FakeSleep()
        limiter = RateLimiter(120, burst=1, clock=clock.clock, sleep=clock)
        for _ in range(3):
            await limiter.acquire()
        assert clock.positive == [0.5, 0.5]


class TestClientPacing:
    async def test_concurrent_calls_never_exceed_the_bound(self, target: Target, router: respx.MockRouter,
                                                           token_route: respx.Route) -> None:
        in_flight = [0]
        peak = [0]

        async def answer(request: httpx.Request) -> httpx.Response:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            await anyio.sleep(0.001)
            in_flight[0] -= 1
            return read_by_id(request)

        router.get(url__regex=r"/api/v2/voice/profiles/.+").mock(side_effect=answer)
        limits = ClientLimits(requests_per_minute=600_000, rate_burst=1000, max_concurrency=3)
        async with GenesysClient(target, limits=limits) as client:
            async with anyio.create_task_group() as tg:
                for i in range(30):
                    tg.start_soon(client.get, VOICE, f"id-{i}")
        assert peak[0] == 3

    async def test_requests_are_spaced_by_the_shared_limiter(self, target: Target, router: respx.MockRouter,
                                                             token_route: respx.Route, fake_sleep: FakeSleep) -> None:
        router.get(url__regex=r"/api/v2/voice/profiles/.+").mock(side_effect=read_by_id)
        limits = ClientLimits(requests_per_minute=60, rate_burst=1, max_concurrency=8)
        async with GenesysClient(target, limits=limits, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            async with anyio.create_task_group() as tg:
                for i in range(10):
                    tg.start_soon(client.get, VOICE, f"id-{i}")
        # 10 calls at one a second: the first goes at once, then nine one-second waits (fake time line)
        assert fake_sleep.positive == [pytest.approx(1.0)] * 9
        assert client.stats.wait_counts["pacing"] == 9
        assert fake_sleep.now - 1000.0 == pytest.approx(9.0, abs=0.01)


class TestLimits:
    @pytest.mark.parametrize(
        "kwargs", [{"requests_per_minute": 0}, {"max_concurrency": 0}, {"page_size": 101}, {"max_attempts": 0}]
    )
    def test_invalid_limits_are_a_config_error(self, kwargs: dict[str, float]) -> None:
        with pytest.raises(ConfigError, match="invalid client limits"):
            ClientLimits(**kwargs)  # type: ignore[arg-type]
