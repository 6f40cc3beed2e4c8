"""Run object steps concurrently, each as soon as what it waits for has finished.

A failure costs only what depends on it: a step whose required step did not succeed is
skipped (never sent), everything else goes on. At most ``concurrency`` steps write at a
time; waiting does not hold a slot, and neither does recording an outcome: a step hands its
slot back (:class:`Slot`) as soon as its last request is answered, so the next ready step
sends while the outcome goes to disk. The step still counts as running until its outcome
is recorded: nothing that depends on it starts, and the run does not end, before that. The steps come from
:func:`reconciler.apply.steps.build_steps`, which guarantees that every id a step waits
for belongs to another step of the run and that the waits form no cycle.

A change may take two steps (a replace: delete, then create). The second half
(``ObjectStep.continues``) speaks for the change: when the first half did not succeed, its
outcome is the change's and the second is never sent; when the second is not sent after
the first succeeded (a dependency failed, a stop), the change failed half done. Only the
second half is reported to ``progress``, once per change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

import anyio

from reconciler.apply.interrupt import Stop
from reconciler.apply.result import ChangeOutcome, Outcome
from reconciler.apply.steps import ObjectStep, StepId

Progress = Callable[[ChangeOutcome], None]
"""Told each change's outcome as soon as it is known (progress display)."""


class Slot:
    """A step's place among the ``concurrency`` writing at once; :meth:`free` gives it back early, once.

    Why early: a step's last answer is in once its requests are done, but its outcome
    record (an fsync, maybe a hop to a worker thread) can take milliseconds; held that
    long, each slot idled for them on every write (issue 17).
    """

    def __init__(self, gate: anyio.Semaphore) -> None:
        self._gate: anyio.Semaphore | None = gate

    def free(self) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            gate.release()


Evaluate = Callable[[ObjectStep, Slot], Awaitable[ChangeOutcome]]
"""Runs one step; frees its :class:`Slot` once no request of the step remains to be sent or answered."""


#: why a change that depends on another is skipped ("which stale" read as a typo)
WHICH = {
    Outcome.FAILED: "which failed",
    Outcome.SKIPPED: "which was skipped",
    Outcome.STALE: "which is stale (it moved live since the plan)",
    Outcome.SUCCESS: "which succeeded",
}


async def run_steps(
    steps: Sequence[ObjectStep],
    evaluate: Evaluate,
    *,
    concurrency: int = 8,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> dict[StepId, ChangeOutcome]:
    """Evaluate every step once its waits are over; each step's outcome by its id.

    With ``stop`` requested, no further step starts (each is *skipped*, "not started") but the
    second half of a change whose first half is written (a replace's create after its delete);
    steps in flight get the stop's grace, then are cancelled and reported as failed with
    an unknown outcome (their intents stay open for the next run to settle).
    """
    done = {step.id: anyio.Event() for step in steps}
    outcomes: dict[StepId, ChangeOutcome] = {}
    gate = anyio.Semaphore(max(1, concurrency))
    in_flight: set[StepId] = set()
    first_halves = {step.continues for step in steps if step.continues is not None}

    async def blocked(step: ObjectStep) -> ChangeOutcome | None:
        """Wait for what ``step`` waits for; an outcome here means it must not run."""
        for key in step.after:
            await done[key].wait()
        for key in step.requires:
            await done[key].wait()
            if outcomes[key].outcome != Outcome.SUCCESS:
                why = f"depends on {key}, {WHICH[outcomes[key].outcome]}"
                return _not_sent(step, outcomes, Outcome.SKIPPED, why)
        return None

    def finishes_begun(step: ObjectStep) -> bool:
        """A second half whose first succeeded: it completes a change already half written, so a stop lets it
        start (within the stop's grace) rather than leave the object deleted until the next run."""
        first = outcomes.get(step.continues) if step.continues is not None else None
        return first is not None and first.outcome == Outcome.SUCCESS

    async def run_one(step: ObjectStep) -> None:
        try:
            outcome = await blocked(step)
            if outcome is None:
                await gate.acquire()
                slot = Slot(gate)
                try:
                    if stop is not None and stop.stopping and not finishes_begun(step):
                        outcome = _not_sent(step, outcomes, Outcome.SKIPPED, f"not started: {stop.why}")
                    else:
                        in_flight.add(step.id)
                        outcome = await evaluate(step, slot)
                        in_flight.discard(step.id)
                finally:
                    slot.free()
        except Exception as exc:  # pragma: no cover - a bug; keep the run's other outcomes
            outcome = ChangeOutcome.of(step.change, Outcome.FAILED, error=f"internal error: {exc!r}")
        outcomes[step.id] = outcome
        done[step.id].set()
        if progress is not None and step.id not in first_halves:
            progress(outcome)

    steps_scope = anyio.CancelScope()
    async with anyio.create_task_group() as watch:
        if stop is not None:
            watch.start_soon(stop.wait_then_cancel, steps_scope)
        with steps_scope:
            async with anyio.create_task_group() as group:
                for step in steps:
                    group.start_soon(run_one, step)
        watch.cancel_scope.cancel()
    # only after a stop whose grace ran out; first halves before the second halves that speak for them
    for step in sorted(steps, key=lambda s: s.continues is not None):
        if step.id not in outcomes:
            why = stop.why if stop is not None else "cancelled"
            if step.id in in_flight:
                error = f"in flight when stopped ({why}): outcome unknown, the next run settles it"
                outcomes[step.id] = ChangeOutcome.of(step.change, Outcome.FAILED, error=error)
            else:
                outcomes[step.id] = _not_sent(step, outcomes, Outcome.SKIPPED, f"not started: {why}")
    return outcomes


def _not_sent(step: ObjectStep, outcomes: Mapping[StepId, ChangeOutcome], outcome: Outcome, why: str) -> ChangeOutcome:
    """The outcome of ``step``, not sent for ``why``: a second half whose first did not succeed takes the
    first's outcome (the change went no further); one whose first succeeded leaves the change half done."""
    first = outcomes.get(step.continues) if step.continues is not None else None
    if first is not None and first.outcome != Outcome.SUCCESS:
        return first
    if first is not None:
        return ChangeOutcome.of(step.change, Outcome.FAILED, error=f"{step.begun}: {why}")
    return ChangeOutcome.of(step.change, outcome, error=why)


__all__ = ["WHICH", "Evaluate", "Progress", "Slot", "run_steps"]
