"""Progress of long runs on stderr: a live line on a terminal, a steady line in CI logs.

Why: an apply of a few hundred objects at Genesys Cloud's rate limit takes minutes, and a CI
job that prints nothing for that long looks hung (and may hit its timeout in silence). On a
terminal one line is redrawn in place (done/total, writes a minute, ETA, the current kind);
without one, a plain line is printed at most every ``interval`` seconds, e.g.
``applied 120/304 (39%) · 285 writes/min · ETA 0:38``. ``--quiet`` prints nothing.

The clock is injected so tests never wait.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

import click

Mode = Literal["tty", "lines", "quiet"]
DEFAULT_INTERVAL = 10.0
_REDRAW = 0.1  # seconds between redraws of the terminal line


def choose_mode(quiet: bool, stream: TextIO | None = None) -> Mode:
    if quiet:
        return "quiet"
    return "tty" if (stream or sys.stderr).isatty() else "lines"


def clock_text(seconds: float) -> str:
    """``0:38``, ``12:05``, ``1:02:07``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class Progress:
    """Counts finished units of work and tells the user how far along the run is.

    ``verb`` names the work (``applied``, ``read``); ``unit`` names what is counted for the rate
    (``writes``, ``objects``). ``total`` may be unknown (None): then there is no percentage or ETA.
    """

    verb: str
    total: int | None
    mode: Mode
    unit: str = "writes"
    interval: float = DEFAULT_INTERVAL
    clock: Callable[[], float] = time.monotonic
    write: Callable[[str], None] = field(default=lambda text: click.echo(text, err=True, nl=False))
    done: int = 0
    failed: int = 0
    current: str | None = None
    _started: float | None = None
    _last_shown: float | None = None
    _drawn: bool = False

    def start(self) -> None:
        self._started = self._last_shown = self.clock()

    def advance(self, count: int = 1, *, kind: str | None = None, failed: bool = False) -> None:
        if self._started is None:
            self.start()
        self.done += count
        self.failed += int(failed)
        if kind is not None:
            self.current = kind
        now = self.clock()
        assert self._last_shown is not None
        if self.mode == "tty" and now - self._last_shown >= _REDRAW:
            self._draw(now)
        elif self.mode == "lines" and now - self._last_shown >= self.interval:
            self._show(self.line(now) + "\n")
            self._last_shown = now

    def finish(self) -> None:
        """Close the terminal line (the summary follows on the next one)."""
        if self.mode == "tty" and self._drawn:
            self._show("\r\x1b[K")
            self._drawn = False

    def line(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        elapsed = now - (self._started if self._started is not None else now)
        per_minute = self.done / elapsed * 60 if elapsed > 0 else 0.0
        parts = [f"{self.verb} {self.done}/{self.total}" if self.total is not None else f"{self.verb} {self.done}"]
        if self.total:
            parts[0] += f" ({min(100, self.done * 100 // self.total)}%)"
        parts.append(f"{per_minute:.0f} {self.unit}/min")
        if self.total is not None and per_minute > 0:
            parts.append(f"ETA {clock_text(max(0, self.total - self.done) / per_minute * 60)}")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.current and self.mode == "tty":
            parts.append(self.current)
        return " · ".join(parts)

    def _draw(self, now: float) -> None:
        self._show("\r\x1b[K" + self.line(now))
        self._drawn = True
        self._last_shown = now

    def _show(self, text: str) -> None:
        """Write ``text``; when stderr cannot take it, the progress falls silent and the work goes on.

        Why: progress is called from inside apply, once per finished change. A log reader
        that went away (``2>&1 | head``, a dead ``tee``) or a full disk under a redirected
        log raised out of the executor: the apply stopped half-way, a write's outcome and
        the run's end unrecorded, for a line that only tells how far along it is.
        """
        try:
            self.write(text)
        except OSError:
            self.mode = "quiet"


_META = "reconciler.progress"


def remember(ctx: click.Context, quiet: bool | None = None, interval: float | None = None) -> None:
    """Keep the progress options in the context, so commands need no extra parameters for them."""
    settings = ctx.meta.setdefault(_META, {"quiet": False, "interval": DEFAULT_INTERVAL, "reader": None})
    if quiet is not None:
        settings["quiet"] = quiet
    if interval is not None:
        settings["interval"] = interval


def _settings() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return {"quiet": False, "interval": DEFAULT_INTERVAL, "reader": None}
    remember(ctx)
    settings: dict[str, Any] = ctx.meta[_META]
    return settings


def new_progress(verb: str, total: int | None, unit: str) -> Progress:
    settings = _settings()
    progress = Progress(verb, total, choose_mode(settings["quiet"]), unit=unit, interval=settings["interval"])
    progress.start()
    return progress


def reading() -> Progress:
    """The one progress of reading live state in this command (kinds arrive one listing at a time)."""
    settings = _settings()
    if settings["reader"] is None:
        settings["reader"] = new_progress("read", None, "objects")
    reader: Progress = settings["reader"]
    return reader


class ApplyProgress:
    """The ``progress`` callback of apply: one call per finished change."""

    def __init__(self, total: int) -> None:
        self.progress = new_progress("applied", total, "writes")

    def __call__(self, outcome: Any) -> None:
        self.progress.advance(kind=outcome.kind, failed=str(outcome.outcome) == "failed")

    def finish(self) -> None:
        self.progress.finish()
