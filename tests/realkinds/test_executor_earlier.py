"""The executor's check before a create that an earlier run may have made (``reconciler.apply.earlier``).

A scripted client stands in: what a read by id finds is set per test; the trail records.
Nothing refused before sending leaves a record, as for any change found stale before writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import anyio

from reconciler.apply.earlier import EarlierCreate, created_earlier
from reconciler.apply.executor import apply_plan
from reconciler.apply.result import ApplyResult, Outcome
from reconciler.core.errors import ApiError, PermissionError_
from reconciler.core.keys import ObjectKey
from reconciler.kinds import Kind
from reconciler.plan.model import Action, ResourceChange

from . import test_executor
from ._support import TRIGGER, trigger_body
from .test_executor import ScriptedWriter, Trail, plan

EARLIER = {ObjectKey(TRIGGER.name, "t"): EarlierCreate("made-1", datetime(2026, 12, 2, 7, 0, 1, tzinfo=UTC))}


@dataclass
class Reading(ScriptedWriter):
    found: dict[str, Any] | None = None
    refusal: ApiError | None = None
    asked: list[str] = field(default_factory=list)
    waited: list[float] = field(default_factory=list)

    async def get_once_shown(self, kind: Kind, object_id: str, *, waited: float = 0.0) -> dict[str, Any] | None:
        self.asked.append(object_id)
        self.waited.append(waited)
        if self.refusal is not None:
            raise self.refusal
        return self.found

    async def find_once_shown(self, kind: Kind, name: str, *, waited: float = 0.0) -> dict[str, Any] | None:
        self.asked.append(f"named {name}")
        self.waited.append(waited)
        if self.refusal is not None:
            raise self.refusal
        return self.found


def create(name: str = "T") -> ResourceChange:
    spec = {k: v for k, v in trigger_body(name).items() if k != "name"}
    return ResourceChange(kind=TRIGGER.name, name=name, action=Action.CREATE, spec=spec, after={"name": name})


def run(client: Reading, change: ResourceChange, live: dict[str, list[dict[str, Any]]] | None = None
        ) -> tuple[ApplyResult, Trail]:
    trail = Trail()
    result = anyio.run(partial(apply_plan, plan(change), client, live=live or {}, env={}, trail=trail, earlier=EARLIER))
    return result, trail


def test_an_object_an_earlier_run_made_that_is_there_is_not_created_again() -> None:
    client = Reading(found={"id": "made-1", "name": "T"})
    result, trail = run(client, create())
    (outcome,) = result.changes
    assert outcome.outcome == Outcome.STALE
    assert outcome.error == ("created by an earlier run at 2026-12-02 07:00:01 UTC (id made-1), which the listing "
                             "does not show yet; nothing sent: run plan again shortly")
    assert client.asked == ["made-1"] and client.calls == [] and trail.records == []


def test_one_deleted_since_is_created() -> None:
    client = Reading(found=None)
    result, trail = run(client, create())
    assert result.changes[0].outcome == Outcome.SUCCESS
    assert client.asked == ["made-1"] and client.calls == [("create", "T")]
    assert [r["type"] for r in trail.records] == ["intent", "outcome"]


def test_a_read_that_fails_sends_nothing() -> None:
    client = Reading(refusal=PermissionError_(403, "missing.permissions", "no read"))
    result, trail = run(client, create())
    (outcome,) = result.changes
    assert outcome.outcome == Outcome.FAILED and outcome.error is not None
    assert outcome.error.startswith("not sent: could not read made-1"), outcome.error
    assert client.calls == [] and trail.records == []


def test_another_name_and_a_replace_are_not_looked_for() -> None:
    client = Reading(found={"id": "made-1"})
    result, _ = run(client, create("Other"))
    assert result.changes[0].outcome == Outcome.SUCCESS and client.asked == []
    replace = test_executor.TestReplace()  # the listing shows the object it replaces: nothing lags
    result, _ = run(client, replace.change(), replace.live())
    assert result.changes[0].outcome == Outcome.SUCCESS and client.asked == []
    assert client.calls[-2:] == [("delete", "old-id"), ("create", "T")]


UNANSWERED = {ObjectKey(TRIGGER.name, "t"): EarlierCreate(None, datetime(2026, 12, 2, 7, 0, 1, tzinfo=UTC), name="T")}


def test_a_killed_runs_create_with_no_answer_recorded_is_looked_for_by_name() -> None:
    """The chaos campaign's duplicate: the object it made is there, the listing lags: nothing is sent."""
    client = Reading(found={"id": "made-2", "name": "T"})
    trail = Trail()
    result = anyio.run(partial(apply_plan, plan(create()), client, live={}, env={}, trail=trail, earlier=UNANSWERED))
    (outcome,) = result.changes
    assert outcome.outcome == Outcome.STALE and outcome.error is not None
    assert outcome.error.startswith("an earlier run's create of this name landed without its answer recorded")
    assert client.asked == ["named T"] and client.calls == [] and trail.records == []
    gone = Reading(found=None)  # it never showed within the bound: it did not land, this create goes ahead
    result = anyio.run(partial(apply_plan, plan(create()), gone, live={}, env={}, trail=Trail(), earlier=UNANSWERED))
    assert result.changes[0].outcome == Outcome.SUCCESS and gone.calls == [("create", "T")]


def test_the_reads_spend_only_what_is_left_of_the_lag_bound_since_the_earlier_write() -> None:
    """The listing shows a write within the bound from when it was sent: a re-run 45 s after a stopped create
    reads once (``waited`` past the 31 s bound, ``confirm.reads_within``), where it waited 31 s again."""
    at = datetime(2026, 12, 2, 7, 0, 1, tzinfo=UTC)
    for earlier, asked in ((EarlierCreate(None, at, name="T"), "named T"), (EarlierCreate("made-1", at), "made-1")):
        client = Reading(found=None)
        assert anyio.run(created_earlier, TRIGGER, earlier, client, at + timedelta(seconds=45)) is None
        assert client.asked == [asked] and client.waited == [45.0]
