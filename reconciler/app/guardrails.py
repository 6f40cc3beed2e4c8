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

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from reconciler.audit.source import Source
from reconciler.core.errors import PlanError
from reconciler.plan.model import Plan, PolicyFinding
from reconciler.plan.policy import apply_findings, refusal

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
