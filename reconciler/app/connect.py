"""How a use case reaches its target: options, and a client wired to a real org or the sandbox.

The embedded sandbox is built here, at the use-case layer, so that the HTTP client
(``reconciler.genesys``) never imports it: the client only ever sees an httpx transport.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.core.errors import PlanError
from reconciler.genesys import ClientLimits, GenesysClient, Target, open_client
from reconciler.kinds import Kind
from reconciler.plan.model import Org, Plan

if TYPE_CHECKING:
    from reconciler.sandbox import SandboxOptions


@dataclass(frozen=True)
class RunOptions:
    """How to reach the target and how hard to push it."""

    target: Target
    limits: ClientLimits = field(default_factory=ClientLimits)
    #: options of the embedded sandbox (faults, latency); ``None``: its defaults
    sandbox_options: SandboxOptions | None = None
    #: where the client says, once, that the API does not answer and it retries (the CLI: stderr)
    notice: Callable[[str], None] | None = None


def same_content(kind: Kind, sent: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """Whether ``live`` holds what a write ``sent``, by the planner's comparison (the kind's essence).

    The client uses it to recognise a lost create or update as its own; the rule of what
    counts as the same content stays with the kinds, not with the HTTP layer.
    """
    wanted = kind.desired_essence(sent)
    return kind.comparable(kind.essence(live), wanted) == wanted


def with_concurrency(options: RunOptions, concurrency: int) -> RunOptions:
    """``options`` whose client lets ``concurrency`` requests be in flight (``--concurrency``), never fewer than before.

    The client's own bound would otherwise cap an apply at its default whatever the flag
    said; the rate limiter still paces every request, so more in flight than the rate
    limit allows only means more waiting for a send slot, never more than the limit.
    """
    if concurrency <= options.limits.max_concurrency:
        return options
    return dataclasses.replace(options, limits=dataclasses.replace(options.limits, max_concurrency=concurrency))


def client_for(options: RunOptions) -> GenesysClient:
    """The (not yet open) client for ``options.target``, wired to the in-process sandbox for the sandbox target.

    Where the sandbox's state lives is the target's ``sandbox_db``, whatever
    ``sandbox_options`` say, so that the target's identity and the file written agree.
    """
    transport = None
    limits = options.limits
    if options.target.kind == "sandbox":
        from reconciler.sandbox import SandboxOptions, embedded_transport

        # in-process: a publish job is done by the next poll, so waiting between polls only slows the user
        limits = dataclasses.replace(limits, job_poll_initial=min(limits.job_poll_initial, 0.01))
        sandbox = options.sandbox_options or SandboxOptions()
        if options.target.sandbox_db is not None:
            sandbox = dataclasses.replace(sandbox, db_path=options.target.sandbox_db)
        transport = embedded_transport(sandbox)
    return open_client(
        options.target, transport=transport, same_content=same_content, limits=limits, notice=options.notice
    )


@asynccontextmanager
async def connected(options: RunOptions, client: GenesysClient | None = None) -> AsyncIterator[GenesysClient]:
    """``client`` if the command already opened one, else a client opened (and closed) here.

    One command, one client: a plan-and-apply shares the client its plan read through,
    so it takes one token and keeps one pacing schedule (two clients would each pace
    up to the same per-token limit).
    """
    if client is not None:
        yield client
        return
    async with client_for(options) as opened:
        yield opened


async def org_of(client: GenesysClient) -> Org:
    """The org ``client``'s token belongs to, as a plan records it.

    One request per client (:meth:`GenesysClient.org` keeps the answer): a command that
    plans and applies through one client asks once, and ``doctor`` reads the same answer.
    """
    found = await client.org()
    return Org(id=found.id, name=found.name)


async def refuse_other_org(plan: Plan, client: GenesysClient) -> None:
    """Refuse, before anything is read or written, a plan made for another org than ``client``'s.

    Why: the plan's ``target`` is the API URL, a region many orgs share; a plan reviewed for
    a dev org carried out in the prod org of the same region (or against a served sandbox
    restarted on another database at the same address) would write there. A plan without
    an org is one made in this process by a caller that recorded none (a test); a plan
    file without one never gets here (:func:`~reconciler.plan.planfile.parse_plan` refuses it).
    """
    if plan.org is None:
        return
    here = await org_of(client)
    if here.id != plan.org.id:
        raise PlanError(
            f"the plan was made for org {plan.org.described}, but the credentials given reach org "
            f"{here.described} at {plan.target}: nothing was applied; make the plan against this org "
            "(or apply it with the credentials of the org it was made for)"
        )
