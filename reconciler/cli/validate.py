"""``reconciler validate``: the offline check of manifests."""

from __future__ import annotations

import click

from reconciler.cli.options import DEFAULT_PATHS


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
def validate(paths: tuple[str, ...]) -> None:
    """Check manifests offline against every rule of the API contract (no network)."""
    from reconciler.manifests import load_manifests

    manifest_set = load_manifests(paths or DEFAULT_PATHS)
    click.echo(f"{len(manifest_set.objects)} objects in {len(manifest_set.files)} files are valid")
