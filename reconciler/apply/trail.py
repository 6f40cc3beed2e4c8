"""The one description of what apply needs of an audit trail.

:class:`reconciler.audit.trail.AuditTrail` satisfies :class:`Trail` structurally (apply does
not import the audit package, so tests can pass a recorder); :class:`NullTrail` is the trail
of an apply that audits nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from reconciler.core.errors import ApiError


class Trail(Protocol):
    """An intent on disk before every write is sent, and its outcome once it ended."""

    @property
    def sync_seconds(self) -> float:
        """What putting a record on disk has cost lately, in seconds (where the writer writes records)."""

    def intent(
        self,
        *,
        kind: str | None,
        name: str | None,
        object_id: str | None,
        action: str,
        changes: Iterable[Mapping[str, Any]] = (),
        method: str,
        path: str,
    ) -> int: ...

    def outcome(
        self,
        *,
        intent_seq: int,
        outcome: str,
        status: int | None = None,
        correlation_id: str | None = None,
        latency_ms: float | None = None,
        object_id: str | None = None,
        version: int | None = None,
        error: Mapping[str, Any] | ApiError | None = None,
    ) -> None: ...


class NullTrail:
    """Used when auditing is off (tests of the executor alone): numbers intents, keeps nothing."""

    #: nothing is written, so nothing is waited for
    sync_seconds = 0.0

    def __init__(self) -> None:
        self._seq = 0

    def intent(
        self,
        *,
        kind: str | None,
        name: str | None,
        object_id: str | None,
        action: str,
        changes: Iterable[Mapping[str, Any]] = (),
        method: str,
        path: str,
    ) -> int:
        self._seq += 1
        return self._seq

    def outcome(
        self,
        *,
        intent_seq: int,
        outcome: str,
        status: int | None = None,
        correlation_id: str | None = None,
        latency_ms: float | None = None,
        object_id: str | None = None,
        version: int | None = None,
        error: Mapping[str, Any] | ApiError | None = None,
    ) -> None:
        return None


__all__ = ["NullTrail", "Trail"]
