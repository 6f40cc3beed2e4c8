"""The apply-time gate of the guardrails: refuse, or let through with a recorded override.

Why here and not in the planner: the change window is judged when apply runs, not when
the plan was made (a plan reviewed in the afternoon is applied in the evening window),
so the gate reads the clock, and the clock is injectable (``clock``) so that tests pass
a fixed moment. The command line calls :func:`gate` before its prompt to fail fast;
:func:`reconciler.app.applying.apply` calls it again just before writing, and that
second judgement is the one that counts.

An override needs a reason. Who gave it (the CI's triggering user or the OS user, as
:func:`reconciler.audit.source.detect_source` finds it, and the OAuth client the writes
are made with), the reason and every finding overridden go into the audit trail's
``run.start`` record as ``override``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from reconciler.audit.source import Source
from reconciler.core.errors import PlanError
from reconciler.manifests.files import display
from reconciler.manifests.policy import PolicySettings
from reconciler.manifests.project import project_of
from reconciler.manifests.settings import SETTINGS_FILE
from reconciler.manifests.standing import read_settings
from reconciler.plan.model import Action, Plan, PolicyFinding, records_project
from reconciler.plan.policy import apply_findings, evaluate, refusal
from reconciler.plan.prune import over_max_deletes

Clock = Callable[[], datetime]


def system_now() -> datetime:
    """The real clock (tests replace it or pass ``clock``)."""
    return datetime.now(UTC)


def current_time(clock: Clock | None = None) -> datetime:
    return (clock or system_now)()


def gate(plan: Plan, *, now: datetime, override: str | None) -> tuple[PolicyFinding, ...]:
    """The findings an apply at ``now`` overrides (empty when none). Raises :class:`PlanError`
    for a safety error (never overridable) and for a finding without ``override``."""
    if plan.errors:
        raise PlanError("the plan is not applyable: " + "; ".join(plan.errors))
    if override is not None and not override.strip():
        raise PlanError("--override needs a reason (it goes into the audit trail), e.g. --override 'INC-1234 fix'")
    if not plan.has_changes:
        return ()
    findings = apply_findings(plan, now)
    if findings and override is None:
        raise PlanError(refusal(findings))
    return findings


def judged_at_apply(plan: Plan, *, policy: PolicySettings | None, max_deletes: int | None) -> Plan:
    """A saved ``plan`` with what its apply judges again: this apply's ``--max-deletes``, the policy now.

    Why: a saved plan carried only the findings of when it was made, so a bound given to the apply
    command, or a ``policy.protect`` added to ``reconciler.yaml`` since, did not stop it. Its deletes
    (replaces too: a replace deletes its live object) over ``max_deletes`` are a safety error, never
    overridden; ``protect`` and ``limits`` of ``policy`` (the project's ``reconciler.yaml`` at apply time)
    add findings the plan does not hold already, refused without ``--override`` like its own. The change
    windows stay those the plan carries (judged at the moment apply runs).
    """
    errors = list(plan.errors)
    if max_deletes is not None:
        deleted = sum(1 for c in plan.changes if c.action == Action.DELETE)
        replaced = sum(1 for c in plan.changes if c.action == Action.REPLACE)
        over = over_max_deletes(deleted, replaced, max_deletes, verb="deleted")
        if over is not None:
            errors.append(over)
    findings = list(plan.policy)
    if policy is not None:
        findings += [f for f in evaluate(plan.changes, policy) if f not in plan.policy]
    return plan.model_copy(update={"errors": tuple(errors), "policy": tuple(findings)})


def policy_at_apply(plan: Plan, *, name: str, default: str) -> PolicySettings | None:
    """The policy of the project the saved ``plan`` (the file ``name``) was made in, as its ``reconciler.yaml`` is now.

    Why: apply read ``manifests/reconciler.yaml`` under the working directory, so a plan of
    ``infra/genesys`` was judged against another project's protect and limits, or none. The
    plan records its project (``Plan.project``); that directory must still hold its settings
    file, found by the rule ``plan`` follows, else the apply is refused (a protection there would
    go unjudged without a word). A plan that read no ``reconciler.yaml`` is judged by nothing
    more (``None``). A file made before plans recorded their project is judged as then: by the
    project of ``default`` (``manifests``, the path ``plan`` takes by default).
    """
    if not records_project(plan):
        return read_settings(project_of(Path(default))).policy
    if plan.project is None:
        return None
    recorded = Path(os.path.normpath(Path(plan.project).absolute()))
    found = project_of(recorded)
    if found != recorded:
        nearest = "" if found is None else f"; the nearest from there is {display(found / SETTINGS_FILE)}"
        raise PlanError(
            f"{name} was planned in the project {plan.project} ({PurePosixPath(plan.project) / SETTINGS_FILE}), "
            f"which is not there now{nearest}: apply judges a saved plan again against the policy (protect, limits) "
            "of the project it was made in; run apply from the directory the plan was made in, or plan again"
        )
    return read_settings(found).policy


def override_record(
    reason: str, findings: Sequence[PolicyFinding], source: Source, client_id: str | None
) -> dict[str, Any]:
    """The ``override`` field of the run's ``run.start`` audit record."""
    return {
        "reason": reason.strip(),
        "rules": list(dict.fromkeys(f.rule.value for f in findings)),
        "findings": [f.model_dump(mode="json") for f in findings],
        "by": source.actor,
        "os_user": source.os_user,
        "client_id": client_id or None,
    }
