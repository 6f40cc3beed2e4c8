"""What a write reports back: one value for the apply report and the audit trail, whoever produced it.

Safe writes, post-write hooks and publish jobs all end in a :class:`WriteResult`, built
here so that "adopted" (the outcome was established by reading, not by an answer) is
counted and logged the same way wherever it happens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.genesys.answers import correlation_id
from reconciler.genesys.session import ms_since
from reconciler.genesys.stats import ClientStats

log = logging.getLogger("reconciler.genesys")


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


def answered(
    response: httpx.Response, obj: dict[str, Any] | None, method: str, path: str, started: float, attempts: int
) -> WriteResult:
    """The result of a write the server answered."""
    return WriteResult(
        object=obj,
        status=response.status_code,
        correlation_id=correlation_id(response),
        latency_ms=ms_since(started),
        method=method,
        path=path,
        attempts=attempts,
    )


def adopted(
    stats: ClientStats,
    obj: dict[str, Any] | None,
    method: str,
    path: str,
    started: float,
    attempts: int,
    *,
    status: int = 200,
    correlation: str | None = None,
) -> WriteResult:
    """The result of a write whose answer was lost and whose outcome was read instead."""
    stats.adopted += 1
    log.info("%s %s: the answer was lost; adopted what it did (id %s)", method, path, (obj or {}).get("id"))
    return WriteResult(
        object=obj,
        status=status,
        correlation_id=correlation,
        latency_ms=ms_since(started),
        method=method,
        path=path,
        adopted=True,
        attempts=attempts,
    )
