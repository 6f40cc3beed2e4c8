"""A step frees its scheduler slot once its last request is answered; its outcome record follows outside it.

What must not change with it: nothing that depends on a step starts, and the run does not
end, before that step's outcome is recorded; and the audit intent still comes before the
request, the outcome after the answer. Orders of events only, never times.
"""

from __future__ import annotations

import threading
from pathlib import Path

import anyio
import pytest

from reconciler.apply.placement import Placement
from reconciler.apply.result import ChangeOutcome, Outcome
from reconciler.apply.scheduler import Slot, run_steps
from reconciler.apply.steps import CreateStep, ObjectStep
from reconciler.apply.trail import NullTrail
from reconciler.apply.writer import Answer, nothing_stored
from reconciler.audit.trail import AuditTrail
from reconciler.core.errors import ApiError
from reconciler.core.keys import ObjectKey
from reconciler.core.sending import going_out
from reconciler.kinds import REGISTRY
from reconciler.plan.model import Action, ResourceChange
from tests.engine.test_intent_timing import REQUEST, _Answer, _writer


def _step(name: str, *requires: str) -> ObjectStep:
    change = ResourceChange(kind="VoiceProfile", name=name, action=Action.CREATE)
    return CreateStep(change, REGISTRY["VoiceProfile"], requires=tuple(ObjectKey("VoiceProfile", r) for r in requires))


def test_the_next_step_sends_while_the_last_one_records_its_outcome() -> None:
    """With one slot: b starts once a's answer is in, a's dependant c only once a's outcome is recorded."""
    events: list[str] = []
    recorded = {"a": anyio.Event(), "b": anyio.Event()}

    async def evaluate(step: ObjectStep, slot: Slot) -> ChangeOutcome:
        name = step.change.name
        events.append(f"send {name}")
        slot.free()  # the answer is in
        slot.free()  # freeing twice gives back one slot, not two
        if name in recorded:
            if name == "b":
                recorded["a"].set()  # b only got here because a's slot was free before a recorded
            await recorded[name].wait()
            if name == "a":
                recorded["b"].set()
        events.append(f"recorded {name}")
        return ChangeOutcome.of(step.change, Outcome.SUCCESS)

    async def main() -> dict[ObjectKey, ChangeOutcome]:
        with anyio.fail_after(30):  # a hang (b never started) fails instead of blocking the suite
            return await run_steps([_step("a"), _step("b"), _step("c", "a")], evaluate, concurrency=1)

    outcomes = anyio.run(main)
    assert {o.outcome for o in outcomes.values()} == {Outcome.SUCCESS}
    assert events.index("send b") < events.index("recorded a") < events.index("send c")


def test_at_most_concurrency_steps_hold_a_slot() -> None:
    """A slot freed early is still one slot: never more than ``concurrency`` steps between start and answer."""
    holding = [0]
    peak = [0]

    async def evaluate(step: ObjectStep, slot: Slot) -> ChangeOutcome:
        holding[0] += 1
        peak[0] = max(peak[0], holding[0])
        await anyio.sleep(0)
        holding[0] -= 1
        slot.free()
        await anyio.sleep(0)  # "recording", outside the slot
        return ChangeOutcome.of(step.change, Outcome.SUCCESS)

    anyio.run(lambda: run_steps([_step(f"s{i}") for i in range(12)], evaluate, concurrency=3))
    assert peak[0] == 3


@pytest.mark.parametrize("refused", [False, True])
def test_the_writer_says_answered_after_the_call_and_before_the_outcome_record(refused: bool) -> None:
    events: list[str] = []

    async def call() -> Answer:
        await going_out()
        events.append("sent")
        if refused:
            raise ApiError(400, "bad.request", "refused")
        return _Answer()

    async def main() -> None:
        await _writer(events).send(REQUEST, call, nothing_stored, answered=lambda: events.append("answered"))

    if refused:
        with pytest.raises(ApiError):
            anyio.run(main)
    else:
        anyio.run(main)
    assert events == ["intent", "sent", "answered", "outcome failure" if refused else "outcome success"]


def test_records_go_in_place_while_quick_and_to_a_thread_once_not() -> None:
    """What the trail says a record costs decides: under the limit in place, over it on a worker thread."""
    cost = [0.0]
    place = Placement(lambda: cost[0], limit=0.001)
    threads: list[int] = []

    async def main() -> None:
        for seconds in (0.0, 0.002, 0.0005):
            cost[0] = seconds
            await place.run(lambda: threads.append(threading.get_ident()))

    anyio.run(main)
    here = threading.get_ident()
    assert [t == here for t in threads] == [True, False, True]


def test_the_audit_log_times_its_own_writes(tmp_path: Path) -> None:
    """What the writer's placement reads: zero before anything is written, then what batches cost."""
    trail = AuditTrail.open(tmp_path / "audit.jsonl", target="sandbox")
    assert trail.sync_seconds == 0.0
    trail.intent(kind="VoiceProfile", name="a", object_id=None, action="create", method="POST", path="/x")
    assert trail.sync_seconds > 0.0
    assert NullTrail().sync_seconds == 0.0  # an unaudited apply writes in place: there is nothing to write
    trail.close()


def test_a_skip_says_what_became_of_the_change_it_depends_on() -> None:
    """``depends on SpeechRule/X, which stale`` (and ``which skipped``) read as a typo in the failure list."""
    from reconciler.apply.result import Outcome
    from reconciler.apply.scheduler import WHICH

    assert set(WHICH) == set(Outcome)
    assert WHICH[Outcome.STALE] == "which is stale (it moved live since the plan)"
    assert WHICH[Outcome.SKIPPED] == "which was skipped"
    assert WHICH[Outcome.FAILED] == "which failed"
