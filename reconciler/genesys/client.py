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
  version.mismatch`` raises :class:`~reconciler.core.errors.VersionMismatchError` and the
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
from urllib.parse import parse_qsl, urlsplit

import anyio
import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from reconciler import __version__
from reconciler.core.errors import (
    ApiError,
    AuthenticationError,
    DuplicateNameError,
    NotFoundError,
    ServerError,
    VersionMismatchError,
)
from reconciler.genesys.auth import TokenProvider
from reconciler.genesys.config import Target
from reconciler.genesys.errors import CORRELATION_HEADER, error_from_exception, error_from_response, is_ambiguous
from reconciler.genesys.limits import ClientLimits
from reconciler.genesys.pacing import Clock, Pacer, RateLimiter
from reconciler.genesys.retry import Sleep, api_retrying
from reconciler.genesys.stats import ClientStats
from reconciler.kinds import Kind, PostWriteHook, Publish, ReferenceRead

log = logging.getLogger("reconciler.genesys")

#: polling a job (e.g. a topic publish job): first poll at once, then waits from
#: JOB_POLL_INITIAL doubling up to JOB_POLL_MAX seconds, for at most JOB_TIMEOUT seconds
JOB_POLL_INITIAL = 0.25
JOB_POLL_MAX = 5.0
JOB_TIMEOUT = 300.0

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
            from reconciler.sandbox import SandboxOptions, embedded_transport

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
        """Every object of ``kind``, in the kind's listing convention.

        Page numbers: page 1, then pages 2..pageCount concurrently, then any page added
        since. Cursor: one page after another, following ``nextUri``. A singleton: its
        one object, named with its fixed identity. A summary listing's objects lack
        their detail fields (see :meth:`details`).
        """
        if kind.singleton is not None:
            return [await self.get(kind, kind.singleton.name)]
        if kind.listing.style == "cursor":
            return _unique(await self._walk_cursor(kind))
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
        return _unique(pages)

    async def details(self, kind: Kind, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each object read in full (``GET {collection}/{id}``), concurrently and paced.

        For kinds whose listing is a summary (topics list without their phrases): only
        the objects whose detail matters should be passed, one request each.
        """
        return await _gather([lambda o=o: self.get(kind, str(o["id"])) for o in objects])

    async def list_reference(self, read: ReferenceRead) -> list[dict[str, Any]]:
        """Every entity of a page-number reference listing (e.g. the org's TTS engines)."""
        entities: list[dict[str, Any]] = []
        number = 1
        while True:
            params = {**read.params, "pageSize": str(self.limits.page_size), "pageNumber": str(number)}
            response, _ = await self._call("GET", read.path, read.path, params=params)
            page = self._listing(response, read.path)
            entities.extend(page["entities"])
            if not page.get("nextUri") or not page["entities"]:
                return entities
            number += 1

    async def find_by_name(self, kind: Kind, name: str) -> dict[str, Any] | None:
        """The object of ``kind`` called ``name`` (case-insensitively), or None."""
        found, _ = await self._find(kind, name)
        return found

    async def get(self, kind: Kind, object_id: str) -> dict[str, Any]:
        """One object by id (a singleton: the one); :class:`~reconciler.core.errors.NotFoundError` if there is none."""
        path = kind.item_path(object_id)
        response, _ = await self._call("GET", path, kind.item_template)
        obj = self._json(response, "GET", path)
        return kind.from_live(obj) if kind.singleton is not None else obj

    # ---- writes ----------------------------------------------------------------------
    async def create(self, kind: Kind, body: Mapping[str, Any]) -> WriteResult:
        """``POST`` a new object; after a lost answer, adopt what it created instead of creating twice.

        A ``409 duplicate.name`` on the first attempt is a real conflict and raises
        :class:`~reconciler.core.errors.DuplicateNameError`.
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

        ``409 version.mismatch`` raises :class:`~reconciler.core.errors.VersionMismatchError`
        (changed since read); the engine decides whether to plan again. After a lost
        answer the object is read back: at ``version + 1`` with our content, the update
        happened; still at ``version``, it is sent again; anywhere else, it is a mismatch.
        """
        path = kind.item_path(object_id)
        template = kind.item_template
        payload = {k: v for k, v in body.items() if k not in ("id", "version")}
        if kind.versioned:
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
        if kind.singleton is not None:
            raise ValueError(f"{kind.name} is a singleton: it is never deleted")
        path = kind.item_path(object_id)
        template = kind.item_template
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

    async def publish(self, publish: Publish, ids: list[str], *, timeout: float = JOB_TIMEOUT) -> WriteResult:
        """Start a publish job for ``ids`` and poll it until it is done, failed or ``timeout`` passed.

        The result's ``object`` is the job as last read: its ``publish.state_field`` says
        how it ended (still running when the time ran out). Starting a job again is
        harmless (publishing is idempotent), so the ``POST`` is retried like a read.
        """
        started = perf_counter()
        response, attempts = await self._call("POST", publish.path, publish.path, json={publish.ids_field: list(ids)})
        job = self._json(response, "POST", publish.path)
        job_id = job.get("id")
        finished = (*publish.done_states, *publish.failed_states)
        if job.get(publish.state_field) not in finished and job_id:
            job_path = f"{publish.path}/{job_id}"

            async def poll() -> dict[str, Any]:
                answer, _ = await self._call("GET", job_path, publish.path + "/{jobId}")
                return self._json(answer, "GET", job_path)

            def last(state: RetryCallState) -> dict[str, Any]:
                assert state.outcome is not None
                return dict(state.outcome.result())

            polling = AsyncRetrying(
                retry=retry_if_result(lambda j: j.get(publish.state_field) not in finished),
                wait=wait_exponential(multiplier=JOB_POLL_INITIAL, min=JOB_POLL_INITIAL, max=JOB_POLL_MAX),
                stop=stop_after_delay(timeout),
                sleep=self._sleep,
                retry_error_callback=last,
            )
            job = await polling(poll)
        return self._result(response, job, "POST", publish.path, started, attempts)

    # ---- safe-write helpers ----------------------------------------------------------
    async def _adopt_lost_create(self, kind: Kind, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """The object a lost create made, or None if it made nothing.

        An object with the name but other content was not made by us: that is a real
        name conflict, never adopted.
        """
        found, response = await self._find(kind, str(body["name"]))
        if found is None:
            return None
        sent = kind.essence(body)
        if kind.comparable(kind.essence(found), sent) != sent:
            raise DuplicateNameError(
                409,
                "duplicate.name",
                "an object with this name exists with other content; it was not adopted",
                method="POST",
                path=kind.collection,
                correlation_id=response.headers.get(CORRELATION_HEADER) if response is not None else None,
            )
        return found

    async def _settle_lost_update(
        self, kind: Kind, object_id: str, body: Mapping[str, Any], version: int, path: str
    ) -> dict[str, Any] | None:
        """Read back after a lost update: the object if it landed, None to send again, else a mismatch.

        Without versions, an object that reads as what we sent is taken as landed, and
        anything else is sent again (a whole-object ``PUT`` can be repeated).
        """
        live = await self.get(kind, object_id)
        sent = kind.essence(body)
        if not kind.versioned:
            return live if kind.comparable(kind.essence(live), sent) == sent else None
        live_version = live.get("version")
        if live_version == version + 1 and kind.comparable(kind.essence(live), sent) == sent:
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
    def _page_size(self, kind: Kind) -> str:
        return str(min(self.limits.page_size, kind.listing.page_size_max))

    async def _page(self, kind: Kind, number: int, **extra: str) -> dict[str, Any]:
        params = {"pageSize": self._page_size(kind), "pageNumber": str(number), **extra}
        response, _ = await self._call("GET", kind.collection, kind.collection, params=params)
        return self._listing(response, kind.collection)

    async def _walk_cursor(self, kind: Kind, **extra: str) -> list[dict[str, Any]]:
        """Pages of a cursor listing, following ``nextUri`` (its query, on the kind's own path)."""
        params: dict[str, str] = {"pageSize": self._page_size(kind), **extra}
        pages: list[dict[str, Any]] = []
        while True:
            response, _ = await self._call("GET", kind.collection, kind.collection, params=params)
            page = self._listing(response, kind.collection)
            pages.append(page)
            next_uri = page.get("nextUri")
            if not next_uri or not page["entities"]:
                return pages
            params = self._next_params(kind, str(next_uri), response)

    def _next_params(self, kind: Kind, next_uri: str, response: httpx.Response) -> dict[str, str]:
        """The query of a ``nextUri``, refused unless it points at the same collection."""
        parts = urlsplit(next_uri)
        if parts.path.rstrip("/") != kind.collection or not parts.query:
            raise ServerError(
                response.status_code, "invalid.response", f"the listing's nextUri leaves the collection: {next_uri}",
                method="GET", path=kind.collection, correlation_id=response.headers.get(CORRELATION_HEADER),
            )
        return dict(parse_qsl(parts.query, keep_blank_values=True))

    def _listing(self, response: httpx.Response, path: str) -> dict[str, Any]:
        page = self._json(response, "GET", path)
        if not isinstance(page.get("entities"), list):
            raise ServerError(
                response.status_code, "invalid.response", "the listing has no entities",
                method="GET", path=path, correlation_id=response.headers.get(CORRELATION_HEADER),
            )
        return page

    async def _find(self, kind: Kind, name: str) -> tuple[dict[str, Any] | None, httpx.Response | None]:
        """Look ``name`` up with the name filter where the API has one, else in the whole listing.

        A filter that matches parts of names, or that the server ignored, is checked
        against the whole name; a summary listing's match is read in full.
        """
        folded = name.casefold()
        response: httpx.Response | None = None
        candidates: list[dict[str, Any]] = []
        complete = False
        if kind.listing.name_filter is not None:
            params = {"pageSize": self._page_size(kind)}
            if kind.listing.style == "pages":
                params["pageNumber"] = "1"
            params[kind.listing.name_filter] = name
            response, _ = await self._call("GET", kind.collection, kind.collection, params=params)
            page = self._listing(response, kind.collection)
            candidates = page["entities"]
            complete = not page.get("nextUri")
        match = next((e for e in candidates if str(e.get("name", "")).casefold() == folded), None)
        if match is None and not complete:
            candidates = await self.list_all(kind)
            match = next((e for e in candidates if str(e.get("name", "")).casefold() == folded), None)
        if match is not None and kind.listing.is_summary:
            match = await self.get(kind, str(match["id"]))
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
    :class:`~reconciler.core.errors.ApiError` would miss.)
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


def _unique(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities of ``pages`` in order, each id once (an object can move across a page boundary between reads)."""
    seen: set[Any] = set()
    out: list[dict[str, Any]] = []
    for page in pages:
        for entity in page.get("entities") or []:
            key = entity.get("id") or id(entity)
            if key not in seen:
                seen.add(key)
                out.append(entity)
    return out


def _ms_since(t0: float) -> float:
    return (perf_counter() - t0) * 1000
