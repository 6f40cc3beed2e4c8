"""``reconciler apply``: a saved plan, or manifests planned and applied in one go."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.cli.confirm import confirm_apply
from reconciler.cli.options import (
    APPLY_MAX_DELETES_HELP,
    CONCURRENCY_HELP,
    DEFAULT_PATHS,
    FORMAT_HELP,
    FORMATS,
    NonEmptyPath,
    NonEmptyText,
    check_kinds,
    color,
    echo_document,
    kind_read,
    live_summary,
    run_options,
    target_options,
    verbose_stats,
)
from reconciler.cli.progress import ApplyProgress

if TYPE_CHECKING:
    from reconciler.app import ApplyRun
    from reconciler.plan.model import Plan


@click.command()
@click.argument("sources", nargs=-1, type=NonEmptyPath())
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help=FORMAT_HELP)
@click.option("--prune", "prune_kinds", multiple=True, type=NonEmptyText(), metavar="KIND",
              help="Also delete undeclared objects of KIND.")
@click.option("--max-deletes", type=click.IntRange(min=0), default=None, metavar="N", help=APPLY_MAX_DELETES_HELP)
@click.option("--audit-log", type=NonEmptyPath(dir_okay=False), default=None,
              help="Audit trail file (default .reconciler/audit.jsonl).")
@click.option("--audit-url", type=NonEmptyText(), default=None, help="Also post each audit record to this URL.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help=CONCURRENCY_HELP)
@click.option("--rotate-secret", "rotate", multiple=True, type=NonEmptyText(), metavar="KIND/NAME",
              help="Re-send this object's write-only secret (e.g. after changing its variable's value).")
@click.option("--override", metavar="REASON", type=NonEmptyText(), default=None,
              help="Apply despite the policy guardrails (protect, limits, windows); the reason, the rules "
                   "overridden and who overrode them go into the audit trail.")
@target_options
def apply(sources: tuple[str, ...], auto_approve: bool, fmt: str, prune_kinds: tuple[str, ...],
          max_deletes: int | None, audit_log: str | None, audit_url: str | None, concurrency: int,
          rotate: tuple[str, ...], override: str | None, verbose: bool, **kw: Any) -> None:
    """Apply a saved plan (apply FILE) or plan and apply manifests (apply [PATH...])."""
    from functools import partial

    import anyio

    from reconciler.app import apply as apply_saved
    from reconciler.app import client_for, ensure_success, plan_paths, with_concurrency
    from reconciler.app.applying import pending_business
    from reconciler.app.guardrails import current_time, gate, judged_at_apply, policy_at_apply
    from reconciler.core.errors import ApprovalRequiredError, AuditError, PlanError
    from reconciler.manifests.files import manifest_name
    from reconciler.plan.planfile import is_plan_file, load_plan
    from reconciler.render import render_apply, render_plan
    from reconciler.render.escape import live

    check_kinds(prune_kinds)
    if audit_url is not None:  # refused before any read, not after the plan
        from reconciler.audit.forward import check_forward_url

        check_forward_url(audit_url)
    # the client lets --concurrency writes be in flight; the rate limiter still paces them
    options = with_concurrency(run_options(kw), concurrency)
    saved = len(sources) == 1 and is_plan_file(sources[0])
    mixed = [s for s in sources if not manifest_name(Path(s)) and is_plan_file(s)]
    if len(sources) > 1 and mixed:  # else the plan would be read as a manifest, and refused field by field
        raise PlanError(f"{mixed[0]} is a saved plan: apply takes one saved plan (apply FILE) or manifest paths "
                        "(apply [PATH...]), not both")
    if saved and (prune_kinds or rotate):
        raise PlanError("--prune and --rotate-secret belong to planning; a saved plan is applied as it was made")

    def approved(the_plan: Plan) -> bool:
        """Show the plan; whether there is anything to do and the user agreed to it."""
        if fmt == "text":
            colored = color()
            echo_document(render_plan(the_plan, "text", color=colored), colored=colored)
        overridden = gate(the_plan, now=current_time(), override=override)  # judged again when apply starts
        if overridden:
            rules = ", ".join(dict.fromkeys(f.rule.value for f in overridden))
            click.echo(f"Overriding policy ({rules}): {override}", err=True)
        if not the_plan.has_changes and not pending_business(audit_log):
            if fmt != "text":
                echo_document(render_plan(the_plan, fmt))
            return False
        if not auto_approve and not saved:
            if not sys.stdin.isatty():
                raise ApprovalRequiredError("no terminal to confirm on: pass --auto-approve to apply without asking")
            confirm_apply()
        return True

    async def plan_and_apply() -> ApplyRun | None:
        # One client for the whole command: one token, one pacing schedule (the prompt, if
        # any, blocks the loop, which has nothing else to do meanwhile).
        async with client_for(options) as client:
            # An apply that goes on with the plan's listing first judges what an interrupted run left open
            # from it, by the values written: then no object may be settled at read (kept as a stub).
            whole = auto_approve and pending_business(audit_log)
            planned = await plan_paths(sources or DEFAULT_PATHS, options, prune_kinds=prune_kinds,
                                       max_deletes=max_deletes, rotate=rotate, on_kind_read=kind_read, client=client,
                                       settle_at_read=not whole)
            live_summary(planned.live_counts)
            if not approved(planned.plan):
                return None
            return await applying(planned.plan, client=client,
                                  # planned a moment ago with no prompt in between: that listing is current
                                  live=planned.live if auto_approve else None)

    def warn(line: str) -> None:
        click.echo(f"warning: {live(line)}", err=True)

    async def applying(the_plan: Plan, **kwargs: Any) -> ApplyRun:
        progress = ApplyProgress(len(the_plan.pending()))
        done = await apply_saved(the_plan, options, audit_log=audit_log, audit_url=audit_url,
                                 concurrency=concurrency, progress=progress, on_signals=True, override=override,
                                 warn=warn, **kwargs)
        progress.finish()
        return done

    if saved:
        # made earlier, maybe elsewhere: apply reads live state afresh
        the_plan = load_plan(sources[0], expected_target=options.target.identity)
        # judged again: this command's --max-deletes, the policy of the plan's project as it stands now
        policy = policy_at_apply(the_plan, name=sources[0], default=DEFAULT_PATHS[0])
        the_plan = judged_at_apply(the_plan, policy=policy, max_deletes=max_deletes)
        applied = anyio.run(partial(applying, the_plan)) if approved(the_plan) else None
    else:
        applied = anyio.run(plan_and_apply)
    if applied is None:
        return
    colored = color() and fmt == "text"
    echo_document(render_apply(applied.result, fmt, color=colored), colored=colored)
    if applied.delivery:
        click.echo(applied.delivery, err=True)
    verbose_stats(applied.stats, verbose)
    if applied.settled:
        click.echo(f"audit: settled {applied.settled} write(s) an earlier run left without an outcome", err=True)
    if applied.audit_problem:
        raise AuditError(f"the audit trail could not be finished: {applied.audit_problem}")
    if applied.exit_code is not None:
        click.echo(f"apply stopped by {applied.result.interrupted}: no further write was started", err=True)
        sys.exit(applied.exit_code)
    ensure_success(applied.result)
