"""The retry policy, as tenacity objects: what is retried, how long to wait, when to stop.

* ``429``: wait what ``Retry-After`` says, plus a little jitter so that callers held
  together do not return together, capped at ``max_retry_after``.
* ``5xx``, timeouts, dropped or refused connections: exponential backoff with jitter.
* Every other ``4xx`` is permanent: never retried.

Retrying a *write* safely (a create whose answer was lost) is the client's business:
it runs its own checks inside each attempt; this module only decides *whether* and
*when*.

A fresh :class:`tenacity.AsyncRetrying` is built per call: tenacity keeps an attempt's
state on the object (per thread, not per task), so concurrent calls must not share one.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import anyio
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from reconciler.core.errors import ApiError, RateLimitedError, RetryableError
from reconciler.genesys.limits import ClientLimits
from reconciler.genesys.stats import ClientStats

Sleep = Callable[[float], Awaitable[None]]


def is_retryable(exc: BaseException) -> bool:
    """Retryable errors, except those some inner loop (the token fetch) has already retried."""
    return isinstance(exc, RetryableError) and not exc.retries_exhausted


class ApiWait:
    """tenacity wait strategy: ``Retry-After`` (+ jitter, capped) for 429, backoff otherwise."""

    def __init__(self, limits: ClientLimits, rng: random.Random | None = None) -> None:
        self.limits = limits
        self.rng = rng or random.Random()

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            return self.retry_after_wait(exc.retry_after)
        return self.backoff_wait(retry_state.attempt_number)

    def backoff_wait(self, attempt_number: int) -> float:
        """``initial * 2**(n-1)`` plus up to ``initial`` of jitter, capped at ``backoff_max``."""
        initial = self.limits.backoff_initial
        exponent = min(max(0, attempt_number - 1), 32)
        return min(initial * 2**exponent + self.rng.uniform(0.0, initial), self.limits.backoff_max)

    def retry_after_wait(self, retry_after: float) -> float:
        jitter = self.rng.uniform(0.0, min(1.0, max(0.1, 0.1 * retry_after)))
        return min(retry_after + jitter, self.limits.max_retry_after)


def wait_reason(exc: BaseException | None) -> str:
    """How a wait is labelled in the stats: ``retry-after`` or ``backoff``."""
    return "retry-after" if isinstance(exc, RateLimitedError) and exc.retry_after is not None else "backoff"


def retry_reason(exc: BaseException | None) -> str:
    """How a retry is labelled in the stats: the error code (``too.many.requests``, ``timeout``...)."""
    return exc.code if isinstance(exc, ApiError) else type(exc).__name__


def api_retrying(
    limits: ClientLimits,
    *,
    stats: ClientStats,
    sleep: Sleep = anyio.sleep,
    rng: random.Random | None = None,
    max_attempts: int | None = None,
) -> AsyncRetrying:
    """A new retrying loop for one logical call (reraises the last error, never ``RetryError``)."""

    def before_sleep(retry_state: RetryCallState) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        stats.record_retry(retry_reason(exc))
        seconds = retry_state.next_action.sleep if retry_state.next_action else 0.0
        stats.record_wait(wait_reason(exc), seconds)

    return AsyncRetrying(
        retry=retry_if_exception(is_retryable),
        stop=stop_after_attempt(max_attempts or limits.max_attempts),
        wait=ApiWait(limits, rng),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
