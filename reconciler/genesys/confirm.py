"""Reading until a lagging server shows what a lost write did, within a bounded time.

After a write whose answer was lost, a real org's listings and reads may not show it
yet (eventual consistency). Taking "not there" at once for "never happened" re-sends a
create (a trigger that fires twice) or reports an update that landed as stale. So the
read is repeated, ``ClientLimits.confirm_reads`` times at most, waiting
``confirm_wait`` seconds and doubling: 1 + 2 + 4 + 8 + 16 = 31 s of waits by default,
where CX as Code's consistency checker allows 5 minutes. The session's sleep is used, so
tests run this on virtual time. The bound runs from the write: a look for what an earlier
run wrote seconds or minutes ago spends only what is left of it (``waited``,
:func:`reads_within`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt, wait_exponential

from reconciler.core.errors import NotFoundError
from reconciler.genesys.limits import ClientLimits
from reconciler.genesys.listing import read_one
from reconciler.genesys.lookup import find_by_name
from reconciler.genesys.session import Session
from reconciler.kinds import Kind

T = TypeVar("T")


def reads_within(limits: ClientLimits, waited: float) -> int:
    """How many reads of the bound are left when ``waited`` seconds of it passed since the write (at least one).

    Why: a killed run's create is looked for by the next apply (:mod:`reconciler.apply.earlier`). Its
    write was sent when its intent was recorded; a listing that lags it shows it within the bound
    from then, not from now. Waiting the whole bound again made every re-run within 5 minutes of a
    stopped create wait 31 s, even a minute later when the listing had long caught up.
    """
    waits = [limits.confirm_wait * 2**i for i in range(limits.confirm_reads - 1)]  # wait_exponential's, in order
    left, reads, spent = sum(waits) - max(waited, 0.0), 1, 0.0
    for wait in waits:
        spent += wait
        if spent > left:
            break
        reads += 1
    return reads


async def read_until(session: Session, probe: Callable[[], Awaitable[T]], settled: Callable[[T], bool], *,
                     waited: float = 0.0) -> T:
    """``probe()`` again until ``settled`` holds or the reads are spent (what :func:`reads_within` leaves of the
    bound after ``waited`` seconds since the write); the last answer either way."""
    limits = session.limits

    def last_answer(state: RetryCallState) -> T:
        assert state.outcome is not None  # tenacity calls this only after an attempt
        result: T = state.outcome.result()
        return result

    retrying = AsyncRetrying(
        retry=retry_if_result(lambda value: not settled(value)),
        stop=stop_after_attempt(reads_within(limits, waited)),
        wait=wait_exponential(multiplier=limits.confirm_wait),
        sleep=session.sleep,
        retry_error_callback=last_answer,
    )
    answer: T = await retrying(probe)
    return answer


async def read_shown(session: Session, kind: Kind, object_id: str, *, waited: float = 0.0) -> dict[str, Any]:
    """One object by id, read again while a lagging read answers ``404`` (:func:`read_until`'s bound);
    :class:`~reconciler.core.errors.NotFoundError` if it never shows.

    Why: right after a create, a real org may not show the object even by its id. The read that
    follows a create's sub-resource, the read-back after a lost write and apply's check for an
    object an earlier run created all need it; taking that ``404`` at once reported landed creates
    as failed, and an apply within the lag made them again.
    """

    async def look() -> dict[str, Any] | NotFoundError:
        try:
            return await read_one(session, kind, object_id)
        except NotFoundError as error:
            return error

    found = await read_until(session, look, lambda answer: not isinstance(answer, NotFoundError), waited=waited)
    if isinstance(found, NotFoundError):
        raise found
    return found


async def find_shown(
    session: Session, kind: Kind, name: str, *, waited: float = 0.0
) -> tuple[dict[str, Any] | None, httpx.Response | None]:
    """The object of ``kind`` called ``name``, looked for again while a lagging listing does not show it
    (:func:`read_until`'s bound), with the answer it came from; ``(None, …)`` if it never shows.

    Why: a lost create's answer (:mod:`.writes`) and a killed run's create with no answer recorded
    (:mod:`reconciler.apply.earlier`) may both have landed where the listing does not show it yet.
    """

    async def look() -> tuple[dict[str, Any] | None, httpx.Response | None]:
        return await find_by_name(session, kind, name)

    return await read_until(session, look, lambda answer: answer[0] is not None, waited=waited)


__all__ = ["find_shown", "read_shown", "read_until", "reads_within"]
