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

from collections.abc import Callable
from typing import Literal

from reconciler.apply.result import ApplyResult
from reconciler.plan.drift import DriftReport
from reconciler.plan.model import Plan
from reconciler.render import json as json_render
from reconciler.render import markdown, text
from reconciler.render.markdown import MAX_CHARS

Format = Literal["text", "markdown", "json"]
FORMATS: tuple[str, ...] = ("text", "markdown", "json")


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


Renderable = Plan | DriftReport | ApplyResult


def _render(
    fmt: str,
    renderers: tuple[Callable[..., str], Callable[..., str], Callable[..., str]],
    model: Renderable,
    *,
    color: bool,
    artifact_hint: str | None,
    max_chars: int,
) -> str:
    """Pick the renderer of ``fmt`` among (text, markdown, json) and give it what it takes."""
    _check(fmt)
    as_text, as_markdown, as_json = renderers
    if fmt == "markdown":
        return as_markdown(model, max_chars=max_chars, artifact_hint=artifact_hint)
    if fmt == "json":
        return as_json(model)
    return as_text(model, color=color)


def render_plan(
    plan: Plan,
    fmt: str = "text",
    *,
    color: bool = False,
    artifact_hint: str | None = None,
    max_chars: int = MAX_CHARS,
) -> str:
    renderers = (text.render_plan, markdown.render_plan, json_render.render_plan)
    return _render(fmt, renderers, plan, color=color, artifact_hint=artifact_hint, max_chars=max_chars)


def render_drift(
    report: DriftReport,
    fmt: str = "text",
    *,
    color: bool = False,
    artifact_hint: str | None = None,
    max_chars: int = MAX_CHARS,
) -> str:
    renderers = (text.render_drift, markdown.render_drift, json_render.render_drift)
    return _render(fmt, renderers, report, color=color, artifact_hint=artifact_hint, max_chars=max_chars)


def render_apply(
    result: ApplyResult,
    fmt: str = "text",
    *,
    color: bool = False,
    artifact_hint: str | None = None,
    max_chars: int = MAX_CHARS,
) -> str:
    renderers = (text.render_apply, markdown.render_apply, json_render.render_apply)
    return _render(fmt, renderers, result, color=color, artifact_hint=artifact_hint, max_chars=max_chars)


__all__ = ["FORMATS", "MAX_CHARS", "Format", "render_apply", "render_drift", "render_plan"]
