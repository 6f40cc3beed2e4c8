"""The session: the one httpx client every call of a :class:`~reconciler.genesys.GenesysClient` goes through.

It owns what is per connection rather than per kind: the base URL, the default
headers, the transport (a real network, or whatever the caller injected: the embedded
sandbox, a mock), the bearer auth flow, pacing, counting, and turning answers into the
error tree with their correlation id. Everything above it (listings, safe writes, jobs)
speaks in :meth:`Session.call` and :meth:`Session.exchange` and never sees httpx setup.

Every request actually sent, the auth flow's re-send after a ``401`` included, takes a
rate slot *before* its token is taken (a short-lived token must not expire while its
request waits for the slot): the first from :meth:`Session.exchange`, the re-send from
the auth flow. A write's audit intent is written after that slot and turn are taken
(:mod:`reconciler.core.sending`), so queueing for them never counts twice. Counting
lives in httpx event hooks, so that it sees each of them: by
``(method, path template)``, the template riding in the request's ``extensions``; token
requests carry none and are counted apart by :mod:`.auth`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Mapping
from functools import partial
from time import perf_counter
from typing import Any

import anyio
import httpx
from tenacity import AsyncRetrying

from reconciler import __version__
from reconciler.core.secrets import remembered_values, secret_forms
from reconciler.core.sending import going_out
from reconciler.genesys.answers import ACCEPT_ENCODING, correlation_id, read_body
from reconciler.genesys.auth import DEADLINE, BearerAuth, TokenProvider, bearer_token
from reconciler.genesys.config import Target
from reconciler.genesys.errors import deadline_error, error_from_exception, error_from_response
from reconciler.genesys.limits import ClientLimits
from reconciler.genesys.pacing import Clock, Pacer, Sleep
from reconciler.genesys.pool import default_transport
from reconciler.genesys.retry import UnansweredNotice, api_retrying
from reconciler.genesys.stats import ClientStats

log = logging.getLogger("reconciler.genesys")

#: request extensions that carry the session's bookkeeping through httpx (and its auth flow)
TEMPLATE = "reconciler.template"
SENT_AT = "reconciler.sent_at"


class Session:
    """``async with Session(...)``: open the httpx client; then :meth:`call` as often as needed."""

    def __init__(
        self,
        target: Target,
        *,
        transport: httpx.AsyncBaseTransport | None,
        limits: ClientLimits,
        stats: ClientStats,
        sleep: Sleep,
        clock: Clock,
        rng: random.Random | None,
        notice: UnansweredNotice | None = None,
    ) -> None:
        self.target = target
        self._notice = notice or UnansweredNotice()
        self.limits = limits
        self.stats = stats
        self.sleep = sleep
        self._transport = transport
        self._clock = clock
        self._rng = rng
        self._limiter = limits.rate_limiter(clock=clock, sleep=sleep)
        self._pacer = Pacer(self._limiter, limits.max_concurrency)
        self._http: httpx.AsyncClient | None = None
        self._auth: BearerAuth | None = None
        #: what no error may show: the client secret in every form (its Basic credential too), plus :meth:`hide`
        self.hidden: tuple[str, ...] = secret_forms(target.client_secret, client_id=target.client_id)

    def hide(self, values: Iterable[str]) -> None:
        """Also blank ``values`` (the ``${env:…}`` values of a plan) out of every later error message."""
        self.hidden = (*self.hidden, *(v for v in values if v))

    async def __aenter__(self) -> Session:
        conns = self.limits.max_concurrency + 2
        # a real server: small pools, whose per-request bookkeeping stays cheap, unless behind a proxy (see .pool)
        transport = self._transport if self._transport is not None else default_transport(conns)
        self._http = httpx.AsyncClient(
            base_url=self.target.api_url,
            transport=transport,
            timeout=self.limits.timeout,
            limits=httpx.Limits(max_connections=conns, max_keepalive_connections=conns),
            # only the codings whose decoding read_body can bound (answers.CODINGS), whatever httpx could decode
            headers={
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
                "User-Agent": f"reconciler/{__version__}",
            },
            follow_redirects=False,
            event_hooks={"request": [self._before_send], "response": [self._on_answer]},
        )
        tokens = TokenProvider(
            self._http,
            login_url=self.target.login_url,
            client_id=self.target.client_id,
            client_secret=self.target.client_secret,
            limits=self.limits,
            stats=self.stats,
            sleep=self.sleep,
            clock=self._clock,
            notice=partial(self._notice, self.target.login_url),
        )
        self._auth = BearerAuth(
            tokens, self.stats, before_resend=self._take_turn, max_body_bytes=self.limits.max_body_bytes
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def retrying(self) -> AsyncRetrying:
        """A fresh retry loop with the client's policy (see :mod:`.retry`)."""
        return api_retrying(
            self.limits, stats=self.stats, sleep=self.sleep, rng=self._rng,
            notice=partial(self._notice, self.target.api_url),
        )

    async def call(
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
        async for attempt in self.retrying():
            with attempt:
                response = await self.exchange(method, path, template, params=params, json=json, secrets=secrets)
                return response, attempt.retry_state.attempt_number
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def exchange(
        self,
        method: str,
        path: str,
        template: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        secrets: tuple[str, ...] = (),
    ) -> httpx.Response:
        """One attempt: the request (re-sent once by the auth flow after a ``401``), mapped to the error tree.

        ``secrets`` are values (write-only fields of the body) that must never surface in
        an error message; the token and the client secret never do either.
        """
        http, auth = self._require_open()
        t0 = perf_counter()
        async with self._pacer.bound():
            await self._take_turn()
            await going_out()  # e.g. the audit intent: written now that the request has its slot and turn
            try:
                # httpx's timeout is per read: a server trickling a byte a second would keep the
                # request alive for ever. The deadline bounds the whole exchange, but for the wait for
                # a token, which the auth flow takes out of it (the login has deadlines of its own: .auth).
                # (anyio.fail_after, without its two generator-based context managers per request)
                with anyio.move_on_after(self.limits.request_deadline) as deadline:
                    request = http.build_request(
                        method, path, params=params, json=json, extensions={TEMPLATE: template, DEADLINE: deadline}
                    )
                    # streamed, so that the body is counted as it is decoded (ClientLimits.max_body_bytes)
                    response = await http.send(request, auth=auth, stream=True)
                    await read_body(response, self.limits.max_body_bytes, method, path)
                if deadline.cancelled_caught:
                    raise TimeoutError
            except httpx.TransportError as exc:
                unanswered = error_from_exception(exc, method=method, path=path)
                log.debug("%s %s -> %s after %.0f ms", method, path, unanswered.code, ms_since(t0))
                raise unanswered from exc
            except TimeoutError:
                log.debug("%s %s -> deadline after %.0f ms", method, path, ms_since(t0))
                raise deadline_error(self.limits.request_deadline, method=method, path=path) from None
        if log.isEnabledFor(logging.DEBUG):  # not the header look-up of every answer for nothing
            took, named = ms_since(t0), correlation_id(response)
            log.debug("%s %s -> %s in %.0f ms [%s]", method, path, response.status_code, took, named)
        if response.is_success:
            return response
        hidden = (bearer_token(response.request), *self.hidden, *secrets, *remembered_values())
        error = error_from_response(response, method=method, path=path, secrets=hidden)
        if response.status_code == 429:
            # Everyone waits, not just this call: the limit is the token's, shared by all calls.
            retry_after = getattr(error, "retry_after", None)
            self._limiter.hold(min(retry_after if retry_after is not None else 1.0, self.limits.max_retry_after))
        raise error

    async def _take_turn(self) -> None:
        await self._pacer.take_turn(on_wait=lambda s: self.stats.record_wait("pacing", s))

    # ---- event hooks: every API request actually sent -----------------------------------
    async def _before_send(self, request: httpx.Request) -> None:
        template = request.extensions.get(TEMPLATE)
        if template is None:
            return  # a token request: counted by the token provider
        self.stats.record_request(request.method, str(template))
        request.extensions[SENT_AT] = perf_counter()

    async def _on_answer(self, response: httpx.Response) -> None:
        sent_at = response.request.extensions.get(SENT_AT)
        if sent_at is not None:
            self.stats.record_response(response.status_code, ms_since(float(sent_at)))

    def _require_open(self) -> tuple[httpx.AsyncClient, BearerAuth]:
        if self._http is None or self._auth is None:
            raise RuntimeError("GenesysClient is not open: use 'async with GenesysClient(...) as client'")
        return self._http, self._auth


def ms_since(t0: float) -> float:
    return (perf_counter() - t0) * 1000
