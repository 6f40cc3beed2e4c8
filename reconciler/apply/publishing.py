"""Publishing after apply's writes: one job per kind, audited, waited for.

A kind with a :class:`~reconciler.kinds.Publish` binding (speech topics) leaves every
written object a draft; the objects whose spec says ``published: true`` are then
published together by one job (``POST /topics/publishjobs``), which apply polls to
completion. The job is audited like any write (an ``intent`` before the ``POST``, an
``outcome`` once the job has ended), and an object whose job failed or did not finish
in time is reported as failed: written, but not in the declared state, so the next
plan shows it again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from reconciler.apply.result import ChangeOutcome, Outcome
from reconciler.core.errors import ApiError
from reconciler.core.keys import ObjectKey
from reconciler.kinds import Kind, Publish


class Publisher(Protocol):
    async def publish(self, publish: Publish, ids: list[str]) -> Any: ...


class Trail(Protocol):
    def intent(self, **fields: Any) -> int: ...
    def outcome(self, **fields: Any) -> None: ...


async def run_publishes(
    wanted: Mapping[str, list[ObjectKey]],
    outcomes: dict[ObjectKey, ChangeOutcome],
    kinds: Mapping[str, Kind],
    writer: Publisher,
    trail: Trail,
) -> list[str]:
    """Publish what ``wanted`` names, kind by kind; failures rewrite those objects' outcomes.

    Returns one line per job for the apply report (like the post-write hooks).
    """
    lines: list[str] = []
    for kind_name in sorted(wanted):
        publish = kinds[kind_name].publish
        keys = [k for k in wanted[kind_name] if outcomes.get(k) and outcomes[k].outcome == Outcome.SUCCESS]
        ids = [str(outcomes[k].object_id) for k in keys if outcomes[k].object_id]
        if publish is None or not ids:
            continue
        failure = await _publish(kind_name, publish, ids, writer, trail)
        count = f"{len(ids)} {kind_name} object{'s' if len(ids) != 1 else ''}"
        if failure is None:
            lines.append(f"{publish.description}: {count} published")
            continue
        lines.append(f"{publish.description}: failed: {failure}")
        for key in keys:
            outcomes[key] = outcomes[key].model_copy(
                update={"outcome": Outcome.FAILED, "error": f"written, but not published: {failure}"}
            )
    return lines


async def _publish(kind_name: str, publish: Publish, ids: list[str], writer: Publisher, trail: Trail) -> str | None:
    """Run one job; ``None`` when it completed, else why not."""
    seq = trail.intent(
        kind=kind_name,
        name=None,
        object_id=None,
        action="hook",
        changes=[{"path": publish.ids_field, "before": None, "after": ids}],
        method="POST",
        path=publish.path,
    )
    started = time.perf_counter()
    try:
        result = await writer.publish(publish, ids)
    except ApiError as exc:
        trail.outcome(
            intent_seq=seq, outcome="failure", status=exc.status, correlation_id=exc.correlation_id,
            latency_ms=round((time.perf_counter() - started) * 1000, 1), object_id=None, version=None,
            error={"code": exc.code, "message": str(exc)},
        )
        return str(exc)
    job = getattr(result, "object", None) or {}
    state = job.get(publish.state_field)
    failure = None
    if state not in publish.done_states:
        ended = "did not finish in time" if state not in publish.failed_states else "failed"
        failure = f"publish job {job.get('id')} {ended} (state {state!r})"
    trail.outcome(
        intent_seq=seq,
        outcome="success" if failure is None else "failure",
        status=result.status,
        correlation_id=result.correlation_id,
        latency_ms=round(result.latency_ms, 1),
        object_id=job.get("id"),
        version=None,
        error=None if failure is None else {"code": "job.failed", "message": failure},
    )
    return failure


__all__ = ["run_publishes"]
