"""The apply use case: a plan carried out against the target, every write in the audit trail."""

from __future__ import annotations

import copy
import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import anyio

from reconciler.app.connect import RunOptions, connected, refuse_other_org, with_concurrency
from reconciler.app.guardrails import Clock, current_time, gate, override_record
from reconciler.app.live import no_detail, read_live
from reconciler.app.settling import due_hooks, judgeable, lagging_create, settle, settle_superseded, unsettled
from reconciler.apply.earlier import RECENT_CREATE, EarlierCreate
from reconciler.apply.executor import apply_plan
from reconciler.apply.interrupt import Stop
from reconciler.apply.result import ApplyResult, ChangeOutcome
from reconciler.apply.stale import referenced_kinds, unresolvable_references
from reconciler.audit import DEFAULT_AUDIT_LOG, AuditTrail
from reconciler.audit.backlog import Backlog, read_backlog
from reconciler.core.errors import ApplyError, AuditError, PlanError
from reconciler.core.keys import ObjectKey
from reconciler.core.live import LiveState
from reconciler.core.secrets import remember
from reconciler.genesys import ClientStats, GenesysClient
from reconciler.manifests.desired import env_names_in
from reconciler.plan.model import Plan, PolicyFinding
from reconciler.render.escape import live


@dataclass(frozen=True)
class ApplyRun:
    """What an apply did: the result, the client's counters, the audit forwarding summary."""

    result: ApplyResult = field(repr=False)
    stats: ClientStats = field(repr=False)
    #: one line on how audit records reached ``--audit-url``; ``None`` when none was given
    delivery: str | None = None
    #: how many open intents of earlier runs this run settled
    settled: int = 0
    #: why the audit trail could not be finished (e.g. the disk is full), if it could not
    audit_problem: str | None = None
    #: 130 / 143 when a signal stopped the apply
    exit_code: int | None = None


async def apply(
    plan: Plan,
    options: RunOptions,
    *,
    env: Mapping[str, str] | None = None,
    audit_log: str | Path | None = None,
    audit_url: str | None = None,
    concurrency: int = 8,
    progress: Callable[[ChangeOutcome], None] | None = None,
    live: LiveState | None = None,
    stop: Stop | None = None,
    on_signals: bool = False,
    override: str | None = None,
    clock: Clock | None = None,
    client: GenesysClient | None = None,
    warn: Callable[[str], None] | None = None,
) -> ApplyRun:
    """Apply a plan, audited, checking each object against live state before writing it.

    ``live`` is the listing the plan was just made from, when nothing (no prompt, no
    saved file) stood between planning and applying; otherwise it is read afresh here.
    Either way each PUT carries the planned version, so the server refuses what moved.
    Failures are in the result; :func:`ensure_success` turns them into an error *after*
    everything that could be done was done. The guardrails are judged first, at ``clock``'s
    time (:mod:`reconciler.app.guardrails`); ``override`` is the reason to write anyway.
    ``client``: the command's open client (the one its plan read through: one token per
    command), opened with :func:`~reconciler.app.connect.with_concurrency`; otherwise one is opened here.

    Then what earlier runs left unfinished is read from the audit log: open intents
    are settled against live state, and hooks they owed are called by this run. With
    ``on_signals`` (the CLI, main thread), SIGINT and SIGTERM request ``stop``: no
    further write starts, writes in flight get a bounded grace, ``run.end`` is recorded.
    ``warn`` hears, before any write, that the audit log's hash chain is already broken
    (:func:`chain_warning`): the run appends to it all the same.
    """
    overridden = gate(plan, now=current_time(clock), override=override)
    env = os.environ if env is None else env
    # a saved plan holds ${env:…} names only: all are checked before any write, not each at its own write
    unset = sorted({name for c in plan.pending() for name in env_names_in(c.spec or {}) if name not in env})
    if unset:
        raise PlanError(f"environment variable(s) {', '.join(unset)} not set: the plan's changes use them; "
                        "nothing was applied")
    stop = stop or Stop()
    failure: Exception | None = None
    async with anyio.create_task_group() as signals:
        if on_signals:
            signals.start_soon(stop.listen)
        try:
            run = await _apply(
                plan, options, env, audit_log, audit_url, concurrency, progress, live, stop,
                override=(override, overridden) if overridden and override is not None else None,
                client=client, warn=warn, clock=clock,
            )
        except Exception as exc:  # re-raised below, as itself rather than inside an exception group
            failure = exc
        finally:
            signals.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return run


async def _apply(
    plan: Plan,
    options: RunOptions,
    env: Mapping[str, str],
    audit_log: str | Path | None,
    audit_url: str | None,
    concurrency: int,
    progress: Callable[[ChangeOutcome], None] | None,
    live: LiveState | None,
    stop: Stop,
    *,
    override: tuple[str, tuple[PolicyFinding, ...]] | None,
    client: GenesysClient | None,
    warn: Callable[[str], None] | None,
    clock: Clock | None,
) -> ApplyRun:
    run_id = str(uuid.uuid4())
    in_plan = {change.kind for change in plan.changes} | referenced_kinds(plan)
    hidden = plan_env_values(plan, env)
    remember(hidden)  # for the command line's error path
    async with connected(with_concurrency(options, concurrency), client) as writer:
        writer.hide(hidden)
        before = copy.deepcopy(writer.stats)  # a shared client's counters already hold the plan's reads
        await refuse_other_org(plan, writer)  # first: nothing read, nothing in the audit trail
        if live is None:
            live = await read_live(writer, detail=no_detail, required=in_plan)
        dangling = unresolvable_references(plan, live)
        if dangling:  # before the audit trail's run.start: nothing was applied
            raise PlanError(f"the plan refers to objects neither declared in it nor live: {'; '.join(dangling)}; "
                            "nothing was applied; make the plan again")
        with AuditTrail.open(
            audit_log, target=options.target.identity, forward_url=audit_url, secret_values=hidden
        ) as trail:
            backlog = read_backlog(trail.log.path)
            if backlog.chain_break is not None and warn is not None:
                trail.log.last_seq()  # a damaged *last* record is refused here, alone: not after "appends all the same"
                warn(chain_warning(backlog.chain_break, trail.log.path))
            record = None
            if override is not None:
                record = override_record(*override, trail.source, options.target.client_id)
            trail.run_started(run_id, dict(plan.summary), override=record)
            now = current_time(clock)
            settled = settle(trail, backlog, live, now)
            result = await apply_plan(
                plan, writer, live=live, env=env, trail=trail, concurrency=concurrency, progress=progress,
                stop=stop, due_hooks=due_hooks(backlog),
                earlier=earlier_creates(backlog, options.target.identity, now),
            )
            audit_problem = None
            if unsettled(backlog) and not result.interrupted:
                try:
                    settled += settle_superseded(trail)  # what this run's writes made moot, before its end
                except AuditError as exc:
                    audit_problem = str(exc)
            try:
                status = stop.exit_code if result.interrupted else int(bool(result.failed))
                trail.run_finished(dict(result.counts), status)
            except AuditError as exc:
                audit_problem = audit_problem or str(exc)
            delivery = trail.delivery_summary()
    return ApplyRun(result=result, stats=stats_since(before, writer.stats), delivery=delivery, settled=settled,
                    audit_problem=audit_problem, exit_code=stop.exit_code if result.interrupted else None)


def chain_warning(chain_break: str, log: Path) -> str:
    """The warning for an apply appending to a log whose chain is already broken at ``chain_break``.

    Why a warning and not a refusal: this run's records are chained to the last whole record
    (the writer refuses a damaged *last* record, :mod:`reconciler.audit.log`), and history is
    never rewritten, so refusing would stop every apply until the log was moved aside, with
    nothing mended. What relies on the old records' values refuses instead (``revert``).
    """
    return (f"the audit log's hash chain is already broken ({chain_break}); this apply appends to it all the same. "
            f"`reconciler audit verify {log}` names the damage; to start a new chain, move the log aside "
            "(keep it as evidence) or pass --audit-log NEW_FILE")


def earlier_creates(backlog: Backlog, target: str, now: datetime) -> dict[ObjectKey, EarlierCreate]:
    """What runs created on ``target`` within :data:`~reconciler.apply.earlier.RECENT_CREATE` of ``now``, by key.

    A young create of a repeatable name a run that is over sent with no answer recorded
    (:func:`~reconciler.app.settling.lagging_create`) counts too, without an id: apply looks for it by name.
    A create recorded later (by seq) wins.
    """
    found: list[tuple[int, ObjectKey, EarlierCreate]] = [
        (made.seq, ObjectKey(made.kind, made.name), EarlierCreate(made.object_id, made.at, made.delete_sent))
        for made in backlog.recent_creates(target, now, RECENT_CREATE)
    ]
    found += [(sent.seq, ObjectKey(str(sent.kind), sent.name), EarlierCreate(None, sent.at, name=sent.name))
              for sent in backlog.open_intents
              if sent.target == target and sent.name and sent.at is not None and lagging_create(sent, now)]
    return {key: earlier for _, key, earlier in sorted(found, key=lambda entry: entry[0])}


def pending_business(audit_log: str | Path | None) -> bool:
    """Whether an earlier run left something to settle or a hook owed (cheap: reads the log only).

    Open intents no listing can judge (:func:`~reconciler.app.settling.judgeable`) are not business
    (counting them made every later no-change apply start a run), unless a later write made them moot:
    then the next run closes them as superseded.
    """
    backlog = read_backlog(Path(audit_log) if audit_log is not None else DEFAULT_AUDIT_LOG)
    return (any(judgeable(intent) or intent.superseded_by is not None for intent in backlog.open_intents)
            or bool(due_hooks(backlog)))


def stats_since(before: ClientStats, now: ClientStats) -> ClientStats:
    """What the client did after ``before`` was taken: the apply's own requests, whoever opened the client."""
    waits: defaultdict[str, float] = defaultdict(float)
    for reason, seconds in now.wait_seconds.items():
        if seconds - before.wait_seconds.get(reason, 0.0) > 0:
            waits[reason] = seconds - before.wait_seconds.get(reason, 0.0)
    return ClientStats(
        requests=now.requests - before.requests,
        statuses=now.statuses - before.statuses,
        retries=now.retries - before.retries,
        wait_counts=now.wait_counts - before.wait_counts,
        wait_seconds=waits,
        rate_limited=now.rate_limited - before.rate_limited,
        token_fetches=now.token_fetches - before.token_fetches,
        token_refreshes_on_401=now.token_refreshes_on_401 - before.token_refreshes_on_401,
        adopted=now.adopted - before.adopted,
        latency_ms_total=now.latency_ms_total - before.latency_ms_total,
    )


def plan_env_values(plan: Plan, env: Mapping[str, str]) -> list[str]:
    """Values of every ``${env:…}`` the plan's specs use: the audit trail scrubs them from free text."""
    names = {name for change in plan.changes for name in env_names_in(change.spec or {})}
    return [env[name] for name in sorted(names) if env.get(name)]


def ensure_success(result: ApplyResult) -> None:
    """Failed changes become one error listing each, with exit code 1."""
    if result.failed:
        raise ApplyError([live(line) for line in result.failure_lines()])
