"""Run object steps concurrently, each as soon as what it waits for has finished.

A failure costs only what depends on it: a step whose required step did not succeed is
skipped (never sent), everything else goes on. At most ``concurrency`` steps write at a
time; waiting does not hold a slot. The steps come from
:func:`reconciler.apply.steps.build_steps`, which guarantees that every key a step waits
for belongs to another step of the run and that the waits form no cycle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import anyio

from reconciler.apply.result import ChangeOutcome, Outcome
from reconciler.apply.steps import ObjectStep
from reconciler.core.keys import ObjectKey

Progress = Callable[[ChangeOutcome], None]
"""Told each change's outcome as soon as it is known (progress display)."""


async def run_steps(
    steps: Sequence[ObjectStep],
    evaluate: Callable[[ObjectStep], Awaitable[ChangeOutcome]],
    *,
    concurrency: int = 8,
    progress: Progress | None = None,
) -> dict[ObjectKey, ChangeOutcome]:
    """Evaluate every step once its waits are over; each step's outcome by key."""
    done = {step.key: anyio.Event() for step in steps}
    outcomes: dict[ObjectKey, ChangeOutcome] = {}
    gate = anyio.Semaphore(max(1, concurrency))

    async def blocked(step: ObjectStep) -> ChangeOutcome | None:
        """Wait for what ``step`` waits for; an outcome here means it must not run."""
        for key in step.after:
            await done[key].wait()
        for key in step.requires:
            await done[key].wait()
            if outcomes[key].outcome != Outcome.SUCCESS:
                return ChangeOutcome.of(
                    step.change, Outcome.SKIPPED, error=f"depends on {key}, which {outcomes[key].outcome.value}"
                )
        return None

    async def run_one(step: ObjectStep) -> None:
        try:
            outcome = await blocked(step)
            if outcome is None:
                async with gate:
                    outcome = await evaluate(step)
        except Exception as exc:  # pragma: no cover - a bug; keep the run's other outcomes
            outcome = ChangeOutcome.of(step.change, Outcome.FAILED, error=f"internal error: {exc!r}")
        outcomes[step.key] = outcome
        done[step.key].set()
        if progress is not None:
            progress(outcome)

    async with anyio.create_task_group() as group:
        for step in steps:
            group.start_soon(run_one, step)
    return outcomes


__all__ = ["Progress", "run_steps"]
