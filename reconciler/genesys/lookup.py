"""Finding things that are not a whole collection: an object by name, an org's reference listings.

The name look-up is what lets a lost create be found again (see :mod:`.writes`), and
what ``find_by_name`` offers callers. Genesys names are unique per kind,
case-insensitively, so the match is made on the whole name, folded; the API's name
filter (where a kind has one) only narrows the candidates: it may match parts of names,
and a server may ignore it, so an incomplete filtered page falls back to the whole
listing. A summary listing's match is read in full, since callers compare content.
"""

from __future__ import annotations

from typing import Any

import httpx

from reconciler.genesys.listing import envelope, page_size, read_one, strategy_for
from reconciler.genesys.paging import PageGuard
from reconciler.genesys.session import Session
from reconciler.kinds import Kind, ReferenceRead


async def find_by_name(
    session: Session, kind: Kind, name: str
) -> tuple[dict[str, Any] | None, httpx.Response | None]:
    """The object of ``kind`` called ``name`` (or None), and the filtered answer it came from (for its correlation id).

    The name is matched whole and case-insensitively (Genesys names are unique per kind
    that way), never by the filter's own rule.
    """
    folded = name.casefold()
    response: httpx.Response | None = None
    candidates: list[dict[str, Any]] = []
    complete = False
    if kind.listing.name_filter is not None:
        params = {"pageSize": page_size(session, kind), **kind.listing.read_params()}
        if kind.listing.style == "pages":
            params["pageNumber"] = "1"
        params[kind.listing.name_filter] = name
        response, _ = await session.call("GET", kind.collection, kind.collection, params=params)
        first = envelope(response, kind.collection, name_field=kind.name_field)
        candidates = first["entities"]
        complete = not first.get("nextUri")
    match = next((e for e in candidates if str(e.get(kind.name_field, "")).casefold() == folded), None)
    if match is None and not complete:
        candidates = await strategy_for(kind).read_all(session, kind)
        match = next((e for e in candidates if str(e.get(kind.name_field, "")).casefold() == folded), None)
    if match is not None and kind.listing.is_summary:
        match = await read_one(session, kind, str(match["id"]))
    return match, response


async def list_reference(session: Session, read: ReferenceRead) -> list[dict[str, Any]]:
    """Every entity of a page-number reference listing (e.g. the org's TTS engines), one page after another."""
    entities: list[dict[str, Any]] = []
    size = session.limits.page_for()
    guard = PageGuard(session.limits, read.path, size)
    number = 1
    while True:
        params = {**read.params, "pageSize": str(size), "pageNumber": str(number)}
        response, _ = await session.call("GET", read.path, read.path, params=params)
        current = envelope(response, read.path, identified=False)
        guard.check(response, current)
        entities.extend(current["entities"])
        if not current.get("nextUri") or not current["entities"]:
            return entities
        number += 1
