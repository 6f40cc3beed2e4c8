"""Renderers for plans, apply results and drift reports, chosen by ``--format``.

- ``text``: Terraform-like ``+ ~ -`` lines with field diffs; ANSI colour only when the
  caller says so (``color=True`` when stdout is a terminal);
- ``markdown``: a pull-request comment that stays under GitHub's size limit
  (``max_chars``), pointing to the full artifact (``artifact_hint``) when it cuts;
- ``json``: a versioned document (``docs/json-format.md``).

Every renderer is a pure function of an already-masked model: none of them can show a
secret the planner did not already hide.
"""

from __future__ import annotations

from typing import Literal

from ..drift import DriftReport
from ..plan import Plan
from ..result import ApplyResult
from . import json as json_render
from . import markdown, text
from .markdown import MAX_CHARS

Format = Literal["text", "markdown", "json"]
FORMATS: tuple[str, ...] = ("text", "markdown", "json")


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def render_plan(
    plan: Plan,
    fmt: str = "text",
    *,
    color: bool = False,
    artifact_hint: str | None = None,
    max_chars: int = MAX_CHARS,
) -> str:
    _check(fmt)
    if fmt == "markdown":
        return markdown.render_plan(plan, max_chars=max_chars, artifact_hint=artifact_hint)
    if fmt == "json":
        return json_render.render_plan(plan)
    return text.render_plan(plan, color=color)


def render_drift(
    report: DriftReport,
    fmt: str = "text",
    *,
    color: bool = False,
    artifact_hint: str | None = None,
    max_chars: int = MAX_CHARS,
) -> str:
    _check(fmt)
    if fmt == "markdown":
        return markdown.render_drift(report, max_chars=max_chars, artifact_hint=artifact_hint)
    if fmt == "json":
        return json_render.render_drift(report)
    return text.render_drift(report, color=color)


def render_apply(
    result: ApplyResult,
    fmt: str = "text",
    *,
    color: bool = False,
    artifact_hint: str | None = None,
    max_chars: int = MAX_CHARS,
) -> str:
    _check(fmt)
    if fmt == "markdown":
        return markdown.render_apply(result, max_chars=max_chars, artifact_hint=artifact_hint)
    if fmt == "json":
        return json_render.render_apply(result)
    return text.render_apply(result, color=color)


__all__ = ["FORMATS", "MAX_CHARS", "Format", "render_apply", "render_drift", "render_plan"]
