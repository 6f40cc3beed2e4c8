"""Carry out a plan: dependency order, bounded concurrency, audited writes, honest outcomes.

The executor never decides *what* to change (the planner did); it decides *when* and
makes sure that a failure costs only what depends on it:

- a change waits for the changes it depends on (references) and is skipped when one
  of them did not succeed; everything else goes on;
- deletes start only after every create and update, so nothing still points at an
  object when it goes;
- before writing an object that the plan read at version N, the live listing taken at
  the start of apply must still show N (or, for a create, no object of that name);
  otherwise the object is *stale* and left alone. The PUT also carries N, so a change
  racing in after that check is refused by the server (409) and reported the same way;
- placeholders are resolved at the last moment: ``${env:…}`` from the environment of
  the apply, ``${ref:…}`` from the objects as they are after the writes they depend on;
- each kind's post-write hook (e.g. the TTS cache refresh) runs once, after the last
  successful write of that kind;
- a *replace* (a field the API cannot update changed) deletes the live object, then
  creates the declared one: two audited writes, one outcome;
- objects whose kind publishes (``Kind.publish``) and whose spec asks for it are
  published after every write, by one job per kind that apply waits for
  (:mod:`reconciler.apply.publishing`); an update that only changes the publish flag writes
  nothing but the job.

Every write is announced to the audit trail before it is sent and its outcome recorded
after; the trail fsyncs, so a killed apply leaves intents without outcomes for exactly
the writes in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.apply.result import ApplyResult, ChangeOutcome, Outcome
from reconciler.core.errors import (
    ApiError,
    DuplicateNameError,
    NotFoundError,
    ReconcilerError,
    StaleObjectError,
    VersionMismatchError,
)
from reconciler.core.keys import ObjectKey
from reconciler.kinds import REGISTRY, Kind, PostWriteHook, Publish
from reconciler.manifests.desired import KNOWN_AFTER_APPLY, resolve
from reconciler.plan.model import Action, Plan, ResourceChange


class Writer(Protocol):
    """What the executor needs of the API client (see :class:`reconciler.genesys.GenesysClient`)."""

    async def create(self, kind: Kind, body: dict[str, Any]) -> Any: ...
    async def update(self, kind: Kind, object_id: str, body: dict[str, Any], version: int) -> Any: ...
    async def delete(self, kind: Kind, object_id: str) -> Any: ...
    async def call_hook(self, hook: PostWriteHook) -> Any: ...
    async def publish(self, publish: Publish, ids: list[str]) -> Any: ...


class Trail(Protocol):
    """What the executor needs of the audit trail (see :mod:`reconciler.audit`)."""

    def intent(self, **fields: Any) -> int: ...
    def outcome(self, **fields: Any) -> None: ...


class NullTrail:
    """Used when auditing is off (tests of the executor alone)."""

    def __init__(self) -> None:
        self._seq = 0

    def intent(self, **fields: Any) -> int:
        self._seq += 1
        return self._seq

    def outcome(self, **fields: Any) -> None:
        return None


class Progress(Protocol):
    def __call__(self, outcome: ChangeOutcome) -> None: ...


@dataclass
class _Run:
    """Mutable state of one apply: live objects as they become, and each change's fate."""

    live: dict[ObjectKey, dict[str, Any]]
    done: dict[ObjectKey, asyncio.Event] = field(default_factory=dict)
    outcomes: dict[ObjectKey, ChangeOutcome] = field(default_factory=dict)
    written_kinds: set[str] = field(default_factory=set)
    #: kind name -> objects written (or found unpublished) that their spec asks to publish
    to_publish: dict[str, list[ObjectKey]] = field(default_factory=dict)


async def apply_plan(
    plan: Plan,
    writer: Writer,
    *,
    live: Mapping[str, Sequence[Mapping[str, Any]]],
    env: Mapping[str, str],
    trail: Trail | None = None,
    concurrency: int = 8,
    progress: Progress | None = None,
    kinds: Mapping[str, Kind] = REGISTRY,
) -> ApplyResult:
    """Apply ``plan``; ``live`` is a fresh listing used for the stale check and references."""
    trail = trail or NullTrail()
    run = _Run(live={ObjectKey(k, o["name"]): dict(o) for k, objs in live.items() for o in objs})
    changes = [c for c in plan.changes if c.action != Action.NOOP]
    for change in changes:
        run.done[ObjectKey(change.kind, change.name)] = asyncio.Event()
    gate = asyncio.Semaphore(max(1, concurrency))
    writes_done = asyncio.Event()
    pending_writes = sum(1 for c in changes if c.action != Action.DELETE)
    if pending_writes == 0:
        writes_done.set()

    async def run_one(change: ResourceChange) -> None:
        nonlocal pending_writes
        key = ObjectKey(change.kind, change.name)
        try:
            if change.action == Action.DELETE:
                await writes_done.wait()
            outcome = await _after_dependencies(change, run)
            if outcome is None:
                async with gate:
                    outcome = await _execute(change, kinds[change.kind], writer, trail, run, env)
        except Exception as exc:  # pragma: no cover - a bug; keep the run's other outcomes
            outcome = ChangeOutcome.of(change, Outcome.FAILED, error=f"internal error: {exc!r}")
        run.outcomes[key] = outcome
        if outcome.outcome == Outcome.SUCCESS:
            run.written_kinds.add(change.kind)
        run.done[key].set()
        if progress is not None:
            progress(outcome)
        if change.action != Action.DELETE:
            pending_writes -= 1
            if pending_writes == 0:
                writes_done.set()

    await asyncio.gather(*(run_one(c) for c in changes))
    from reconciler.apply.publishing import run_publishes

    published = await run_publishes(run.to_publish, run.outcomes, kinds, writer, trail)
    hooks = await _run_hooks(run.written_kinds, kinds, writer, trail)
    ordered = [run.outcomes[ObjectKey(c.kind, c.name)] for c in changes]
    hooks = [*published, *hooks]
    return ApplyResult.from_outcomes(ordered, hooks=hooks, target=plan.target_description)


async def _after_dependencies(change: ResourceChange, run: _Run) -> ChangeOutcome | None:
    """Wait for what this change depends on; an outcome here means it must not run."""
    for dep in change.depends_on:
        kind, _, name = dep.partition("/")
        dep_key = ObjectKey(kind, name)
        event = run.done.get(dep_key)
        if event is None:
            continue  # not changed by this plan: nothing to wait for
        await event.wait()
        dep_outcome = run.outcomes[dep_key]
        if dep_outcome.outcome != Outcome.SUCCESS:
            return ChangeOutcome.of(change, Outcome.SKIPPED, error=f"depends on {dep}, which {dep_outcome.outcome.value}")
    return None


async def _execute(
    change: ResourceChange,
    kind: Kind,
    writer: Writer,
    trail: Trail,
    run: _Run,
    env: Mapping[str, str],
) -> ChangeOutcome:
    key = ObjectKey(change.kind, change.name)
    current = run.live.get(key)
    stale = _stale_reason(change, current, kind)
    if stale is not None:
        return ChangeOutcome.of(change, Outcome.STALE, error=stale.detail)

    body: dict[str, Any] | None = None
    if change.action != Action.DELETE:
        try:
            body = _request_body(change, kind, run, env)
        except ReconcilerError as exc:
            return ChangeOutcome.of(change, Outcome.FAILED, error=str(exc))

    object_id = change.object_id or (current or {}).get("id")
    if _only_publish_flag(change, kind):
        _want_published(change, kind, run, key)
        return ChangeOutcome.of(change, Outcome.SUCCESS, object_id=object_id)
    try:
        if change.action == Action.REPLACE:
            await _write(Action.DELETE, change, kind, writer, trail, object_id, None)
            run.live.pop(key, None)
            result = await _write(Action.CREATE, change, kind, writer, trail, None, body)
        else:
            result = await _write(change.action, change, kind, writer, trail, object_id, body)
    except _Failed as failed:
        exc = failed.error
        if isinstance(exc, VersionMismatchError):
            return ChangeOutcome.of(
                change, Outcome.STALE, error=f"changed since read (HTTP 409 version.mismatch); run plan again ({exc})"
            )
        moved = _moved_since_plan(failed.action, exc) if failed.action == change.action else None
        if moved is not None:
            return ChangeOutcome.of(change, Outcome.STALE, error=f"{moved} since the plan; run plan again ({exc})")
        prefix = "deleted, but the create failed: " if failed.action == Action.CREATE and change.action == Action.REPLACE else ""
        return ChangeOutcome.of(change, Outcome.FAILED, error=prefix + str(exc))

    stored = getattr(result, "object", None)
    if change.action == Action.DELETE:
        run.live.pop(key, None)
    elif stored is not None:
        run.live[key] = dict(stored)
        _want_published(change, kind, run, key)
    return ChangeOutcome.of(
        change,
        Outcome.SUCCESS,
        object_id=(stored or {}).get("id", object_id),
        version=(stored or {}).get("version"),
        adopted=bool(getattr(result, "adopted", False)),
    )


def _moved_since_plan(action: Action, error: ApiError) -> str | None:
    """A refusal that says the object moved since the plan (another apply, a person), not a failure.

    The plan and apply's fresh listing both saw the name free (create) or the object
    there (update, delete); the server now says otherwise, so someone else wrote it in
    between, exactly like a version mismatch. Two applies of one saved plan at once
    thus split the work: each change lands once, the other apply reports it stale.
    """
    if action == Action.CREATE and isinstance(error, DuplicateNameError):
        return "created by someone else"
    if action in (Action.UPDATE, Action.DELETE) and isinstance(error, NotFoundError):
        return "deleted by someone else"
    return None


class _Failed(Exception):
    """A write the API refused (already audited); ``action`` says which write of the change."""

    def __init__(self, action: Action, error: ApiError) -> None:
        super().__init__(str(error))
        self.action = action
        self.error = error


async def _write(
    action: Action,
    change: ResourceChange,
    kind: Kind,
    writer: Writer,
    trail: Trail,
    object_id: str | None,
    body: dict[str, Any] | None,
) -> Any:
    """One audited write: the intent on disk, the request, its outcome on disk."""
    method, path = _request_line(action, kind, object_id)
    seq = trail.intent(
        kind=change.kind,
        name=change.name,
        object_id=object_id,
        action=action.value,
        changes=_audited_changes(change, action),
        method=method,
        path=path,
    )
    started = time.perf_counter()
    try:
        if action == Action.CREATE:
            result = await writer.create(kind, body or {})
        elif action == Action.UPDATE:
            version = change.live_version if kind.versioned and isinstance(change.live_version, int) else 0
            result = await writer.update(kind, str(object_id), body or {}, version)
        else:
            result = await writer.delete(kind, str(object_id))
    except ApiError as exc:
        _record_failure(trail, seq, exc, started, object_id)
        raise _Failed(action, exc) from exc
    stored = getattr(result, "object", None)
    _record_success(trail, seq, result, (stored or {}).get("id", object_id), (stored or {}).get("version"))
    return result


def _only_publish_flag(change: ResourceChange, kind: Kind) -> bool:
    """An update whose only difference is the publish flag: the job alone does it."""
    if change.action != Action.UPDATE or kind.publish is None or not change.field_changes:
        return False
    return all(fc.path == kind.publish.flag for fc in change.field_changes)


def _want_published(change: ResourceChange, kind: Kind, run: _Run, key: ObjectKey) -> None:
    if kind.publish is not None and (change.spec or {}).get(kind.publish.flag) is True:
        run.to_publish.setdefault(kind.name, []).append(key)


def _record_failure(trail: Trail, seq: int, exc: ApiError, started: float, object_id: str | None) -> None:
    trail.outcome(
        intent_seq=seq,
        outcome="failure",
        status=exc.status,
        correlation_id=exc.correlation_id,
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
        object_id=object_id,
        version=None,
        error={"code": exc.code, "message": str(exc)},
    )


def _record_success(trail: Trail, seq: int, result: Any, object_id: str | None, version: int | None) -> None:
    trail.outcome(
        intent_seq=seq,
        outcome="success",
        status=result.status,
        correlation_id=result.correlation_id,
        latency_ms=round(result.latency_ms, 1),
        object_id=object_id,
        version=version,
        error=None,
    )


def _audited_changes(change: ResourceChange, action: Action | None = None) -> list[dict[str, Any]]:
    """Field changes before -> after, already masked by the planner; whole objects for create/delete
    (the two writes of a replace each record their side)."""
    action = action or change.action
    if change.field_changes and action == change.action:
        return [fc.model_dump(mode="json") for fc in change.field_changes]
    if action == Action.CREATE:
        return [{"path": k, "before": None, "after": v} for k, v in (change.after or {}).items()]
    if action == Action.DELETE:
        return [{"path": k, "before": v, "after": None} for k, v in (change.before or {}).items()]
    return []


def _stale_reason(
    change: ResourceChange, current: Mapping[str, Any] | None, kind: Kind | None = None
) -> StaleObjectError | None:
    """Compare what the plan saw with what the apply-time listing shows (the kind's revision field)."""
    live_version = kind.revision(current) if kind is not None else (current or {}).get("version")
    if change.action == Action.CREATE:
        if current is not None:
            return StaleObjectError(change.kind, change.name, None, live_version)
        return None
    if current is None or live_version != change.live_version or (
        change.object_id is not None and current.get("id") != change.object_id
    ):
        return StaleObjectError(change.kind, change.name, change.live_version, live_version)
    return None


def _request_body(change: ResourceChange, kind: Kind, run: _Run, env: Mapping[str, str]) -> dict[str, Any]:
    """Resolve the plan's spec against the environment and the objects written so far."""

    def lookup(target: ObjectKey, fieldname: str) -> Any:
        obj = run.live.get(target)
        return None if obj is None else obj.get(fieldname)

    try:
        resolution = resolve(change.spec or {}, env, lookup)
    except KeyError as missing:
        raise ReconcilerError(
            f"{change.kind}/{change.name}: environment variable {missing.args[0]} is not set"
        ) from None
    if resolution.unknown:
        raise ReconcilerError(f"{change.kind}/{change.name}: a reference is still {KNOWN_AFTER_APPLY}")
    return kind.api_body(change.name, resolution.value)


def _request_line(action: Action, kind: Kind, object_id: str | None) -> tuple[str, str]:
    if action == Action.CREATE:
        return "POST", kind.collection
    return ("PUT" if action == Action.UPDATE else "DELETE"), kind.item_path(object_id)


async def _run_hooks(
    written_kinds: set[str], kinds: Mapping[str, Kind], writer: Writer, trail: Trail
) -> list[str]:
    """Each distinct post-write hook once, after every write of the kinds that declare it."""
    hooks: dict[tuple[str, str], PostWriteHook] = {}
    for name in sorted(written_kinds):
        hook = kinds[name].after_write
        if hook is not None:
            hooks.setdefault((hook.method, hook.path), hook)
    called: list[str] = []
    for hook in hooks.values():
        seq = trail.intent(
            kind=None, name=None, object_id=None, action="hook", changes=[], method=hook.method, path=hook.path
        )
        started = time.perf_counter()
        try:
            result = await writer.call_hook(hook)
        except ApiError as exc:
            _record_failure(trail, seq, exc, started, None)
            called.append(f"{hook.description}: failed: {exc}")
            continue
        _record_success(trail, seq, result, None, None)
        called.append(hook.description)
    return called
