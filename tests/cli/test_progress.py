"""Progress on stderr: a steady line in CI logs, a redrawn line on a terminal, nothing with --quiet.

A fake clock drives every case: no test waits.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from reconciler.cli.progress import Progress, clock_text


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _progress(mode: str, total: int | None = 304, interval: float = 10.0) -> tuple[Progress, FakeClock, list[str]]:
    clock, out = FakeClock(), []
    progress = Progress("applied", total, mode, interval=interval, clock=clock, write=out.append)  # type: ignore[arg-type]
    progress.start()
    return progress, clock, out


def test_without_a_terminal_a_line_at_most_every_interval() -> None:
    progress, clock, out = _progress("lines")
    for _ in range(120):  # 120 writes over 25.2 s: 285.7 a minute
        clock.now += 0.21
        progress.advance(kind="VoiceProfile")
    assert out == [
        "applied 48/304 (15%) · 286 writes/min · ETA 0:54\n",
        "applied 96/304 (31%) · 286 writes/min · ETA 0:44\n",
    ]
    progress.finish()
    assert len(out) == 2  # nothing to close in a log


def test_the_issue_example_line() -> None:
    progress, clock, _ = _progress("lines")
    clock.now += 120 / 285 * 60
    progress.done = 120
    assert progress.line() == "applied 120/304 (39%) · 285 writes/min · ETA 0:39"


def test_on_a_terminal_one_line_redrawn_in_place_with_the_current_kind() -> None:
    progress, clock, out = _progress("tty", total=10)
    clock.now += 1
    progress.advance(kind="Webhook", failed=True)
    assert out[-1].startswith("\r\x1b[K") and "\n" not in out[-1]
    assert out[-1].endswith("applied 1/10 (10%) · 60 writes/min · ETA 0:09 · 1 failed · Webhook")
    progress.finish()
    assert out[-1] == "\r\x1b[K"


def test_quiet_prints_nothing() -> None:
    progress, clock, out = _progress("quiet")
    for _ in range(50):
        clock.now += 5
        progress.advance()
    progress.finish()
    assert out == []


def test_an_unknown_total_counts_without_eta() -> None:
    progress, clock, _ = _progress("lines", total=None)
    clock.now += 30
    progress.advance(600)
    assert progress.line() == "applied 600 · 1200 writes/min"


def test_clock_text() -> None:
    assert [clock_text(s) for s in (0, 38, 725, 3727)] == ["0:00", "0:38", "12:05", "1:02:07"]


def test_apply_in_a_log_prints_no_progress_on_a_fast_run_and_quiet_is_accepted(tmp_path: Path) -> None:
    """A run shorter than the interval adds no line; --quiet and --progress-interval are options of apply."""
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "v.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: VoiceProfile\nmetadata:\n  name: p\n"
        "spec:\n  language: en-US\n  voice: polly-Joanna\n  engine: amazon_polly\n",
        encoding="utf-8",
    )
    common = [str(manifests), "--target", "sandbox", "--sandbox-db", str(tmp_path / "s.db"), "--auto-approve",
              "--audit-log", str(tmp_path / "a.jsonl")]
    result = CliRunner().invoke(main, ["apply", *common, "--progress-interval", "3600"])
    assert result.exit_code == 0, result.output
    assert "applied 1/1" not in result.output
    result = CliRunner().invoke(main, ["apply", *common, "--quiet"])
    assert result.exit_code == 0, result.output
