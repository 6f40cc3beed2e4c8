"""Listing a collection, in the paging convention its kind declares (``Kind.listing``).

* ``pages`` — ``pageSize`` + ``pageNumber``, the contract's envelope (``firstUri``,
  ``lastUri``, ``nextUri`` while a next page exists);
* ``cursor`` — ``pageSize`` + an opaque cursor (``after``, ``nextPage``, ...); the
  envelope carries ``nextUri`` (absent on the last page) and, where the API walks
  backwards, ``previousUri``. Only the keys the kind's envelope lists are returned.

A listing the SDK marks deprecated in favour of the kind's own (``Listing.superseded``:
credentials' page listing of the collection) is served by the same code, through a copy
of the kind that lists that way (:func:`superseded`).

A *summary* listing (``Listing.counted``) shows counts instead of detail lists, as
Genesys lists topics without their phrases. Every query parameter is honoured or
refused with 400, never ignored: the real listing's parameters the sandbox does not
implement (``Listing.unsupported_params``) and parameters the listing does not have.
While recent writes are hidden by the read lag (:mod:`.lag`), a page is cut from the
lagged view. Nothing here names a kind.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from reconciler.kinds import Kind
from reconciler.sandbox.present import present
from reconciler.sandbox.responses import JSON, bad_request, refuse_params

if TYPE_CHECKING:
    from reconciler.sandbox.lag import ReadLag
    from reconciler.sandbox.store import Store

#: the sandbox's own bound on pageNumber (the contract sets none; SQLite offsets are finite)
PAGE_NUMBER_MAX = 1_000_000_000
_DIGITS = re.compile(r"[0-9]{1,12}")
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,64}")


def int_param(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    """A whole-number query parameter within bounds, or 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or int(raw) < low or (high is not None and int(raw) > high):
        bound = f"from {low} to {high}" if high is not None else f"from {low}"
        raise bad_request([(name, f"must be a whole number {bound}")], "query")
    return int(raw)


def encode_cursor(offset: int) -> str:
    """An opaque cursor for "the page starting at ``offset``"."""
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(name: str, raw: str) -> int:
    """The offset a cursor stands for; 400 naming the parameter if it is not one of ours."""
    try:
        if not _CURSOR.fullmatch(raw):
            raise ValueError(raw)
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        offset = data["o"]
        if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= PAGE_NUMBER_MAX:
            raise ValueError(raw)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise bad_request([(name, "is not a cursor this listing issued")], "query") from None
    return offset


def superseded(kind: Kind) -> Kind | None:
    """``kind`` as its superseded listing shows it (at the collection's own path), if it has one.

    Why a copy of the kind: every function here reads the convention off ``kind.listing``,
    so the deprecated listing is served, checked and documented by the same code.
    """
    old = kind.listing.superseded
    return None if old is None else replace(kind, listing=old)


def _name_filter(kind: Kind, request: Request) -> str | None:
    param = kind.listing.name_filter
    return request.query_params.get(param) if param else None


def _filter_query(kind: Kind, name: str | None) -> str:
    return (
        f"&{kind.listing.name_filter}={quote(name, safe='')}" if name is not None and kind.listing.name_filter else ""
    )


def known_params(kind: Kind) -> frozenset[str]:
    """The query parameters the sandbox honours on the kind's listing."""
    listing = kind.listing
    known = {"pageSize"}
    known.update(("pageNumber",) if listing.style == "pages" else (listing.cursor_param,))
    known.update(p for p in (listing.before_param, listing.name_filter) if p)
    # what makes the listing show the ``expand`` fields it shows at all (honoured by present); a parameter
    # only the item read has (a data action's ``expand=contract``) is refused, as the platform does
    known.update(listing.list_params())
    return frozenset(known)


def check_params(kind: Kind, request: Request) -> None:
    """400 naming each query parameter the listing would otherwise ignore."""
    refuse_params(request, known_params(kind), "listing", unimplemented=kind.listing.unsupported_params)


def _lagged_page(
    kind: Kind, store: Store, lag: ReadLag, name: str | None, offset: int, size: int, contains: bool
) -> tuple[int, list[dict[str, Any]]]:
    """``(total, objects)`` of a page of what a lagging read shows."""
    _, stored = store.page(kind.name, None, 0, PAGE_NUMBER_MAX)
    shown = lag.listing(kind.name, stored)
    if name is not None:
        wanted = name.casefold()
        shown = [o for o in shown if (wanted in o["name"].casefold() if contains else o["name"].casefold() == wanted)]
    return len(shown), shown[offset : offset + size]


async def list_page(
    kind: Kind, store: Store, request: Request, lag: ReadLag | None = None, unshown: Collection[str] = ()
) -> Response:
    """Answer ``GET <collection>`` in the kind's convention (``unshown``: fields the org's features hide)."""
    listing = kind.listing
    check_params(kind, request)
    size = int_param(request, "pageSize", listing.page_size_default, 1, listing.page_size_max)
    name = _name_filter(kind, request)
    contains = listing.name_match == "contains"
    if listing.style == "pages":
        number = int_param(request, "pageNumber", 1, 1, PAGE_NUMBER_MAX)
        offset = (number - 1) * size
    else:
        number = 0
        after = request.query_params.get(listing.cursor_param)
        before = request.query_params.get(listing.before_param) if listing.before_param else None
        if after is not None and before is not None:
            raise bad_request(
                [(listing.before_param or "", f"cannot be combined with {listing.cursor_param}")], "query"
            )
        offset = decode_cursor(listing.cursor_param, after) if after is not None else 0
        if before is not None and listing.before_param:
            offset = max(0, decode_cursor(listing.before_param, before) - size)
    if lag is not None and lag.lagging(kind.name):
        total, objects = await run_in_threadpool(_lagged_page, kind, store, lag, name, offset, size, contains)
    else:
        total, objects = await run_in_threadpool(store.page, kind.name, name, offset, size, contains=contains)
    entities = [
        present(kind, o, summary=listing.is_summary, asked=request.query_params, unshown=unshown) for o in objects
    ]
    page_count = -(-total // size)
    base = kind.listing_path
    filters = _filter_query(kind, name)
    if listing.style == "pages":
        envelope: dict[str, Any] = {
            "entities": entities,
            "pageSize": size,
            "pageNumber": number,
            "total": total,
            "pageCount": page_count,
            "firstUri": f"{base}?pageSize={size}&pageNumber=1{filters}",
            "lastUri": f"{base}?pageSize={size}&pageNumber={max(page_count, 1)}{filters}",
            "selfUri": f"{base}?pageSize={size}&pageNumber={number}{filters}",
        }
        if number < page_count:
            envelope["nextUri"] = f"{base}?pageSize={size}&pageNumber={number + 1}{filters}"
        if number > 1:  # only where the kind's envelope has it (PromptEntityListing, CredentialInfoListing)
            envelope["previousUri"] = f"{base}?pageSize={size}&pageNumber={number - 1}{filters}"
    else:
        here = f"&{listing.cursor_param}={encode_cursor(offset)}" if offset else ""
        envelope = {
            "entities": entities,
            "pageSize": size,
            "total": total,
            "pageCount": page_count,
            "selfUri": f"{base}?pageSize={size}{here}{filters}",
        }
        if offset + size < total:
            envelope["nextUri"] = (
                f"{base}?pageSize={size}&{listing.cursor_param}={encode_cursor(offset + size)}{filters}"
            )
        if offset > 0 and listing.before_param:
            envelope["previousUri"] = f"{base}?pageSize={size}&{listing.before_param}={encode_cursor(offset)}{filters}"
    return JSON({k: v for k, v in envelope.items() if k in listing.envelope})


__all__ = [
    "PAGE_NUMBER_MAX",
    "check_params",
    "decode_cursor",
    "encode_cursor",
    "int_param",
    "known_params",
    "list_page",
    "superseded",
]
