"""A known secret in the environment never reaches any rendering or the saved plan file."""

from __future__ import annotations

from pathlib import Path

import pytest
from plan._support import SECRET, TEAM_TOKEN

from reconciler.plan.planfile import save_plan
from reconciler.render import FORMATS, render_apply, render_drift, render_plan

from ._scenarios import apply_result, drift_report, full_plan, refused_plan

FORBIDDEN = (SECRET, TEAM_TOKEN, "previous-team-token")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("color", [False, True])
def test_no_secret_in_any_rendering(fmt: str, color: bool) -> None:
    outputs = [
        render_plan(full_plan(), fmt, color=color),
        render_plan(refused_plan(), fmt, color=color),
        render_drift(drift_report(), fmt, color=color),
        render_apply(apply_result(), fmt, color=color),
    ]
    for output in outputs:
        for secret in FORBIDDEN:
            assert secret not in output
    assert "(sensitive)" in outputs[0]  # the value is there, masked


def test_no_secret_in_the_saved_plan(tmp_path: Path) -> None:
    text = save_plan(full_plan(), tmp_path / "plan.json").read_text(encoding="utf-8")
    for secret in FORBIDDEN:
        assert secret not in text
