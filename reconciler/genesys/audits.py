"""The platform's audit query service: who changed what, and when (SDK ``AuditApi``).

A query is asynchronous: ``POST /api/v2/audits/query`` (an ``AuditQueryRequest``:
``interval``, ``serviceName``, ``filters``, ``sort``) answers a transaction id; the query
is polled (``GET .../{transactionId}``) until its state is ``Succeeded``, ``Failed`` or
``Cancelled``, then its results are read page by page (``GET .../{transactionId}/results``,
``cursor`` to go on). Everything here is bounded, so a busy org cannot hold a drift run:
the poll stops once it has waited ``timeout`` seconds (with the session's sleep, virtual in tests) and
the reading after ``max_pages`` pages, or at the first page whose paging a listing's would be
refused for (:class:`~.paging.PageGuard`: a cursor given before, a page of messages already read);
:class:`AuditAnswer` says whether it got everything.

Errors are the client's usual ones: a ``403`` (no ``audits:audit:view`` permission) or a ``404`` (a
target without the service) reach the caller, who decides what they mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, wait_exponential

from reconciler.core.errors import ServerError
from reconciler.core.urls import path_segment
from reconciler.genesys.answers import describe, identity_problem, invalid, json_object
from reconciler.genesys.listing import unique
from reconciler.genesys.paging import PageGuard
from reconciler.genesys.session import Session

QUERY = "/api/v2/audits/query"
#: states after which a query changes no more (SDK ``AuditQueryExecutionStatusResponse.state``)
FINISHED = ("Succeeded", "Failed", "Cancelled")
POLL_INITIAL = 0.25
POLL_MAX = 4.0
QUERY_TIMEOUT = 60.0
PAGE_SIZE = 500
MAX_PAGES = 20
#: the longest window an audit query is asked about. No source states a limit on the interval:
#: the SDK's ``AuditQueryRequest.interval`` says only "Date and time range of data to query" and
#: ``AuditApi.post_audits_query`` nothing of its length; Genesys' "Retention period for analytics data
#: and recording" (help.mypurecloud.com/?p=278459) promises audit trail data "at a minimum, for data
#: that is less than one year old". So one year back is the most a query can count on; a longer one
#: (``--since 100000d``: from 1753) asks about a past no org's audit service keeps.
MAX_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class AuditAnswer:
    """The messages a query returned (``AuditLogMessage`` objects, newest first) and how it ended."""

    service: str
    state: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    #: every page was read (false: the page cap was reached, the server's paging was refused,
    #: or the query did not succeed in time)
    complete: bool = True
    #: why the reading stopped before the last page when the server's paging was at fault (the
    #: refusal, as :class:`~reconciler.core.errors.ServerError` words it); None otherwise
    refused: str | None = None


def interval(start: datetime, end: datetime) -> str:
    """An ISO 8601 interval in UTC, as the API takes it (``2024-05-01T00:00:00.000Z/2024-05-08T...``)."""

    def instant(when: datetime) -> str:
        return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return f"{instant(start)}/{instant(end)}"


async def query_audits(
    session: Session,
    service: str,
    start: datetime,
    end: datetime,
    *,
    filters: Sequence[tuple[str, str]] = (),
    max_pages: int = MAX_PAGES,
    timeout: float = QUERY_TIMEOUT,
) -> AuditAnswer:
    """The audit messages of ``service`` between ``start`` and ``end`` matching every ``(property, value)`` filter."""
    body = {
        "interval": interval(start, end),
        "serviceName": service,
        "filters": [{"property": name, "value": value} for name, value in filters],
        "sort": [{"name": "Timestamp", "sortOrder": "descending"}],
    }
    # Starting a query writes nothing: a retry after a lost answer only starts another one.
    response, _ = await session.call("POST", QUERY, QUERY, json=body)
    status = json_object(response, "POST", QUERY)
    query_id = status.get("id")
    if query_id is not None and query_id != "":
        # the server's id becomes the paths polled and read: a number, "..", "a?b" must not (as jobs.py)
        problem = identity_problem(status, named=False)
        if problem is not None:
            raise invalid(response, "POST", QUERY, "the audit query" + problem)
    state = await _poll(session, path_segment(query_id), status, timeout) if query_id else "Failed"
    if state != "Succeeded":
        return AuditAnswer(service, state, complete=False)
    pages, complete, refused = await _results(session, path_segment(query_id), max_pages)
    return AuditAnswer(service, state, unique(pages), complete=complete, refused=refused)


async def _results(
    session: Session, query_id: str, max_pages: int
) -> tuple[list[dict[str, Any]], bool, str | None]:
    """A finished query's result pages (their messages), whether they were all read, and what was refused.

    Why checked as a listing is: a server giving a cursor it gave before, or a fresh cursor
    over the messages already read, would be read again up to ``max_pages``, and every message
    read again would count as another write of its object. Such paging ends the reading, but
    the answer stands, incomplete, as at the page cap: the pages before it hold the newest
    messages, which the caller can still use (drift attributes what they name and warns that
    older changes are not). An object is listed once (:func:`~.listing.unique`), as in a listing.
    """
    path = f"{QUERY}/{query_id}/results"
    guard = PageGuard(session.limits, path, PAGE_SIZE)
    params = {"pageSize": str(PAGE_SIZE)}
    pages: list[dict[str, Any]] = []
    for number in range(1, max_pages + 1):
        answer, _ = await session.call("GET", path, QUERY + "/{transactionId}/results", params=params)
        page = json_object(answer, "GET", path)
        cursor = page.get("cursor")
        following = {"pageSize": str(PAGE_SIZE), "cursor": str(cursor)}
        try:
            _shape(guard, answer, page)
            guard.arrived(answer, page, page=number, asked=None)  # a page of messages already read
            guard.check(answer, page)
            pages.append({"entities": [m for m in page.get("entities") or [] if isinstance(m, dict)]})
            if not cursor:
                return pages, True, None
            guard.cursor(answer, following)  # a cursor given before
        except ServerError as refusal:
            return pages, False, str(refusal)
        params = following
    return pages, False, None


def _shape(guard: PageGuard, answer: httpx.Response, page: dict[str, Any]) -> None:
    """Refuse a results page whose ``entities`` is no array or whose ``cursor`` is no string (SDK
    ``AuditQueryExecutionResultsResponse``: ``entities`` a list of ``AuditLogMessage``, ``cursor`` a str).

    Why: read as they were, a page of ``"entities": {…}`` counted as empty and ``"cursor": 7`` was
    followed as ``"7"``: the reading ended "complete" with messages missing, or went on with a
    cursor the server never gave.
    """
    entities, cursor = page.get("entities"), page.get("cursor")
    if entities is not None and not isinstance(entities, list):
        raise guard.error(answer, f"the audit results' entities is {describe(entities)}, not an array")
    if cursor is not None and not isinstance(cursor, str):
        raise guard.error(answer, f"the audit results' cursor is {describe(cursor)}, not a string")


async def _poll(session: Session, query_id: str, status: dict[str, Any], timeout: float) -> str:
    """The query's state once it finished, or as last read when ``timeout`` ran out (as :mod:`.jobs` polls)."""
    if status.get("state") in FINISHED:
        return str(status["state"])
    path = f"{QUERY}/{query_id}"

    async def read() -> dict[str, Any]:
        answer, _ = await session.call("GET", path, QUERY + "/{transactionId}")
        return json_object(answer, "GET", path)

    def last(retry_state: RetryCallState) -> dict[str, Any]:
        assert retry_state.outcome is not None
        return dict(retry_state.outcome.result())

    polling = AsyncRetrying(
        retry=retry_if_result(lambda s: s.get("state") not in FINISHED),
        wait=wait_exponential(multiplier=POLL_INITIAL, min=POLL_INITIAL, max=POLL_MAX),
        stop=lambda retry_state: retry_state.idle_for >= timeout,  # time waited, so virtual in tests
        sleep=session.sleep,
        retry_error_callback=last,
    )
    final: dict[str, Any] = await polling(read)
    return str(final.get("state") or "Running")
