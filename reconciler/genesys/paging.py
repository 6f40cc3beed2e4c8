"""What a listing's paging may claim, checked page by page so that no server can page us for ever.

A listing ends when the server says so (no ``nextUri``, an empty page): a server that
never says so, by mistake or on purpose, would be read until the process dies. The guard
here turns each way of never ending into an error naming the endpoint:

* a ``pageCount`` or ``total`` that is not a non-negative whole number, or a ``pageCount``
  above what ``total`` allows at the page size (``pageCount: 1000000000`` for 5 objects);
* more pages than :attr:`~reconciler.genesys.limits.ClientLimits.max_pages` in all;
* more than :attr:`~reconciler.genesys.limits.ClientLimits.max_extra_pages` pages past the
  first page's ``pageCount`` (a collection may grow while it is read, as the platform
  SDK's paging allows for, but not page after page: that is a ``pageCount`` that keeps growing);
* a ``nextUri`` (or cursor) seen before: the listing points back at itself;
* a ``nextUri`` on a page that its own ``pageCount`` says is the last;
* a page whose ``pageNumber`` is not the one asked for (``pageNumber: 1`` on every page,
  while ``pageCount`` promises thousands);
* a page that brings nothing new: every object on it was on an earlier page (the same
  page again under a fresh cursor or a fresh page number).

The last two are checked as each page arrives (:meth:`PageGuard.arrived`), so that a
page that repeats itself ends the listing at once, not after the thousands of pages
read concurrently behind it. Both hold for every honest listing: the platform's
page-numbered listings echo the ``pageNumber`` asked for (``pageNumber`` of the SDK's
``*EntityListing`` models, the sandbox's envelopes), its cursor listings (``nextPage``,
``after``) have no ``pageNumber`` and are checked for repeats only; an object may slide
across a page boundary while a collection is read, but a whole page of them only if as
many objects were added meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from reconciler.core.errors import ServerError
from reconciler.genesys.answers import describe, invalid
from reconciler.genesys.limits import ClientLimits


class PageGuard:
    """One listing's paging, checked; ``check(page)`` each envelope as it arrives."""

    def __init__(self, limits: ClientLimits, path: str, page_size: int) -> None:
        self.limits = limits
        self.path = path
        self.page_size = page_size
        self.pages = 0
        self.planned: int | None = None
        self._seen: set[str] = set()
        #: the ids of every object on the pages arrived so far
        self._ids: set[str] = set()

    def error(self, response: httpx.Response, message: str) -> ServerError:
        return invalid(response, "GET", self.path, message)

    def arrived(self, response: httpx.Response, body: dict[str, Any], *, page: int, asked: int | None) -> None:
        """One page as it arrives (pages read concurrently arrive in any order), before anything keeps it.

        ``page`` is its place in the listing (for the message); ``asked`` the ``pageNumber``
        the request asked for (None for a cursor listing: its pages carry none). Refused: a
        page that says it is another page, and a page whose objects were all on earlier pages.
        """
        if asked is not None:
            number = whole(response, body, "pageNumber", self)
            if number is not None and number != asked:
                raise self.error(response, f"page {asked} was asked for, the answer is page {number}")
        entities = body.get("entities")
        if not entities or not isinstance(entities, list):
            return
        ids = self._ids
        fresh = False
        for entity in entities:
            object_id = entity.get("id") if isinstance(entity, dict) else None
            if not isinstance(object_id, str):
                return  # objects without an id (some reference listings): nothing to compare
            if object_id not in ids:
                fresh = True
        if not fresh:
            listed = "its one object was" if len(entities) == 1 else f"all {len(entities)} of its objects were"
            listed += " listed before"
            raise self.error(response, f"page {page} repeats a page already read: {listed}")
        ids.update(entity["id"] for entity in entities)

    def first(self, response: httpx.Response, body: dict[str, Any]) -> int:
        """The pages the first envelope announces (1 without ``pageCount``), checked against ``total``, the ceiling."""
        self.check(response, body)
        count = whole(response, body, "pageCount", self)
        total = whole(response, body, "total", self)
        size = body.get("pageSize")
        size = size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else self.page_size
        if count is not None and total is not None and count > -(-total // size) + 1:
            raise self.error(response, f"pageCount {count} is more than total {total} allows at pageSize {size}")
        if count is not None and count > self.limits.max_pages:
            raise self.error(response, self.ceiling(f"pageCount {count}"))
        self.planned = max(count or 1, 1)
        return self.planned

    def check(self, response: httpx.Response, body: dict[str, Any]) -> None:
        """Count one page; refuse a page past the ceiling, a repeated ``nextUri`` or one past the page's own count."""
        self.pages += 1
        if self.pages > self.limits.max_pages:
            raise self.error(response, self.ceiling(f"page {self.pages}"))
        next_uri = body.get("nextUri")
        if next_uri is None or next_uri == "":
            return
        if not isinstance(next_uri, str):
            raise self.error(response, f"the listing's nextUri is {describe(next_uri)}, not a string")
        if next_uri in self._seen or next_uri == body.get("selfUri"):
            raise self.error(response, f"the listing's nextUri repeats a page already read: {shorten(next_uri)}")
        self._seen.add(next_uri)
        number, count = body.get("pageNumber"), whole(response, body, "pageCount", self)
        if isinstance(number, int) and count is not None and number >= count:
            raise self.error(response, f"page {number} has a nextUri though its pageCount is {count}")

    def extra(self, response: httpx.Response) -> None:
        """One more page past the first page's ``pageCount`` is about to be read: refuse endless growth."""
        self.before_next(response)
        beyond = self.pages - (self.planned or 1)
        if beyond >= self.limits.max_extra_pages:
            raise self.error(
                response,
                f"the listing kept growing: {beyond} pages past the pageCount of {self.planned} "
                f"(ClientLimits.max_extra_pages is {self.limits.max_extra_pages})",
            )

    def cursor(self, response: httpx.Response, params: dict[str, str]) -> None:
        """A cursor query seen before would read the same pages again, for ever."""
        self.before_next(response)
        key = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        if key in self._seen:
            raise self.error(response, f"the listing's cursor repeats a page already read: {shorten(key)}")
        self._seen.add(key)

    def before_next(self, response: httpx.Response) -> None:
        """Refuse to ask for a page past the ceiling (rather than ask, then refuse the answer)."""
        if self.pages >= self.limits.max_pages:
            raise self.error(response, self.ceiling(f"page {self.pages + 1}"))

    def ceiling(self, what: str) -> str:
        return f"{what} is past the ceiling of {self.limits.max_pages} pages (ClientLimits.max_pages)"


def next_query(
    next_uri: str, path: str, response: httpx.Response, kept: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The query of the page after a cursor's ``nextUri``: ``kept`` (the listing's own parameters) and the
    ``nextUri``'s query over them; refused unless the ``nextUri`` points at the listing at ``path``.

    The query is all that is taken: the next request goes to ``path`` on the API's own host,
    so a ``nextUri`` naming another host or collection cannot send the token elsewhere. The
    path is compared case-insensitively, as the platform routes it: CX as Code lists triggers at
    ``/api/v2/processAutomation/triggers`` (``process_automation_triggers_proxy.go``) where the SDK
    says ``/api/v2/processautomation/triggers``, and follows each ``nextUri`` as given. ``kept`` is
    sent again because a ``nextUri`` need not repeat the first request's filters (an ``expand`` or a
    filter left out would change what the later pages hold); one helper for kind listings and
    reference reads, so that the two cannot page differently.
    """
    parts = urlsplit(next_uri)
    if parts.path.rstrip("/").casefold() != path.rstrip("/").casefold() or not parts.query:
        raise invalid(response, "GET", path, f"the listing's nextUri leaves the collection: {shorten(next_uri)}")
    return {**(kept or {}), **dict(parse_qsl(parts.query, keep_blank_values=True))}


def whole(response: httpx.Response, body: dict[str, Any], name: str, guard: PageGuard) -> int | None:
    """``body[name]`` as a non-negative whole number, None if absent; anything else is refused."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        shown = value if isinstance(value, (int, float)) and not isinstance(value, bool) else describe(value)
        raise guard.error(response, f"the listing's {name} is {shown}, not a whole number")
    return value


def shorten(text: str, limit: int = 120) -> str:
    """A server-given text fit for a one-line message: cut, and its control characters escaped."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"
