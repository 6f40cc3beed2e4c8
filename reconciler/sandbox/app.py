"""Assembly of the sandbox app: routes, the request guard, error rendering.

Every Genesys endpoint passes :meth:`SandboxState.guard` first, in this order:
bearer token (401), rate limit per token (429 ``too.many.requests.retry.after`` +
``Retry-After``), platform permissions (403 ``missing.any.permissions``), then, for
collection writes, fault injection (500/502/503/504 without committing, or a drop after
committing). The token endpoint and the admin surface are not rate limited or faulted.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from reconciler.kinds import KINDS, PostWriteHook
from reconciler.sandbox import SandboxOptions
from reconciler.sandbox.admin import Stats, admin_routes
from reconciler.sandbox.audits import audit_routes
from reconciler.sandbox.auth import Authority
from reconciler.sandbox.catalog import catalog_routes
from reconciler.sandbox.edge import DISCONNECT_STATUS, DISCONNECTS, Edge
from reconciler.sandbox.faults import Fault, FaultInjector, RateLimiter
from reconciler.sandbox.identity import identity_routes
from reconciler.sandbox.lag import ReadLag
from reconciler.sandbox.resources import collection_routes, hook_route
from reconciler.sandbox.responses import JSON, ApiProblem, problem_response
from reconciler.sandbox.store import Store, TokenRecord


class SandboxState:
    """Everything one app instance holds: the store and the per-process machinery."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.store = Store(Path(options.db_path))
        clients = {c.client_id: (c.secret, frozenset(c.permissions)) for c in options.clients}
        self.authority = Authority(
            self.store, options.client_id, options.client_secret, options.token_ttl, clients=clients
        )
        #: seconds; drives the read lag, publish jobs and the rate limit's window (a test injects virtual time)
        self.clock = options.clock or time.time
        # a virtual clock drives the window too: else a Retry-After waited in virtual time never frees a slot
        self.limiter = RateLimiter(options.rate_limit, window=options.rate_window,
                                   clock=options.clock or time.monotonic)
        self.faults = FaultInjector(options.fail_rate, options.drop_rate, options.seed)
        self.stats = Stats()
        self.lag = ReadLag(options.read_lag_ms / 1000, self.clock)
        #: decides which publish jobs fail (``publish_fail_rate``), reproducibly with a seed
        self.publish_rng = random.Random(options.seed)

    async def guard(self, request: Request, needed: tuple[str, ...], *, write: bool) -> TokenRecord:
        """Admit a request to a Genesys endpoint (the token's record), or raise the error answer."""
        token = self.authority.bearer(request)
        # On the loop, not in a worker thread: a token lookup is one indexed read on this thread's
        # kept connection (about 10 us; WAL readers never wait for writers), while the hop to a worker
        # and back cost 90 us of CPU per request, paid again by every request in flight.
        record = self.authority.authenticate(token)
        retry_after = self.limiter.hit(token)
        if retry_after is not None:
            raise ApiProblem(
                429,
                f"Rate limit of {self.limiter.limit} requests per {_per(self.limiter.window)} exceeded; "
                f"retry after {retry_after} s",
                code="too.many.requests.retry.after",
                headers={"Retry-After": str(retry_after)},
            )
        self.authority.require(record, needed)
        if write:
            fault = self.faults.decide()
            if fault is Fault.FAIL_500:
                self.stats.fault("failed")
                raise ApiProblem(500, "Injected fault: internal server error (nothing was written)")
            if fault is Fault.FAIL_503:
                self.stats.fault("failed")
                raise ApiProblem(
                    503, "Injected fault: service unavailable (nothing was written)", headers={"Retry-After": "1"}
                )
            if fault is Fault.FAIL_502:
                self.stats.fault("failed")
                raise ApiProblem(502, "Injected fault: bad gateway (nothing was written)")
            if fault is Fault.FAIL_504:
                self.stats.fault("failed")
                raise ApiProblem(504, "Injected fault: gateway timeout (nothing was written)")
            if fault is Fault.DROP:
                request.state.drop = True
        return record

    def note_drop(self) -> None:
        self.stats.fault("dropped")


class SandboxApp(Starlette):
    """A Starlette app whose middleware stack sits inside :class:`~.edge.Edge`."""

    sandbox: SandboxState

    def close(self) -> None:
        """Close the store's files; for whoever owns the app, once it serves no more requests."""
        self.sandbox.store.close()

    def build_middleware_stack(self) -> ASGIApp:
        inner = super().build_middleware_stack()
        return Edge(
            inner,
            latency_ms=self.sandbox.options.latency_ms,
            record=self.sandbox.stats.record,
            on_drop=self.sandbox.note_drop,
        )


def build_app(options: SandboxOptions) -> SandboxApp:
    state = SandboxState(options)

    async def token(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        grant_type = form.get("grant_type", [None])[-1]
        answer = await run_in_threadpool(state.authority.issue, request.headers.get("authorization"), grant_type)
        return JSON(answer, headers={"Cache-Control": "no-store"})

    async def openapi(request: Request) -> Response:
        from reconciler.sandbox.openapi import document

        return JSON(document())

    routes: list[Route] = [Route("/oauth/token", token, methods=["POST"], name="oauth.token")]
    # reference listings first: ``/triggers/topics`` must not be read as the trigger with id "topics"
    routes.extend(catalog_routes(state))
    hooks: dict[tuple[str, str], PostWriteHook] = {}
    # deeper collections first: /integrations/actions must not be read as the integration called "actions"
    for kind in sorted(KINDS, key=lambda k: k.collection.count("/"), reverse=True):
        routes.extend(collection_routes(kind, state))
        if kind.after_write is not None:
            hooks.setdefault((kind.after_write.method, kind.after_write.path), kind.after_write)
    routes.extend(hook_route(hook, state) for hook in hooks.values())
    routes.extend(audit_routes(state))
    routes.extend(identity_routes(state))
    routes.append(Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False))
    routes.extend(admin_routes(state))

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return problem_response(request, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        messages = {404: "No such resource", 405: "Method not allowed on this resource"}
        message = messages.get(exc.status_code, str(exc.detail))
        headers = dict(exc.headers or {})
        return problem_response(request, ApiProblem(exc.status_code, message, headers=headers))

    async def on_bug(request: Request, exc: Exception) -> Response:
        if isinstance(exc, DISCONNECTS):  # nobody to answer: counted as a disconnect, not a 500
            return Response(status_code=DISCONNECT_STATUS)
        return problem_response(request, ApiProblem(500, "The sandbox failed to handle the request"))

    app = SandboxApp(
        routes=routes,
        exception_handlers={ApiProblem: on_problem, HTTPException: on_http, Exception: on_bug},
    )
    app.router.redirect_slashes = False  # Genesys answers 404, not a redirect, for a stray slash
    app.sandbox = state
    return app


def _per(window: float) -> str:
    """The rate limit's window in words: ``minute`` as Genesys says it, else the seconds a test chose."""
    return "minute" if window == 60 else f"{window:g} seconds"
