"""Shared constants and builders of the HTTP-layer unit tests (fixtures live in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from reconciler.genesys import ClientLimits
from reconciler.kinds import get_kind

API = "http://127.0.0.1:8999"
CLIENT_ID = "client-id-1"
CLIENT_SECRET = "s3cr3t-client-value"
TOKEN = "tok-ABCDEF-123456"

VOICE = get_kind("VoiceProfile")
RULE = get_kind("SpeechRule")
HOOK = get_kind("Webhook")

#: No pacing to speak of, tiny backoffs: the unit tests are about branches, not timing.
FAST = ClientLimits(requests_per_minute=60_000, rate_burst=1000, backoff_initial=0.01, backoff_max=0.05, max_attempts=4)


@dataclass
class FakeSleep:
    """A fake time line: sleeping records the wait and moves ``clock()`` on, without waiting."""

    calls: list[float] = field(default_factory=list)
    now: float = 1000.0

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += max(0.0, seconds)
        await anyio.sleep(0)

    @property
    def positive(self) -> list[float]:
        return [s for s in self.calls if s > 0]


def envelope(entities: list[dict[str, Any]], *, page: int, size: int, total: int) -> dict[str, Any]:
    """A Genesys paging envelope as the contract describes it (nextUri absent on the last page)."""
    count = max(1, -(-total // size))
    out: dict[str, Any] = {
        "entities": entities,
        "pageSize": size,
        "pageNumber": page,
        "total": total,
        "pageCount": count,
        "firstUri": f"/x?pageSize={size}&pageNumber=1",
        "lastUri": f"/x?pageSize={size}&pageNumber={count}",
        "selfUri": f"/x?pageSize={size}&pageNumber={page}",
    }
    if page < count:
        out["nextUri"] = f"/x?pageSize={size}&pageNumber={page + 1}"
    return out


def error_body(status: int, code: str, message: str = "", **extra: Any) -> dict[str, Any]:
    return {"message": message or code, "code": code, "status": status, "messageParams": {}, "contextId": "ctx-1",
            "details": [], "errors": [], **extra}


def voice_body(name: str) -> dict[str, Any]:
    return VOICE.api_body(name, {"language": "en-US", "voice": "polly-joanna", "engine": "amazon_polly"})


def stored(body: dict[str, Any], *, id: str = "id-1", version: int = 1) -> dict[str, Any]:
    """What the server answers for a stored body: defaults filled, server fields added."""
    return {**body, "id": id, "version": version, "dateCreated": "2024-01-01T00:00:00Z",
            "dateModified": "2024-01-01T00:00:00Z", "selfUri": f"/x/{id}"}


def read_by_id(request: httpx.Request) -> httpx.Response:
    """The answer to ``GET …/{id}``: the object of that id (an answer for another id is refused as garbled)."""
    return httpx.Response(200, json={"id": request.url.path.rsplit("/", 1)[-1]})
