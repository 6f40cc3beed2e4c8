"""A ``reconciler`` for the workflows' shell steps whose processes fork from one that imported the CLI once.

Why: a step runs the installed ``reconciler`` console script, and each run paid about
0.45 s of CPU importing httpx, the kinds and the commands before doing anything; the
end-to-end workflow tests run some twenty of them. :func:`bin_dir` returns a directory
holding a ``reconciler`` to put first on ``PATH``: a few lines of Python run without
``site`` (so it starts in milliseconds) that hand its command line, environment,
working directory and its stdin, stdout and stderr themselves (the descriptors, passed
over a Unix socket) to a server started once per test process. The server has imported
the CLI (``reconciler.cli.main``, what the console script calls, and every module of
``reconciler`` its commands import lazily) and forks a process per command, which takes
those descriptors as its own, runs ``main()`` as the console script does and ends the
way Python ends (``atexit`` handlers, flushed streams, a traceback for an uncaught
exception); its exit status is the launcher's. So ``> plan.md``, ``| tee`` and
``$?`` behave as with the console script. The client's limits are the shipped ones.
``os.environ`` is replaced in place before the command runs (nothing in ``reconciler``
reads it at import) and ``random`` reseeds in each fork (the standard library's own
``register_at_fork``).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_LAUNCHER = """#!{python} -S
import json, os, socket, sys
conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
conn.connect({socket!r})
request = json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}}).encode()
socket.send_fds(conn, [request], [0, 1, 2])
conn.shutdown(socket.SHUT_WR)
answer = b""
while chunk := conn.recv(64):
    answer += chunk
sys.exit(int(answer) if answer else 1)
"""

_state: dict[str, Path] = {}


def bin_dir() -> Path:
    """The directory of the forking ``reconciler`` (its server started at the first call in this process)."""
    if "bin" not in _state:
        home = Path(tempfile.mkdtemp(prefix="rcl-fork-"))
        server_socket = home / "s"
        server = subprocess.Popen([sys.executable, __file__, str(server_socket)], stdout=subprocess.PIPE,
                                  cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert server.stdout is not None and server.stdout.readline().strip() == b"ready", "the CLI server did not start"
        atexit.register(_stop, server)
        launcher = home / "bin" / "reconciler"
        launcher.parent.mkdir()
        launcher.write_text(_LAUNCHER.format(python=sys.executable, socket=str(server_socket)), encoding="utf-8")
        launcher.chmod(0o755)
        _state["bin"] = launcher.parent
    return _state["bin"]


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait()


def _run_command(conn: socket.socket, listener: socket.socket) -> None:
    """In the forked process: the launcher's streams, directory and environment, then the console script's main."""
    listener.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    while chunk := conn.recv(1 << 20):
        message += chunk
    request = json.loads(message)
    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    from tests._cli_in_process import run_cli

    status = run_cli(request["argv"]) & 0xFF
    conn.sendall(str(status).encode())
    os._exit(status)


def _reap(*_: object) -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _serve(path: str) -> None:
    """Import the CLI, then fork a process for each launcher that connects (they may overlap, as in a pipe)."""
    import importlib
    import pkgutil
    import threading

    sys.path[0] = str(REPO)  # not this file's directory, which must not shadow anything

    import anyio._backends._asyncio  # noqa: F401 - what every command's event loop imports

    import reconciler

    for module in pkgutil.walk_packages(reconciler.__path__, "reconciler."):
        if not module.name.startswith("reconciler.sandbox") and not module.name.endswith(".__main__"):
            importlib.import_module(module.name)
    if threading.active_count() != 1:  # forking a process with threads can leave a lock held for ever
        raise SystemExit("_forked_cli: importing the CLI started a thread; cannot fork commands from it")
    # the forks report their own status; reaped as they end, so that their CPU time counts as this process's
    signal.signal(signal.SIGCHLD, _reap)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        if os.fork() == 0:
            _run_command(conn, listener)
        conn.close()


if __name__ == "__main__":
    _serve(sys.argv[1])
