"""The embedded mode: an httpx transport that calls the sandbox app in-process.

It is httpx's ASGI transport plus one translation: a response the sandbox drops
(:class:`~.edge.DroppedResponse`) becomes :class:`httpx.RemoteProtocolError`, the
same error a client sees when a real server closes the connection mid-response, so
client code handles both modes with one ``except``.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from starlette.types import ASGIApp

from reconciler.sandbox.edge import DroppedResponse


class EmbeddedTransport(httpx.AsyncBaseTransport):
    """Serves ``httpx.AsyncClient`` requests from an ASGI app, without a socket."""

    def __init__(self, app: ASGIApp, *, on_close: Callable[[], None] | None = None) -> None:
        """``on_close``: run when the transport closes, for an app the transport owns (its store's files)."""
        self.app = app
        self._on_close = on_close
        self._inner = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except DroppedResponse as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response", request=request
            ) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()
        if self._on_close is not None:
            self._on_close()
