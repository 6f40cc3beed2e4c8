"""Plain-text renderings for a terminal or a log: Terraform-like ``+ ~ -`` lines.

Colour is a parameter, never a guess: the CLI passes ``color=True`` only when stdout
is a terminal, so logs and files hold no escape codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from reconciler.core.keys import some_of
from reconciler.plan.model import Action, FieldChange, Plan, ResourceChange, summary_line
from reconciler.plan.policy import finding_line
from reconciler.render.escape import live
from reconciler.render.values import INCLUDED_WHY, org_suffix, plural, show, shown_fields

if TYPE_CHECKING:
    # a plan printed as text needs neither model: ``render_apply`` imports the outcomes it reads (issue 17)
    from reconciler.apply.result import ApplyResult, ChangeOutcome
    from reconciler.plan.drift import DriftReport

_CODES = {"green": "32", "yellow": "33", "red": "31", "bold": "1", "dim": "2", "cyan": "36"}
_ACTION_COLOR = {
    Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "red", Action.DELETE: "red", Action.NOOP: "dim",
}
_SIGN_COLOR = {"+": "green", "~": "yellow", "-": "red"}

INDENT = "    "


class _Painter:
    """Wraps text in ANSI colour codes, or leaves it alone."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not text or not styles:
            return text
        return f"\x1b[{';'.join(_CODES[s] for s in styles)}m{text}\x1b[0m"


def field_line(change: FieldChange, paint: _Painter) -> str:
    """``~ path: old -> new``, ``+ path: new`` or ``- path: old`` (with a note after ``#``)."""
    kind = change.change_type
    if kind == "add":
        sign, text = "+", f"{change.path}: {show(change.after)}"
    elif kind == "remove":
        sign, text = "-", f"{change.path}: {show(change.before)}"
    else:
        sign, text = "~", f"{change.path}: {show(change.before)} -> {show(change.after)}"
    if change.note:
        text += f"  # {change.note}"
    return paint(f"{sign} ", _SIGN_COLOR[sign]) + live(text)


def _headline(head: str, reason: str | None, source: str | None, paint: _Painter) -> str:
    """``<head>  (reason)  [file:line]``."""
    text = head + (f"  ({live(reason)})" if reason else "")
    return text + (paint(f"  [{live(source)}]", "dim") if source else "")


def change_block(change: ResourceChange, paint: _Painter) -> list[str]:
    styles = (_ACTION_COLOR[change.action], "bold") if change.action != Action.NOOP else (_ACTION_COLOR[change.action],)
    head = paint(f"{change.action.symbol} {change.action.verb} {live(change.address)}", *styles)
    lines = [_headline(head, change.reason, change.source, paint)]
    lines.extend(INDENT + field_line(fc, paint) for fc in shown_fields(change))
    if change.depends_on:
        lines.append(INDENT + paint(f"after: {', '.join(live(d) for d in change.depends_on)}", "dim"))
    if change.included_by:  # pulled in from a file not given: say why it is in a plan of the files given
        by = some_of([live(k) for k in change.included_by])
        lines.append(INDENT + paint(f"included: referenced by {by} {INCLUDED_WHY}", "dim"))
    return lines


def _messages(title: str, items: Iterable[str], style: str, paint: _Painter) -> list[str]:
    items = list(items)
    if not items:
        return []
    # one line each: a warning or error may quote live text (an id, a name, a server's code)
    return ["", paint(title, style), *(f"  - {live(item)}" for item in items)]


def _partial(result: ApplyResult, paint: _Painter) -> list[str]:
    """What an interrupted apply, or one whose audit trail failed, leaves to know."""
    from reconciler.apply.result import Outcome

    lines: list[str] = []
    if result.interrupted:
        applied = sum(1 for c in result.changes if c.outcome == Outcome.SUCCESS)
        not_started = sum(1 for c in result.changes if (c.error or "").startswith("not started"))
        lines += ["", paint(f"Interrupted by {live(result.interrupted)}: {applied} applied, "
                            f"{not_started} not started; hooks and publish jobs are left to the next run.", "red")]
    if result.unrecorded:
        lines += ["", paint("Written, but without an outcome record in the audit trail (the next run settles them):",
                            "red")]
        lines += [f"  - {live(write)}" for write in result.unrecorded]
    return lines


def safe_outcome(change: ChangeOutcome) -> ChangeOutcome:
    """The outcome with its live parts (name, error) escaped, for a one-line report."""
    update = {"name": live(change.name), "error": None if change.error is None else live(change.error)}
    return change.model_copy(update=update)


def render_plan(plan: Plan, *, color: bool = False) -> str:
    paint = _Painter(color)
    lines = [paint(f"Plan for {live(plan.target_description + org_suffix(plan))}", "bold")]
    pending = plan.pending()
    if pending:
        lines.append("")
        for change in pending:
            lines.extend(change_block(change, paint))
    if plan.unmanaged:
        lines.append("")
        lines.append(paint(f"Unmanaged (live, not declared, left alone): {len(plan.unmanaged)}", "bold"))
        lines.extend(f"  ? {live(address)}" for address in plan.unmanaged)
    lines += _messages("Warnings:", map(str, plan.warnings), "yellow", paint)
    lines += _messages("Errors (this plan cannot be applied):", plan.errors, "red", paint)
    lines += _messages("Policy (this plan cannot be applied without --override):",
                       map(finding_line, plan.policy), "red", paint)
    if plan.windows and plan.has_changes:
        lines += ["", "Change windows (apply writes only inside one): " + "; ".join(w.describe() for w in plan.windows)]
    lines.append("")
    if not plan.has_changes and plan.errors:  # a refused revert: nothing planned, and nothing "matches" either
        lines.append(paint("No changes planned: the errors above stop this plan.", "bold"))
    elif not plan.has_changes:
        unchanged = plural(len(plan.changes), "object")
        lines.append(paint(f"No changes: the target matches the manifests ({unchanged}).", "bold"))
    else:
        lines.append(paint(f"Plan: {summary_line(plan.summary)}.", "bold"))
    return "\n".join(lines) + "\n"


def render_drift(report: DriftReport, *, color: bool = False) -> str:
    paint = _Painter(color)
    lines = [paint(f"Drift for {live(report.target_description + org_suffix(report))}", "bold")]
    note = report.attribution_note()
    if note is not None:
        lines.append(live(note))
    if report.differs or report.missing or report.unmanaged:
        lines.append("")
    for obj in report.differs:
        lines.append(_headline(paint(f"~ differs {live(obj.address)}", "yellow"), obj.reason, obj.source, paint))
        lines.extend(_changed_by(report, obj.address, paint))
        lines.extend(INDENT + field_line(fc, paint) for fc in obj.field_changes)
    for gone in report.missing:
        lines.append(_headline(paint(f"+ missing {live(gone.address)}", "green"), gone.reason, gone.source, paint))
        lines.extend(_changed_by(report, gone.address, paint))
    for address in report.unmanaged:
        lines.append(paint(f"? unmanaged {live(address)}", "cyan") + "  (live, not declared)")
        lines.extend(_changed_by(report, address, paint))
    lines += _messages("Warnings:", report.warnings, "yellow", paint)
    lines += _messages("Errors:", report.errors, "red", paint)
    lines.append("")
    if report.has_drift:
        lines.append(paint(f"Drift: {report.counts()}.", "bold"))
    else:
        lines.append(paint("No drift: the target matches the manifests.", "bold"))
    return "\n".join(lines) + "\n"


def _changed_by(report: DriftReport, address: str, paint: _Painter) -> list[str]:
    """``    @ changed by client ci-bot at ... (Update: rate)`` under an object the audit service knows of."""
    found = report.changed_by.get(address)
    return [INDENT + paint("@ " + live(found.describe()), "cyan")] if found is not None else []


def render_apply(result: ApplyResult, *, color: bool = False) -> str:
    from reconciler.apply.result import OUTCOME_LABELS, Outcome

    outcome_color = {
        Outcome.SUCCESS: "green", Outcome.FAILED: "red", Outcome.SKIPPED: "yellow", Outcome.STALE: "yellow",
    }
    paint = _Painter(color)
    lines = [paint(f"Apply to {live(result.target_description)}" if result.target_description else "Apply", "bold")]
    # Only what needs a look (not done, or adopted after a lost answer) and the counts: the plan
    # above listed every change, and the audit log and --format json keep each write (issue 16).
    notable = [c for c in result.changes if c.outcome != Outcome.SUCCESS or c.adopted]
    if notable:
        lines.append("")
    for change in notable:
        label = OUTCOME_LABELS[change.outcome]
        line = safe_outcome(change).line()
        lines.append(paint(label, outcome_color[change.outcome]) + line[len(label):])
    if result.hooks_called:
        lines.append("")
        lines.append("Hooks called:")
        lines.extend(f"  - {live(hook)}" for hook in result.hooks_called)
    lines += _partial(result, paint)
    c = result.counts
    lines.append("")
    lines.append(
        paint(
            f"Apply: {c['success']} succeeded, {c['failed']} failed, {c['skipped']} skipped, {c['stale']} stale.",
            "bold" if not result.failed else "red",
        )
    )
    return "\n".join(lines) + "\n"
