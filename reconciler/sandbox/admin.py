"""The sandbox's own surface for tests and benchmarks, under ``/__sandbox__/``.

Kept apart from the Genesys paths: no token, no rate limit, no faults, not counted.

* ``POST /__sandbox__/reset`` — forget every object, the request counts and the
  rate-limit windows (OAuth clients and tokens stay valid);
* ``GET /__sandbox__/stats`` — request counts per ``METHOD /path/template``, answers
  per status, how many requests were rate limited and how many faults were injected;
* ``POST /__sandbox__/clients`` — register an OAuth client with chosen platform
  permissions (``{"clientId", "clientSecret", "permissions": [...]}``), e.g. to provoke a
  403; ``scopes`` are refused, since they do not apply to client-credentials clients;
* ``POST /__sandbox__/expire-tokens`` — expire every token now, to exercise re-login.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox.edge import ADMIN_PREFIX
from reconciler.sandbox.responses import JSON, bad_request

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxState


class Stats:
    """Counters of one app instance (in memory: they describe this process's traffic)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.requests: Counter[str] = Counter()
            self.statuses: Counter[str] = Counter()
            self.faults: Counter[str] = Counter()

    def record(self, method: str, template: str, status: int) -> None:
        with self._lock:
            self.requests[f"{method} {template}"] += 1
            self.statuses[str(status)] += 1

    def fault(self, name: str) -> None:
        with self._lock:
            self.faults[name] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(sorted(self.requests.items())),
                "total": sum(self.requests.values()),
                "statuses": dict(sorted(self.statuses.items())),
                "rateLimited": self.statuses.get("429", 0),
                "faults": {"failed": self.faults.get("failed", 0), "dropped": self.faults.get("dropped", 0)},
            }


def admin_routes(state: SandboxState) -> list[Route]:
    async def reset(request: Request) -> Response:
        await run_in_threadpool(state.store.reset)
        state.stats.clear()
        state.limiter.clear()
        return JSON({"status": "reset"})

    async def stats(request: Request) -> Response:
        return JSON(state.stats.snapshot())

    async def register_client(request: Request) -> Response:
        from reconciler.sandbox.resources import json_object

        body = await json_object(request)
        issues: list[tuple[str, str]] = []
        for key in ("clientId", "clientSecret"):
            if not isinstance(body.get(key), str) or not body[key]:
                issues.append((key, "is required (a non-empty string)"))
        permissions = body.get("permissions", [])
        if not isinstance(permissions, list) or not all(isinstance(s, str) for s in permissions):
            issues.append(("permissions", "must be a list of strings"))
        if "scopes" in body:
            issues.append(("scopes", "do not apply to client-credentials clients: give their roles' permissions"))
        if issues:
            raise bad_request(issues)
        granted = frozenset(permissions)
        await run_in_threadpool(state.store.put_client, body["clientId"], body["clientSecret"], granted)
        return JSON({"clientId": body["clientId"], "permissions": sorted(granted)}, status_code=201)

    async def expire_tokens(request: Request) -> Response:
        count = await run_in_threadpool(state.store.expire_tokens, time.time())
        return JSON({"expired": count})

    return [
        Route(f"{ADMIN_PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/stats", stats, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/clients", register_client, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/expire-tokens", expire_tokens, methods=["POST"]),
    ]
