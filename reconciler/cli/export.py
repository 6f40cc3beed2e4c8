"""``reconciler export``: live objects written out as manifests."""

from __future__ import annotations

from typing import Any

import click

from reconciler.cli.options import NonEmptyPath, NonEmptyText, run_options, target_options, verbose_stats


@click.command()
@click.option("--out", "out", required=True, type=NonEmptyPath(), help="Directory to write manifests into.")
@click.option("--kind", "kinds", multiple=True, type=NonEmptyText(), metavar="KIND",
              help="Export only this kind (repeatable; default all).")
@click.option("--name", "names", multiple=True, type=NonEmptyText(), metavar="PATTERN",
              help="Export only objects whose name matches (fnmatch, case-insensitive; repeatable).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist in the output directory.")
@target_options
def export(out: str, kinds: tuple[str, ...], names: tuple[str, ...], force: bool, verbose: bool, **kw: Any) -> None:
    """Write live objects as manifests (reads only): adopt an existing org."""
    from functools import partial
    from pathlib import Path

    import anyio

    from reconciler.app import export_live
    from reconciler.export import check_kinds, check_out_dir, other_manifests, write_export
    from reconciler.render.escape import live

    check_kinds(kinds)
    out_dir = check_out_dir(Path(out))
    options = run_options(kw)
    unread: list[str] = []  # without --kind, kinds the target does not have are skipped (a real org)
    run = anyio.run(partial(export_live, options, kinds=kinds, names=names, warnings=unread))
    result = run.export
    for line in unread:
        click.echo(f"warning: {live(line)}", err=True)
    written = write_export(result, out_dir, force=force)
    counts = ", ".join(f"{n} {kind}" for kind, n in result.counts().items())
    click.echo(f"Exported {len(result.objects)} objects to {out_dir} ({counts}); "
               f"{result.references} ids turned into references")
    for obj in result.objects:
        click.echo(f"  {live(obj.path.as_posix())}  {live(obj.address)}")  # live names, one line each
    for note in result.notes:
        click.echo(f"warning: {live(note)}", err=True)
    others = other_manifests(out_dir, written)
    if others:
        click.echo(f"warning: {out_dir} also holds {len(others)} other manifest file(s) that a plan of it "
                   f"reads too, e.g. {others[0]}", err=True)
    if result.secrets:
        click.echo(f"Set these environment variables to the real secrets before planning "
                   f"(also listed in {out_dir / 'SECRETS.md'}):")
        for secret in result.secrets:
            click.echo(f"  {live(secret.name)}  ({live(f'{secret.kind}/{secret.object_name} {secret.field}')})")
    verbose_stats(run.stats, verbose)
