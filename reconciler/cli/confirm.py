"""The apply prompt: "no" cancels (exit 1), Ctrl-C interrupts (exit 130) at the first press.

Why the prompt reads its answer itself: it runs while the command's event loop waits on it
(one client, one token for the whole command), and two things kept Ctrl-C from working
there. The loop's own SIGINT handler (``asyncio.Runner``'s) only asks the main task to
cancel, which cannot happen while ``input()`` holds the loop; so Python's plain handler is
put back for the prompt's duration. And a signal sent to the process may be taken by any
of its threads (worker threads are alive by then): it then does not interrupt the main
thread's blocking read, and Python runs the handler only when the main thread next runs
Python code. So the answer is awaited in short ``select`` waits, never one blocking read:
a Ctrl-C is acted on within :data:`POLL_SECONDS` whichever thread took it.
"""

from __future__ import annotations

import select
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

from reconciler.core.errors import ApplyCancelledError

#: 128 + SIGINT, as shells report it and as every other interrupt of the CLI exits
EXIT_INTERRUPTED = 130
#: how long the prompt waits for input at a time before letting a pending signal handler run
POLL_SECONDS = 0.1
QUESTION = "Apply these changes? [y/N]: "


def confirm_apply() -> None:
    """Ask; return only on "yes". "No" (the default) raises ApplyCancelledError; Ctrl-C exits 130."""
    try:
        with _plain_ctrl_c():
            agreed = _ask()
    except (KeyboardInterrupt, EOFError):
        click.echo("\ninterrupted", err=True)
        # an exception, not sys.exit inside the loop: the command's client still closes on the way out
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    if not agreed:
        raise ApplyCancelledError("apply cancelled: nothing was applied")


def _ask() -> bool:
    """click.confirm's answers (y/yes, n/no, empty for the default no; anything else asks again)."""
    while True:
        click.echo(QUESTION, nl=False)
        answer = _read_line().strip().lower()
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no", ""):
            return False
        click.echo("Error: invalid input")


def _read_line() -> str:
    """One line of standard input, waited for in short slices so that a signal handler runs meanwhile."""
    while not select.select([sys.stdin], [], [], POLL_SECONDS)[0]:
        pass
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


@contextmanager
def _plain_ctrl_c() -> Iterator[None]:
    """Python's default SIGINT handler (KeyboardInterrupt) for the block; only the main thread may set it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
