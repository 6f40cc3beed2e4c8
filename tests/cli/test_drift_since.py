"""``drift --since`` refuses a window the audit service does not keep, before anything is read."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.genesys.audits import MAX_WINDOW


@pytest.mark.parametrize("since", ["100000d", "1753-01-01", f"{MAX_WINDOW.days + 1}d"])
def test_a_window_longer_than_the_audit_service_keeps_is_refused(since: str) -> None:
    """``--since 100000d`` was accepted and the audit service asked about changes since 1753."""
    result = CliRunner().invoke(main, ["drift", "--since", since, "--sandbox-db", "/nonexistent/x.db"])
    assert result.exit_code == 1, result.output
    assert f"at most {MAX_WINDOW.days} days back" in result.output
    assert "Traceback" not in result.output


def test_the_longest_window_is_accepted(tmp_path: object) -> None:
    from reconciler.cli.drift import Since

    assert Since().convert(f"{MAX_WINDOW.days}d", None, None) is not None
