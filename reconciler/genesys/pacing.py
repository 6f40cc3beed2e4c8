"""Client-side pacing: a request-rate limiter and a concurrency bound shared by every call.

Genesys Cloud answers ``429`` past 300 requests a minute per token. Bouncing off that
limit wastes whole ``Retry-After`` periods, so a large apply instead spaces its own
requests: a GCRA limiter ("virtual scheduling") hands out send times ``60/rpm``
seconds apart, with a small burst allowance, so no 60-second window ever holds more
than ``rpm + burst`` requests whatever the server's own counting method is, and the
steady rate is the configured one. An optional cap on any 60-second window (``per_minute_cap``)
lets the burst be larger than the margin under the server's limit: a small command's dozen
listings and handful of writes go out at once, while a long run still never passes the cap
(issue 17: 286 a minute is 95 % of Genesys's 300, so only 14 requests of margin are left,
and a burst of 12 made the quick-start's apply wait 0.8 s for nothing).

Reservations are made synchronously (no ``await`` between reading and advancing the
schedule), so concurrent callers on one event loop need no lock and are served in the
order they asked.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable

import anyio

Clock = Callable[[], float]

#: seconds a capped request waits beyond the minute: the server counts arrivals, not bookings,
#: and a burst's first requests arrive late (connections opening, the loop busy) while a capped
#: one leaves on time; with no slack, 286 a minute met two 429s from a sliding-log limit of 300
CAP_SLACK = 1.0
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """At most ``requests_per_minute`` on average, at most ``burst`` back to back, and with
    ``per_minute_cap``, never more than that many in any 60 seconds."""

    def __init__(
        self,
        requests_per_minute: float,
        *,
        burst: int = 1,
        per_minute_cap: int | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        self.interval = 60.0 / requests_per_minute
        self.burst = max(1, int(burst))
        self._tolerance = (self.burst - 1) * self.interval
        self._clock = clock
        self._sleep = sleep
        self._tat = float("-inf")  # theoretical arrival time of the next request
        #: the send times of the last ``per_minute_cap`` requests booked (none kept without a cap)
        self._sent: deque[float] | None = None if per_minute_cap is None else deque(maxlen=max(1, per_minute_cap))

    def reserve(self) -> float:
        """Book the next send slot; returns how long the caller must wait for it (seconds)."""
        now = self._clock()
        tat = max(self._tat, now)
        send_at = max(now, tat - self._tolerance)
        self._tat = tat + self.interval
        sent = self._sent
        if sent is not None:
            # Booked in order: a request the cap pushed back is never overtaken by the next
            # one, so the oldest booking kept is the one that many back.
            if sent:
                send_at = max(send_at, sent[-1])
            if len(sent) == sent.maxlen:  # the request that many back must be a minute old, and then some
                send_at = max(send_at, sent[0] + 60.0 + CAP_SLACK)
            sent.append(send_at)
        return send_at - now

    async def acquire(self) -> float:
        """Wait for a send slot; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` (the server said ``Retry-After``); then pace again from zero burst."""
        resume = self._clock() + max(0.0, seconds)
        self._tat = max(self._tat, resume + self._tolerance)


class Pacer:
    """The rate limiter and the concurrency bound, taken in the order that keeps both true.

    The concurrency bound is taken first, for a whole exchange (:meth:`bound`, held by
    the session), and the rate slot second, for each request about to go out
    (:meth:`take_turn`; a re-send after a ``401`` takes its own). The other way round,
    requests queued behind the bound would leave together when it opens, a burst the
    limiter meant to prevent.
    """

    def __init__(self, limiter: RateLimiter, max_concurrency: int) -> None:
        self.limiter = limiter
        self._semaphore = anyio.Semaphore(max(1, max_concurrency), fast_acquire=True)

    def bound(self) -> anyio.Semaphore:
        """``async with pacer.bound():`` around one exchange."""
        return self._semaphore

    async def take_turn(self, on_wait: Callable[[float], None] | None = None) -> None:
        """Wait for this request's send slot; ``on_wait`` is told the seconds waited, if any."""
        waited = await self.limiter.acquire()
        if on_wait is not None and waited > 0:
            on_wait(waited)
