"""Driving the real CLI, in its own process, against a served sandbox; and checking what it left.

Every check here reads the truth from outside the process under test: live objects
through the API, the audit log through ``reconciler audit verify`` and the verifier,
request and fault counts through the sandbox's ``/__sandbox__/stats``.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from reconciler.audit.verify import VerifyReport, verify_log
from reconciler.genesys import ClientLimits, GenesysClient, resolve_target
from reconciler.kinds import REGISTRY
from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

from ._estate import HOOK_TOKEN_VAR, Estate

#: the three kinds an estate declares
ESTATE_KINDS = ("VoiceProfile", "SpeechRule", "Webhook")
#: a secret that must never surface; generated webhooks read it from the environment
HOOK_TOKEN = "Resilience-hook-token-4417-never-print-me"
#: "do not pace": for cases whose point is not the rate limit
UNPACED = "600000"
#: the test process's own client: fast, patient with faults
CHECKER_LIMITS = ClientLimits(requests_per_minute=600_000, rate_burst=1000, max_attempts=10, backoff_initial=0.05,
                              backoff_max=0.5)


def cli_env(url: str, *, secret: str = DEFAULT_CLIENT_SECRET, **extra: str) -> dict[str, str]:
    """A clean environment naming the served sandbox as the Genesys target."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT") if k in os.environ}
    env.update(
        NO_COLOR="1",
        GENESYSCLOUD_API_URL=url,
        GENESYSCLOUD_OAUTHCLIENT_ID=DEFAULT_CLIENT_ID,
        GENESYSCLOUD_OAUTHCLIENT_SECRET=secret,
    )
    env[HOOK_TOKEN_VAR] = HOOK_TOKEN
    env.update(extra)
    return env


#: the CLI's launcher: ``python -m reconciler`` with a tenth of the client's backoff (see the module)
QUICK_CLI = Path(__file__).with_name("_quick_cli.py")


def reconciler_command(*args: str) -> list[str]:
    """The real CLI in its own process; retries back off a tenth as long, so fault cases take seconds."""
    return [sys.executable, str(QUICK_CLI), *args]


def run(args: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``reconciler ARGS`` in a process of its own; output captured as text.

    The process is forked from a launcher that has imported the CLI already (see
    ``_quick_cli.py``): a command costs its own work, not 0.45 s of imports each time.
    """
    return _forks.run(args, env=env, cwd=cwd, timeout=timeout)


class _ForkServer:
    """This test process's ``_quick_cli.py --fork-server``, started at the first command, one command at a time."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._pending = b""

    def _server(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._log = tempfile.TemporaryFile()
            self._proc = subprocess.Popen(reconciler_command("--fork-server"), stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=self._log, bufsize=0)
            atexit.register(self.stop)
        return self._proc

    def _reply(self, proc: subprocess.Popen[bytes], deadline: float | None) -> dict[str, Any] | None:
        """The server's next reply line, or None if the deadline passes first."""
        assert proc.stdout is not None
        while b"\n" not in self._pending:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([proc.stdout], [], [], wait)[0]:
                return None
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                self._log.seek(0)
                raise RuntimeError(f"_quick_cli --fork-server ended: {self._log.read().decode(errors='replace')}")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return dict(json.loads(line))

    def run(self, args: list[str], *, env: dict[str, str], cwd: Path,
            timeout: float) -> subprocess.CompletedProcess[str]:
        with self._lock, tempfile.TemporaryDirectory() as streams:
            out, err = Path(streams, "stdout"), Path(streams, "stderr")
            out.touch()
            err.touch()
            proc = self._server()
            assert proc.stdin is not None
            request = {"args": args, "env": env, "cwd": str(cwd), "stdout": str(out), "stderr": str(err)}
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            pid = self._reply(proc, None)["pid"]  # type: ignore[index]
            ended = self._reply(proc, time.monotonic() + timeout)
            if ended is None:  # as subprocess.run does: kill it, then report the timeout
                os.kill(pid, signal.SIGKILL)
                self._reply(proc, None)
                raise subprocess.TimeoutExpired(reconciler_command(*args), timeout, out.read_text(), err.read_text())
            return subprocess.CompletedProcess(reconciler_command(*args), int(ended["status"]),
                                               out.read_text(), err.read_text())

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(30)


_forks = _ForkServer()


@dataclass
class Session:
    """One project directory applying one estate to one served sandbox, counting what it took."""

    url: str
    estate: Estate
    cwd: Path
    env: dict[str, str]
    client_args: tuple[str, ...] = ()
    applies: int = 0
    outputs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    @property
    def audit_log(self) -> Path:
        return self.cwd / "audit.jsonl"

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        done = run([*args], env=self.env, cwd=self.cwd, timeout=timeout)
        self.outputs.append(done)
        return done

    def apply(self, *extra: str, timeout: float = 120) -> dict[str, Any]:
        """One ``apply --auto-approve --format json``; returns its result document."""
        self.applies += 1
        done = self.cli("apply", str(self.estate.root), "--auto-approve", "--format", "json", "--target", "genesys",
                        "--audit-log", str(self.audit_log), *self.client_args, *extra, timeout=timeout)
        assert done.returncode in (0, 1), done.stderr[-2000:]
        assert done.stdout.strip(), f"apply printed nothing (exit {done.returncode}): {done.stderr[-2000:]}"
        result = json.loads(done.stdout)
        assert (done.returncode == 0) == (result.get("failed", 0) == 0), done.stderr[-2000:]
        return dict(result)

    def plan_exit(self, timeout: float = 120) -> int:
        """``plan --detailed-exitcode``: 0 converged, 2 changes left (anything else fails the test)."""
        done = self.cli("plan", str(self.estate.root), "--detailed-exitcode", "--target", "genesys",
                        *self.client_args, timeout=timeout)
        assert done.returncode in (0, 2), done.stderr[-2000:]
        return done.returncode

    def converge(self, max_applies: int, timeout: float = 120) -> list[dict[str, Any]]:
        """Apply until a plan finds nothing to do, at most ``max_applies`` times; returns each apply's result."""
        results = []
        while True:
            results.append(self.apply(timeout=timeout))
            if self.plan_exit(timeout=timeout) == 0:
                return results
            assert len(results) < max_applies, f"not converged after {len(results)} applies: {results[-1]['counts']}"


def live_objects(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every live object of the estate's kinds, read by a client of the test's own."""

    async def read() -> dict[str, list[dict[str, Any]]]:
        target = resolve_target(api_url=url, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, env={})
        listings: dict[str, list[dict[str, Any]]] = {}
        async with GenesysClient(target, limits=CHECKER_LIMITS) as client:

            async def list_kind(kind: str) -> None:
                listings[kind] = await client.list_all(REGISTRY[kind])

            async with anyio.create_task_group() as group:
                for kind in ESTATE_KINDS:
                    group.start_soon(list_kind, kind)
        return {kind: listings[kind] for kind in ESTATE_KINDS}

    return anyio.run(read)


def assert_exactly_the_estate(url: str, estate: Estate) -> None:
    """Each declared object exactly once (names compared case-insensitively), nothing else."""
    live = live_objects(url)
    for kind in ESTATE_KINDS:
        folded = Counter(str(o["name"]).casefold() for o in live[kind])
        duplicates = sorted(name for name, n in folded.items() if n > 1)
        assert not duplicates, f"duplicate {kind} objects: {duplicates[:10]}"
        assert {o["name"] for o in live[kind]} == estate.names(kind)


def verify_audit(session: Session) -> VerifyReport:
    """``reconciler audit verify`` exits 0 and says the chain is intact; the verifier's report for details."""
    done = run(["audit", "verify", str(session.audit_log)], env=session.env, cwd=session.cwd, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "chain intact" in done.stdout
    return verify_log(session.audit_log)


def audit_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def server_stats(url: str) -> dict[str, Any]:
    return dict(httpx.get(url + "/__sandbox__/stats", timeout=10).json())
