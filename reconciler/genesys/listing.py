"""Reading whole collections: one small strategy per listing convention the platform uses.

Genesys Cloud lists in three ways, and a kind says which (``kind.listing.style``,
``kind.singleton``); each way is a strategy here, so that adding a convention is adding
a class, not a branch in every reader:

* :class:`PageNumbers`: ``pageNumber``/``pageSize`` envelopes with ``pageCount``
  (most of the API, e.g. ``/api/v2/routing/queues``). Page 1 first, pages 2..pageCount
  concurrently (as many at a time as the session sends: :func:`all_of`), then any page
  the collection grew by meanwhile (``nextUri`` has the last word, as in the platform SDK's paging).
* :class:`Cursor`: ``nextUri`` carrying an opaque cursor (``after=...``), one page after
  another; a ``nextUri`` is followed only on the path the kind is listed at (``kind.listing_path``).
* :class:`Singleton`: one object at a fixed path (org-wide settings), read as it is.

Every item read sends the kind's ``listing.read_params()`` (e.g. ``expand=config.current``),
so objects come back with the fields reads show only when asked; every listing request sends
``listing.list_params()``, only those the listing takes (the SDK's listing method has no
parameter for a field the listing never shows: a data action's ``expand=contract``). Objects the platform owns
(``listing.owned_prefix``: built-in data actions) are left out once the pages are checked.

An envelope without an ``entities`` array of objects, each with its ``id`` and ``name``, is
the server's fault (:class:`~reconciler.core.errors.ServerError` naming the field); so is
paging that would never end (see :mod:`.paging`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, Protocol, TypeVar

import anyio
import httpx

from reconciler.core.keys import ObjectKey
from reconciler.genesys.answers import check_identity, describe, identity_problem, invalid, json_object
from reconciler.genesys.paging import PageGuard, next_query, shorten
from reconciler.genesys.session import Session
from reconciler.kinds import Kind

T = TypeVar("T")

PageHook = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
"""Told each page's entities once decoded and checked, before the kind's pages are gathered;
returns those to keep (the planner replaces objects equal to their declaration by a stub:
the decoded listing is then never held whole)."""


class ListingStrategy(Protocol):
    async def read_all(self, session: Session, kind: Kind, on_page: PageHook | None = None) -> list[dict[str, Any]]: ...


class PageNumbers:
    """Page 1, then pages 2..pageCount concurrently (``max_concurrency`` at a time), then any page added since."""

    async def read_all(self, session: Session, kind: Kind, on_page: PageHook | None = None) -> list[dict[str, Any]]:
        guard = PageGuard(session.limits, kind.listing_path, int(page_size(session, kind)))
        response, first = await page(session, kind, 1, on_page, guard)
        page_count = guard.first(response, first)
        pages = [first]
        if page_count > 1:
            calls = (partial(page, session, kind, n, on_page, guard) for n in range(2, page_count + 1))
            rest = await all_of(calls, workers=session.limits.max_concurrency)
            for answer, body in rest:
                guard.check(answer, body)
                pages.append(body)
            response = rest[-1][0]
        # The envelope has the last word: follow nextUri past pageCount if the collection grew meanwhile.
        last = pages[-1]
        while last.get("nextUri") and last.get("entities"):
            guard.extra(response)
            response, last = await page(session, kind, int(last.get("pageNumber") or len(pages)) + 1, on_page, guard)
            guard.check(response, last)
            pages.append(last)
        return kind.listing.manageable(unique(pages))


class Cursor:
    """One page after another, following ``nextUri`` (its query, on the kind's listing path)."""

    async def read_all(self, session: Session, kind: Kind, on_page: PageHook | None = None) -> list[dict[str, Any]]:
        size = page_size(session, kind)
        guard = PageGuard(session.limits, kind.listing_path, int(size))
        params: dict[str, str] = {"pageSize": size, **kind.listing.list_params()}
        pages: list[dict[str, Any]] = []
        while True:
            response, _ = await session.call("GET", kind.listing_path, kind.listing_path, params=params)
            current = kind_envelope(response, kind)
            guard.arrived(response, current, page=len(pages) + 1, asked=None)
            if on_page is not None:
                current["entities"] = on_page(current["entities"])
            guard.check(response, current)
            pages.append(current)
            next_uri = current.get("nextUri")
            if not next_uri or not current["entities"]:
                return kind.listing.manageable(unique(pages))
            params = next_params(kind, str(next_uri), response)
            guard.cursor(response, params)


class Singleton:
    """The kind's one object, named with its fixed identity."""

    async def read_all(self, session: Session, kind: Kind, on_page: PageHook | None = None) -> list[dict[str, Any]]:
        assert kind.singleton is not None  # read as it is: a singleton is never settled at read
        return [await read_one(session, kind, kind.singleton.name)]


def strategy_for(kind: Kind) -> ListingStrategy:
    if kind.singleton is not None:
        return Singleton()
    return Cursor() if kind.listing.style == "cursor" else PageNumbers()


async def read_one(session: Session, kind: Kind, object_id: str) -> dict[str, Any]:
    """``GET`` one object by id (a singleton: the one, in the kind's live shape)."""
    path = kind.item_path(object_id)
    response, _ = await session.call("GET", path, kind.item_template, params=kind.listing.read_params() or None)
    obj = json_object(response, "GET", path)
    if kind.singleton is not None:
        return kind.from_live(obj)
    check_identity(obj, response, "GET", path, where="the object", named=False, revision_field=kind.revision_field)
    check_same_object(obj, object_id, response, "GET", path)
    return kind.from_live(obj) if kind.reshapes_live else obj


def check_same_object(obj: dict[str, Any], object_id: str, response: httpx.Response, method: str, path: str) -> None:
    """Refuse an answer at ``…/{object_id}`` that carries another object's id.

    Why: what a read or an update answers is taken as that object's state (compared, kept as
    live, its id recorded in the audit trail and given to the objects that refer to it); a
    server answering for another object would have the apply adopt that one. The id is not
    shown: it is the server's text.
    """
    if "id" in obj and obj["id"] != object_id:
        raise invalid(response, method, path, f"the answer is another object's: its id is not {object_id}")


def renamed(kind: Kind, obj: dict[str, Any] | None, sent: Any, *, where: str = "in the answer") -> str | None:
    """Why a created object that names itself otherwise than ``sent`` is not adopted (``None``: it does not).

    Why: the name is the object's identity, compared as :class:`~reconciler.core.keys.ObjectKey`
    does (case-insensitively). Adopted, an object the server named otherwise (trimmed, cut short,
    renamed) is not found under its declared name by the next plan, which creates it again, and
    again on every apply. A name differing in case only is the same identity and is taken. An
    answer without the name (or a create that sends none) is not judged: nothing contradicts the
    name sent. ``where`` says which read of the object showed the name. The message gives the
    object's id, to rename or delete it in the org; the caller raises it unretried: the object
    exists, and sending the create again would make a second one.
    """
    field = kind.name_field
    if obj is None or field not in obj or not isinstance(sent, str):
        return None
    answered = obj[field]
    if isinstance(answered, str) and ObjectKey(kind.name, answered) == ObjectKey(kind.name, sent):
        return None
    shown = repr(shorten(answered, 80)) if isinstance(answered, str) else describe(answered)
    return (
        f"the created object ({obj.get('id')}) is named {shown} {where}, not {shorten(sent, 80)!r} as sent: "
        "not adopted, since the next plan would not find it by its declared name and would create it again; "
        "rename or delete it in the org"
    )


def page_size(session: Session, kind: Kind) -> str:
    """The largest page the client allows and the kind's endpoint accepts."""
    return str(session.limits.page_for(kind.listing.page_size_max))


async def page(
    session: Session, kind: Kind, number: int, on_page: PageHook | None = None, guard: PageGuard | None = None
) -> tuple[httpx.Response, dict[str, Any]]:
    """One page's envelope (its entities through ``on_page``), with the answer it came in as :func:`receipt`.

    ``guard`` sees the page as it arrives (:meth:`~.paging.PageGuard.arrived`): a page that is
    not the one asked for ends the listing at once, the pages in flight beside it cancelled.
    """
    params = {"pageSize": page_size(session, kind), "pageNumber": str(number), **kind.listing.list_params()}
    response, _ = await session.call("GET", kind.listing_path, kind.listing_path, params=params)
    body = kind_envelope(response, kind)
    if guard is not None:
        guard.arrived(response, body, page=number, asked=number)
    if on_page is not None:
        body["entities"] = on_page(body["entities"])
    return receipt(response), body


def receipt(response: httpx.Response) -> httpx.Response:
    """What a refusal of a page names (status, headers for the correlation id), without the page's body.

    Why: pages are read concurrently and checked in order once all have arrived; holding
    each raw body beside its decoded envelope until then added their size to the peak.
    """
    return httpx.Response(response.status_code, headers=response.headers, request=response.request)


def kind_envelope(response: httpx.Response, kind: Kind) -> dict[str, Any]:
    """The :func:`envelope` of a page of ``kind``'s own listing: its entities identified as the kind's objects."""
    return envelope(response, kind.listing_path, name_field=kind.name_field, revision_field=kind.revision_field)


def envelope(
    response: httpx.Response,
    path: str,
    *,
    identified: bool = True,
    name_field: str = "name",
    revision_field: str | None = None,
) -> dict[str, Any]:
    """The listing envelope of an answer, refused without its ``entities`` list of objects.

    With ``identified`` (a kind's own listing), each entity must carry a usable ``id`` and
    a ``name`` (the kind's ``name_field``, e.g. a dictionary feedback's ``term``): an object
    without an id would be planned as an update and written to ``…/None``, so it is refused
    here, where the listing is read.
    """
    body = json_object(response, "GET", path)
    entities = body.get("entities")
    if not isinstance(entities, list):
        shown = "no entities" if entities is None else f"entities that are {describe(entities)}, not an array"
        raise invalid(response, "GET", path, f"the listing has {shown}")
    for index, entity in enumerate(entities):
        if not isinstance(entity, dict):
            raise invalid(response, "GET", path, f"entities[{index}] is {describe(entity)}, not an object")
        if identified:
            # the place is worded only for a refusal: a listing holds thousands of entities
            problem = identity_problem(entity, name_field=name_field, revision_field=revision_field)
            if problem is not None:
                raise invalid(response, "GET", path, f"entities[{index}]{problem}")
    return body


def next_params(kind: Kind, next_uri: str, response: httpx.Response) -> dict[str, str]:
    """The query of the page after a ``nextUri``, the kind's own listing parameters kept, refused unless it
    points at the kind's listing (:func:`~.paging.next_query`)."""
    return next_query(next_uri, kind.listing_path, response, kind.listing.list_params())


def unique(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities of ``pages`` in order, each id once (an object can move across a page boundary between reads).

    An entity without a string id is kept as it is: a listing's entities have one (:func:`envelope`),
    an audit query's messages are not checked, and an id that is an array could not even be compared.
    """
    seen: set[Any] = set()
    out: list[dict[str, Any]] = []
    for current in pages:
        for entity in current.get("entities") or []:
            key = entity.get("id")
            key = key if isinstance(key, str) and key else id(entity)
            if key not in seen:
                seen.add(key)
                out.append(entity)
    return out


async def all_of(calls: Iterable[Callable[[], Awaitable[T]]], *, workers: int) -> list[T]:
    """Run the calls ``workers`` at a time; results in order; the first failure stops the rest.

    Why workers: one task per call made a ``pageCount`` of 9,999 (which a consistent ``total``
    lets past :class:`~.paging.PageGuard`) into 9,998 tasks, 3 s of CPU and 120 MiB before
    the first bad page could stop them, though the session lets only ``max_concurrency``
    requests out at a time anyway. Each worker takes the next call from the one iterator (so
    ``calls`` may be lazy), and none takes another once a call has failed: a call that never
    waits (an answer already at hand) would otherwise run on past the failure, as cancelling
    reaches a task only where it waits. The workers waiting in a call are cancelled.

    The failure is raised as itself, not wrapped in the task group's ExceptionGroup, so
    that callers catching :class:`~reconciler.core.errors.ApiError` (a ``404`` listing is
    a missing endpoint, not a crash) see it.
    """
    results: dict[int, T] = {}
    pending = enumerate(calls)
    failed = False

    async def work() -> None:
        nonlocal failed
        while not failed:
            taken = next(pending, None)
            if taken is None:
                return
            index, call = taken
            try:
                results[index] = await call()
            except BaseException:
                failed = True
                raise

    try:
        async with anyio.create_task_group() as tg:
            for _ in range(max(1, workers)):
                tg.start_soon(work)
    except ExceptionGroup as group:
        raise first_leaf(group) from None
    return [results[index] for index in range(len(results))]


def first_leaf(group: ExceptionGroup[Exception]) -> Exception:
    """The first exception of a (possibly nested) exception group."""
    first = group.exceptions[0]
    return first_leaf(first) if isinstance(first, ExceptionGroup) else first
