"""The default pacing: never past Genesys Cloud's 300 a minute, yet at least 95 % of it (issue 17).

On a fake time line (no waiting): the send times the limiter hands out for a long run.
"""

from __future__ import annotations

from reconciler.genesys import ClientLimits

from ._support import FakeSleep
from .test_pacing import max_in_window, send_times

PLATFORM_LIMIT = 300  # requests a minute per token (Genesys Cloud's documented rate limit)


def test_default_pacing_stays_under_the_limit_and_reaches_95_percent_of_it() -> None:
    limits = ClientLimits()
    clock = FakeSleep()
    limiter = limits.rate_limiter(clock=clock.clock, sleep=clock)  # the session's own, as it builds it
    times = send_times(limiter, clock, 3000)  # ten minutes' worth, all asked for at once
    assert max_in_window(times) < PLATFORM_LIMIT
    assert times[limits.rate_burst - 1] == times[0]  # a small command's requests go out at once
    per_minute = (len(times) - limits.rate_burst) / ((times[-1] - times[0]) / 60)  # the steady rate
    assert per_minute >= 0.95 * PLATFORM_LIMIT

