"""The apply use case: a plan carried out against the target, every write in the audit trail."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.app.connect import RunOptions, client_for
from reconciler.app.guardrails import Clock, current_time, gate, override_record
from reconciler.app.live import no_detail, read_live
from reconciler.apply.executor import apply_plan
from reconciler.apply.result import ApplyResult, ChangeOutcome
from reconciler.audit import AuditTrail
from reconciler.core.errors import ApplyError
from reconciler.core.live import LiveState
from reconciler.core.secrets import remember
from reconciler.genesys import ClientStats
from reconciler.manifests.desired import env_names_in
from reconciler.plan.model import Plan


@dataclass(frozen=True)
class ApplyRun:
    """What an apply did: the result, the client's counters, the audit forwarding summary."""

    result: ApplyResult = field(repr=False)
    stats: ClientStats = field(repr=False)
    #: one line on how audit records reached ``--audit-url``; ``None`` when none was given
    delivery: str | None = None


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
    override: str | None = None,
    clock: Clock | None = None,
) -> ApplyRun:
    """Apply a plan, audited, checking each object against live state before writing it.

    ``live`` is the listing the plan was just made from, when nothing (no prompt, no
    saved file) stood between planning and applying; otherwise it is read afresh here.
    Either way each PUT carries the planned version, so the server refuses what moved.
    Failures are in the result; :func:`ensure_success` turns them into an error *after*
    everything that could be done was done. The guardrails are judged first, at ``clock``'s
    time (:mod:`reconciler.app.guardrails`); ``override`` is the reason to write anyway.
    """
    overridden = gate(plan, now=current_time(clock), override=override)
    env = os.environ if env is None else env
    run_id = str(uuid.uuid4())
    in_plan = {change.kind for change in plan.changes}
    hidden = plan_env_values(plan, env)
    remember(hidden)  # for the command line's error path
    async with client_for(options) as client:
        client.hide(hidden)
        if live is None:
            live = await read_live(client, detail=no_detail, required=in_plan)
        with AuditTrail.open(
            audit_log, target=options.target.identity, forward_url=audit_url, secret_values=hidden
        ) as trail:
            record = None
            if overridden and override is not None:
                record = override_record(override, overridden, trail.source, options.target.client_id)
            trail.run_started(run_id, dict(plan.summary), override=record)
            result = await apply_plan(
                plan, client, live=live, env=env, trail=trail, concurrency=concurrency, progress=progress
            )
            trail.run_finished(dict(result.counts), 1 if result.failed else 0)
            delivery = trail.delivery_summary()
    return ApplyRun(result=result, stats=client.stats, delivery=delivery)


def plan_env_values(plan: Plan, env: Mapping[str, str]) -> list[str]:
    """Values of every ``${env:…}`` the plan's specs use: the audit trail scrubs them from free text."""
    names = {name for change in plan.changes for name in env_names_in(change.spec or {})}
    return [env[name] for name in sorted(names) if env.get(name)]


def ensure_success(result: ApplyResult) -> None:
    """Failed changes become one error listing each, with exit code 1."""
    if result.failed:
        raise ApplyError(result.failure_lines())
