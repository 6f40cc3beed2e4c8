"""``reconciler doctor [PATH…]``: check the target, the credentials and this client's rights
for the declared kinds before the first apply; exit 1 naming each missing permission."""

from __future__ import annotations

import sys
from typing import Any

import click

from reconciler.cli.options import DEFAULT_PATHS, NonEmptyPath, run_options, target_options


@click.command()
@click.argument("paths", nargs=-1, type=NonEmptyPath())
@target_options
def doctor(paths: tuple[str, ...], verbose: bool, **kw: Any) -> None:
    """Check the target is reachable, the credentials work and the client holds the permissions
    the declared kinds need (read-only for plan, drift and export; read-write for apply)."""
    from functools import partial

    import anyio

    from reconciler.app.doctor import diagnose
    from reconciler.render.escape import live

    del verbose  # a shared target option; doctor's report is its findings

    options = run_options(kw)
    run = anyio.run(partial(diagnose, paths or DEFAULT_PATHS, options))
    # a finding or a note may quote the server (its error code and message): one escaped line each
    for finding in run.findings:
        click.echo(f"{'ok  ' if finding.ok else 'FAIL'}  {live(finding.check)}: {live(finding.detail)}")
    for note in run.notes:
        click.echo(f"note: {live(note)}")
    if run.missing:
        click.echo(f"missing permissions: {', '.join(run.missing)}")
    elif run.ok:
        how = "listed from the client's roles" if run.method == "listed" else "probed by reads"
        click.echo(f"ready: kinds {', '.join(run.kinds) or '(none declared)'}; permissions {how}")
    if not run.ok:
        sys.exit(1)
