"""The retry policy, as tenacity objects: what is retried, how long to wait, when to stop.

* ``429``: wait what ``Retry-After`` says, plus a little jitter so that callers held
  together do not return together, capped at ``max_retry_after``. The platform's own
  answer to "when" beats any guess, so this part of the wait is ours.
* ``5xx``, ``408``, timeouts, dropped or refused connections: tenacity's exponential backoff
  (``initial * 2**(n-1)``) plus up to ``initial`` of random jitter, capped at ``backoff_max``.
* Every other ``4xx`` is permanent: never retried.

Retrying a *write* safely (a create whose answer was lost) is :mod:`.writes`' business:
it runs its own checks inside each attempt; this module only decides *whether* and
*when*.

A fresh :class:`tenacity.AsyncRetrying` is built per call: tenacity keeps an attempt's
state on the object (per thread, not per task), so concurrent calls must not share one.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import anyio
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential, wait_random

from reconciler.core.errors import ApiError, RateLimitedError, RetryableError, TransportError
from reconciler.genesys.limits import ClientLimits
from reconciler.genesys.pacing import Sleep
from reconciler.genesys.stats import ClientStats

#: the jitter's random numbers, for every client of the process (nothing needs them reproducible)
_JITTER = random.Random()


def is_retryable(exc: BaseException) -> bool:
    """Retryable errors, except those some inner loop (the token fetch) has already retried."""
    return isinstance(exc, RetryableError) and not exc.retries_exhausted


class RetryAfterOrBackoff(wait_base):
    """tenacity wait: ``Retry-After`` (+ jitter, capped) for a 429 that names one; tenacity's backoff otherwise."""

    def __init__(self, limits: ClientLimits, rng: random.Random | None = None) -> None:
        self.limits = limits
        # shared unless a test injects one: seeding a new Random reads the OS's entropy, ~0.3 ms,
        # and a retry loop is built for every call although few calls ever wait
        self.rng = rng or _JITTER
        # The cap applies to backoff and jitter together, so a capped wait is exactly backoff_max.
        self._backoff = wait_exponential(multiplier=limits.backoff_initial, max=limits.backoff_max) + wait_random(
            0.0, limits.backoff_initial
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            return self.retry_after_wait(exc.retry_after)
        return min(self._backoff(retry_state), self.limits.backoff_max)

    def retry_after_wait(self, retry_after: float) -> float:
        jitter = self.rng.uniform(0.0, min(1.0, max(0.1, 0.1 * retry_after)))
        return min(retry_after + jitter, self.limits.max_retry_after)


def wait_reason(exc: BaseException | None) -> str:
    """How a wait is labelled in the stats: ``retry-after`` or ``backoff``."""
    return "retry-after" if isinstance(exc, RateLimitedError) and exc.retry_after is not None else "backoff"


def retry_reason(exc: BaseException | None) -> str:
    """How a retry is labelled in the stats: the error code (``too.many.requests``, ``timeout``...)."""
    return exc.code if isinstance(exc, ApiError) else type(exc).__name__


#: a wait for a ``429`` at least this long is told (see :class:`UnansweredNotice`)
LONG_WAIT = 10.0


class UnansweredNotice:
    """Says once per client, through ``say`` (the CLI: a line on stderr), that calls go unanswered and are retried.

    Why: against an unreachable API the attempts and their backoff take some 20 seconds before
    the final error; without a word (and without ``-v``) that looks like a hang. Only the first
    unanswered attempt is told: later ones would be noise, and the final error says the rest.
    So is the first long wait a ``429`` imposes (``Retry-After``, up to ``max_retry_after`` a
    time): a login or an API rate-limited for minutes was as silent as a hang.
    """

    def __init__(self, say: Callable[[str], None] | None = None) -> None:
        self._say = say
        self._said = False
        self._said_limited = False

    def __call__(
        self, url: str, exc: BaseException | None, next_attempt: int, attempts: int, wait: float = 0.0
    ) -> None:
        if self._say is None:
            return
        if isinstance(exc, RateLimitedError) and wait >= LONG_WAIT and not self._said_limited:
            self._said_limited = True
            self._say(f"rate limited by {url} (HTTP 429): waiting {wait:.0f} s before attempt {next_attempt} of "
                      f"{attempts}…")
        if self._said or not isinstance(exc, TransportError):
            return
        self._said = True
        retrying = f"retrying (attempt {next_attempt} of {attempts})…"
        if exc.code in ("connection.refused", "connect.timeout"):
            self._say(f"could not connect to {url}: {retrying}")
        else:
            self._say(f"no answer from {url} ({exc.api_message}): {retrying}")


def api_retrying(
    limits: ClientLimits,
    *,
    stats: ClientStats,
    sleep: Sleep = anyio.sleep,
    rng: random.Random | None = None,
    max_attempts: int | None = None,
    notice: Callable[[BaseException | None, int, int, float], None] | None = None,
) -> AsyncRetrying:
    """A new retrying loop for one logical call (reraises the last error, never ``RetryError``).

    ``notice(error, next attempt, attempts, wait)`` is told before each wait (see :class:`UnansweredNotice`).
    """
    attempts = max_attempts or limits.max_attempts

    def before_sleep(retry_state: RetryCallState) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        stats.record_retry(retry_reason(exc))
        seconds = retry_state.next_action.sleep if retry_state.next_action else 0.0
        stats.record_wait(wait_reason(exc), seconds)
        if notice is not None:
            notice(exc, retry_state.attempt_number + 1, attempts, seconds)

    return AsyncRetrying(
        retry=retry_if_exception(is_retryable),
        stop=stop_after_attempt(attempts),
        wait=RetryAfterOrBackoff(limits, rng),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
