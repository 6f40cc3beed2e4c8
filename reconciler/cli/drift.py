"""``reconciler drift``: live objects that differ from the manifests."""

from __future__ import annotations

import sys
from typing import Any

import click

from reconciler.cli.options import (
    DEFAULT_PATHS,
    FORMAT_HELP,
    FORMATS,
    color,
    kind_read,
    live_summary,
    run_options,
    target_options,
    verbose_stats,
)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help=FORMAT_HELP)
@target_options
def drift(paths: tuple[str, ...], fmt: str, verbose: bool, **kw: Any) -> None:
    """Report live objects that differ from the manifests; exit 2 when there is drift."""
    from functools import partial

    import anyio

    from reconciler.app import plan_paths
    from reconciler.plan.drift import DriftReport
    from reconciler.plan.inputs import EnvMode
    from reconciler.render import render_drift

    options = run_options(kw)
    run = anyio.run(partial(plan_paths, paths or DEFAULT_PATHS, options, prune_all=True, on_kind_read=kind_read,
                                 env_mode=EnvMode.COMPARED))
    live_summary(run.live_counts)
    report = DriftReport.from_plan(run.plan)
    click.echo(render_drift(report, fmt, color=color() and fmt == "text"))
    verbose_stats(run.stats, verbose)
    if report.has_drift:
        sys.exit(2)
