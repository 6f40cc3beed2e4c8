"""Names a package exports lazily: each imported from its module on first use.

Why: a command should import only what it runs. ``from reconciler.app import plan_paths``
must not load the executor, the audit writer and the exporter (issue 17: every module a
command does not use counts against its start-up and memory); the audit package does the
same for the CLI group. A package keeps a table ``name -> relative module`` and its
``__getattr__`` calls :func:`exported`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def exported(package: str, exports: Mapping[str, str], name: str) -> Any:
    """``package``'s attribute ``name``, imported from the module ``exports`` names for it."""
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, package), name)
