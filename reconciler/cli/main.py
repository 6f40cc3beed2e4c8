"""The ``reconciler`` command line: thin click commands over the library.

Heavy modules are imported inside commands so that ``reconciler --help`` starts fast.
Every :class:`~reconciler.core.errors.ReconcilerError` becomes a message on stderr and its
exit code (1); anything else is a bug and keeps its traceback.

Exit codes follow Terraform's (``docs/cli.md`` has the table): 0 success, 1 any error, usage
errors included (click's default is 2, which CI reads as "changes present" or "drift"), 2 only
for ``plan --detailed-exitcode`` and ``revert --detailed-exitcode`` with changes and ``drift``
with drift, 130 on Ctrl-C (143 on SIGTERM).
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any, NoReturn

import click

from reconciler import __version__
from reconciler.cli.imports import skip_unused
from reconciler.cli.options import remember_no_color
from reconciler.core.errors import ReconcilerError
from reconciler.core.secrets import forget_remembered, scrub_remembered

skip_unused()  # before any command imports httpx (see the module)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2  # plan and revert --detailed-exitcode with changes; drift with drift
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _usage_error(exc: click.UsageError) -> NoReturn:
    """Click's message and hint as it prints them, with exit 1 instead of its 2."""
    exc.show()
    sys.exit(EXIT_ERROR)


class _Group(click.Group):
    """Maps ReconcilerError to ``error: …`` and exit 1, never a traceback; usage errors exit 1 too."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            _usage_error(exc)
        except OSError as exc:  # --help or --version into a full disk
            if exc.errno == errno.EPIPE or not _from_output(exc):
                raise
            _output_failed(exc)

    def invoke(self, ctx: click.Context) -> Any:
        forget_remembered()  # each command masks its own secrets (see core.secrets.forget_remembered)
        try:
            _working_directory()
            _standard_streams()
            return super().invoke(ctx)
        except click.UsageError as exc:  # a subcommand's arguments: parsed inside this invoke
            _usage_error(exc)
        except ReconcilerError as exc:
            from reconciler.render.escape import message

            # The last guard: no secret this process resolved is printed, in any form a server echoes,
            # and messages quoting live names and server text cannot start a workflow command.
            click.echo(f"error: {message(scrub_remembered(str(exc)))}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except OSError as exc:
            if exc.errno == errno.EPIPE or not _from_output(exc):
                raise  # a reader that left (``| head``): click's quiet exit 1; anything else is a bug
            _output_failed(exc)


def _working_directory() -> None:
    """Refuse a working directory that is gone: every relative path, and every path shown, needs it.

    Why: run from a directory removed meanwhile (a CI step that cleaned the checkout it stood
    in), ``os.getcwd`` raised ``FileNotFoundError`` from deep in the first command as a traceback.
    """
    from reconciler.core.errors import ConfigError

    try:
        os.getcwd()
    except OSError as exc:
        from reconciler.core.paths import reason

        raise ConfigError(f"the working directory cannot be used ({reason(exc)}): it was removed or "
                          "moved since the command started from it; cd to the project again") from None


def _standard_streams() -> None:
    """A closed standard stream (``<&-``, ``2>&-``) becomes the null device; a closed stdout is refused.

    Why: Python starts with ``sys.stdin``/``stdout``/``stderr`` None for a closed descriptor, and the
    progress line's and apply's terminal checks raised ``AttributeError`` tracebacks, while validate's
    output was dropped with exit 0. The null device takes the descriptor, so no file opened later does.
    """
    closed_stdout = sys.stdout is None
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is None:
            null = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            setattr(sys, name, open(fd, "r" if fd == 0 else "w", encoding="utf-8", closefd=False))
    if closed_stdout:
        click.echo("error: cannot write the output: standard output is closed", err=True)
        sys.exit(EXIT_ERROR)


def _from_output(exc: OSError) -> bool:
    """True when ``exc`` was raised writing the command's output: by ``click.echo``, the one way it is printed."""
    frame, tb = None, exc.__traceback__
    while tb is not None:
        frame, tb = tb.tb_frame, tb.tb_next
    return frame is not None and frame.f_code is click.echo.__code__


def _output_failed(exc: OSError) -> NoReturn:
    """One ``error:`` line and exit 1 for output that could not be written, instead of a traceback.

    Why: ``plan > plan.txt`` on a full disk, or into ``/dev/full``, ended in an ``OSError``
    traceback (click quiets only a closed pipe). Standard output is pointed at the null
    device first, so the interpreter's last flush of what is left in its buffer is quiet.
    """
    from reconciler.core.paths import reason

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # pragma: no cover - no descriptor to point elsewhere
        pass
    try:
        click.echo(f"error: cannot write the output: {reason(exc)}", err=True)
    except OSError:  # pragma: no cover - standard error is as broken: the exit code says it
        pass
    sys.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
@click.option("--no-color", is_flag=True, expose_value=False, callback=remember_no_color,
              help="No ANSI colour (also NO_COLOR=1; FORCE_COLOR=1 forces it in CI logs).")
def main() -> None:
    """Plan and apply Genesys Cloud CX configuration from YAML manifests."""


def _register_commands() -> None:
    """Each command lives in a module of its own; heavy modules are imported inside the commands."""
    from reconciler.cli.apply import apply
    from reconciler.cli.audit import audit
    from reconciler.cli.doctor import doctor
    from reconciler.cli.drift import drift
    from reconciler.cli.export import export
    from reconciler.cli.plan import plan
    from reconciler.cli.revert import revert
    from reconciler.cli.sandbox import sandbox
    from reconciler.cli.validate import validate

    for command in (validate, plan, apply, drift, export, sandbox, audit, revert, doctor):
        main.add_command(command)


_register_commands()
