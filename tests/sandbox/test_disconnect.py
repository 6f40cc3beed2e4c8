"""A client that goes away mid-request is not a sandbox bug (issue 16): no traceback, no 500 counted.

Driven at the ASGI level: the request's body never comes, the server is told ``http.disconnect``,
as uvicorn tells an app whose client closed the connection.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anyio
import pytest

from reconciler.sandbox import SandboxOptions, create_app
from reconciler.sandbox.edge import DISCONNECT_STATUS


async def _post_then_disconnect(app: Any, path: str) -> list[dict[str, Any]]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/x-www-form-urlencoded")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8765),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def test_a_disconnect_is_counted_as_one_and_logs_no_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(SandboxOptions(db_path=tmp_path / "s.db", rate_limit=0))
    with caplog.at_level(logging.DEBUG):
        anyio.run(_post_then_disconnect, app, "/oauth/token")  # reads the body: starlette's ClientDisconnect
    statuses = app.sandbox.stats.snapshot()["statuses"]
    assert statuses == {str(DISCONNECT_STATUS): 1}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert any("client disconnected during POST /oauth/token" in r.getMessage() for r in caplog.records)


def test_a_real_bug_is_still_a_500_with_its_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(SandboxOptions(db_path=tmp_path / "s.db", rate_limit=0))

    def broken(*args: object) -> None:
        raise RuntimeError("a sandbox bug")

    monkeypatch.setattr(app.sandbox.authority, "issue", broken)

    async def post() -> list[dict[str, Any]]:
        scope_body = iter([{"type": "http.request", "body": b"grant_type=client_credentials", "more_body": False}])
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return next(scope_body, {"type": "http.disconnect"})

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": "/oauth/token", "raw_path": b"/oauth/token", "query_string": b"", "root_path": "",
            "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8765),
        }
        await app(scope, receive, send)
        return sent

    with caplog.at_level(logging.ERROR):
        anyio.run(post)
    assert app.sandbox.stats.snapshot()["statuses"] == {"500": 1}
    assert any(r.exc_info for r in caplog.records)
