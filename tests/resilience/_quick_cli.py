"""``python _quick_cli.py ARGS``: the real ``reconciler`` CLI, with its client's backoff a tenth as long.

Why: tests that drive the CLI in its own process against failing servers (5xx storms,
lost answers, an unreachable API) spent most of their time in the exponential backoff
between retries (0.5 s doubling up to 20 s), which the CLI has no flag for. Only the two
backoff figures change: the number of attempts, which errors are retried, ``Retry-After``
handling, pacing and token renewal are the shipped defaults, so every retry still
happens, just sooner. The defaults are swapped in ``ClientLimits.__init__`` itself so
that however the CLI imports the class, it gets them; the launcher refuses to run if
the swap did not take.

``python _quick_cli.py --fork-server`` is the same CLI, started once: it imports the CLI
(about 0.45 s of CPU a command paid for httpx, the kinds and the commands) and then, for
each command the test asks for, forks a process of its own that runs it with the
command's environment, working directory, stdin (``/dev/null``), stdout, stderr and exit
status, as a fresh ``python _quick_cli.py ARGS`` would, and ends the way Python ends
(``atexit`` handlers, flushed streams). Only the imports are shared; ``random`` reseeds
in each fork (the standard library's own ``register_at_fork``), ``os.environ`` is
replaced in place before the command runs, and nothing in ``reconciler`` reads the
environment at import. See ``_support.run`` for the other end.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The checkout this file belongs to, not this file's directory (tests/resilience, which must
# not shadow anything), comes first: the CLI under test is the one next to the tests.
sys.path[0] = str(Path(__file__).resolve().parents[2])

import dataclasses  # noqa: E402 - after the sys.path fix above, on purpose
import importlib  # noqa: E402 - after the sys.path fix above, on purpose
import json  # noqa: E402 - after the sys.path fix above, on purpose
import os  # noqa: E402 - after the sys.path fix above, on purpose
import pkgutil  # noqa: E402 - after the sys.path fix above, on purpose
import runpy  # noqa: E402 - after the sys.path fix above, on purpose
import threading  # noqa: E402 - after the sys.path fix above, on purpose
from typing import Any  # noqa: E402 - after the sys.path fix above, on purpose

from reconciler.genesys.limits import ClientLimits  # noqa: E402 - after the sys.path fix above, on purpose
from tests._cli_in_process import run_cli  # noqa: E402 - after the sys.path fix above, on purpose

#: a tenth of the shipped backoff (0.5 s initial, 20 s cap)
QUICK_BACKOFF = {"backoff_initial": 0.05, "backoff_max": 2.0}


def quicken() -> None:
    """Replace the backoff defaults of every ``ClientLimits()`` made from now on."""
    init = ClientLimits.__init__
    names = [f.name for f in dataclasses.fields(ClientLimits)]
    defaults = list(init.__defaults__ or ())
    first = len(names) - len(defaults)
    for name, value in QUICK_BACKOFF.items():
        defaults[names.index(name) - first] = value
    init.__defaults__ = tuple(defaults)
    made = ClientLimits()
    if any(getattr(made, name) != value for name, value in QUICK_BACKOFF.items()):
        raise SystemExit("_quick_cli: could not change ClientLimits' backoff defaults")


def _command(request: dict[str, Any], replies: int) -> None:
    """In the forked process: the command's own environment, directory and streams, then the command."""
    os.close(replies)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY | os.O_TRUNC),
                            (2, request["stderr"], os.O_WRONLY | os.O_TRUNC)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    os._exit(run_cli(request["args"]))


def _import_the_cli() -> None:
    """Every module of ``reconciler`` a command may import (its commands import lazily), the sandbox's aside."""
    import asyncio  # noqa: F401 - what every command's event loop imports

    import anyio._backends._asyncio  # noqa: F401 - idem

    import reconciler

    for module in pkgutil.walk_packages(reconciler.__path__, "reconciler."):
        if not module.name.startswith("reconciler.sandbox") and not module.name.endswith(".__main__"):
            importlib.import_module(module.name)


def fork_server() -> None:
    """One JSON request a line on stdin; answers ``{"pid": …}`` at the start and ``{"status": …}`` at the end."""
    replies = os.dup(1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.close(quiet)
    _import_the_cli()
    if threading.active_count() != 1:  # forking a process with threads can leave a lock held for ever
        raise SystemExit("_quick_cli: importing the CLI started a thread; cannot fork commands from it")
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _command(request, replies)
        os.write(replies, json.dumps({"pid": pid}).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        os.write(replies, json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode() + b"\n")


if __name__ == "__main__":
    quicken()
    if sys.argv[1:] == ["--fork-server"]:
        fork_server()
    else:
        sys.argv[0] = "reconciler"
        runpy.run_module("reconciler", run_name="__main__", alter_sys=True)
