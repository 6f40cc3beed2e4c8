"""The revert use case: find one apply run in the audit trail, read live state, plan what restores it.

The audit log is verified first (its hash chain, as ``audit verify`` does): the values a
revert writes back are the ones its records hold, so a record edited by hand (a ``before``
changed to a value of someone's choosing) must stop it, not be restored. Its records are
then read through the public reader. The plan is an ordinary :class:`Plan`, so ``revert
--out`` saves it and ``apply FILE`` carries it out with the usual stale checks and its
own audit records. The manifest documents of the restored state come with it, because
git stays the source of truth: the next plan of unchanged manifests would undo a revert
nobody committed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from reconciler.app.connect import RunOptions, client_for, org_of
from reconciler.app.live import Detail, read_live
from reconciler.audit.query import Filters, select
from reconciler.audit.trail import DEFAULT_AUDIT_LOG
from reconciler.audit.verify import AuditChainError, verify_log
from reconciler.core.errors import AuditError, PlanError
from reconciler.export.model import ExportedObject
from reconciler.export.names import kebab, slug, variable_name
from reconciler.export.yaml_writer import render_object
from reconciler.genesys import ClientStats
from reconciler.kinds import REGISTRY, Kind
from reconciler.manifests.policy import PolicySettings
from reconciler.plan.model import Action, Plan
from reconciler.plan.policy import evaluate
from reconciler.plan.revert import RunWrites, SecretVariable, build_revert_plan, run_writes

#: the modeline of restored documents: they are meant to be copied into the manifests directory
SCHEMA_HINT = "schemas/manifest.json"


@dataclass(frozen=True)
class RevertRun:
    """The revert plan, the full run id it reverts, and the client's counters."""

    plan: Plan = field(repr=False)
    run_id: str
    stats: ClientStats = field(repr=False)


def find_run(audit_log: str | Path | None, run: str) -> tuple[str, list[dict[str, object]]]:
    """The one run whose id starts with ``run``, and its records; an error when none or several match."""
    path = Path(audit_log) if audit_log is not None else DEFAULT_AUDIT_LOG
    try:
        verify_log(path)
    except AuditChainError as exc:
        raise AuditError(f"{exc}; revert restores the values the log recorded, so it reads only a log whose hash "
                         "chain is intact (reconciler audit verify)") from None
    records = select(path, Filters(run=run))
    ids = sorted({str(r.get("run_id")) for r in records})
    if not ids:
        raise AuditError(f"no run {run!r} in the audit log {path} (reconciler audit show lists the runs)")
    if len(ids) > 1:
        raise AuditError(f"run {run!r} is ambiguous in {path}: it starts {', '.join(ids)}; give more of the id")
    return ids[0], records


def closed_later(audit_log: str | Path | None, run_id: str) -> list[dict[str, object]]:
    """Outcomes later runs wrote as ``superseded`` (closing open intents, this run's among them): revert names those."""
    path = Path(audit_log) if audit_log is not None else DEFAULT_AUDIT_LOG
    return [r for r in select(path, Filters()) if r.get("outcome") == "superseded" and r.get("run_id") != run_id]


def secret_variable(kind_name: str, name: str, field_path: str) -> str:
    """The environment variable that stands for an unrecorded secret, named as ``export`` names them."""
    return re.sub(r"[^A-Z0-9_]+", "_", variable_name(kind_name, name, field_path)).strip("_")


def secret_variables() -> SecretVariable:
    """:func:`secret_variable` for one plan, where objects never share a variable.

    ``CRM Sync`` and ``CRM-Sync`` spell the same name; one value set for it would be sent to
    both objects, one of them another's secret. As ``export`` numbers its files, the later
    object gets ``_2``, ``_3``…
    """
    owners: dict[str, tuple[str, str, str]] = {}

    def variable(kind_name: str, name: str, field_path: str) -> str:
        owner, base = (kind_name, name.casefold(), field_path), secret_variable(kind_name, name, field_path)
        chosen, number = base, 1
        while owners.setdefault(chosen, owner) != owner:
            number += 1
            chosen = f"{base}_{number}"
        return chosen

    return variable


def written(writes: RunWrites) -> Detail:
    """Read in full the live objects the run wrote: an update's revert sends the live object back.

    A summary listing leaves fields out (a topic's phrases, a dictionary term's example phrases,
    a data action's contract); a spec built from it would lack them (refused, or sent as empty).
    """
    names = {(w.kind, w.name.casefold()) for w in writes.writes}

    def wanted(kind: Kind, obj: Mapping[str, Any]) -> bool:
        return (kind.name, str(obj.get("name", "")).casefold()) in names

    return wanted


async def revert_run(
    run: str,
    options: RunOptions,
    *,
    audit_log: str | Path | None = None,
    force: bool = False,
    policy: PolicySettings | None = None,
    project: str | None = None,
) -> RevertRun:
    """Plan the revert of run ``run`` (an id or a unique prefix) against live state read now.

    ``policy`` is the project's guardrails (``reconciler.yaml``): a revert is a change like
    any other, so protected objects and per-kind bounds hold for it too. ``project`` is the
    directory of that file as shown (``Plan.project``: ``apply FILE`` judges it again there).
    """
    run_id, records = find_run(audit_log, run)
    targets = {str(r.get("target")) for r in records if r.get("target")}
    if targets and options.target.identity not in targets:
        raise PlanError(
            f"run {run_id} wrote {', '.join(sorted(targets))}, not {options.target.identity}; "
            "revert it against the target it changed"
        )
    writes = run_writes([*records, *closed_later(audit_log, run_id)], run_id)
    if not writes.writes and not writes.unsettled and not writes.superseded:
        raise PlanError(f"run {run_id} changed no object: there is nothing to revert")
    async with client_for(options) as client:
        org = await org_of(client)  # recorded in the plan: apply FILE refuses it in another org
        live = await read_live(client, detail=written(writes), required={w.kind for w in writes.writes})
    plan = build_revert_plan(
        writes,
        run_id,
        live,
        target=options.target.identity,
        target_description=options.target.describe(),
        variable=secret_variables(),
        force=force,
        org=org,
    )
    plan = plan.model_copy(update={"project": project})
    if policy is not None:
        plan = plan.model_copy(update={"policy": evaluate(plan.changes, policy), "windows": policy.windows})
    return RevertRun(plan=plan, run_id=run_id, stats=client.stats)


def restored_manifests(plan: Plan) -> str:
    """The manifest documents that declare the reverted state (YAML, ``---`` between documents).

    Objects the revert deletes are listed as comments: remove them from the manifests.
    Secrets stay ``${env:…}`` placeholders, exactly as in the plan. An update leaves a
    write-only field out (the server keeps its value), but a manifest the rules require it
    in (a basic-auth webhook's ``authSecret``) gets a placeholder of its own, with a comment
    saying which variable to set: without it, the restored manifest did not validate.
    """
    parts = [f"# Manifests of the state `reconciler revert` restores ({plan.manifests_digest}).\n"
             "# Commit them (replacing the documents of the same kind and name) so the next plan stays clean.\n"]
    taken = set(_ENV_PLACEHOLDER.findall(json.dumps([c.spec for c in plan.changes], default=str)))
    for change in plan.changes:
        if change.action == Action.DELETE:
            parts.append(f"# remove {change.address} from the manifests: the revert deletes it\n")
        elif change.spec is not None:
            spec, notes = _required_secrets(change.kind, change.name, change.spec, taken)
            file = PurePosixPath(kebab(change.kind), f"{slug(change.name)}.yaml")
            parts.append(notes + render_object(ExportedObject(change.kind, change.name, file, spec), SCHEMA_HINT))
    return "---\n".join(parts)


_ENV_PLACEHOLDER = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


def _required_secrets(
    kind_name: str, name: str, spec: Mapping[str, Any], taken: set[str]
) -> tuple[dict[str, Any], str]:
    """``spec`` with a placeholder for each write-only field it lacks that the kind's rules require."""
    kind = REGISTRY[kind_name]
    missing = [f for f in kind.write_only if f not in spec]
    if not missing:
        return dict(spec), ""
    _, issues = kind.validate_spec(spec)
    required = [f for f in missing if any(issue.loc[:1] == (f,) for issue in issues)]
    out, notes = dict(spec), ""
    for field_name in required:
        base = chosen = secret_variable(kind_name, name, field_name)
        number = 1
        while chosen in taken:
            number += 1
            chosen = f"{base}_{number}"
        taken.add(chosen)
        out[field_name] = "${env:" + chosen + "}"
        notes += f"# {kind_name}/{name}: set {chosen} to the {field_name} the org keeps (it is never recorded)\n"
    return out, notes


__all__ = ["RevertRun", "find_run", "restored_manifests", "revert_run", "secret_variable", "secret_variables"]
