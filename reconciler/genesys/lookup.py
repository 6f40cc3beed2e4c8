"""Finding things that are not a whole collection: an object by name, an org's reference listings.

The name look-up is what lets a lost create be found again (see :mod:`.writes`), and
what ``find_by_name`` offers callers. Names are matched whole and case-insensitively
(unique per kind for the contract's kinds; where the platform allows duplicates,
``Kind.unique_names`` false, the planner refuses a shared declared name first); the API's name
filter (where a kind has one) only narrows the candidates: it may match parts of names,
and a server may ignore it, so an incomplete filtered page falls back to the whole
listing. A summary listing's match is read in full, since callers compare content.
"""

from __future__ import annotations

from typing import Any

import httpx

from reconciler.genesys.answers import describe, invalid, json_answer
from reconciler.genesys.listing import kind_envelope, page_size, read_one, strategy_for
from reconciler.genesys.paging import PageGuard, next_query
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
        params = {"pageSize": page_size(session, kind), **kind.listing.list_params()}
        if kind.listing.style == "pages":
            params["pageNumber"] = "1"
        params[kind.listing.name_filter] = name
        response, _ = await session.call("GET", kind.listing_path, kind.listing_path, params=params)
        first = kind_envelope(response, kind)
        candidates = kind.listing.manageable(first["entities"])
        complete = not first.get("nextUri")
    match = next((e for e in candidates if str(e.get(kind.name_field, "")).casefold() == folded), None)
    if match is None and not complete:
        candidates = await strategy_for(kind).read_all(session, kind)
        match = next((e for e in candidates if str(e.get(kind.name_field, "")).casefold() == folded), None)
    if match is not None and kind.listing.is_summary:
        match = await read_one(session, kind, str(match["id"]))
    return match, response


async def list_reference(session: Session, read: ReferenceRead) -> list[dict[str, Any]]:
    """Every entity of a reference listing (the org's TTS engines, dialects, trigger topics), page after page.

    A plain-string entity (a topic name) comes back as ``{"id": s, "name": s}``, so every
    check reads objects.
    """
    entities: list[dict[str, Any]] = []
    size = session.limits.page_for(read.page_size_max)
    guard = PageGuard(session.limits, read.path, size)
    params: dict[str, str] = dict(read.params)
    if read.paging != "none":
        params["pageSize"] = str(size)
    number = 1
    while True:
        if read.paging == "pages":
            params["pageNumber"] = str(number)
        response, _ = await session.call("GET", read.path, read.path, params=params)
        current = _reference_page(response, read.path)
        guard.arrived(response, current, page=number, asked=number if read.paging == "pages" else None)
        guard.check(response, current)
        entities.extend(current["entities"])
        next_uri = current.get("nextUri")
        if read.paging == "none" or not next_uri or not current["entities"]:
            return entities
        if read.paging == "cursor":
            params = next_query(str(next_uri), read.path, response, read.params)
            guard.cursor(response, params)
        number += 1


def _reference_page(response: httpx.Response, path: str) -> dict[str, Any]:
    """One page of a reference listing, its entities as objects.

    A bare JSON array is taken for the entities of a single page: the Python SDK's
    ``IntegrationsApi.get_integrations_credentials_types`` answers ``list[CredentialType]``
    where the Go and Swift SDKs name a ``CredentialTypeListing`` (``entities``), so both are read.
    """
    data = json_answer(response, "GET", path)
    body = {"entities": data} if isinstance(data, list) else data
    if not isinstance(body, dict):
        raise invalid(response, "GET", path, f"the answer is {describe(body)}, not a JSON object or array")
    raw = body.get("entities")
    if not isinstance(raw, list):
        raise invalid(response, "GET", path, "the listing has no entities array")
    out: list[dict[str, Any]] = []
    for index, entity in enumerate(raw):
        if isinstance(entity, str):
            out.append({"id": entity, "name": entity})
        elif isinstance(entity, dict):
            out.append(entity)
        else:
            raise invalid(response, "GET", path, f"entities[{index}] is {describe(entity)}, not an object or a string")
    return {**body, "entities": out}
