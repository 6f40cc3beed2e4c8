"""The cyclic GC around a command's bulk data: paused while it is built, then frozen.

A plan builds hundreds of thousands of long-lived containers (manifest values, their
marks, the live listing, the plan) and almost no cyclic garbage. CPython's collector
counts allocations, not garbage, so building them triggered a full collection each time
the heap grew by a quarter, every one rescanning everything built so far: 18 full
collections and about a third of a 10,000-object plan's CPU (``gc.disable()`` alone took
8.7 s to 5.5 s; measured by ``bench/run.py``). Pausing the collector while the data is
built, then ``gc.freeze()``-ing what survives, means it is never rescanned for the rest of
the command (rendering, apply), while garbage made afterwards is still collected.

What did not survive is collected first, by one collection of the youngest generation
(everything allocated while the collector was paused is still in it): ``gc.freeze()`` moves
garbage too, and the cycles that loading (33,000 objects at 10,000 manifests) and reading
(httpx's responses) leave would otherwise be kept for the life of the process, 8 MiB of a
10,000-object plan's peak. That one pass costs tens of milliseconds, not the repeated full
collections the pause avoids.

Only where there is garbage to find: loading now leaves almost none (52 objects at 10,000
manifests, since documents are streamed and answers' streams let go), and building the plan
none at all, while the pass still scans everything allocated inside (18 ms after loading
10,000 manifests). Those callers pass ``collect=False``; reading the listing (about 4,700
objects of httpx's answer cycles at 10,000) keeps it. What little garbage a skipped pass
leaves is frozen with the rest and freed with the process.

This is process-wide state, so it lives here, in the use-case layer that knows a command's
shape, and nowhere below it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_build(*, collect: bool = True) -> Iterator[None]:
    """No cyclic collection inside; on leaving, its garbage is collected (unless not ``collect``), what
    survived frozen, and the GC resumes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collect:
            gc.collect(0)
        gc.freeze()
        if was_enabled:
            gc.enable()
