"""``reconciler drift``: live objects that differ from the manifests, and who changed them."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click

from reconciler.cli.options import (
    DEFAULT_PATHS,
    FORMAT_HELP,
    FORMATS,
    NonEmptyPath,
    color,
    echo_document,
    kind_read,
    live_summary,
    run_options,
    target_options,
    verbose_stats,
)


class Since(click.ParamType[datetime]):
    """``--since``: a duration back from now (``7d``, ``12h``, ``90m``) or an ISO date or time."""

    name = "since"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        from reconciler.app.attribution import MAX_WINDOW
        from reconciler.audit.query import parse_since

        now = datetime.now(UTC)
        try:
            since = parse_since(str(value), now)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if now - since > MAX_WINDOW:
            # refused here, before anything is read: asked anyway, the audit service was queried from 1753
            self.fail(
                f"{value!r} is too far back: the audit service is asked at most {MAX_WINDOW.days} days back "
                "(Genesys keeps audit data a year at least, and promises no more; docs/cli.md)",
                param,
                ctx,
            )
        return since


@click.command()
@click.argument("paths", nargs=-1, type=NonEmptyPath())
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help=FORMAT_HELP)
@click.option(
    "--since",
    type=Since(),
    default=None,
    help="How far back the audit service is asked who changed drifted objects: 7d (the default), 12h, 90m, "
    "or an ISO date or time.",
)
@target_options
def drift(paths: tuple[str, ...], fmt: str, since: datetime | None, verbose: bool, **kw: Any) -> None:
    """Report live objects that differ from the manifests, and who changed them; exit 2 when there is drift."""
    from functools import partial

    import anyio

    from reconciler.app.attribution import drift_paths
    from reconciler.render import render_drift

    options = run_options(kw)
    run = anyio.run(partial(drift_paths, paths or DEFAULT_PATHS, options, since=since, on_kind_read=kind_read))
    live_summary(run.live_counts)
    report = run.report
    colored = color() and fmt == "text"
    echo_document(render_drift(report, fmt, color=colored), colored=colored)
    verbose_stats(run.stats, verbose)
    if report.has_drift:
        sys.exit(2)
