"""Option values no count or clock can hold: one line naming the option, exit 1, never a traceback.

NaN passes every comparison ``click.FloatRange`` makes, and a number past what a ``deque`` or a
``timedelta`` can hold was an ``OverflowError`` traceback: ``--requests-per-minute nan``,
``inf`` or ``1e20`` before the first request, ``audit show --since 99999999999d`` and
``drift --since 999999d`` (before the year 1) before reading anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial._harness import TIME_BOUND, invoke_cli

pytestmark = pytest.mark.timeout(TIME_BOUND)


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--requests-per-minute", "nan", "'nan' is not a finite number"),
    ("--requests-per-minute", "inf", "inf is not in the range 1<=x<=1000000"),
    ("--requests-per-minute", "1e20", "1e+20 is not in the range 1<=x<=1000000"),
    ("--progress-interval", "nan", "'nan' is not a finite number"),
    ("--progress-interval", "inf", "'inf' is not a finite number"),
])
def test_a_number_no_pacing_can_hold_is_a_usage_error(tmp_path: Path, option: str, value: str, says: str) -> None:
    invoke_cli(["plan", option, value], cwd=tmp_path).expect(1, f"Invalid value for '{option}': {says}")


@pytest.mark.parametrize(("args", "says"), [
    (["audit", "show", "--since", "99999999999d"], "error: --since: '99999999999d' reaches back before the year 1"),
    (["audit", "show", "--since", "100000000d"], "error: --since: '100000000d' reaches back before the year 1"),
    (["drift", "--since", "999999d"], "Invalid value for '--since': '999999d' reaches back before the year 1"),
], ids=["show-past-timedelta", "show-before-year-1", "drift-before-year-1"])
def test_a_duration_reaching_back_before_the_year_1_is_an_error(tmp_path: Path, args: list[str], says: str) -> None:
    invoke_cli(args, cwd=tmp_path).expect(1, says)


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--fail-rate", "nan", "'nan' is not a finite number"),
    ("--drop-rate", "nan", "'nan' is not a finite number"),
    ("--publish-fail-rate", "nan", "'nan' is not a finite number"),
    ("--publish-seconds", "nan", "'nan' is not a finite number"),
    ("--publish-seconds", "inf", "'inf' is not a finite number"),
])
def test_a_sandbox_rate_or_duration_that_is_no_number_is_a_usage_error(tmp_path: Path, option: str, value: str,
                                                                        says: str) -> None:
    """A NaN rate was a ValueError traceback from SandboxOptions; a NaN or endless publish time served on."""
    invoke_cli(["sandbox", "serve", "--port", "0", option, value], cwd=tmp_path).expect(
        1, f"Invalid value for '{option}': {says}")
