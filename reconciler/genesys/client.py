"""The async Genesys Cloud API client that the engine reads and writes through.

One :class:`GenesysClient` serves a real org and the sandbox alike: only the httpx
transport differs. Every method takes a :class:`~reconciler.kinds.Kind`, so nothing
here knows one kind from another.

What it adds to plain HTTP, and why:

* **Tokens** (:mod:`.auth`): fetched once, shared, renewed early; a ``401`` renews the
  token once and resends that call.
* **Pacing** (:mod:`.pacing`): one rate limiter and one concurrency bound for all calls,
  so a large apply paces itself instead of bouncing off ``429``.
* **Retries** (:mod:`.retry`): ``429`` after ``Retry-After``, ``5xx`` and transport
  failures with backoff, other ``4xx`` never.
* **Safe writes**: writes are not idempotent. After an *ambiguous* failure (no answer,
  or a ``5xx``: the server may have done it), a create looks the name up before trying
  again and adopts what the lost answer created; an update reads the object back; a
  delete that then finds nothing is done. Nothing is ever created twice.
* **Optimistic concurrency**: an update sends the version it read; ``409
  version.mismatch`` raises :class:`~reconciler.errors.VersionMismatchError` and the
  change is not forced.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from time import perf_counter
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from .. import __version__
from ..errors import (
    ApiError,
    AuthenticationError,
    DuplicateNameError,
    NotFoundError,
    ServerError,
    VersionMismatchError,
)
from ..kinds import Kind, PostWriteHook
from .auth import TokenProvider
from .config import Target
from .errors import CORRELATION_HEADER, error_from_exception, error_from_response, is_ambiguous
from .limits import ClientLimits
from .pacing import Clock, Pacer, RateLimiter
from .retry import Sleep, api_retrying
from .stats import ClientStats

log = logging.getLogger("reconciler.genesys")

T = TypeVar("T")


@dataclass(frozen=True)
class WriteResult:
    """The outcome of one write, for the apply report and the audit trail.

    ``latency_ms`` is the wall time of the whole operation, retries and waits included.
    ``adopted`` is true when an answer was lost and the outcome was established by
    reading instead: a lost create found by name, a lost update read back at the next
    version, a lost delete that left nothing behind.
    """

    object: dict[str, Any] | None
    status: int
    correlation_id: str | None
    latency_ms: float
    method: str
    path: str
    adopted: bool = False
    attempts: int = 1


class _StaleToken(Exception):
    """A 401 with a token we had: renew it and resend (once). Internal to :meth:`_exchange`."""

    def __init__(self, token: str, error: AuthenticationError) -> None:
        super().__init__(error.code)
        self.token = token
        self.error = error


class GenesysClient:
    """``async with GenesysClient(target) as client: await client.list_all(kind)``."""

    def __init__(
        self,
        target: Target,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: ClientLimits = ClientLimits(),
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """``sleep``, ``clock`` and ``rng`` are for tests: a fake time line and reproducible jitter."""
        self.target = target
        self.limits = limits
        self.stats = ClientStats()
        self._transport = transport
        self._sleep: Sleep = sleep or anyio.sleep
        self._clock: Clock = clock or time.monotonic
        self._rng = rng
        self._limiter = RateLimiter(
            limits.requests_per_minute, burst=limits.rate_burst, clock=self._clock, sleep=self._sleep
        )
        self._pacer = Pacer(self._limiter, limits.max_concurrency)
        self._http: httpx.AsyncClient | None = None
        self._auth: TokenProvider | None = None

    @classmethod
    def for_target(
        cls,
        target: Target,
        *,
        sandbox_options: Any = None,
        limits: ClientLimits | None = None,
        **kwargs: Any,
    ) -> GenesysClient:
        """A client for ``target``; for the sandbox target, wired to the in-process sandbox.

        ``sandbox_options`` say how the sandbox behaves (faults, rate limit, token TTL);
        where its state lives is the target's ``sandbox_db``, so that the target's
        identity and the file written always agree.
        """
        transport = kwargs.pop("transport", None)
        if target.kind == "sandbox" and transport is None:
            from ..sandbox import SandboxOptions, embedded_transport

            options = sandbox_options or SandboxOptions()
            if target.sandbox_db is not None:
                options = dataclasses.replace(options, db_path=target.sandbox_db)
            transport = embedded_transport(options)
        return cls(target, transport=transport, limits=limits or ClientLimits(), **kwargs)

    # ---- lifecycle -------------------------------------------------------------------
    async def __aenter__(self) -> GenesysClient:
        conns = self.limits.max_concurrency + 2
        self._http = httpx.AsyncClient(
            base_url=self.target.api_url,
            transport=self._transport,
            timeout=self.limits.timeout,
            limits=httpx.Limits(max_connections=conns, max_keepalive_connections=conns),
            headers={"Accept": "application/json", "User-Agent": f"reconciler/{__version__}"},
            follow_redirects=False,
        )
        self._auth = TokenProvider(
            self._http,
            login_url=self.target.login_url,
            client_id=self.target.client_id,
            client_secret=self.target.client_secret,
            limits=self.limits,
            stats=self.stats,
            sleep=self._sleep,
            clock=self._clock,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # ---- reads -----------------------------------------------------------------------
    async def list_all(self, kind: Kind) -> list[dict[str, Any]]:
        """Every object of ``kind``: page 1, then pages 2..pageCount concurrently, then any page added since."""
        first = await self._page(kind, 1)
        pages = [first]
        page_count = first.get("pageCount")
        if isinstance(page_count, int) and page_count > 1:
            pages += await _gather([lambda n=n: self._page(kind, n) for n in range(2, page_count + 1)])
        # The envelope has the last word: follow nextUri past pageCount if the collection grew meanwhile.
        last = pages[-1]
        while last.get("nextUri") and last.get("entities"):
            last = await self._page(kind, int(last.get("pageNumber") or len(pages)) + 1)
            pages.append(last)
        seen: set[Any] = set()
        out: list[dict[str, Any]] = []
        for page in pages:
            for entity in page.get("entities") or []:
                key = entity.get("id") or id(entity)
                if key not in seen:  # an object can move across a page boundary between reads
                    seen.add(key)
                    out.append(entity)
        return out

    async def find_by_name(self, kind: Kind, name: str) -> dict[str, Any] | None:
        """The object of ``kind`` called ``name`` (case-insensitively), or None."""
        found, _ = await self._find(kind, name)
        return found

    async def get(self, kind: Kind, object_id: str) -> dict[str, Any]:
        """One object by id; :class:`~reconciler.errors.NotFoundError` if there is none."""
        response, _ = await self._call("GET", self._item_path(kind, object_id), kind.collection + "/{id}")
        return self._json(response, "GET", self._item_path(kind, object_id))

    # ---- writes ----------------------------------------------------------------------
    async def create(self, kind: Kind, body: Mapping[str, Any]) -> WriteResult:
        """``POST`` a new object; after a lost answer, adopt what it created instead of creating twice.

        A ``409 duplicate.name`` on the first attempt is a real conflict and raises
        :class:`~reconciler.errors.DuplicateNameError`.
        """
        name = str(body["name"])
        path = kind.collection
        secrets = self._body_secrets(kind, body)
        started = perf_counter()
        ambiguous = False
        async for attempt in self._retrying():
            with attempt:
                number = attempt.retry_state.attempt_number
                if ambiguous:
                    adopted = await self._adopt_lost_create(kind, body)
                    if adopted is not None:
                        return self._adopted_result(adopted, "POST", path, started, number)
                try:
                    response = await self._exchange("POST", path, path, json=dict(body), secrets=secrets)
                    created = self._json(response, "POST", path)
                except ApiError as error:
                    if is_ambiguous(error):
                        ambiguous = True
                    elif isinstance(error, DuplicateNameError) and ambiguous:
                        # The lost attempt landed after our look-up: it is ours.
                        adopted = await self._adopt_lost_create(kind, body)
                        if adopted is not None:
                            return self._adopted_result(adopted, "POST", path, started, number)
                    raise
                return self._result(response, created, "POST", path, started, number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def update(self, kind: Kind, object_id: str, body: Mapping[str, Any], version: int) -> WriteResult:
        """``PUT`` the whole object with the ``version`` read; never forced.

        ``409 version.mismatch`` raises :class:`~reconciler.errors.VersionMismatchError`
        (changed since read); the engine decides whether to plan again. After a lost
        answer the object is read back: at ``version + 1`` with our content, the update
        happened; still at ``version``, it is sent again; anywhere else, it is a mismatch.
        """
        path = self._item_path(kind, object_id)
        template = kind.collection + "/{id}"
        payload = {k: v for k, v in body.items() if k not in ("id", "version")}
        payload["version"] = version
        secrets = self._body_secrets(kind, body)
        started = perf_counter()
        ambiguous = False
        async for attempt in self._retrying():
            with attempt:
                number = attempt.retry_state.attempt_number
                if ambiguous:
                    landed = await self._settle_lost_update(kind, object_id, body, version, path)
                    if landed is not None:
                        return self._adopted_result(landed, "PUT", path, started, number)
                try:
                    response = await self._exchange("PUT", path, template, json=payload, secrets=secrets)
                    updated = self._json(response, "PUT", path)
                except ApiError as error:
                    if is_ambiguous(error):
                        ambiguous = True
                    elif isinstance(error, VersionMismatchError) and ambiguous:
                        landed = await self._settle_lost_update(kind, object_id, body, version, path)
                        if landed is not None:
                            return self._adopted_result(landed, "PUT", path, started, number)
                    raise
                return self._result(response, updated, "PUT", path, started, number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def delete(self, kind: Kind, object_id: str) -> WriteResult:
        """``DELETE`` one object; a ``404`` after a lost answer means the lost attempt did it."""
        path = self._item_path(kind, object_id)
        template = kind.collection + "/{id}"
        started = perf_counter()
        ambiguous = False
        async for attempt in self._retrying():
            with attempt:
                number = attempt.retry_state.attempt_number
                try:
                    response = await self._exchange("DELETE", path, template)
                except NotFoundError as error:
                    if not ambiguous:
                        raise
                    self.stats.adopted += 1
                    return WriteResult(
                        object=None,
                        status=error.status,
                        correlation_id=error.correlation_id,
                        latency_ms=_ms_since(started),
                        method="DELETE",
                        path=path,
                        adopted=True,
                        attempts=number,
                    )
                except ApiError as error:
                    ambiguous = ambiguous or is_ambiguous(error)
                    raise
                return self._result(response, None, "DELETE", path, started, number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def call_hook(self, hook: PostWriteHook) -> WriteResult:
        """Call a kind's post-write endpoint (e.g. the TTS cache refresh); retried freely, it is idempotent."""
        started = perf_counter()
        response, attempts = await self._call(hook.method, hook.path, hook.path)
        obj = self._json(response, hook.method, hook.path) if response.content else None
        return self._result(response, obj, hook.method, hook.path, started, attempts)

    # ---- safe-write helpers ----------------------------------------------------------
    async def _adopt_lost_create(self, kind: Kind, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """The object a lost create made, or None if it made nothing.

        An object with the name but other content was not made by us: that is a real
        name conflict, never adopted.
        """
        found, response = await self._find(kind, str(body["name"]))
        if found is None:
            return None
        if kind.essence(found) != kind.essence(body):
            raise DuplicateNameError(
                409,
                "duplicate.name",
                "an object with this name exists with other content; it was not adopted",
                method="POST",
                path=kind.collection,
                correlation_id=response.headers.get(CORRELATION_HEADER),
            )
        return found

    async def _settle_lost_update(
        self, kind: Kind, object_id: str, body: Mapping[str, Any], version: int, path: str
    ) -> dict[str, Any] | None:
        """Read back after a lost update: the object if it landed, None to send again, else a mismatch."""
        live = await self.get(kind, object_id)
        live_version = live.get("version")
        if live_version == version + 1 and kind.essence(live) == kind.essence(body):
            return live
        if live_version == version:
            return None
        raise VersionMismatchError(
            409,
            "version.mismatch",
            f"changed since read: version {version} was read, the live object is at version {live_version}",
            method="PUT",
            path=path,
        )

    def _adopted_result(self, obj: dict[str, Any], method: str, path: str, started: float, attempts: int) -> WriteResult:
        self.stats.adopted += 1
        log.info("%s %s: the answer was lost; adopted what it did (id %s)", method, path, obj.get("id"))
        return WriteResult(
            object=obj,
            status=200,
            correlation_id=None,
            latency_ms=_ms_since(started),
            method=method,
            path=path,
            adopted=True,
            attempts=attempts,
        )

    def _result(
        self, response: httpx.Response, obj: dict[str, Any] | None, method: str, path: str, started: float, attempts: int
    ) -> WriteResult:
        return WriteResult(
            object=obj,
            status=response.status_code,
            correlation_id=response.headers.get(CORRELATION_HEADER),
            latency_ms=_ms_since(started),
            method=method,
            path=path,
            attempts=attempts,
        )

    # ---- reading helpers -------------------------------------------------------------
    async def _page(self, kind: Kind, number: int, **extra: str) -> dict[str, Any]:
        params = {"pageSize": str(self.limits.page_size), "pageNumber": str(number), **extra}
        response, _ = await self._call("GET", kind.collection, kind.collection, params=params)
        page = self._json(response, "GET", kind.collection)
        if not isinstance(page.get("entities"), list):
            raise ServerError(
                response.status_code, "invalid.response", "the listing has no entities",
                method="GET", path=kind.collection, correlation_id=response.headers.get(CORRELATION_HEADER),
            )
        return page

    async def _find(self, kind: Kind, name: str) -> tuple[dict[str, Any] | None, httpx.Response]:
        """Look ``name`` up with the name filter; falls back to a full listing if the filter was ignored."""
        params = {"pageSize": str(self.limits.page_size), "pageNumber": "1", "name": name}
        response, _ = await self._call("GET", kind.collection, kind.collection, params=params)
        page = self._json(response, "GET", kind.collection)
        folded = name.casefold()
        candidates = page.get("entities") or []
        match = next((e for e in candidates if str(e.get("name", "")).casefold() == folded), None)
        if match is None and isinstance(page.get("pageCount"), int) and page["pageCount"] > 1:
            candidates = await self.list_all(kind)
            match = next((e for e in candidates if str(e.get("name", "")).casefold() == folded), None)
        return match, response

    # ---- the HTTP core ---------------------------------------------------------------
    def _retrying(self) -> AsyncRetrying:
        return api_retrying(self.limits, stats=self.stats, sleep=self._sleep, rng=self._rng)

    async def _call(
        self,
        method: str,
        path: str,
        template: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        secrets: tuple[str, ...] = (),
    ) -> tuple[httpx.Response, int]:
        """One logical call with the retry policy; returns the answer and the attempts it took."""
        async for attempt in self._retrying():
            with attempt:
                response = await self._exchange(method, path, template, params=params, json=json, secrets=secrets)
                return response, attempt.retry_state.attempt_number
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _exchange(
        self,
        method: str,
        path: str,
        template: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        secrets: tuple[str, ...] = (),
    ) -> httpx.Response:
        """One attempt of a call: a ``401`` with a token we held renews it and resends, once."""
        resend_once = AsyncRetrying(
            retry=retry_if_exception_type(_StaleToken), stop=stop_after_attempt(2), sleep=self._sleep, reraise=True
        )
        try:
            async for attempt in resend_once:
                with attempt:
                    return await self._send(method, path, template, params=params, json=json, secrets=secrets)
        except _StaleToken as stale:
            raise stale.error from None
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _send(
        self,
        method: str,
        path: str,
        template: str,
        *,
        params: Mapping[str, str] | None,
        json: Any,
        secrets: tuple[str, ...],
    ) -> httpx.Response:
        """Exactly one HTTP request, paced, authenticated, and mapped to the error tree."""
        http, auth = self._require_open()
        self.stats.record_request(method, template)
        async with self._pacer.slot(on_wait=lambda s: self.stats.record_wait("pacing", s)):
            token = await auth.token()
            t0 = perf_counter()
            try:
                response = await http.request(
                    method, path, params=params, json=json, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.TransportError as exc:
                error = error_from_exception(exc, method=method, path=path)
                log.debug("%s %s -> %s after %.0f ms", method, path, error.code, _ms_since(t0))
                raise error from exc
        latency_ms = _ms_since(t0)
        self.stats.record_response(response.status_code, latency_ms)
        correlation_id = response.headers.get(CORRELATION_HEADER)
        log.debug("%s %s -> %s in %.0f ms [%s]", method, path, response.status_code, latency_ms, correlation_id)
        if response.is_success:
            return response
        error = error_from_response(
            response, method=method, path=path, secrets=(token, self.target.client_secret, *secrets)
        )
        if response.status_code == 429:
            # Everyone waits, not just this call: the limit is the token's, shared by all calls.
            retry_after = getattr(error, "retry_after", None)
            self._limiter.hold(min(retry_after if retry_after is not None else 1.0, self.limits.max_retry_after))
        if isinstance(error, AuthenticationError) and response.status_code == 401:
            auth.invalidate(token)
            self.stats.token_refreshes_on_401 += 1
            raise _StaleToken(token, error)
        raise error

    def _require_open(self) -> tuple[httpx.AsyncClient, TokenProvider]:
        if self._http is None or self._auth is None:
            raise RuntimeError("GenesysClient is not open: use 'async with GenesysClient(...) as client'")
        return self._http, self._auth

    @staticmethod
    def _item_path(kind: Kind, object_id: str) -> str:
        return f"{kind.collection}/{quote(str(object_id), safe='')}"

    @staticmethod
    def _body_secrets(kind: Kind, body: Mapping[str, Any]) -> tuple[str, ...]:
        """Values of write-only fields: never allowed to surface in an error message."""
        return tuple(str(body[f]) for f in kind.write_only if isinstance(body.get(f), str) and body[f])

    @staticmethod
    def _json(response: httpx.Response, method: str, path: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # A 2xx that is not our JSON (a proxy page, a cut body): the server's fault, worth a retry.
            raise ServerError(
                response.status_code, "invalid.response", "the answer is not a JSON object",
                method=method, path=path, correlation_id=response.headers.get(CORRELATION_HEADER),
            )
        return data


def open_client(
    target: Target, *, sandbox_options: Any = None, limits: ClientLimits | None = None, **kwargs: Any
) -> GenesysClient:
    """The client for ``target`` (not yet open): ``async with open_client(target) as client``."""
    return GenesysClient.for_target(target, sandbox_options=sandbox_options, limits=limits, **kwargs)


async def _gather(factories: list[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the calls concurrently; results in order; the first failure cancels the rest and is raised as is.

    (A bare task group would wrap it in an ExceptionGroup, which callers catching
    :class:`~reconciler.errors.ApiError` would miss.)
    """
    results: list[Any] = [None] * len(factories)
    failure: list[BaseException] = []

    async def run(index: int, factory: Callable[[], Awaitable[T]]) -> None:
        try:
            results[index] = await factory()
        except Exception as exc:  # noqa: BLE001 - re-raised below, unwrapped
            if not failure:
                failure.append(exc)
            tg.cancel_scope.cancel()

    async with anyio.create_task_group() as tg:
        for index, factory in enumerate(factories):
            tg.start_soon(run, index, factory)
    if failure:
        raise failure[0]
    return results


def _ms_since(t0: float) -> float:
    return (perf_counter() - t0) * 1000
