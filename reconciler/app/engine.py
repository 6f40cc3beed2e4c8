"""The use cases behind the commands: read live state, plan, apply, drift.

This is where the subsystems meet (manifests, client, planner, executor, audit) so that
``cli.py`` only parses options and prints. Nothing here prints or exits.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.apply.executor import apply_plan
from reconciler.apply.result import ApplyResult, ChangeOutcome
from reconciler.core.errors import ApplyError, ManifestError, NotFoundError, PermissionError_
from reconciler.genesys import ClientLimits, GenesysClient, Target, open_client
from reconciler.kinds import KINDS, Kind
from reconciler.manifests import ManifestSet, load_manifests
from reconciler.manifests.desired import env_names_in
from reconciler.plan.builder import PrunePolicy, build_plan
from reconciler.plan.livechecks import live_check_issues
from reconciler.plan.model import Plan

LiveState = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class RunOptions:
    """How to reach the target and how hard to push it."""

    target: Target
    limits: ClientLimits = field(default_factory=ClientLimits)
    sandbox_options: Any = None  # reconciler.sandbox.SandboxOptions for the embedded sandbox


def same_content(kind: Kind, sent: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """Whether ``live`` holds what a write ``sent``, by the planner's comparison (the kind's essence).

    The client uses it to recognise a lost create or update as its own; the rule of what
    counts as the same content stays with the kinds, not with the HTTP layer.
    """
    wanted = kind.essence(sent)
    return kind.comparable(kind.essence(live), wanted) == wanted


def client_for(options: RunOptions) -> GenesysClient:
    """The (not yet open) client for ``options.target``, wired to the in-process sandbox for the sandbox target.

    The sandbox is built here, at the use-case layer, so that the HTTP client never
    imports it. Where its state lives is the target's ``sandbox_db``, whatever
    ``sandbox_options`` say, so that the target's identity and the file written agree.
    """
    transport = None
    if options.target.kind == "sandbox":
        from reconciler.sandbox import SandboxOptions, embedded_transport

        sandbox = options.sandbox_options or SandboxOptions()
        if options.target.sandbox_db is not None:
            sandbox = dataclasses.replace(sandbox, db_path=options.target.sandbox_db)
        transport = embedded_transport(sandbox)
    return open_client(options.target, transport=transport, same_content=same_content, limits=options.limits)


KindRead = Callable[[str, int], None]
"""Told ``(kind name, object count)`` as each kind's listing completes (progress display)."""


Detail = Callable[[Kind, Mapping[str, Any]], bool]
"""Whether a listed object of a summary-listing kind must be read in full (``GET .../{id}``)."""


async def read_live(
    client: GenesysClient,
    kinds: Iterable[Kind] = KINDS,
    *,
    on_kind_read: KindRead | None = None,
    detail: Detail | None = None,
    required: Collection[str] | None = None,
    warnings: list[str] | None = None,
) -> LiveState:
    """One listing per kind, all kinds at once; one ``GET`` per object only where needed.

    A kind whose listing is a summary (topics without their phrases) has the objects
    ``detail`` selects read in full, concurrently and paced by the client (default:
    every object, as export needs). A kind not in ``required`` (``None``: all are) that
    the target does not have (``404``) or does not let this client read (``403``) reads
    as empty, with a line in ``warnings``: a real org has no seed-contract endpoints.
    """

    async def one(kind: Kind) -> list[dict[str, Any]]:
        try:
            objects = list(await client.list_all(kind))
        except (NotFoundError, PermissionError_) as exc:
            if required is None or kind.name in required:
                raise
            if warnings is not None:
                warnings.append(f"{kind.name} was not read (HTTP {exc.status} {exc.code}): the target has no such "
                                "endpoint or this client may not read it; it is left out")
            return []
        if kind.listing.is_summary:
            wanted = [o for o in objects if detail is None or detail(kind, o)]
            if wanted:
                full = {str(o.get("id")): o for o in await client.details(kind, wanted)}
                objects = [full.get(str(o.get("id")), o) for o in objects]
        if on_kind_read is not None:
            on_kind_read(kind.name, len(objects))
        return objects

    kinds = list(kinds)
    # Wait for every listing even when one fails, so none is left running at shutdown.
    listings = await asyncio.gather(*(one(kind) for kind in kinds), return_exceptions=True)
    for outcome in listings:
        if isinstance(outcome, BaseException):
            raise outcome
    return {kind.name: objs for kind, objs in zip(kinds, listings, strict=True)}  # type: ignore[misc]


def _declared_detail(manifests: ManifestSet) -> Detail:
    """Read in full only the live objects a manifest declares: the only ones compared field by field."""
    declared = {obj.key.folded for obj in manifests.objects}

    def wanted(kind: Kind, obj: Mapping[str, Any]) -> bool:
        return (kind.name, str(obj.get("name", "")).casefold()) in declared

    return wanted


def prune_policy(manifests: ManifestSet, extra_kinds: Sequence[str] = (), max_deletes: int | None = None) -> PrunePolicy:
    """``reconciler.yaml`` settings, widened by ``--prune KIND`` and ``--max-deletes``."""
    prune = manifests.settings.prune
    kwargs: dict[str, Any] = {
        "kinds": frozenset(prune.kinds) | frozenset(extra_kinds),
        "exclude": tuple(prune.exclude),
        "default_max_deletes": prune.maxDeletes,
        "max_delete_percent": prune.maxDeletePercent,
    }
    if max_deletes is not None:
        kwargs["max_deletes"] = max_deletes
    return PrunePolicy(**kwargs)


def make_plan(
    manifests: ManifestSet,
    live: LiveState,
    target: Target,
    *,
    env: Mapping[str, str],
    prune: PrunePolicy,
    rotate: Sequence[str] = (),
) -> Plan:
    return build_plan(
        manifests.objects,
        live,
        env=env,
        target=target.identity,
        target_description=target.describe(),
        manifests_digest=manifests.digest,
        prune=prune,
        rotate=rotate,
    )


async def plan_paths(
    paths: Sequence[str],
    options: RunOptions,
    *,
    env: Mapping[str, str] | None = None,
    prune_kinds: Sequence[str] = (),
    max_deletes: int | None = None,
    prune_all: bool = False,
    rotate: Sequence[str] = (),
    on_kind_read: KindRead | None = None,
) -> tuple[Plan, ManifestSet, LiveState, GenesysClient]:
    """Validate manifests (no network on failure), read live state, plan."""
    env = os.environ if env is None else env
    manifests = load_manifests(paths, env=env)
    required = {obj.kind for obj in manifests.objects} | set(manifests.settings.prune.kinds) | set(prune_kinds)
    warnings: list[str] = []
    async with client_for(options) as client:
        live = await read_live(
            client, on_kind_read=on_kind_read, detail=_declared_detail(manifests), required=required, warnings=warnings
        )
        issues = await live_check_issues(manifests.objects, client, env)
    if issues:
        raise ManifestError(issues)
    kinds = [k.name for k in KINDS if k.singleton is None] if prune_all else prune_kinds
    plan = make_plan(
        manifests, live, options.target, env=env, prune=prune_policy(manifests, kinds, max_deletes), rotate=rotate
    )
    if warnings:
        plan = plan.model_copy(update={"warnings": (*warnings, *plan.warnings)})
    return plan, manifests, live, client


async def apply(
    plan: Plan,
    options: RunOptions,
    *,
    env: Mapping[str, str] | None = None,
    audit_log: str | Path | None = None,
    audit_url: str | None = None,
    concurrency: int = 8,
    progress: Callable[[ChangeOutcome], None] | None = None,
    live: LiveState | None = None,
) -> tuple[ApplyResult, GenesysClient, str | None]:
    """Apply a plan, audited, checking each object against live state before writing it.

    ``live`` is the listing the plan was just made from, when nothing (no prompt, no
    saved file) stood between planning and applying; otherwise it is read afresh here.
    Either way each PUT carries the planned version, so the server refuses what moved.
    Returns the result, the client (for its counters) and the audit delivery summary.
    Raises :class:`ApplyError` *after* everything that could be done was done.
    """
    from reconciler.audit import AuditTrail

    env = os.environ if env is None else env
    run_id = str(uuid.uuid4())
    in_plan = {change.kind for change in plan.changes}
    async with client_for(options) as client:
        if live is None:
            # Listings only: the stale check needs each object's revision, which summaries show.
            live = await read_live(client, detail=lambda kind, obj: False, required=in_plan)
        with AuditTrail.open(
            audit_log, target=options.target.identity, forward_url=audit_url, secret_values=plan_env_values(plan, env)
        ) as trail:
            trail.run_started(run_id, dict(plan.summary))
            result = await apply_plan(
                plan, client, live=live, env=env, trail=trail, concurrency=concurrency, progress=progress
            )
            trail.run_finished(dict(result.counts), 1 if result.failed else 0)
            delivery = trail.delivery_summary()
    return result, client, delivery


def plan_env_values(plan: Plan, env: Mapping[str, str]) -> list[str]:
    """Values of every ``${env:…}`` the plan's specs use: the audit trail scrubs them from free text."""
    names = {name for change in plan.changes for name in env_names_in(change.spec or {})}
    return [env[name] for name in sorted(names) if env.get(name)]


def ensure_success(result: ApplyResult) -> None:
    if result.failed:
        raise ApplyError(result.failure_lines())
