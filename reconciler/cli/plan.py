"""``reconciler plan``: what apply would change, without changing anything."""

from __future__ import annotations

import sys
from typing import Any

import click

from reconciler.cli.options import (
    DEFAULT_PATHS,
    FORMAT_HELP,
    FORMATS,
    MAX_DELETES_HELP,
    NonEmptyPath,
    NonEmptyText,
    check_kinds,
    color,
    echo_document,
    kind_read,
    live_summary,
    refuse_unapplyable,
    run_options,
    saved_plan_next_step,
    target_options,
    verbose_stats,
)
from reconciler.core.errors import ReconcilerError


@click.command()
@click.argument("paths", nargs=-1, type=NonEmptyPath())
@click.option("--out", "out", type=NonEmptyPath(dir_okay=False), help="Save the plan for a later `apply FILE`.")
@click.option("--format", "fmt", type=click.Choice([*FORMATS.choices, "sarif"]), default="text", show_default=True,
              help=FORMAT_HELP + " sarif: the plan's errors and warnings for GitHub code scanning "
                   "(invalid manifests: each error at its line).")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--prune", "prune_kinds", multiple=True, type=NonEmptyText(), metavar="KIND",
              help="Also delete undeclared objects of KIND.")
@click.option("--max-deletes", type=click.IntRange(min=0), default=None, metavar="N", help=MAX_DELETES_HELP)
@click.option("--rotate-secret", "rotate", multiple=True, type=NonEmptyText(), metavar="KIND/NAME",
              help="Re-send this object's write-only secret (e.g. after changing its variable's value).")
@target_options
def plan(paths: tuple[str, ...], out: str | None, fmt: str, detailed_exitcode: bool,
         prune_kinds: tuple[str, ...], max_deletes: int | None, rotate: tuple[str, ...], verbose: bool,
         **kw: Any) -> None:
    """Show what apply would change, without changing anything."""
    from functools import partial

    import anyio

    from reconciler.app import plan_paths
    from reconciler.render import render_plan

    try:
        check_kinds(prune_kinds)
        options = run_options(kw)
        run = anyio.run(
            partial(plan_paths, paths or DEFAULT_PATHS, options, prune_kinds=prune_kinds, max_deletes=max_deletes,
                    rotate=rotate, on_kind_read=kind_read)
        )
    except ReconcilerError as exc:
        if fmt == "sarif":  # a log even now (see render_error); the error itself still goes to stderr, exit 1
            from reconciler.render.sarif import render_error

            echo_document(render_error(exc), nl=False)
        raise
    the_plan = run.plan
    live_summary(run.live_counts)
    if fmt == "sarif":
        from reconciler.render.sarif import render_plan_findings

        manifests = run.manifests
        home = manifests.settings_file or (manifests.files[0] if manifests.files else "reconciler.yaml")
        sources = {obj.key: obj.source for obj in manifests.objects}
        echo_document(render_plan_findings(the_plan, home, sources), nl=False)
    else:
        colored = color() and fmt == "text"
        echo_document(render_plan(the_plan, fmt, color=colored, artifact_hint=out), colored=colored)
    if out:
        from reconciler.plan.planfile import save_plan

        save_plan(the_plan, out)
        click.echo(f"Plan saved to {out}; {saved_plan_next_step(the_plan, out)}", err=True)
    verbose_stats(run.stats, verbose)
    if the_plan.policy:
        from reconciler.plan.policy import refusal

        click.echo(f"error: {refusal(the_plan.policy, 'this plan')}", err=True)
    refuse_unapplyable(the_plan)
    if not the_plan.applyable:
        sys.exit(1)
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(2)
