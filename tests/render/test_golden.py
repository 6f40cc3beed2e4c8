"""Every renderer against reviewed golden files (fixed clock, fixed ids, fixed tool version)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler.render import render_apply, render_drift, render_plan

from ._golden import assert_golden
from ._scenarios import apply_result, drift_report, full_plan, refused_plan, unchanged_plan

EXTENSIONS = {"text": "txt", "markdown": "md", "json": "json"}

SCENARIOS: dict[str, tuple[Callable[[], Any], Callable[..., str]]] = {
    "plan": (full_plan, render_plan),
    "plan_refused": (refused_plan, render_plan),
    "plan_unchanged": (unchanged_plan, render_plan),
    "drift": (drift_report, render_drift),
    "apply": (apply_result, render_apply),
}


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_matches_golden(scenario: str, fmt: str) -> None:
    build, render = SCENARIOS[scenario]
    assert_golden(f"{scenario}.{EXTENSIONS[fmt]}", render(build(), fmt, artifact_hint="plan-artifact"))


def test_colour_golden() -> None:
    assert_golden("plan_color.txt", render_plan(full_plan(), "text", color=True))
