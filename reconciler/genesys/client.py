"""The async Genesys Cloud API client that the engine reads and writes through: one front door.

One :class:`GenesysClient` serves a real org and the sandbox alike: only the httpx
transport differs, and it is injected (this package never builds the sandbox; the use
cases in :mod:`reconciler.app.engine` do). Every method takes a
:class:`~reconciler.kinds.Kind`, so nothing here knows one kind from another.

The work is split by job, and this module only puts the pieces together:

* :mod:`.session`: the httpx client, headers, pacing, counting, the error tree;
* :mod:`.auth`: tokens, and the one re-send after a ``401`` (an ``httpx.Auth`` flow);
* :mod:`.retry`: ``429`` after ``Retry-After``, ``5xx`` and transport failures with backoff;
* :mod:`.listing` and :mod:`.lookup`: the listing conventions, look-ups by name;
* :mod:`.writes`: creates, updates, deletes that survive lost answers;
* :mod:`.jobs`: publish jobs, polled to their end.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from time import perf_counter
from typing import Any

import anyio
import httpx

from reconciler.core.errors import NotFoundError
from reconciler.genesys import audits, jobs, listing, lookup
from reconciler.genesys.answers import json_object
from reconciler.genesys.config import Target
from reconciler.genesys.confirm import find_shown, read_shown
from reconciler.genesys.identity import OrgIdentity, TokenIdentity
from reconciler.genesys.limits import ClientLimits
from reconciler.genesys.pacing import Clock, Sleep
from reconciler.genesys.result import WriteResult, answered
from reconciler.genesys.retry import UnansweredNotice
from reconciler.genesys.session import Session
from reconciler.genesys.stats import ClientStats
from reconciler.genesys.writes import SafeWrites, SameContent, nothing_confirmed
from reconciler.kinds import Kind, PostWriteHook, Publish, ReferenceRead


class GenesysClient:
    """``async with GenesysClient(target, transport=...) as client: await client.list_all(kind)``.

    ``same_content(kind, sent, live)`` is how a lost write is recognised as ours (see
    :mod:`.writes`); a client for reading only needs none.
    """

    def __init__(
        self,
        target: Target,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        same_content: SameContent = nothing_confirmed,
        limits: ClientLimits | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        """``sleep``, ``clock`` and ``rng`` are for tests: a fake time line and reproducible jitter.

        ``notice``: where to say that the API does not answer and calls are retried (once; the CLI's stderr).
        """
        self.target = target
        self.limits = limits = limits or ClientLimits()
        self.stats = ClientStats()
        self._session = Session(
            target,
            transport=transport,
            limits=limits,
            stats=self.stats,
            sleep=sleep or anyio.sleep,
            clock=clock or time.monotonic,
            rng=rng,
            notice=UnansweredNotice(notice),
        )
        self._writes = SafeWrites(self._session, same_content)
        self._identity = TokenIdentity(self._session)

    async def __aenter__(self) -> GenesysClient:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()

    def hide(self, values: list[str]) -> None:
        """Blank ``values`` (a plan's ``${env:…}`` values) out of every later error, in every echoed form."""
        self._session.hide(values)

    # ---- reads -----------------------------------------------------------------------
    async def org(self) -> OrgIdentity:
        """The org this client's token belongs to (``GET /api/v2/tokens/me``, asked once per client:
        the plan that records it and the apply that checks it in one command share the answer)."""
        return await self._identity.org()

    async def token_info(self) -> dict[str, Any]:
        """The whole ``TokenInfo`` (its ``OAuthClient`` too, for ``doctor``), from the same one request."""
        return await self._identity.token_info()

    async def list_all(self, kind: Kind, on_page: listing.PageHook | None = None) -> list[dict[str, Any]]:
        """Every object of ``kind``, in the kind's listing convention (a summary listing lacks detail fields);
        ``on_page`` sees each page's objects as it is read (:data:`~.listing.PageHook`)."""
        objects = await listing.strategy_for(kind).read_all(self._session, kind, on_page)
        return [kind.from_live(o) for o in objects] if kind.name_field != "name" else objects

    async def details(self, kind: Kind, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each object read in full (``GET {collection}/{id}``), concurrently and paced.

        For kinds whose listing is a summary (topics list without their phrases): only
        the objects whose detail matters should be passed, one request each.
        """
        calls = [partial(self.get, kind, str(o["id"])) for o in objects]
        return await listing.all_of(calls, workers=self._session.limits.max_concurrency)

    async def list_reference(self, read: ReferenceRead) -> list[dict[str, Any]]:
        """Every entity of a page-number reference listing (e.g. the org's TTS engines)."""
        return await lookup.list_reference(self._session, read)

    async def find_by_name(self, kind: Kind, name: str) -> dict[str, Any] | None:
        """The object of ``kind`` called ``name`` (case-insensitively), or None."""
        found, _ = await lookup.find_by_name(self._session, kind, name)
        return found

    async def get(self, kind: Kind, object_id: str) -> dict[str, Any]:
        """One object by id (a singleton: the one); :class:`~reconciler.core.errors.NotFoundError` if there is none."""
        return await listing.read_one(self._session, kind, object_id)

    async def get_once_shown(self, kind: Kind, object_id: str, *, waited: float = 0.0) -> dict[str, Any] | None:
        """One object by id, read again while the server answers ``404`` (a lagging read), as a lost
        write is confirmed (:mod:`.confirm`: about 31 s of waits at most, less the ``waited`` seconds
        since it was written); ``None`` if it never shows."""

        try:
            return await read_shown(self._session, kind, object_id, waited=waited)
        except NotFoundError:
            return None

    async def find_once_shown(self, kind: Kind, name: str, *, waited: float = 0.0) -> dict[str, Any] | None:
        """The object of ``kind`` called ``name``, looked for again while a lagging listing does not show it
        (:func:`.confirm.find_shown`: the bound a lost create's answer is looked for within, less the
        ``waited`` seconds since it was sent); ``None`` if never."""
        found, _ = await find_shown(self._session, kind, name, waited=waited)
        return found

    async def query_audits(
        self,
        service: str,
        start: datetime,
        end: datetime,
        *,
        filters: Sequence[tuple[str, str]] = (),
        max_pages: int = audits.MAX_PAGES,
        timeout: float = audits.QUERY_TIMEOUT,
    ) -> audits.AuditAnswer:
        """The audit service's messages of ``service`` in a time window, newest first (bounded: see :mod:`.audits`)."""
        return await audits.query_audits(
            self._session, service, start, end, filters=filters, max_pages=max_pages, timeout=timeout
        )

    async def read_object(
        self, path: str, template: str | None = None, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """One JSON object at ``path`` (``template`` names it in the stats): the client's own
        token, OAuth client and roles for ``reconciler doctor``, a one-item probe of a listing."""
        response, _ = await self._session.call("GET", path, template or path, params=dict(params or {}))
        return json_object(response, "GET", path)

    # ---- writes ----------------------------------------------------------------------
    async def create(self, kind: Kind, body: Mapping[str, Any]) -> WriteResult:
        """``POST`` a new object; after a lost answer, adopt what it created instead of creating twice."""
        return await self._writes.create(kind, body)

    async def update(self, kind: Kind, object_id: str, body: Mapping[str, Any], version: int) -> WriteResult:
        """``PUT`` the whole object with the ``version`` read; never forced."""
        return await self._writes.update(kind, object_id, body, version)

    async def delete(self, kind: Kind, object_id: str) -> WriteResult:
        """``DELETE`` one object; a ``404`` after a lost answer means the lost attempt did it."""
        return await self._writes.delete(kind, object_id)

    async def call_hook(self, hook: PostWriteHook) -> WriteResult:
        """Call a kind's post-write endpoint (e.g. the TTS cache refresh); retried freely, it is idempotent."""
        started = perf_counter()
        response, attempts = await self._session.call(hook.method, hook.path, hook.path)
        obj = json_object(response, hook.method, hook.path) if response.content else None
        return answered(response, obj, hook.method, hook.path, started, attempts)

    async def publish(self, publish: Publish, ids: list[str], *, timeout: float = jobs.JOB_TIMEOUT) -> WriteResult:
        """Start a publish job for ``ids`` and poll it until it is done, failed or ``timeout`` passed."""
        return await jobs.publish(self._session, publish, ids, timeout=timeout)


def open_client(
    target: Target,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    same_content: SameContent = nothing_confirmed,
    limits: ClientLimits | None = None,
    **kwargs: Any,
) -> GenesysClient:
    """The client for ``target`` (not yet open): ``async with open_client(target, transport=...) as client``.

    The sandbox target has no network address: its transport must be given (the app
    layer builds the embedded sandbox's).
    """
    if target.kind == "sandbox" and transport is None:
        raise ValueError("the sandbox target needs its transport: open it through reconciler.app.engine.client_for")
    return GenesysClient(target, transport=transport, same_content=same_content, limits=limits, **kwargs)


__all__ = ["GenesysClient", "WriteResult", "open_client"]
