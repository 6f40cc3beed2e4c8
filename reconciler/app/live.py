"""Reading live state: one listing per kind, all kinds at once, full reads only where needed."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from functools import partial
from typing import Any

import anyio

from reconciler.core.errors import NotFoundError, PermissionError_
from reconciler.genesys import GenesysClient
from reconciler.kinds import KINDS, Kind
from reconciler.manifests import ManifestSet
from reconciler.plan.readtime import PageTransform
from reconciler.plan.settled import SettledLive

KindRead = Callable[[str, int], None]
"""Told ``(kind name, object count)`` as each kind's listing completes (progress display)."""

Detail = Callable[[Kind, Mapping[str, Any]], bool]
"""Whether a listed object of a summary-listing kind must be read in full (``GET .../{id}``)."""

Listed = dict[str, list[dict[str, Any]]]


async def read_live(
    client: GenesysClient,
    kinds: Iterable[Kind] = KINDS,
    *,
    on_kind_read: KindRead | None = None,
    detail: Detail | None = None,
    required: Collection[str] | None = None,
    warnings: list[str] | None = None,
    settle: PageTransform | None = None,
) -> Listed:
    """One listing per kind, all kinds at once; one ``GET`` per object only where needed.

    A kind whose listing is a summary (topics without their phrases) has the objects
    ``detail`` selects read in full, concurrently and paced by the client (default:
    every object, as export needs). A kind not in ``required`` (``None``: all are) that
    the target does not have (``404``) or does not let this client read (``403``) reads
    as empty, with a line in ``warnings``: a real org has no seed-contract endpoints.
    ``settle`` (a plan's :func:`~reconciler.plan.readtime.settler`) sees each page as it is read.
    """

    async def one(kind: Kind) -> list[dict[str, Any]]:
        unread = unread_fields(kind)
        # Pages are made compact as they arrive (summaries only once read in full, below): each
        # page's decoded objects are then let go before the next, never the kind's whole listing.
        paged = not kind.listing.is_summary and (unread or settle is not None)
        try:
            objects = list(await client.list_all(kind, partial(_page, kind, settle, unread) if paged else None))
        except (NotFoundError, PermissionError_) as exc:
            if required is None or kind.name in required:
                raise
            if warnings is not None:
                warnings.append(
                    f"{kind.name} was not read (HTTP {exc.status} {exc.code}): the target has no such "
                    "endpoint or this client may not read it; it is left out"
                )
            return []
        if kind.listing.is_summary:
            wanted = [o for o in objects if detail is None or detail(kind, o)]
            if wanted:
                full = {str(o.get("id")): o for o in await client.details(kind, wanted)}
                objects = [full.get(str(o.get("id")), o) for o in objects]
        if unread and not paged:
            # Copied without them rather than popped: a dict never shrinks its table, and one of
            # ten fields or fewer takes 272 bytes where its decoded thirteen took 464.
            objects = [{k: v for k, v in obj.items() if k not in unread} for obj in objects]
        if on_kind_read is not None:
            on_kind_read(kind.name, len(objects))
        return objects

    chosen = list(kinds)
    listed: Listed = {}
    failures: dict[str, Exception] = {}

    async def finish(kind: Kind) -> None:
        # Each listing runs to its end even when another fails, so none is left running at
        # shutdown; the error raised is the first kind's, in kind order, as itself.
        try:
            listed[kind.name] = await one(kind)
        except Exception as exc:  # noqa: BLE001 - re-raised below, once every listing settled
            failures[kind.name] = exc

    async with anyio.create_task_group() as group:
        for kind in chosen:
            group.start_soon(finish, kind)
    for kind in chosen:
        if kind.name in failures:
            raise failures[kind.name]
    return {kind.name: listed[kind.name] for kind in chosen}


def _page(kind: Kind, settle: PageTransform | None, unread: tuple[str, ...], objects: list[dict[str, Any]]) -> (
    list[dict[str, Any]]
):
    """One page's objects settled (stubs) or compact (without their unread fields)."""
    if settle is not None:
        objects = settle(kind, objects)
    if not unread:
        return objects
    return [o if type(o) is SettledLive else {k: v for k, v in o.items() if k not in unread} for o in objects]


#: server fields that every read shows and that nothing after the read looks at (see unread_fields)
UNREAD_SERVER_FIELDS = ("selfUri", "dateCreated", "dateModified")


def unread_fields(kind: Kind) -> tuple[str, ...]:
    """The fields of ``kind``'s live objects dropped as they are read: no consumer reads them.

    Why: they are a tenth of a listing's memory (a ``selfUri`` is a 100-byte string per
    object). The rule that makes it safe: they are :attr:`Kind.server_managed` (the
    contract's "never sent, never diffed": essences, apply bodies and exports leave them
    out), and neither the kind's revision (``dateModified`` for some real kinds, which
    stale checks, drift and revert read), its name field nor a field an update sends back
    (``unmanaged_when_absent``). ``id`` and ``version`` are never dropped.
    """
    kept = {kind.revision_field, kind.name_field, *kind.unmanaged_when_absent}
    return tuple(f for f in UNREAD_SERVER_FIELDS if f in kind.server_managed and f not in kept)


def declared_detail(manifests: ManifestSet) -> Detail:
    """Read in full only the live objects a manifest declares: the only ones compared field by field."""
    declared = {obj.key.folded for obj in manifests.objects}

    def wanted(kind: Kind, obj: Mapping[str, Any]) -> bool:
        return (kind.name, str(obj.get("name", "")).casefold()) in declared

    return wanted


def no_detail(kind: Kind, obj: Mapping[str, Any]) -> bool:
    """Listings only: the stale check needs each object's revision, which summaries show."""
    return False
