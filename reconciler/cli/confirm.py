"""The apply prompt: "no" cancels (exit 1), Ctrl-C interrupts (exit 130) at the first press.

Why a module of its own: the prompt runs while the command's event loop is waiting on it
(one client, one token for the whole command). The loop's own SIGINT handler (installed by
``asyncio.Runner``) only asks the main task to cancel, which cannot happen while
``input()`` holds the loop, so the first Ctrl-C looked ignored until Enter was pressed.
Python's plain handler is put back for the prompt's duration: Ctrl-C raises at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

from reconciler.core.errors import ApplyCancelledError

#: 128 + SIGINT, as shells report it and as every other interrupt of the CLI exits
EXIT_INTERRUPTED = 130


def confirm_apply() -> None:
    """Ask; return only on "yes". "No" (the default) raises ApplyCancelledError; Ctrl-C exits 130."""
    try:
        with _plain_ctrl_c():
            agreed = click.confirm("Apply these changes?", default=False)
    except click.Abort:  # click turns Ctrl-C (and the end of input) at the prompt into Abort
        click.echo("\ninterrupted", err=True)
        # an exception, not sys.exit inside the loop: the command's client still closes on the way out
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    if not agreed:
        raise ApplyCancelledError("apply cancelled: nothing was applied")


@contextmanager
def _plain_ctrl_c() -> Iterator[None]:
    """Python's default SIGINT handler (KeyboardInterrupt at once) for the block; only the main thread may set it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
