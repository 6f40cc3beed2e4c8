"""The ``reconciler`` command line: thin click commands over the library.

Heavy modules are imported inside commands so that ``reconciler --help`` starts fast.
Every :class:`~reconciler.core.errors.ReconcilerError` becomes a message on stderr and its
exit code (1); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from reconciler import __version__
from reconciler.core.errors import ReconcilerError


class _Group(click.Group):
    """Maps ReconcilerError to ``error: …`` and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReconcilerError as exc:
            from reconciler.render.escape import message

            # messages quote live names and server text: no line of them may start a workflow command
            click.echo(f"error: {message(str(exc))}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
def main() -> None:
    """Plan and apply Genesys Cloud CX configuration from YAML manifests."""


def _register_commands() -> None:
    """Each command lives in a module of its own; heavy modules are imported inside the commands."""
    from reconciler.cli.apply import apply
    from reconciler.cli.audit import audit
    from reconciler.cli.drift import drift
    from reconciler.cli.export import export
    from reconciler.cli.plan import plan
    from reconciler.cli.sandbox import sandbox
    from reconciler.cli.validate import validate

    for command in (validate, plan, apply, drift, export, sandbox, audit):
        main.add_command(command)


_register_commands()
