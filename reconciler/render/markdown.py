"""Markdown for pull-request comments: a summary line, one collapsible section per kind.

GitHub refuses comments over 65,536 characters, and a refused comment shows nothing
at all, so the document is assembled from blocks under a budget (``max_chars``): the
head (summary, errors, warnings) always fits; then whole objects are added in order
until the next would not; the rest is counted in a closing line that points to the
full plan artifact. A section is never cut in the middle of a code block or a
``<details>`` element.

Nothing secret can appear: values are masked by the planner before they get here.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from reconciler.apply.result import ApplyResult, Outcome
from reconciler.core.keys import some_of
from reconciler.kinds import kind_rank
from reconciler.plan.drift import DriftReport
from reconciler.plan.model import Action, FieldChange, Plan, ResourceChange
from reconciler.plan.policy import finding_line
from reconciler.render import MAX_CHARS
from reconciler.render.escape import md_code, md_code_block, md_text
from reconciler.render.templates import field_lines
from reconciler.render.values import (
    INCLUDED_WHY,
    action_counts,
    counts_phrase,
    org_suffix,
    plural,
    show,
    shown_fields,
)

#: errors and warnings shown in the head; the rest are counted (the head is never cut)
MAX_MESSAGES = 20


# ---- small Markdown templates --------------------------------------------------------


def escape(text: str) -> str:
    """Text shown literally in Markdown (reasons, messages), on one line: a line break in it is shown as ``\\n``."""
    return md_text(text)


code = md_code
code_block = md_code_block


def details(summary_html: str, *, open_: bool = False) -> tuple[str, str]:
    """The opening and closing tags of a collapsible section."""
    return f"<details{' open' if open_ else ''}><summary>{summary_html}</summary>\n\n", "\n</details>\n\n"


def bullets(items: Iterable[str]) -> str:
    return "".join(f"- {item}\n" for item in items)


def diff_lines(change: FieldChange) -> list[str]:
    """A field change as ``diff`` lines: ``-`` old, ``+`` new, ``#`` note."""
    out: list[str] = []
    if change.before is not None:
        out.extend(field_lines("-", change.path, change.before) or [f"- {change.path}: {show(change.before)}"])
    if change.after is not None:
        out.extend(field_lines("+", change.path, change.after) or [f"+ {change.path}: {show(change.after)}"])
    if change.note:
        out.append(f"# {change.path}: {change.note}")
    return out


def object_block(change: ResourceChange) -> str:
    head = f"**{change.action.symbol} {change.action.verb}** {code(change.name)}"
    if change.reason:
        head += f" — {escape(change.reason)}"
    if change.source:
        head += f" ({code(change.source)})"
    lines = [line for fc in shown_fields(change) for line in diff_lines(fc)]
    body = head + "\n\n"
    if lines:
        body += code_block(lines, "diff")
    if change.depends_on:
        body += f"\nafter: {', '.join(code(str(d)) for d in change.depends_on)}\n"
    if change.included_by:  # pulled in from a file not given: say why it is in a plan of the files given
        by = some_of([code(str(k)) for k in change.included_by])
        body += f"\nincluded: referenced by {by} {INCLUDED_WHY}\n"
    return body + "\n"


# ---- budgeted assembly ---------------------------------------------------------------


@dataclass
class Block:
    """One unit that is shown whole or not at all; ``counts`` says what it holds."""

    text: str
    noun: str = "change"
    #: what the cut note says about a cut change, e.g. "update" ("4 to update")
    action: Action | None = None


@dataclass
class Section:
    summary_html: str
    blocks: list[Block] = field(default_factory=list)
    open_: bool = False


@dataclass
class Document:
    """Head (always shown), sections (shown as far as the budget goes), tail (always shown)."""

    head: str
    sections: list[Section]
    tail: str = ""
    #: where the whole lies when the comment is cut and no artifact is named
    whole: str = "see the full plan artifact"

    def render(self, max_chars: int, artifact_hint: str | None) -> str:
        worst = {a: 10**6 for a in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)}
        reserve = len(_cut_note({"change": 10**6, "unmanaged object": 10**6}, artifact_hint, worst, self.whole)) + 2
        budget = max_chars - len(self.head) - len(self.tail) - reserve
        out: list[str] = [self.head]
        cut: dict[str, int] = {}
        cut_actions: dict[Action, int] = {}
        truncated = False
        for section in self.sections:
            opening, closing = details(section.summary_html, open_=section.open_)
            shown: list[str] = []
            for block in section.blocks:
                cost = len(block.text) + (0 if shown else len(opening) + len(closing))
                if not truncated and cost <= budget:
                    shown.append(block.text)
                    budget -= cost
                else:
                    truncated = True
                    cut[block.noun] = cut.get(block.noun, 0) + 1
                    if block.action is not None:
                        cut_actions[block.action] = cut_actions.get(block.action, 0) + 1
            if shown:
                out.append(opening + "".join(shown) + closing)
        if truncated:
            out.append(_cut_note(cut, artifact_hint, cut_actions, self.whole) + "\n\n")
        out.append(self.tail)
        text = "".join(out).rstrip("\n") + "\n"
        return text


def _cut_note(cut: dict[str, int], artifact_hint: str | None, actions: dict[Action, int] | None = None,
              whole: str = "see the full plan artifact") -> str:
    parts = [f"{count} more {noun if count == 1 else noun + 's'}" for noun, count in cut.items() if count]
    where = f"see the plan artifact {code(artifact_hint)}" if artifact_hint else whole
    detail = f" ({counts_phrase(actions)})" if actions else ""
    return f"> **… {' and '.join(parts)} not shown**{detail} (comment size limit); {where}."


def _messages_block(title: str, items: Sequence[str]) -> str:
    if not items:
        return ""
    shown = [escape(i) for i in items[:MAX_MESSAGES]]
    if len(items) > MAX_MESSAGES:
        shown.append(f"… {len(items) - MAX_MESSAGES} more (see the plan artifact)")
    return f"{title}\n\n" + bullets(shown) + "\n"


def _by_kind(changes: Iterable[ResourceChange]) -> list[tuple[str, list[ResourceChange]]]:
    groups: dict[str, list[ResourceChange]] = {}
    for change in changes:
        groups.setdefault(change.kind, []).append(change)
    return sorted(groups.items(), key=lambda kv: (kind_rank(kv[0]), kv[0]))


def _footer(target: str, digest: str, tool_version: str, when: str) -> str:
    return (
        f"<sub>target {code(target)} · manifests {code(digest[:19])} · reconciler {escape(tool_version)} · "
        f"{escape(when)}</sub>\n"
    )


# ---- documents -----------------------------------------------------------------------


def render_plan(plan: Plan, *, max_chars: int = MAX_CHARS, artifact_hint: str | None = None) -> str:
    counts = action_counts(plan.changes)
    head = f"### Reconciler plan for {code(plan.target_description)}{md_text(org_suffix(plan))}\n\n"
    if plan.has_changes:
        label, parts = "**Plan:**", [counts_phrase(counts)]
        if counts[Action.NOOP]:
            parts.append(f"{counts[Action.NOOP]} unchanged")
    else:
        label, parts = "**No changes:**", [f"{plural(counts[Action.NOOP], 'object')} unchanged"]
    if plan.unmanaged:
        parts.append(f"{len(plan.unmanaged)} unmanaged")
    head += f"{label} {', '.join(parts)}.\n\n"
    head += _messages_block(":x: **This plan cannot be applied:**", plan.errors)
    head += _messages_block(":warning: **Warnings:**", [str(w) for w in plan.warnings])
    head += _messages_block(":no_entry: **Policy (cannot be applied without `--override`):**",
                            [finding_line(f) for f in plan.policy])
    if plan.windows and plan.has_changes:
        head += _messages_block("**Change windows** (apply writes only inside one):",
                                [w.describe() for w in plan.windows])
    sections = []
    for kind, changes in _by_kind(plan.pending()):
        section = Section(f"<b>{html.escape(kind)}</b>: {html.escape(counts_phrase(action_counts(changes)))}")
        section.blocks = [Block(object_block(c), action=c.action) for c in changes]
        sections.append(section)
    if plan.unmanaged:
        section = Section(f"Unmanaged live objects (not declared, left alone): {len(plan.unmanaged)}")
        section.blocks = [Block(f"- {code(a)}\n", noun="unmanaged object") for a in plan.unmanaged]
        sections.append(section)
    tail = _footer(plan.target, plan.manifests_digest, plan.tool_version, plan.created_at.isoformat())
    return Document(head, sections, tail).render(max_chars, artifact_hint)


def render_drift(report: DriftReport, *, max_chars: int = MAX_CHARS, artifact_hint: str | None = None) -> str:
    head = f"### Reconciler drift for {code(report.target_description)}{md_text(org_suffix(report))}\n\n"
    if report.has_drift:
        head += f"**Drift:** {report.counts()}.\n\n"
    else:
        head += "**No drift:** the target matches the manifests.\n\n"
    note = report.attribution_note()
    head += f"{escape(note)}\n\n" if note is not None else ""
    head += _messages_block(":x: **Errors:**", report.errors)
    head += _messages_block(":warning: **Warnings:**", report.warnings)
    sections: list[Section] = []
    if report.differs:
        blocks = []
        for obj in report.differs:
            text = f"**~ differs** {code(obj.address)}" + (f" — {escape(obj.reason)}" if obj.reason else "") + "\n\n"
            text += _changed_by(report, obj.address, "\n\n")
            text += code_block([line for fc in obj.field_changes for line in diff_lines(fc)], "diff") + "\n"
            blocks.append(Block(text, noun="drifted object"))
        sections.append(Section(f"Differ from the manifests: {len(report.differs)}", blocks, open_=True))
    if report.missing:
        blocks = [
            Block(
                f"- {code(o.address)}" + (f" ({code(o.source)})" if o.source else "")
                # a live rename says so (a plain "not found live" is what the section's title already says)
                + (f" — {escape(o.reason)}" if o.renamed_live is not None else "")
                + _changed_by(report, o.address, "", " — ") + "\n",
                noun="missing object",
            )
            for o in report.missing
        ]
        sections.append(Section(f"Declared but missing live: {len(report.missing)}", blocks))
    if report.unmanaged:
        blocks = [
            Block(f"- {code(a)}" + _changed_by(report, a, "", " — ") + "\n", noun="unmanaged object")
            for a in report.unmanaged
        ]
        sections.append(Section(f"Live but not declared: {len(report.unmanaged)}", blocks))
    tail = _footer(report.target, report.manifests_digest, report.tool_version, report.created_at.isoformat())
    return Document(head, sections, tail).render(max_chars, artifact_hint)


def _changed_by(report: DriftReport, address: str, end: str, start: str = "") -> str:
    """Who last changed the object (the audit service), in italics; empty when unknown."""
    found = report.changed_by.get(address)
    return f"{start}_{escape(found.describe())}_{end}" if found is not None else ""


_OUTCOME_ICON = {
    Outcome.SUCCESS: ":white_check_mark:",
    Outcome.FAILED: ":x:",
    Outcome.SKIPPED: ":fast_forward:",
    Outcome.STALE: ":hourglass:",
}


def render_apply(result: ApplyResult, *, max_chars: int = MAX_CHARS, artifact_hint: str | None = None) -> str:
    c = result.counts
    head = (
        f"### Reconciler apply to {code(result.target_description)}\n\n"
        if result.target_description
        else "### Reconciler apply\n\n"
    )
    head += (
        f"**Apply:** {c['success']} succeeded, {c['failed']} failed, {c['skipped']} skipped, "
        f"{c['stale']} stale.\n\n"
    )
    if result.interrupted:
        head += f":stop_sign: **Interrupted by {md_text(result.interrupted)}**: no further write was started.\n\n"
    if result.unrecorded:
        head += "Written without an outcome record (the next run settles them): " + ", ".join(
            md_code(w) for w in result.unrecorded
        ) + "\n\n"
    if result.hooks_called:
        head += "Hooks called: " + ", ".join(escape(h) for h in result.hooks_called) + "\n\n"
    blocks = []
    for ch in result.changes:
        detail = md_text(ch.error) if ch.error else (f"version {ch.version}" if ch.version is not None else "")
        cells = [
            f"{_OUTCOME_ICON[ch.outcome]} {ch.outcome.value}",
            f"{ch.action.symbol} {ch.action.verb}",
            code(ch.address, in_table=True),
            detail,
        ]
        blocks.append(Block("| " + " | ".join(cells) + " |\n"))
    sections = []
    if blocks:
        table_head = "| outcome | action | object | detail |\n|---|---|---|---|\n"
        blocks[0] = Block(table_head + blocks[0].text)
        sections.append(Section(f"Changes: {len(blocks)}", blocks, open_=bool(result.failed)))
    # an apply's every outcome is in the audit log (a plan artifact is no record of what happened)
    whole = "every outcome is in the audit log: `reconciler audit show` (`--run ID` for this run)"
    return Document(head, sections, whole=whole).render(max_chars, artifact_hint)
