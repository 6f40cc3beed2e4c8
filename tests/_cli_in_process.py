"""``reconciler ARGS`` run in this process and ended as the interpreter ends a program, for the fork servers.

Why one copy: the resilience tests' launcher (``resilience/_quick_cli.py``) and the workflows'
forking ``reconciler`` (``workflows/_forked_cli.py``) both run a command in a process forked from
one that imported the CLI, and must end it as ``python -m reconciler`` would end: the exit status
of ``SystemExit`` (a message printed and status 1 for a non-integer one), a traceback and status 1
for any other uncaught exception, ``atexit`` handlers run, streams flushed.
"""

from __future__ import annotations

import atexit
import runpy
import sys
import traceback
from typing import Any


def run_cli(args: list[str]) -> int:
    """``reconciler ARGS`` in this process, ended as the interpreter ends it; returns the exit status."""
    sys.argv = ["reconciler", *args]
    code: Any = 0
    try:
        runpy.run_module("reconciler", run_name="__main__", alter_sys=True)
    except SystemExit as stop:
        code = stop.code
    except BaseException:  # noqa: BLE001 - what the interpreter does with an uncaught exception
        traceback.print_exc()
        code = 1
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    return int(code or 0)
