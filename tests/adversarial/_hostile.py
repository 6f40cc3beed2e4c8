"""What every hostile-server test file shares: the kinds read, and answers made in one call.

Why a module of its own: the in-process listing cases, the slow sockets and the command-line
cases each build hostile answers, and they must build them alike (a page the way the
platform shapes it, a body that is not JSON) so that a case differs only in what it breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from reconciler.kinds import get_kind

VOICE = get_kind("VoiceProfile")
TOPIC = get_kind("SpeechTopic")

Handler = Callable[[httpx.Request], httpx.Response]


def ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


def raw(text: str) -> httpx.Response:
    return httpx.Response(200, content=text.encode(), headers={"Content-Type": "application/json"})


def page_of(n: int, **extra: Any) -> dict[str, Any]:
    return {"entities": [{"id": f"id-{n}-{i}", "name": f"o {n} {i}"} for i in range(2)], "pageNumber": n, **extra}
