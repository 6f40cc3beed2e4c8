"""``python _quick_cli.py ARGS``: the real ``reconciler`` CLI, with its client's backoff a tenth as long.

Why: tests that drive the CLI in its own process against failing servers (5xx storms,
lost answers, an unreachable API) spent most of their time in the exponential backoff
between retries (0.5 s doubling up to 20 s), which the CLI has no flag for. Only the two
backoff figures change: the number of attempts, which errors are retried, ``Retry-After``
handling, pacing and token renewal are the shipped defaults, so every retry still
happens, just sooner. The defaults are swapped in ``ClientLimits.__init__`` itself so
that however the CLI imports the class, it gets them; the launcher refuses to run if
the swap did not take.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The checkout this file belongs to, not this file's directory (tests/resilience, which must
# not shadow anything), comes first: the CLI under test is the one next to the tests.
sys.path[0] = str(Path(__file__).resolve().parents[2])

import dataclasses  # noqa: E402 - after the sys.path fix above, on purpose
import runpy  # noqa: E402 - after the sys.path fix above, on purpose

from reconciler.genesys.limits import ClientLimits  # noqa: E402 - after the sys.path fix above, on purpose

#: a tenth of the shipped backoff (0.5 s initial, 20 s cap)
QUICK_BACKOFF = {"backoff_initial": 0.05, "backoff_max": 2.0}


def quicken() -> None:
    """Replace the backoff defaults of every ``ClientLimits()`` made from now on."""
    init = ClientLimits.__init__
    names = [f.name for f in dataclasses.fields(ClientLimits)]
    defaults = list(init.__defaults__ or ())
    first = len(names) - len(defaults)
    for name, value in QUICK_BACKOFF.items():
        defaults[names.index(name) - first] = value
    init.__defaults__ = tuple(defaults)
    made = ClientLimits()
    if any(getattr(made, name) != value for name, value in QUICK_BACKOFF.items()):
        raise SystemExit("_quick_cli: could not change ClientLimits' backoff defaults")


if __name__ == "__main__":
    quicken()
    sys.argv[0] = "reconciler"
    runpy.run_module("reconciler", run_name="__main__", alter_sys=True)
