"""Drift with its authors: who last changed each drifted, missing or unmanaged object.

No drift tool says who made a change (atlantis#3245, fluxcd/helm-controller#645), yet
Genesys keeps an audit service that knows. The queries are bounded by construction:
one per kind that has drift and an audit service (``Kind.audit``), over one time window
(``--since``, seven days by default), filtered to the kind's entity type, each with a
page cap (:mod:`reconciler.genesys.audits`) — never one per object. The newest message
about an object (matched by id, or by name where the id is unknown: a deleted object)
says who changed it, when and which fields.

Attribution is a courtesy: when the client may not query the audit service (``403``),
the target has none (``404``) or a query fails, drift says so in one warning line and
reports exactly what it would have without it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio

from reconciler.app.connect import RunOptions, connected
from reconciler.app.live import KindRead, Listed
from reconciler.app.planning import plan_paths
from reconciler.core.errors import ApiError, NotFoundError, PermissionError_
from reconciler.core.keys import ObjectKey
from reconciler.genesys import ClientStats, GenesysClient
from reconciler.genesys.audits import MAX_WINDOW, AuditAnswer
from reconciler.kinds import AUDIT_READ_PERMISSION, REGISTRY, Kind
from reconciler.plan.drift import Attribution, DriftReport, unseen_secrets
from reconciler.plan.inputs import EnvMode

DEFAULT_WINDOW = timedelta(days=7)
__all__ = ["DEFAULT_WINDOW", "MAX_WINDOW", "DriftRun", "attribute", "audit_warnings", "drift_paths"]
#: objects named in a warning before "and N more" (a warning stays one line in a 2,000-object org)
_NAMED = 5
_UNFINISHED = {"Succeeded": "has more pages than are read", "Failed": "failed", "Cancelled": "was cancelled"}


@dataclass(frozen=True)
class DriftRun:
    """What the drift use case produced (large parts left out of ``repr``: results cross ``anyio.run``)."""

    report: DriftReport = field(repr=False)
    live: Listed = field(repr=False)
    stats: ClientStats = field(repr=False)

    @property
    def live_counts(self) -> dict[str, int]:
        return {kind: len(objects) for kind, objects in self.live.items()}


async def drift_paths(
    paths: Sequence[str],
    options: RunOptions,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
    on_kind_read: KindRead | None = None,
) -> DriftRun:
    """Plan with every kind pruned, read as drift, then ask the audit service who changed what (one client)."""
    now = now or datetime.now(UTC)
    async with connected(options) as client:
        run = await plan_paths(
            paths, options, env=os.environ if env is None else env, prune_all=True, on_kind_read=on_kind_read,
            client=client, env_mode=EnvMode.COMPARED,  # drift never compares write-only secrets: none need a value
        )
        report = DriftReport.from_plan(run.plan)
        report = report.model_copy(update={"warnings": (*report.warnings, *unseen_secrets(run.manifests.objects))})
        # in UTC, as every time of the report (a --since given with an offset was kept as given)
        window = _utc(since or now - DEFAULT_WINDOW)
        report = await attribute(report, run.live, client, since=window, now=now)
    return DriftRun(report=report, live=run.live, stats=run.stats)


async def attribute(
    report: DriftReport, live: Listed, client: GenesysClient, *, since: datetime, now: datetime
) -> DriftReport:
    """``report`` with :attr:`~DriftReport.changed_by` filled in where the audit service knows, and the kinds
    with drift it never records named (:attr:`~DriftReport.unattributed_kinds`)."""
    report = report.model_copy(update={"unattributed_kinds": _unaudited(report)})
    wanted = _wanted(report, live)
    if not wanted:
        return report
    answers: dict[str, AuditAnswer] = {}
    failures: dict[str, ApiError] = {}

    async def one(kind: Kind) -> None:
        assert kind.audit is not None
        try:
            answers[kind.name] = await client.query_audits(
                kind.audit.service, since, now, filters=[("EntityType", kind.audit.entity_type)]
            )
        except ApiError as exc:
            failures[kind.name] = exc

    async with anyio.create_task_group() as group:
        for name in wanted:
            group.start_soon(one, REGISTRY[name])
    changed_by: dict[str, Attribution] = {}
    unknown: list[str] = []
    for name, objects in wanted.items():
        if name in answers:
            attributed, unreadable = _match(objects, answers[name].messages)
            changed_by.update(attributed)
            unknown.extend(unreadable)
    warnings = [*report.warnings, *audit_warnings(answers, failures, unknown=sorted(unknown))]
    return report.model_copy(
        update={"changed_by": dict(sorted(changed_by.items())), "attributed_since": since, "warnings": tuple(warnings)}
    )


def _wanted(report: DriftReport, live: Listed) -> dict[str, dict[str, tuple[str | None, str]]]:
    """kind -> address -> (live id if known, name), for kinds the audit service records."""
    ids = {
        (kind, str(obj.get("name", "")).casefold()): str(obj["id"])
        for kind, objects in live.items()
        for obj in objects
        if obj.get("id") is not None
    }
    wanted: dict[str, dict[str, tuple[str | None, str]]] = {}

    def add(kind: str, name: str, object_id: str | None, live_name: str | None = None) -> None:
        if kind in REGISTRY and REGISTRY[kind].audit is not None:
            looked_up = live_name or name
            found = object_id or ids.get((kind, looked_up.casefold()))
            wanted.setdefault(kind, {})[f"{kind}/{name}"] = (found, looked_up)

    for obj in report.differs:
        add(obj.kind, obj.name, obj.object_id)
    for gone in report.missing:
        renamed = gone.renamed_live
        if renamed is not None:
            # renamed live: the object lives on under its new name, and its renamer wrote it under that id
            # (looked up by the old name, the apply's create was found and its client named instead)
            add(gone.kind, gone.name, renamed.object_id, renamed.name)
        else:
            add(gone.kind, gone.name, None)  # not live: the audit's Delete names it
    for address in report.unmanaged:
        key = ObjectKey.parse(address)
        add(key.kind, key.name, None)
    return wanted


def _unaudited(report: DriftReport) -> tuple[str, ...]:
    """Kinds with drift that have no audit service, in registry order."""
    kinds = {obj.kind for obj in report.differs} | {obj.kind for obj in report.missing}
    kinds.update(ObjectKey.parse(address).kind for address in report.unmanaged)
    return tuple(k.name for k in REGISTRY.values() if k.name in kinds and k.audit is None)


Wanted = Mapping[str, tuple[str | None, str]]


def _match(objects: Wanted, messages: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Attribution], list[str]]:
    """The newest message about each object (messages come newest first), with its count of writes; and the
    objects whose newest message cannot be read (it names no user or client, or has no readable date).

    Why those are left unattributed rather than read from the next message: the next one is an
    older write, and naming its author would blame them for a change they may not have made.
    """
    # an id may stand for more than one address (none does since a live rename's new name left unmanaged)
    by_id: dict[str, list[str]] = {}
    for address, (object_id, _) in objects.items():
        if object_id:
            by_id.setdefault(object_id, []).append(address)
    by_name = {name.casefold(): address for address, (object_id, name) in objects.items() if not object_id}
    found: dict[str, Attribution | None] = {}
    counts: dict[str, int] = {}
    for message in messages:
        entity = message.get("entity")
        if not isinstance(entity, Mapping):
            continue
        named = by_name.get(str(entity.get("name", "")).casefold())
        for address in by_id.get(str(entity.get("id"))) or ([named] if named else []):
            counts[address] = counts.get(address, 0) + 1
            if address not in found:
                found[address] = _attribution(message)
    attributed = {a: who.model_copy(update={"writes": counts[a]}) for a, who in found.items() if who is not None}
    return attributed, [a for a, who in found.items() if who is None]


def _attribution(message: Mapping[str, Any]) -> Attribution | None:
    user, client = message.get("user"), message.get("client")
    if isinstance(user, Mapping) and (user.get("name") or user.get("id")):
        by, by_type = str(user.get("name") or user.get("id")), "user"
    elif isinstance(client, Mapping) and (client.get("name") or client.get("id")):
        by, by_type = str(client.get("name") or client.get("id")), "client"
    else:
        return None
    try:
        at = _utc(datetime.fromisoformat(str(message.get("eventDate"))))
    except (ValueError, OverflowError):  # OverflowError: a date that leaves the calendar in UTC (0001-01-01+14:00)
        return None
    changes = message.get("propertyChanges") or []
    fields = tuple(str(c["property"]) for c in changes if isinstance(c, Mapping) and c.get("property"))
    return Attribution(by=by, by_type=by_type, action=str(message.get("action") or "Update"), at=at, fields=fields)


def _utc(at: datetime) -> datetime:
    """``at`` in UTC; one without an offset is taken as UTC, as the platform writes its dates.

    Why here: printed as ``at.astimezone(UTC)``, a date without an offset was read in the
    runner's local time zone, and one that leaves year 1 to 9999 in UTC raised there.
    """
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def audit_warnings(
    answers: Mapping[str, AuditAnswer], failures: Mapping[str, ApiError], *, unknown: Sequence[str] = ()
) -> list[str]:
    """One line when the audit service could not be asked at all; one per service that answered only in part;
    one naming the objects whose newest audit message could not be read (``unknown``)."""
    lines: list[str] = []
    refused = [e for e in failures.values() if isinstance(e, PermissionError_ | NotFoundError)]
    if refused:
        exc = refused[0]
        why = (
            f"this client may not query the audit service (it needs the {AUDIT_READ_PERMISSION} permission)"
            if isinstance(exc, PermissionError_)
            else "the target has no audit query service"
        )
        lines.append(f"drift does not say who changed objects: {why} (HTTP {exc.status} {exc.code})")
    # grouped by status and code (each query's correlation id differs); the first error shown whole
    failed: dict[tuple[int, str], list[str]] = {}
    for kind, error in sorted(failures.items()):
        if error not in refused:
            failed.setdefault((error.status, error.code), []).append(kind)
    for kinds in failed.values():
        lines.append(
            f"drift does not say who changed {', '.join(kinds)} objects: their audit query failed: {failures[kinds[0]]}"
        )
    for answer in sorted(answers.values(), key=lambda a: a.service):
        if not answer.complete:
            reason = (
                f"stopped at a page its paging was refused for ({answer.refused})"
                if answer.refused
                else _UNFINISHED.get(answer.state, "did not finish in time")
            )
            lines.append(f"the audit query of {answer.service} {reason}: older changes are not attributed")
    if unknown:
        shown = ", ".join(unknown[:_NAMED]) + (f" and {len(unknown) - _NAMED} more" if len(unknown) > _NAMED else "")
        lines.append(
            f"drift does not say who changed {len(unknown)} object(s) ({shown}): the newest audit message about "
            "each names no user or client, or has no readable date"
        )
    return list(dict.fromkeys(lines))
