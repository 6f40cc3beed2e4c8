"""What the command-line process tells the import system once, before anything imports httpx.

Why (issue 17: a 10k plan's memory target is twice the parsing floor's 32 MiB, and every
command pays its imports): ``httpx`` imports its own command line (``httpx._main``: click,
rich, pygments) whenever those happen to be installed: about 70 modules, 4 MiB and 30 ms
that no reconciler command uses. httpx runs without it by design (``from ._main import
main`` is guarded by ``except ImportError`` for installs without the ``httpx[cli]`` extra),
so the CLI blocks it with a ``None`` in ``sys.modules``, the import system's own "not
importable" marker.

Only the CLI does this: it owns its process. A program importing ``reconciler`` as a library
keeps its import system as it was. (``sniffio``, which httpcore asks for on every lock it
makes, is a declared dependency: without it each of those asks was a failed search of
``sys.path``, a fifth of an apply's CPU.)
"""

from __future__ import annotations

import sys


def skip_unused() -> None:
    """Block ``httpx``'s command line; a no-op if httpx is already loaded."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None marks "not importable"
