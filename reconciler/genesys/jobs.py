"""Platform jobs: start one, then poll it until it ends or the patience runs out.

Some changes take effect only through an asynchronous job (publishing speech topics:
``POST .../publishjobs`` then ``GET .../publishjobs/{jobId}``). The poll is a tenacity
loop that retries on the job's *state*, not on an error: the first poll at once, then
waits from ``ClientLimits.job_poll_initial`` doubling up to :data:`JOB_POLL_MAX` seconds, for at
most ``timeout`` seconds. Running out of time is not an error: the result carries the job
as last read, and its state says it is still running.

Starting a job again is harmless (publishing is idempotent), so the ``POST`` is retried
like a read.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_delay, wait_exponential

from reconciler.core.urls import path_segment
from reconciler.genesys.answers import identity_problem, invalid, json_object
from reconciler.genesys.result import WriteResult, answered
from reconciler.genesys.session import Session
from reconciler.kinds import Publish

JOB_POLL_MAX = 5.0
JOB_TIMEOUT = 300.0


async def publish(session: Session, job: Publish, ids: list[str], *, timeout: float = JOB_TIMEOUT) -> WriteResult:
    """Start a publish job for ``ids`` and poll it; the result's ``object`` is the job as last read."""
    started = perf_counter()
    response, attempts = await session.call("POST", job.path, job.path, json={job.ids_field: list(ids)})
    state = json_object(response, "POST", job.path)
    job_id = state.get("id")
    finished = (*job.done_states, *job.failed_states)
    if state.get(job.state_field) not in finished and job_id is not None:
        # the id is the server's and becomes a path: a number, "../../users" or "x?y" must not be polled
        problem = identity_problem(state, named=False)
        if problem is not None:
            raise invalid(response, "POST", job.path, "the job" + problem)
        job_path = f"{job.path}/{path_segment(job_id)}"

        async def poll() -> dict[str, Any]:
            answer, _ = await session.call("GET", job_path, job.path + "/{jobId}")
            return json_object(answer, "GET", job_path)

        def last(retry_state: RetryCallState) -> dict[str, Any]:
            assert retry_state.outcome is not None
            return dict(retry_state.outcome.result())

        polling = AsyncRetrying(
            retry=retry_if_result(lambda j: j.get(job.state_field) not in finished),
            wait=wait_exponential(
                multiplier=session.limits.job_poll_initial, min=session.limits.job_poll_initial, max=JOB_POLL_MAX
            ),
            stop=stop_after_delay(timeout),
            sleep=session.sleep,
            retry_error_callback=last,
        )
        state = await polling(poll)
    return answered(response, state, "POST", job.path, started, attempts)
