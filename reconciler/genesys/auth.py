"""Who the client is to the API: OAuth client-credentials tokens, and the bearer auth flow that spends them.

**Tokens** (:class:`TokenProvider`): ``POST {login}/oauth/token`` with HTTP Basic
``client_id:client_secret`` and the form ``grant_type=client_credentials``. The token is
reused until shortly before it expires (a margin of at most a fifth of its lifetime, so
short-lived sandbox tokens still get reused). A lock makes concurrent callers share one
fetch instead of each starting their own.

**The flow** (:class:`BearerAuth`, an ``httpx.Auth``): every API request carries the
token; when the API still answers ``401`` (the token was revoked or expired early), only
the token that failed is dropped, so a hundred calls failing with the same stale token
cause one refresh, not a hundred, and the request is sent once more with a fresh token.
Doing this in httpx's auth flow keeps the one re-send out of the retry policy: it is not
a retry of a failure but the same request with a valid credential.

A failed token request becomes :class:`~reconciler.core.errors.AuthenticationError` with its
status and error code; the secret is never part of it (and is blanked out of whatever
the login server says, in case it echoes it).

Token requests do not take a slot of the API rate limiter: the 300-a-minute limit is
the API's, per token; the login service is not part of it.

**A login is not part of the API request that needs it.** The request's overall deadline
(``ClientLimits.request_deadline``, kept on the request as :data:`DEADLINE`) stops while
the request waits for a token: a login that hangs would otherwise be cut short by it,
reported as the API call's own timeout (``GET /api/v2/... deadline``) and started over
by the API call's retries, each time with the login's own retries inside. Each token
request has a deadline of its own instead (the same length), the login's retry loop is
the only one to retry it, and its failure, named ``POST /oauth/token``, is final: the
call that needed the token and every later call of the client share it.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
from time import perf_counter

import anyio
import httpx

from reconciler.core.errors import ApiError, AuthenticationError
from reconciler.core.secrets import remember, secret_forms
from reconciler.genesys.answers import correlation_id, loads_bounded, read_body
from reconciler.genesys.errors import deadline_error, error_from_exception, error_from_response
from reconciler.genesys.limits import ClientLimits
from reconciler.genesys.pacing import Clock, Sleep
from reconciler.genesys.retry import api_retrying
from reconciler.genesys.stats import ClientStats

log = logging.getLogger("reconciler.genesys")

TOKEN_PATH = "/oauth/token"
#: a token's lifetime when the answer states none (Genesys's client-credentials default: a day)
TOKEN_LIFETIME = 86400.0
#: request extension: the cancel scope of the request's overall deadline, paused while it waits for a token
DEADLINE = "reconciler.deadline"
#: what an access token may hold: visible ASCII (RFC 6750 2.1's b64token is a subset), so it fits a header
_BEARER_TOKEN = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True)
class _Token:
    value: str = ""
    renew_at: float = float("-inf")


class TokenProvider:
    """Hands out a valid bearer token; one fetch at a time, cached until shortly before expiry."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        login_url: str,
        client_id: str,
        client_secret: str,
        limits: ClientLimits,
        stats: ClientStats,
        sleep: Sleep = anyio.sleep,
        clock: Clock = time.monotonic,
        notice: Callable[[BaseException | None, int, int, float], None] | None = None,
    ) -> None:
        self._http = http
        self._notice = notice
        self._url = login_url.rstrip("/") + TOKEN_PATH
        self._auth = httpx.BasicAuth(client_id, client_secret)
        #: the secret and its Basic credential, in every form a login server may echo them
        self._hidden = secret_forms(client_secret, client_id=client_id)
        self._limits = limits
        self._stats = stats
        self._sleep = sleep
        self._clock = clock
        self._lock = anyio.Lock()
        self._token = _Token()
        #: the login that failed after its retries: every later caller gets it too (see :meth:`token`)
        self._failure: ApiError | None = None

    def _valid(self) -> str | None:
        return self._token.value if self._token.value and self._clock() < self._token.renew_at else None

    def cached(self) -> str | None:
        """The token if one is valid now, without waiting for anything (None: :meth:`token` must fetch)."""
        return self._valid()

    async def token(self) -> str:
        """A token valid for a while yet; fetches one if there is none.

        A login that failed after its retries fails every later call of this client at once,
        callers queued behind the fetch and calls that come after alike: its retries are spent,
        and starting them over per call multiplied a dead login's time by the calls that needed
        it (a plan's listings queued for their turn each logged in again). A client lives for one
        command, which fails with that error anyway.
        """
        current = self._valid()
        if current:
            return current
        if self._failure is not None:
            raise self._failure
        async with self._lock:
            current = self._valid()  # another caller may have fetched it while we waited
            if current:
                return current
            if self._failure is not None:
                raise self._failure  # the fetch we waited on already failed, retries and all
            try:
                self._token = await self._fetch()
            except ApiError as exc:
                self._failure = exc
                raise
            return self._token.value

    def invalidate(self, token: str | None = None) -> None:
        """Forget ``token`` (or whatever is cached when None) so the next call fetches a new one."""
        if token is None or token == self._token.value:
            self._token = _Token()

    async def _fetch(self) -> _Token:
        try:
            async for attempt in api_retrying(self._limits, stats=self._stats, sleep=self._sleep, notice=self._notice):
                with attempt:
                    token = await self._request()
        except ApiError as exc:
            exc.retries_exhausted = True  # the call that needed the token must not retry it all again
            raise
        return token

    async def _request(self) -> _Token:
        self._stats.token_fetches += 1
        started = self._clock()
        t0 = perf_counter()
        deadline = self._limits.request_deadline
        try:
            # Its own overall deadline: httpx's timeout is per read, and no API request's deadline covers a login.
            with anyio.move_on_after(deadline) as scope:
                request = self._http.build_request(
                    "POST", self._url, data={"grant_type": "client_credentials"}, headers={"Accept": "application/json"}
                )
                response = await self._http.send(request, auth=self._auth, stream=True)
                await read_body(response, self._limits.max_body_bytes, "POST", TOKEN_PATH)
            if scope.cancelled_caught:
                raise deadline_error(deadline, method="POST", path=TOKEN_PATH)
        except httpx.TransportError as exc:
            raise error_from_exception(exc, method="POST", path=TOKEN_PATH) from exc
        latency_ms = (perf_counter() - t0) * 1000
        self._stats.record_response(response.status_code, latency_ms)
        log.debug("POST %s -> %s in %.0f ms", TOKEN_PATH, response.status_code, latency_ms)
        if not response.is_success:
            error = error_from_response(response, method="POST", path=TOKEN_PATH, secrets=self._hidden)
            if error.retryable:
                raise error
            # Whatever the login server's status, a refused token request is an authentication failure.
            refused = "the token request was refused"
            raise AuthenticationError(
                error.status,
                error.code,
                f"{refused}: {error.api_message}" if error.api_message else refused,
                method="POST",
                path=TOKEN_PATH,
                correlation_id=error.correlation_id,
            )
        return self._parse(response, started)

    def _parse(self, response: httpx.Response, started: float) -> _Token:
        try:
            data = loads_bounded(response.text)
            value = data["access_token"]
            expires_in = _lifetime(data.get("expires_in", TOKEN_LIFETIME))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise AuthenticationError(
                response.status_code,
                "invalid.token.response",
                "the token answer has no access_token/expires_in",
                method="POST",
                path=TOKEN_PATH,
                correlation_id=correlation_id(response),
            ) from None
        if not isinstance(value, str) or not value:
            raise AuthenticationError(
                response.status_code, "invalid.token.response", "the token answer has an empty access_token",
                method="POST", path=TOKEN_PATH, correlation_id=correlation_id(response),
            )
        if not _BEARER_TOKEN.fullmatch(value):
            # A token is sent as "Authorization: Bearer <token>": a CR, LF, NUL or non-ASCII letter in it
            # made every API request unsendable (h11's LocalProtocolError, retried as a dropped connection
            # and reported as "connection.error: LocalProtocolError"), or split the header. RFC 6750 2.1:
            # a bearer token is a b64token, visible ASCII only. The value itself is never shown.
            raise AuthenticationError(
                response.status_code, "invalid.token.response",
                "the token answer's access_token is not a bearer token (RFC 6750: visible ASCII characters only)",
                method="POST", path=TOKEN_PATH, correlation_id=correlation_id(response),
            )
        if not math.isfinite(expires_in) or expires_in <= 0:
            # A lifetime of 0, -5, NaN or infinity says nothing usable: taken at its word, a token
            # "expired" on arrival was fetched again for every API request. It is read as absent
            # (the platform's default lifetime), and the 401 flow renews the token whenever the API
            # says it expired. That is all the Genesys SDKs ever do: PureCloudPlatformClientV2's
            # get_client_credentials_token and the Go SDK's AuthorizeClientCredentials (CX as
            # Code's login) keep only access_token, never read expires_in, and log in again on a 401.
            log.debug("POST %s: expires_in %r is not a positive number of seconds; taken as absent", TOKEN_PATH,
                      data.get("expires_in"))
            expires_in = TOKEN_LIFETIME
        margin = min(self._limits.token_refresh_margin, expires_in / 5)
        remember([value])  # every token, not only the one a failing request carried, is masked wherever echoed
        return _Token(value=value, renew_at=started + expires_in - margin)


def _lifetime(value: object) -> float:
    """``expires_in`` as seconds; an integer too large for a float (``1`` and 400 zeros) is infinity.

    Why: ``float`` raises OverflowError for one, which is no ValueError: a login answered so ended
    plan in a traceback. Infinity is then taken as absent, as a NaN or a negative lifetime is.
    """
    try:
        return float(value)  # type: ignore[arg-type]  # anything else raises TypeError or ValueError: no token
    except OverflowError:
        return math.inf


class BearerAuth(httpx.Auth):
    """httpx auth flow of API calls: the shared bearer token, and ONE re-send after a ``401``.

    A second ``401`` is the answer the caller gets (an authentication error); its token
    is dropped too, so the next call starts with a fresh one. ``before_resend`` is
    awaited before the fresh token is taken (the session's rate slot): a token is fetched
    as late as possible, since a short-lived one can expire while its request waits.
    """

    def __init__(
        self,
        tokens: TokenProvider,
        stats: ClientStats,
        *,
        before_resend: Callable[[], Awaitable[None]] | None = None,
        max_body_bytes: int = ClientLimits.max_body_bytes,
    ) -> None:
        self._tokens = tokens
        self._stats = stats
        self._before_resend = before_resend
        self._max_body_bytes = max_body_bytes

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("BearerAuth fetches its token asynchronously: use it with httpx.AsyncClient")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self._tokens.cached() or await self._fetch(request)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        self._stale(token)
        # frees its connection before the token request needs one (read within the cap, as every answer is)
        await read_body(response, self._max_body_bytes, request.method, request.url.path)
        await request.aread()
        if self._before_resend is not None:
            await self._before_resend()
        token = await self._fetch(request)
        # A new request, not the old one altered: whoever recorded the first keeps what was sent.
        again = httpx.Request(
            request.method, request.url, headers=request.headers, content=request.content,
            extensions=dict(request.extensions),
        )
        again.headers["Authorization"] = f"Bearer {token}"
        response = yield again
        if response.status_code == 401:
            self._stale(token)

    async def _fetch(self, request: httpx.Request) -> str:
        """A token for ``request``, its overall deadline (:data:`DEADLINE`) stopped meanwhile (see the module's doc)."""
        scope = request.extensions.get(DEADLINE)
        if not isinstance(scope, anyio.CancelScope):
            return await self._tokens.token()
        left = scope.deadline - anyio.current_time()
        scope.deadline = math.inf
        try:
            return await self._tokens.token()
        finally:
            scope.deadline = anyio.current_time() + left

    def _stale(self, token: str) -> None:
        self._tokens.invalidate(token)
        self._stats.token_refreshes_on_401 += 1


def bearer_token(request: httpx.Request) -> str:
    """The token a request carried (to blank it out of an error message)."""
    return str(request.headers.get("Authorization", "")).removeprefix("Bearer ")
