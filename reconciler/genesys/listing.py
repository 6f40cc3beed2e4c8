"""Reading whole collections: one small strategy per listing convention the platform uses.

Genesys Cloud lists in three ways, and a kind says which (``kind.listing.style``,
``kind.singleton``); each way is a strategy here, so that adding a convention is adding
a class, not a branch in every reader:

* :class:`PageNumbers`: ``pageNumber``/``pageSize`` envelopes with ``pageCount``
  (most of the API, e.g. ``/api/v2/routing/queues``). Page 1 first, pages 2..pageCount
  concurrently, then any page the collection grew by meanwhile (``nextUri`` has the
  last word, as in the platform SDK's paging).
* :class:`Cursor`: ``nextUri`` carrying an opaque cursor (``after=...``), one page after
  another; a ``nextUri`` is followed only on the kind's own collection path.
* :class:`Singleton`: one object at a fixed path (org-wide settings), read as it is.

An envelope without ``entities`` is the server's fault (:class:`~reconciler.core.errors.ServerError`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlsplit

import anyio
import httpx

from reconciler.core.errors import ServerError
from reconciler.genesys.session import Session, correlation_id, json_object
from reconciler.kinds import Kind

T = TypeVar("T")


class ListingStrategy(Protocol):
    async def read_all(self, session: Session, kind: Kind) -> list[dict[str, Any]]: ...


class PageNumbers:
    """Page 1, then pages 2..pageCount at once (paced by the session), then any page added since."""

    async def read_all(self, session: Session, kind: Kind) -> list[dict[str, Any]]:
        first = await page(session, kind, 1)
        pages = [first]
        page_count = first.get("pageCount")
        if isinstance(page_count, int) and page_count > 1:
            pages += await all_of([partial(page, session, kind, n) for n in range(2, page_count + 1)])
        # The envelope has the last word: follow nextUri past pageCount if the collection grew meanwhile.
        last = pages[-1]
        while last.get("nextUri") and last.get("entities"):
            last = await page(session, kind, int(last.get("pageNumber") or len(pages)) + 1)
            pages.append(last)
        return unique(pages)


class Cursor:
    """One page after another, following ``nextUri`` (its query, on the kind's own path)."""

    async def read_all(self, session: Session, kind: Kind) -> list[dict[str, Any]]:
        params: dict[str, str] = {"pageSize": page_size(session, kind)}
        pages: list[dict[str, Any]] = []
        while True:
            response, _ = await session.call("GET", kind.collection, kind.collection, params=params)
            current = envelope(response, kind.collection)
            pages.append(current)
            next_uri = current.get("nextUri")
            if not next_uri or not current["entities"]:
                return unique(pages)
            params = next_params(kind, str(next_uri), response)


class Singleton:
    """The kind's one object, named with its fixed identity."""

    async def read_all(self, session: Session, kind: Kind) -> list[dict[str, Any]]:
        assert kind.singleton is not None
        return [await read_one(session, kind, kind.singleton.name)]


def strategy_for(kind: Kind) -> ListingStrategy:
    if kind.singleton is not None:
        return Singleton()
    return Cursor() if kind.listing.style == "cursor" else PageNumbers()


async def read_one(session: Session, kind: Kind, object_id: str) -> dict[str, Any]:
    """``GET`` one object by id (a singleton: the one, in the kind's live shape)."""
    path = kind.item_path(object_id)
    response, _ = await session.call("GET", path, kind.item_template)
    obj = json_object(response, "GET", path)
    return kind.from_live(obj) if kind.reshapes_live else obj


def page_size(session: Session, kind: Kind) -> str:
    """The largest page the client allows and the kind's endpoint accepts."""
    return str(min(session.limits.page_size, kind.listing.page_size_max))


async def page(session: Session, kind: Kind, number: int) -> dict[str, Any]:
    params = {"pageSize": page_size(session, kind), "pageNumber": str(number)}
    response, _ = await session.call("GET", kind.collection, kind.collection, params=params)
    return envelope(response, kind.collection)


def envelope(response: httpx.Response, path: str) -> dict[str, Any]:
    """The listing envelope of an answer, refused without its ``entities`` list."""
    body = json_object(response, "GET", path)
    if not isinstance(body.get("entities"), list):
        raise ServerError(
            response.status_code, "invalid.response", "the listing has no entities",
            method="GET", path=path, correlation_id=correlation_id(response),
        )
    return body


def next_params(kind: Kind, next_uri: str, response: httpx.Response) -> dict[str, str]:
    """The query of a ``nextUri``, refused unless it points at the same collection."""
    parts = urlsplit(next_uri)
    if parts.path.rstrip("/") != kind.collection or not parts.query:
        raise ServerError(
            response.status_code, "invalid.response", f"the listing's nextUri leaves the collection: {next_uri}",
            method="GET", path=kind.collection, correlation_id=correlation_id(response),
        )
    return dict(parse_qsl(parts.query, keep_blank_values=True))


def unique(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities of ``pages`` in order, each id once (an object can move across a page boundary between reads)."""
    seen: set[Any] = set()
    out: list[dict[str, Any]] = []
    for current in pages:
        for entity in current.get("entities") or []:
            key = entity.get("id") or id(entity)
            if key not in seen:
                seen.add(key)
                out.append(entity)
    return out


async def all_of(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the calls in one anyio task group; results in order; the first failure cancels the rest.

    The failure is raised as itself, not wrapped in the task group's ExceptionGroup, so
    that callers catching :class:`~reconciler.core.errors.ApiError` (a ``404`` listing is
    a missing endpoint, not a crash) see it.
    """
    results: dict[int, T] = {}

    async def run(index: int, call: Callable[[], Awaitable[T]]) -> None:
        results[index] = await call()

    try:
        async with anyio.create_task_group() as tg:
            for index, call in enumerate(calls):
                tg.start_soon(run, index, call)
    except ExceptionGroup as group:
        raise first_leaf(group) from None
    return [results[index] for index in range(len(calls))]


def first_leaf(group: ExceptionGroup[Exception]) -> Exception:
    """The first exception of a (possibly nested) exception group."""
    first = group.exceptions[0]
    return first_leaf(first) if isinstance(first, ExceptionGroup) else first
