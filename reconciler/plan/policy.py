"""Guardrails evaluated against a plan: protected objects, bounds on changes, change windows.

Pure: no network and no clock. The planner passes the plan's changes and the
``policy:`` settings; the window check takes the moment to judge as an argument, so
apply judges it when it runs (a plan made inside a window and applied outside it is
refused) and tests pass a fixed time.

- ``protect``: a ``Kind/Name`` fnmatch pattern (case-insensitive, like prune's
  ``exclude``). A protected object that exists is never updated, replaced or deleted; one
  that does not exist yet may be created (there is nothing to protect, and refusing would
  stop the very manifest that declares it).
- ``limits``: per kind, at most ``maxChanges`` changes (create, update, replace, delete)
  and ``maxDeletes`` deletes; a replace counts as a delete too, as Terraform counts it
  ("1 to add, 1 to destroy"): the live object and its id are gone. ``*`` bounds the
  whole plan, every kind together.
- ``windows``: apply writes only inside one of them (any of several); none means always.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from fnmatch import fnmatchcase

from reconciler.kinds import kind_rank
from reconciler.manifests.policy import ALL_KINDS, DAYS, ChangeWindow, KindLimits, PolicySettings, zone
from reconciler.plan.model import Action, Plan, PolicyFinding, PolicyRule, ResourceChange

#: the actions that touch an existing object (a create does not)
_TOUCHES = {Action.UPDATE: "updated", Action.REPLACE: "replaced", Action.DELETE: "deleted"}
#: actions that remove a live object (its id with it)
_DELETES = (Action.DELETE, Action.REPLACE)
OVERRIDE_HINT = "pass --override REASON to apply anyway (the reason goes into the audit trail)"


def evaluate(changes: Sequence[ResourceChange], policy: PolicySettings) -> tuple[PolicyFinding, ...]:
    """What the plan's ``changes`` break of ``policy`` (the window is judged when applying)."""
    pending = [c for c in changes if c.action != Action.NOOP]
    return (*protect_findings(pending, policy.protect), *limit_findings(pending, policy.limits))


def protected_by(address: str, patterns: Iterable[str]) -> str | None:
    """The first pattern that protects ``Kind/Name``, or ``None``."""
    folded = address.casefold()
    return next((p for p in patterns if fnmatchcase(folded, p.casefold())), None)


def protect_findings(changes: Iterable[ResourceChange], patterns: Sequence[str]) -> list[PolicyFinding]:
    if not patterns:
        return []
    found = []
    for change in changes:
        verb = _TOUCHES.get(change.action)
        if not verb:
            continue
        # the live name too: an object pinned by metadata.id and renamed in its manifest is
        # still the protected one, and renaming it must not take it out of the pattern
        live_name = (change.before or {}).get("name")
        was = f"{change.kind}/{live_name}" if isinstance(live_name, str) and live_name != change.name else None
        pattern = protected_by(change.address, patterns)
        if pattern is None and was is not None and (pattern := protected_by(was, patterns)) is not None:
            verb = f"{verb} (renamed from {live_name!r})"
        if pattern is not None:
            text = f"{change.address} would be {verb}, but policy.protect {pattern!r} protects it"
            found.append(PolicyFinding(rule=PolicyRule.PROTECT, object=change.address, text=text))
    return found


def limit_findings(changes: Sequence[ResourceChange], limits: dict[str, KindLimits]) -> list[PolicyFinding]:
    if not limits:
        return []
    made = Counter(c.kind for c in changes)
    deleted = Counter(c.kind for c in changes if c.action in _DELETES)
    found = []
    for kind in sorted(limits, key=lambda k: (k == ALL_KINDS, kind_rank(k) if k != ALL_KINDS else 0)):
        bound = limits[kind]
        whole = kind == ALL_KINDS
        counts = (sum(made.values()), sum(deleted.values())) if whole else (made[kind], deleted[kind])
        what = "the plan" if whole else f"the plan's {kind} objects"
        for count, most, field, noun in ((counts[0], bound.maxChanges, "maxChanges", "change"),
                                         (counts[1], bound.maxDeletes, "maxDeletes", "delete")):
            if most is not None and count > most:
                counted = f"{count} {noun}" + ("s" if count != 1 else "")
                text = f"{what}: {counted}, more than policy.limits.{kind}.{field} ({most})"
                found.append(PolicyFinding(rule=PolicyRule.LIMIT, object=kind, text=text))
    return found


def is_open(window: ChangeWindow, now: datetime) -> bool:
    """True when ``now`` (a time-zone-aware moment) falls inside ``window``."""
    if now.tzinfo is None:
        raise ValueError("is_open needs a time-zone-aware moment")
    local = now.astimezone(zone(window.timezone))
    moment = local.time().replace(tzinfo=None)
    today, yesterday = DAYS[local.weekday()], DAYS[(local.weekday() - 1) % 7]
    opens, closes = window.opens, window.closes
    if closes is None or opens < closes:  # within one day
        return today in window.days and opens <= moment and (closes is None or moment < closes)
    # crosses midnight: opened today, or opened yesterday and not closed yet
    return (today in window.days and moment >= opens) or (yesterday in window.days and moment < closes)


def window_finding(windows: Sequence[ChangeWindow], now: datetime) -> PolicyFinding | None:
    """A finding when ``now`` is outside every window; ``None`` inside one or without windows."""
    if not windows or any(is_open(w, now) for w in windows):
        return None
    listed = "; ".join(w.describe() for w in windows)
    text = f"{now.astimezone(UTC):%a %Y-%m-%d %H:%M} UTC is outside every change window of policy.windows ({listed})"
    return PolicyFinding(rule=PolicyRule.WINDOW, object=None, text=text)


def outside_window_warning(windows: Sequence[ChangeWindow], now: datetime) -> str | None:
    """The plan-time note: a plan may be made (and reviewed) any time, only its apply waits for a window."""
    finding = window_finding(windows, now)
    if finding is None:
        return None
    return f"policy window: planned at {finding.text}; apply refuses until a window opens (or with --override)"


def apply_findings(plan: Plan, now: datetime) -> tuple[PolicyFinding, ...]:
    """Everything that stops ``plan`` from being applied at ``now``: its findings and the window."""
    window = window_finding(plan.windows, now)
    return (*plan.policy, *((window,) if window is not None else ()))


def finding_line(finding: PolicyFinding) -> str:
    """``[protect] Webhook/x would be updated, …``: how every rendering shows a finding."""
    return f"[{finding.rule.value}] {finding.text}"


def refusal(findings: Sequence[PolicyFinding], what: str = "this apply") -> str:
    """The one message that names every rule broken, for the error that refuses ``what``."""
    rules = ", ".join(dict.fromkeys(f.rule.value for f in findings))
    lines = "; ".join(finding_line(f) for f in findings)
    return f"policy refuses {what} (rule {rules}): {lines}; {OVERRIDE_HINT}"
