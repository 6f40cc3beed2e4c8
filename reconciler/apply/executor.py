"""Carry out a plan: its typed steps, in dependency order, with bounded concurrency and honest outcomes.

The executor never decides *what* to change (the planner did) nor in which order
(:func:`~reconciler.apply.steps.build_steps` did); it evaluates each step against the
objects as they are now and reports what became of it:

- a step whose object moved since the plan is *stale* and left alone
  (:mod:`reconciler.apply.stale`), as is a create of an object an earlier run created
  that the lagging listing does not show yet (:mod:`reconciler.apply.earlier`);
- placeholders are resolved at the last moment (:mod:`reconciler.apply.bodies`);
- a *replace* (a field the API cannot update changed) is two steps, ordered apart
  (:mod:`reconciler.apply.steps`): its delete half checks the object and the body it will
  create, then deletes the live object; its create half creates the declared one, keeping
  the unmanaged fields of the object it replaces. Two audited writes, one outcome, which
  says which half did not happen;
- objects whose kind publishes (``Kind.publish``) and whose spec asks for it are
  published after every write, by one job per kind that apply waits for
  (:mod:`reconciler.apply.publishing`); an update that only changes the publish flag writes
  nothing but the job;
- each kind's post-write hook (e.g. the TTS cache refresh) runs once, after the last
  write, if a write of that kind succeeded (:mod:`reconciler.apply.hooks`).

Every request goes through the one audited writer (:mod:`reconciler.apply.writer`).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.apply.bodies import check_body, request_body
from reconciler.apply.earlier import EarlierCreate, created_earlier, duplicate_reason
from reconciler.apply.hooks import run_hook
from reconciler.apply.interrupt import Stop
from reconciler.apply.publishing import run_publish
from reconciler.apply.result import ApplyResult, ChangeOutcome, Outcome
from reconciler.apply.scheduler import Progress, Slot, run_steps
from reconciler.apply.stale import referenced_since, refused_as_stale, stale_reason
from reconciler.apply.steps import (
    CreateStep,
    DeleteStep,
    HookStep,
    ObjectStep,
    PublishFlagStep,
    ReplaceCreateStep,
    ReplaceDeleteStep,
    UpdateStep,
    build_steps,
)
from reconciler.apply.trail import NullTrail, Trail
from reconciler.apply.writer import Answer, AuditedWriter, Client, WriteRefused
from reconciler.core.errors import ApiError, AuditError, ReconcilerError
from reconciler.core.keys import ObjectKey
from reconciler.core.live import LiveState
from reconciler.kinds import REGISTRY, Kind
from reconciler.plan.model import Action, Plan

Live = dict[ObjectKey, dict[str, Any]]
"""Live objects by key, as they become during the apply (references resolve against it)."""


async def apply_plan(
    plan: Plan,
    client: Client,
    *,
    live: LiveState,
    env: Mapping[str, str],
    trail: Trail | None = None,
    concurrency: int = 8,
    progress: Progress | None = None,
    kinds: Mapping[str, Kind] = REGISTRY,
    stop: Stop | None = None,
    due_hooks: Sequence[HookStep] = (),
    earlier: Mapping[ObjectKey, EarlierCreate] | None = None,
) -> ApplyResult:
    """Apply ``plan``; ``live`` is a fresh listing used for the stale check and references.

    ``due_hooks`` are hooks an earlier, unfinished run owed (its writes landed, its hook
    call did not): they are called whatever this run writes. After a ``stop`` no publish
    job or hook is started; the audit trail keeps them due for the next run. ``earlier``: objects
    recent runs created on this target, by key (from the audit log; :mod:`reconciler.apply.earlier`).
    """
    steps = build_steps(plan, kinds)
    writer = AuditedWriter(client, trail or NullTrail())
    objects: Live = {ObjectKey(k, o["name"]): dict(o) for k, objs in live.items() for o in objs}

    made = earlier or {}
    referenced = referenced_since(plan, live)
    #: live objects a replace's delete half removed, by key: its create half keeps their unmanaged fields
    gone: Live = {}

    async def evaluate(step: ObjectStep, slot: Slot) -> ChangeOutcome:
        if step.key in referenced and step.continues is None:
            return ChangeOutcome.of(step.change, Outcome.STALE, error=referenced[step.key])
        return await _evaluate(step, writer, objects, env, slot, made.get(step.key), gone)

    outcomes = await run_steps(steps.objects, evaluate, concurrency=concurrency, progress=progress, stop=stop)
    changes = {s.key: outcomes[s.id] for s in steps.per_change}  # a replace's outcome is its create half's
    if stop is not None and stop.stopping:
        ordered = [changes[s.key] for s in steps.per_change]
        result = ApplyResult.from_outcomes(
            ordered, target=plan.target, target_description=plan.target_description, interrupted=stop.why
        )
        return result.model_copy(update={"unrecorded": tuple(writer.unrecorded)})
    # hooks follow what was written (a replace's delete too), even if its publish job fails below
    written = {s.kind.name for s in steps.objects if outcomes[s.id].outcome == Outcome.SUCCESS}
    lines = [await run_publish(step, changes, writer) for step in steps.publishes]
    owed = {hook.hook.path for hook in due_hooks}
    lines += [await run_hook(step, written, writer) for step in steps.hooks if step.hook.path not in owed]
    lines += [await run_hook(step, set(step.kinds), writer) for step in due_hooks]
    ordered = [changes[s.key] for s in steps.per_change]  # after publishing, which may rewrite outcomes
    return ApplyResult.from_outcomes(
        ordered, hooks=[line for line in lines if line is not None], target=plan.target,
        target_description=plan.target_description,
    ).model_copy(update={"unrecorded": tuple(writer.unrecorded)})


async def _evaluate(
    step: ObjectStep, writer: AuditedWriter, live: Live, env: Mapping[str, str], slot: Slot,
    earlier: EarlierCreate | None, gone: Live,
) -> ChangeOutcome:
    """Check, resolve and write one object step; ``live`` follows what was written.

    ``earlier``: the object of this key a recent run created, if the audit log says so.
    ``gone``: the objects replaces' delete halves removed (a create half reads its own there).

    The step's ``slot`` is freed once its last write is answered (its outcome record follows outside it).
    """
    change, key = step.change, step.key
    current = live.get(key)
    if not isinstance(step, ReplaceCreateStep):  # its delete half checked the object it replaces
        stale = stale_reason(change, current, step.kind)
        if stale is not None:
            return ChangeOutcome.of(change, Outcome.STALE, error=stale.detail)
    if isinstance(step, CreateStep) and earlier is not None:
        try:
            made_why = await created_earlier(step.kind, earlier, writer.client)
        except ApiError as exc:
            return ChangeOutcome.of(change, Outcome.FAILED, error=(
                f"not sent: could not read {earlier.object_id or 'the object'}, which an earlier run created "
                f"under this name, to rule out creating it twice ({exc})"))
        if made_why is not None:
            return ChangeOutcome.of(change, Outcome.STALE, error=made_why)

    body: dict[str, Any] | None = None
    try:
        if isinstance(step, ReplaceDeleteStep):
            check_body(change, step.kind, live, env)  # a create that cannot be built must not cost the object
        elif isinstance(step, ReplaceCreateStep):  # unmanaged fields as the replaced object had them
            own: Live = {key: gone[key]} if key in gone else {}
            view: ChainMap[ObjectKey, dict[str, Any]] = ChainMap(own, live)
            body = request_body(change, step.kind, view, env)
        elif not isinstance(step, DeleteStep):
            body = request_body(change, step.kind, live, env)
    except ReconcilerError as exc:
        return ChangeOutcome.of(change, Outcome.FAILED, error=step.begun + ": " + str(exc) if step.begun else str(exc))

    object_id = change.object_id or (current or {}).get("id")
    if isinstance(step, PublishFlagStep):
        return ChangeOutcome.of(change, Outcome.SUCCESS, object_id=object_id)
    unrecorded = len(writer.unrecorded)
    try:
        answer = await _write(step, writer, object_id, body, slot)
    except AuditError as exc:  # the trail cannot be written (disk full): no write goes unaudited
        if len(writer.unrecorded) > unrecorded:
            error = f"sent and answered, but its outcome could not be recorded ({exc}); the next run settles it"
        else:
            error = f"not sent: {exc}"
        return ChangeOutcome.of(change, Outcome.FAILED, error=step.begun + ": " + error if step.begun else error)
    except WriteRefused as refused:
        stale_why = refused_as_stale(change.action, refused.action, refused.error)
        if stale_why is not None and change.action == Action.CREATE:
            stale_why = duplicate_reason(earlier, refused.error) or stale_why
        if stale_why is not None:
            return ChangeOutcome.of(change, Outcome.STALE, error=stale_why)
        return ChangeOutcome.of(change, Outcome.FAILED, error=_HALF_FAILED.get(type(step), "") + str(refused.error))

    stored = answer.object
    if isinstance(step, (DeleteStep, ReplaceDeleteStep)):
        removed = live.pop(key, None)
        if isinstance(step, ReplaceDeleteStep) and removed is not None:
            gone[key] = removed
    elif stored is not None:
        live[key] = dict(stored)
    return ChangeOutcome.of(
        change,
        Outcome.SUCCESS,
        object_id=(stored or {}).get("id", object_id),
        version=(stored or {}).get("version"),
        adopted=answer.adopted,
    )


#: what a refusal of a replace's half says of the change (the first half's words stand for the change)
_HALF_FAILED: dict[type[ObjectStep], str] = {
    ReplaceDeleteStep: "not replaced, the delete failed: ",
    ReplaceCreateStep: "deleted, but the create failed: ",
}


async def _write(
    step: ObjectStep, writer: AuditedWriter, object_id: str | None, body: dict[str, Any] | None, slot: Slot
) -> Answer:
    """The one write of ``step``; it frees the ``slot`` when answered."""
    if isinstance(step, UpdateStep):
        return await writer.write(
            Action.UPDATE, step.change, step.kind, object_id, body, version=step.version, answered=slot.free
        )
    if isinstance(step, (DeleteStep, ReplaceDeleteStep)):
        return await writer.write(Action.DELETE, step.change, step.kind, object_id, answered=slot.free)
    # a create, or a replace's create half: the new object gets its own id
    return await writer.write(Action.CREATE, step.change, step.kind, None, body, answered=slot.free)


__all__ = ["apply_plan"]
