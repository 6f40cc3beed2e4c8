"""Renderers for plans, apply results and drift reports, chosen by ``--format``.

- ``text``: Terraform-like ``+ ~ -`` lines with field diffs; ANSI colour only when the
  caller says so (``color=True`` when stdout is a terminal);
- ``markdown``: a pull-request comment that stays under GitHub's size limit
  (``max_chars``), pointing to the full artifact (``artifact_hint``) when it cuts;
- ``json``: a versioned document (``docs/json-format.md``).

Every renderer is a pure function of an already-masked model: none of them can show a
secret the planner did not already hide.

Only the chosen format's module is imported (issue 17): a ``plan`` printed as text needs
neither the Markdown assembler nor the JSON writer, and ``validate`` (which imports
:mod:`.sarif` and :mod:`.values` from this package) none of the three.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from reconciler.apply.result import ApplyResult
    from reconciler.plan.drift import DriftReport
    from reconciler.plan.model import Plan

    Renderable = Plan | DriftReport | ApplyResult

Format = Literal["text", "markdown", "json"]
FORMATS: tuple[str, ...] = ("text", "markdown", "json")

#: GitHub refuses comments over 65,536 characters. The workflows wrap the document in markers,
#: a status line, a footer and (apply.yml) up to 4,000 characters of reasons, and clip what is
#: longer than 60,000 characters by slicing it: a document at most this long is posted whole,
#: cut by the renderer at whole objects with its own note, never in the middle of a code block.
MAX_CHARS = 60_000

# each format's module, imported on first use
_MODULES = {fmt: f"reconciler.render.{fmt}" for fmt in FORMATS}


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def _render(
    fmt: str,
    what: str,
    model: Renderable,
    *,
    color: bool,
    artifact_hint: str | None,
    max_chars: int,
) -> str:
    """``render_<what>`` of the module of ``fmt`` (text, markdown or json), given what it takes."""
    _check(fmt)
    renderer: Callable[..., str] = getattr(importlib.import_module(_MODULES[fmt]), f"render_{what}")
    if fmt == "markdown":
        return renderer(model, max_chars=max_chars, artifact_hint=artifact_hint)
    if fmt == "json":
        return renderer(model)
    return renderer(model, color=color)


def render_plan(
    plan: Plan,
    fmt: str = "text",
    *,
    color: bool = False,
    artifact_hint: str | None = None,
    max_chars: int = MAX_CHARS,
) -> str:
    return _render(fmt, "plan", plan, color=color, artifact_hint=artifact_hint, max_chars=max_chars)


def render_drift(
    report: DriftReport,
    fmt: str = "text",
    *,
    color: bool = False,
    artifact_hint: str | None = None,
    max_chars: int = MAX_CHARS,
) -> str:
    return _render(fmt, "drift", report, color=color, artifact_hint=artifact_hint, max_chars=max_chars)


def render_apply(
    result: ApplyResult,
    fmt: str = "text",
    *,
    color: bool = False,
    artifact_hint: str | None = None,
    max_chars: int = MAX_CHARS,
) -> str:
    return _render(fmt, "apply", result, color=color, artifact_hint=artifact_hint, max_chars=max_chars)


__all__ = ["FORMATS", "MAX_CHARS", "Format", "render_apply", "render_drift", "render_plan"]
