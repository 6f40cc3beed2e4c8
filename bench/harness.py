"""Plumbing for the benchmarks: served sandboxes, the CLI in a subprocess, request counts.

Everything here measures from the outside, the way a user would see it: the CLI runs
as its own process (wall time from spawn to exit, CPU time from the kernel's
accounting of that process), and request counts come from the sandbox's own
``/__sandbox__/stats``, not from the client's opinion of what it sent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxOptions
from reconciler.sandbox.server import ServedSandbox, serve_in_thread

TOKEN_ENDPOINT = "POST /oauth/token"
#: the secret every generated webhook reads from the environment
HOOK_TOKEN = "bench-hook-token-not-a-real-secret"
#: "no client pacing" for the runs where the sandbox's rate limit is lifted too
UNPACED_RPM = 1_000_000


def cli_command() -> list[str]:
    """``reconciler`` as installed next to this interpreter (the console script users run)."""
    script = Path(sys.executable).parent / "reconciler"
    return [str(script)] if script.exists() else [sys.executable, "-m", "reconciler"]


@contextmanager
def sandbox(db: Path, **options: Any) -> Iterator[ServedSandbox]:
    """A served sandbox (uvicorn on 127.0.0.1, free port) over ``db``."""
    with serve_in_thread(SandboxOptions(db_path=db, **options)) as served:
        yield served


def server_stats(url: str) -> dict[str, Any]:
    return dict(httpx.get(url + "/__sandbox__/stats", timeout=10).json())


@dataclass(frozen=True)
class Requests:
    """What the sandbox saw between two snapshots of its stats."""

    api: int  # requests to Genesys endpoints, the token endpoint excluded
    token: int
    rate_limited: int
    by_endpoint: dict[str, int]

    @classmethod
    def between(cls, before: Mapping[str, Any], after: Mapping[str, Any]) -> Requests:
        diff = {k: n - before["requests"].get(k, 0) for k, n in after["requests"].items()}
        diff = {k: n for k, n in diff.items() if n}
        token = diff.get(TOKEN_ENDPOINT, 0)
        return cls(
            api=sum(diff.values()) - token,
            token=token,
            rate_limited=after["rateLimited"] - before["rateLimited"],
            by_endpoint=dict(sorted(diff.items())),
        )


@contextmanager
def counting(url: str) -> Iterator[list[Requests]]:
    """``with counting(url) as seen: ...``; afterwards ``seen[0]`` holds the requests made inside."""
    out: list[Requests] = []
    before = server_stats(url)
    yield out
    out.append(Requests.between(before, server_stats(url)))


@dataclass(frozen=True)
class Run:
    """One CLI process: exit code, output, wall and CPU seconds (user + system)."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    wall: float
    cpu: float


def run_cli(args: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = 3600) -> Run:
    """Run ``reconciler ARGS``; wall time from spawn to reaped exit, CPU from ``wait4``'s rusage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([*cli_command(), *args], env=dict(env), cwd=cwd, stdout=out, stderr=err)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                raise TimeoutError(f"reconciler {' '.join(args)} ran longer than {timeout} s")
            time.sleep(0.002)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            args=tuple(args),
            code=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
        )


def cli_env(url: str | None = None) -> dict[str, str]:
    """A clean environment: PATH and HOME, the estate's secret, and the target's settings."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env["NO_COLOR"] = "1"
    from tests.resilience._estate import HOOK_TOKEN_VAR

    env[HOOK_TOKEN_VAR] = HOOK_TOKEN
    if url is not None:
        env.update(
            GENESYSCLOUD_API_URL=url,
            GENESYSCLOUD_OAUTHCLIENT_ID=DEFAULT_CLIENT_ID,
            GENESYSCLOUD_OAUTHCLIENT_SECRET=DEFAULT_CLIENT_SECRET,
        )
    return env


def check(run: Run, *codes: int) -> Run:
    """Stop the benchmark if a command did not do what it should: a figure from a failed run is no figure."""
    if run.code not in (codes or (0,)):
        raise SystemExit(
            f"benchmark aborted: reconciler {' '.join(run.args)} exited {run.code}\n"
            f"--- stdout (tail)\n{run.stdout[-3000:]}\n--- stderr (tail)\n{run.stderr[-3000:]}"
        )
    return run


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@contextmanager
def workdir(keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="reconciler-bench-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
