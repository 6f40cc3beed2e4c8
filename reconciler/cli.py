"""The ``reconciler`` command line: thin click commands over the library.

Heavy modules are imported inside commands so that ``reconciler --help`` starts fast.
Every :class:`~reconciler.errors.ReconcilerError` becomes a message on stderr and its
exit code (1); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from . import __version__
from .errors import ReconcilerError

DEFAULT_PATHS = ("manifests",)


class _Group(click.Group):
    """Maps ReconcilerError to ``error: …`` and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReconcilerError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
def main() -> None:
    """Plan and apply Genesys Cloud CX configuration from YAML manifests."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
def validate(paths: tuple[str, ...]) -> None:
    """Check manifests offline against every rule of the API contract (no network)."""
    from .manifests import load_manifests

    manifest_set = load_manifests(paths or DEFAULT_PATHS)
    click.echo(f"{len(manifest_set.objects)} objects in {len(manifest_set.files)} files are valid")


def _register_subcommands() -> None:
    """Groups that live beside their subsystem; their modules import lazily inside."""
    from .audit.command import audit
    from .sandbox.command import sandbox

    main.add_command(sandbox)
    main.add_command(audit)


_register_subcommands()
