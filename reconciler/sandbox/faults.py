"""Realism and faults: latency, a per-token rate limit, failed and dropped writes.

Every random decision comes from one ``random.Random(seed)`` so that a run with
``--seed`` injects the same faults on the same sequence of writes. Faults apply to
collection writes only (POST/PUT/DELETE), the requests whose outcome a client must
handle carefully: a *failed* write answers 500, 502, 503 or 504 (as a real org's
gateway does) without committing; a *dropped*
write commits and then loses its response (the connection closes), which is exactly
why a client must look a name up before retrying a create.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import Enum


class Fault(Enum):
    """What to do to one write."""

    NONE = "none"
    FAIL_500 = "fail_500"
    FAIL_502 = "fail_502"
    FAIL_503 = "fail_503"
    FAIL_504 = "fail_504"
    DROP = "drop"


#: the failed answers, equally likely (the status draw picks one)
_FAILURES = (Fault.FAIL_503, Fault.FAIL_504, Fault.FAIL_500, Fault.FAIL_502)


class FaultInjector:
    """Decides, per write, whether it fails, is dropped, or goes through."""

    def __init__(self, fail_rate: float, drop_rate: float, seed: int | None) -> None:
        self.fail_rate = fail_rate
        self.drop_rate = drop_rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def decide(self) -> Fault:
        if not (self.fail_rate or self.drop_rate):
            return Fault.NONE
        with self._lock:
            # Always draw the same number of values so the sequence stays reproducible.
            fail, status, drop = self._rng.random(), self._rng.random(), self._rng.random()
        if fail < self.fail_rate:
            return _FAILURES[min(int(status * len(_FAILURES)), len(_FAILURES) - 1)]
        if drop < self.drop_rate:
            return Fault.DROP
        return Fault.NONE


class RateLimiter:
    """At most ``limit`` requests per ``window`` seconds per key (a sliding log).

    A refused request is not counted. :meth:`hit` returns ``None`` when the request may
    go ahead, else the whole seconds to wait until a slot frees (``Retry-After``).
    """

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        if self.limit <= 0:
            return None
        now = self._clock()
        with self._lock:
            log = self._hits.setdefault(key, deque())
            while log and log[0] <= now - self.window:
                log.popleft()
            if len(log) >= self.limit:
                return max(1, math.ceil(log[0] + self.window - now))
            log.append(now)
            return None

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()
