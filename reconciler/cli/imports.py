"""What the command-line process tells the import system once, before anything imports httpx.

Why (issue 17: a 10k plan's memory target is twice the parsing floor's 32 MiB, and every
command pays its imports): two imports in our dependencies cost without giving anything.

- ``httpx`` imports its own command line (``httpx._main``: click, rich, pygments) whenever
  those happen to be installed: about 70 modules, 4 MiB and 30 ms that no reconciler command
  uses. httpx runs without it by design (``from ._main import main`` is guarded by
  ``except ImportError`` for installs without the ``httpx[cli]`` extra), so the CLI blocks it.
- ``httpcore`` tries ``import sniffio`` each time it creates a lock or semaphore (once per
  connection and request); without sniffio installed each try is a failed search of
  ``sys.path`` (~100 µs, ~900 of them in a 10k plan). A missing sniffio is recorded once,
  as a ``None`` in ``sys.modules`` (the import system's own "not importable" marker); when
  sniffio is installed nothing changes.

Only the CLI does this: it owns its process. A program importing ``reconciler`` as a library
keeps its import system as it was.
"""

from __future__ import annotations

import importlib.util
import sys


def skip_unused() -> None:
    """Block ``httpx``'s command line and remember a missing ``sniffio``; a no-op if httpx is already loaded."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None marks "not importable"
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]  # the import system's own negative entry
