"""The outermost layer of the sandbox app: what must hold for every single response.

It gives each request an ``ININ-Correlation-Id`` (also the ``contextId`` of an error
body), applies the configured latency, counts requests per endpoint, turns any
unexpected exception into a Genesys 500 ``ErrorBody`` and performs *drops*: a write
marked to be dropped has committed, and its answer is cut off after the response start
by raising :class:`DroppedResponse`. Under uvicorn that closes the connection mid-
response; the embedded transport turns it into ``httpx.RemoteProtocolError``. A 204
has no body to cut off, so a dropped response is announced with a body that never comes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import anyio
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.sandbox.responses import CORRELATION_HEADER, JSON, ApiProblem

log = logging.getLogger("reconciler.sandbox")

#: the client went away mid-request (starlette while reading the body; anyio's streams otherwise)
DISCONNECTS: tuple[type[Exception], ...] = (ClientDisconnect, anyio.EndOfStream, anyio.BrokenResourceError)
#: how a disconnect is counted: nginx's "client closed request", so that it is never a 500
DISCONNECT_STATUS = 499

ADMIN_PREFIX = "/__sandbox__"
UNCOUNTED = ("/openapi.json",)


class DroppedResponse(Exception):
    """Raised after the response start of a dropped write: the connection must close."""


def is_genesys_path(path: str) -> bool:
    """Paths that emulate Genesys (counted, delayed) rather than the sandbox's own."""
    return not (path.startswith(ADMIN_PREFIX + "/") or path == ADMIN_PREFIX or path in UNCOUNTED)


class Edge:
    """Pure ASGI middleware wrapping the whole Starlette app (outside its error handling)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        latency_ms: int,
        record: Callable[[str, str, int], None],
        on_drop: Callable[[], None],
    ) -> None:
        self.app = app
        self.latency = latency_ms / 1000
        self.record = record
        self.on_drop = on_drop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        cid = str(uuid.uuid4())
        state["correlation_id"] = cid
        genesys = is_genesys_path(scope["path"])
        started = finished = False

        async def edge_send(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != CORRELATION_HEADER.lower().encode()
                ]
                headers.append((CORRELATION_HEADER.encode(), cid.encode()))
                message = {**message, "headers": headers}
                status = int(message["status"])
                if genesys:
                    route = scope.get("route")
                    template = getattr(route, "path", None) or scope["path"]
                    self.record(scope["method"], template, status)
                if state.get("drop") and status < 300:
                    self.on_drop()
                    await send(_announce_body(message))
                    raise DroppedResponse(f"{scope['method']} {scope['path']}")
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        if genesys and self.latency:
            await anyio.sleep(self.latency)
        try:
            await self.app(scope, receive, edge_send)
        except DroppedResponse:
            raise
        except DISCONNECTS:
            # Not a sandbox bug: no traceback. The app's error handler counted it (DISCONNECT_STATUS).
            log.debug("client disconnected during %s %s", scope.get("method"), scope.get("path"))
        except Exception as exc:  # a bug in the sandbox: still answer like Genesys would
            log.exception("sandbox error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                problem = ApiProblem(500, "The sandbox failed to handle the request")
                response = JSON(problem.body(cid), status_code=500)
                await response(scope, receive, edge_send)
            elif not finished:
                raise DroppedResponse("response cut short by a sandbox error") from exc


def _announce_body(start: Message) -> Message:
    """The start of a dropped response: promise at least one more byte than will come."""
    headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
    length = next((int(v) for k, v in start["headers"] if k.lower() == b"content-length"), 0)
    headers.append((b"content-length", str(max(length, 1)).encode()))
    status = 200 if start["status"] in (204, 304) else start["status"]
    return {**start, "status": status, "headers": headers}
