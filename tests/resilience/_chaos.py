"""One chaos scenario: apply a change set through a faulty network, maybe die half-way, then re-apply until done.

The faults sit in a transport wrapped around the embedded sandbox, one decision per request
in the order requests are sent (a scenario lists them, so a failing one shrinks to the few
faults that matter): an error answer that wrote nothing (500/502/503/504, 429 with
``Retry-After``), a connection refused or timed out before sending, and the two that write
*and* lose the answer (the connection drops, the read times out). The sandbox adds its own
read lag. Time is virtual (:class:`FakeSleep`): the client's backoff and ``Retry-After``
waits move the clock the lag is measured on, nothing really waits.

An interruption is either a stop request (SIGINT's path, no grace: writes in flight are
cancelled) or a kill: from the chosen write on, nothing more reaches the server or the
audit log, as after SIGKILL (the write itself either never leaves or lands with its answer
lost), and the apply is abandoned where it stands.

After the faulty run, the real CLI (in-process, no faults, its clients' waits on virtual
time too) applies until it says "No changes", at most :data:`MAX_RERUNS` times;
:mod:`._chaos_checks` then judges what is left.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from unittest import mock

import anyio
import httpx
from engine._support import ProjectFiles
from genesys._support import FakeSleep

from reconciler.app import RunOptions, apply, plan_paths, same_content
from reconciler.apply.interrupt import Stop
from reconciler.audit.log import AuditLog
from reconciler.core.errors import ReconcilerError
from reconciler.genesys import ClientLimits, GenesysClient, resolve_target
from reconciler.render import render_apply
from reconciler.sandbox import SandboxOptions, embedded_transport

from ._chaos_estate import SECRETS, States, write_project

#: fault names a scenario draws from, per request
WRITE_FAULTS = ("ok", "500", "502", "503", "504", "429", "refused", "connect-timeout", "drop", "read-timeout")
READ_FAULTS = ("ok", "500", "503", "429", "refused", "read-timeout")
#: clean applies allowed after the faulty one to reach "No changes" (the brief: at most 3)
MAX_RERUNS = 3
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LIMITS = ClientLimits(requests_per_minute=1_000_000)


class Killed(BaseException):
    """The process died (SIGKILL): not an ``Exception``, so no handler of the code under test catches it."""


@dataclass(frozen=True)
class Interruption:
    #: ``stop`` (SIGINT, no grace), ``kill-before`` (the write never leaves), ``kill-after`` (it lands, unanswered)
    how: str
    #: the write (0-based, in sending order) where it happens
    at: int


@dataclass(frozen=True)
class Scenario:
    base: States
    target: States
    write_faults: tuple[str, ...]
    read_faults: tuple[str, ...]
    read_lag_ms: int = 0
    interruption: Interruption | None = None
    concurrency: int = 4
    #: when the faulty run is killed: the next run's own faults (writes, reads), met before the clean re-runs
    after_kill: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    @property
    def rerun(self) -> Scenario | None:
        """The faulty run that follows a kill (no interruption of its own), if the scenario has one."""
        if self.after_kill is None:
            return None
        writes, reads = self.after_kill
        return replace(self, write_faults=writes, read_faults=reads, interruption=None, after_kill=None)


@dataclass
class Faulty(httpx.AsyncBaseTransport):
    """The embedded sandbox behind scheduled faults; counts what it did."""

    inner: httpx.AsyncBaseTransport
    scenario: Scenario
    stop: Stop
    writes: int = 0
    reads: int = 0
    killed: bool = False
    served: list[str] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.killed:
            raise Killed
        api = request.url.path.startswith("/api/v2/")
        write = api and request.method in WRITES
        fault = "ok"
        cut = self.scenario.interruption
        if write:
            index, self.writes = self.writes, self.writes + 1
            faults = self.scenario.write_faults
            fault = faults[index] if index < len(faults) else "ok"
            if cut is not None and cut.at == index:
                if cut.how == "stop":
                    self.stop.request(signal.SIGINT)
                    self.stop.request(signal.SIGINT)  # the second request: no grace for writes in flight
                elif cut.how == "kill-before":
                    self.killed = True
                    raise Killed
                else:
                    await self.inner.handle_async_request(request)
                    self.killed = True
                    raise Killed
        elif api and request.method == "GET":
            index, self.reads = self.reads, self.reads + 1
            faults = self.scenario.read_faults
            fault = faults[index] if index < len(faults) else "ok"
        if fault != "ok":
            self.served.append(f"{request.method} {request.url.path}: {fault}")
        return await self._answer(request, fault)

    async def _answer(self, request: httpx.Request, fault: str) -> httpx.Response:
        if fault == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "connect-timeout":
            raise httpx.ConnectTimeout("timed out connecting", request=request)
        if fault.isdigit():
            status = int(fault)
            headers = {"ININ-Correlation-Id": f"chaos-{self.writes}-{self.reads}"}
            code = "too.many.requests.retry.after" if status == 429 else "chaos.injected"
            if status in (429, 503):
                headers["Retry-After"] = "1"
            body = {"message": f"chaos: injected {status}, nothing was written", "code": code, "status": status,
                    "messageParams": {}, "contextId": headers["ININ-Correlation-Id"], "details": [], "errors": []}
            return httpx.Response(status, json=body, headers=headers, request=request)
        response = await self.inner.handle_async_request(request)
        if fault == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a complete response",
                                            request=request)
        if fault == "read-timeout":
            raise httpx.ReadTimeout("timed out reading the answer", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Project(ProjectFiles):
    """Where a scenario runs: manifests, the sandbox's file, the audit log, and every text the tool showed."""

    outputs: list[str] = field(default_factory=list)

    def options(self, sandbox: SandboxOptions | None = None) -> RunOptions:
        target = resolve_target(target="sandbox", sandbox_db=str(self.db), env={})
        return RunOptions(target, LIMITS, sandbox_options=sandbox)


@contextlib.contextmanager
def dead_after_kill(transport: Faulty) -> Iterator[None]:
    """Audit appends after the kill reach no disk, as nothing does once a process is killed."""
    real = AuditLog._write_all

    def write_all(self: AuditLog, fd: int, data: bytes) -> None:
        if not transport.killed:
            real(self, fd, data)

    with mock.patch.object(AuditLog, "_write_all", write_all):
        yield


@dataclass
class Server(httpx.AsyncBaseTransport):
    """The embedded sandbox outliving the clients that talk to it: a killed run's writes still lag the next run's reads."""

    app: httpx.AsyncBaseTransport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.app.handle_async_request(request)

    async def aclose(self) -> None:
        """A client closing does not stop the server (:meth:`shut_down` does)."""

    async def shut_down(self) -> None:
        await self.app.aclose()


async def applied(project: Project, inner: httpx.AsyncBaseTransport, scenario: Scenario | None,
                  fake: FakeSleep) -> tuple[str, Faulty | None]:
    """Plan and apply ``project``'s manifests once through the sandbox ``inner``, faulty when ``scenario`` is given.

    Returns how it ended (``ok``, ``failed``, ``error: ...``, ``killed``) and the transport.
    An exception that is not the tool's own error is a traceback a user would see: re-raised.
    """
    options = project.options()
    stop = Stop(grace=0.0)
    transport = Faulty(inner, scenario, stop) if scenario is not None else None
    env = dict(SECRETS)
    with dead_after_kill(transport) if transport is not None else contextlib.nullcontext():
        try:
            async with GenesysClient(options.target, transport=transport or inner, same_content=same_content,
                                     limits=LIMITS, sleep=fake, clock=fake.clock) as client:
                planned = await plan_paths([str(project.manifests)], options, env=env, client=client)
                if not planned.plan.has_changes:
                    return "ok", transport
                run = await apply(planned.plan, options, env=env, audit_log=project.audit_log, client=client,
                                  live=planned.live, stop=stop, concurrency=scenario.concurrency if scenario else 4)
                for fmt in ("text", "json", "markdown"):
                    project.outputs.append(render_apply(run.result, fmt))
                return ("failed" if run.result.failed or run.result.interrupted else "ok"), transport
        except ReconcilerError as exc:
            project.outputs.append(str(exc))
            return f"error: {exc}", transport
        except BaseException as exc:
            if transport is not None and transport.killed and _only_kills(exc):
                return "killed", transport
            raise


def _only_kills(exc: BaseException) -> bool:
    """Whether ``exc`` is the kill, alone or in exception groups (with cancellations its unwinding caused)."""
    if isinstance(exc, Killed | anyio.get_cancelled_exc_class()):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return all(_only_kills(e) for e in exc.exceptions)
    if isinstance(exc.__cause__, Killed) or isinstance(exc.__context__, Killed):
        return True
    return False


def set_up(root: Path, scenario: Scenario) -> Project:
    """The project with ``scenario.base`` applied cleanly, then its manifests turned into ``scenario.target``."""
    project = Project(root)
    write_project(project.manifests, scenario.base)
    fake = FakeSleep()
    sandbox = embedded_transport(SandboxOptions(db_path=project.db, rate_limit=0))
    outcome, _ = anyio.run(applied, project, sandbox, None, fake)
    assert outcome == "ok", f"the base estate did not apply cleanly: {outcome}"
    write_project(project.manifests, scenario.target)
    return project


def run_faulty(project: Project, scenario: Scenario) -> tuple[str, list[str]]:
    """The faulty run, and after a kill the scenario's second faulty run (:attr:`Scenario.rerun`), at once.

    Both talk to one sandbox on one virtual clock: the second starts the moment the first
    died, so what the killed run wrote may still lag its reads. Returns how the last ended
    and every fault served.
    """
    fake = FakeSleep()
    options = SandboxOptions(db_path=project.db, rate_limit=0, read_lag_ms=scenario.read_lag_ms, clock=fake.clock)
    server = Server(embedded_transport(options))

    async def runs() -> tuple[str, list[str]]:
        try:
            outcome, transport = await applied(project, server, scenario, fake)
            assert transport is not None
            served = list(transport.served)
            rerun = scenario.rerun
            if outcome == "killed" and rerun is not None:
                outcome, transport = await applied(project, server, rerun, fake)
                assert transport is not None
                served += ["(after the kill)", *transport.served]
                outcome = f"killed, then {outcome}"
            return outcome, served
        finally:
            await server.shut_down()

    return anyio.run(runs)


def audit_lines(project: Project) -> list[dict[str, Any]]:
    if not project.audit_log.exists():
        return []
    return [json.loads(line) for line in project.audit_log.read_text().splitlines() if line.strip()]
