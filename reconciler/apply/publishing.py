"""Publishing after apply's writes: one job per kind, audited, waited for.

A kind with a :class:`~reconciler.kinds.Publish` binding (speech topics) leaves every
written object a draft; the objects whose spec says ``published: true`` are then
published together by one job (``POST /topics/publishjobs``), which apply polls to
completion. The job goes through the one writer like any write (an ``intent`` before the
``POST``, an ``outcome`` once the job has ended), and an object whose job failed or did
not finish in time is reported as failed: written, but not in the declared state, so the
next plan shows it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.apply.result import ChangeOutcome, Outcome
from reconciler.apply.steps import PublishStep
from reconciler.apply.writer import Answer, AuditedWriter, Request, Settled
from reconciler.core.errors import ApiError
from reconciler.core.keys import ObjectKey
from reconciler.kinds import Publish


async def run_publish(step: PublishStep, outcomes: dict[ObjectKey, ChangeOutcome], writer: AuditedWriter) -> str | None:
    """Publish the candidates that were written; a failure rewrites their outcomes.

    Returns the line for the apply report (like the post-write hooks), ``None`` when
    there was nothing to publish.
    """
    keys = [k for k in step.candidates if k in outcomes and outcomes[k].outcome == Outcome.SUCCESS]
    ids = [str(outcomes[k].object_id) for k in keys if outcomes[k].object_id]
    if not ids:
        return None
    failure = await _publish(step, ids, writer)
    count = f"{len(ids)} {step.kind.name} object{'s' if len(ids) != 1 else ''}"
    if failure is None:
        return f"{step.publish.description}: {count} published"
    for key in keys:
        outcomes[key] = outcomes[key].model_copy(
            update={"outcome": Outcome.FAILED, "error": f"written, but not published: {failure}"}
        )
    return f"{step.publish.description}: failed: {failure}"


async def _publish(step: PublishStep, ids: list[str], writer: AuditedWriter) -> str | None:
    """Run one job; ``None`` when it completed, else why not."""
    publish = step.publish
    request = Request(
        action="hook",
        method="POST",
        path=publish.path,
        kind=step.kind.name,
        changes=[{"path": publish.ids_field, "before": None, "after": ids}],
    )

    async def call() -> Answer:
        return await writer.client.publish(publish, ids)

    def settle(answer: Answer) -> Settled:
        job = answer.object or {}
        failure = job_failure(publish, job)
        error = None if failure is None else {"code": "job.failed", "message": failure}
        return Settled(object_id=job.get("id"), error=error)

    try:
        _, settled = await writer.send(request, call, settle)
    except ApiError as exc:
        return str(exc)
    return None if settled.error is None else settled.error["message"]


def job_failure(publish: Publish, job: Mapping[str, Any]) -> str | None:
    """Why a job as last read did not publish (failed, or still running at the timeout); ``None`` if it did."""
    state = job.get(publish.state_field)
    if state in publish.done_states:
        return None
    ended = "did not finish in time" if state not in publish.failed_states else "failed"
    return f"publish job {job.get('id')} {ended} (state {state!r})"


__all__ = ["job_failure", "run_publish"]
