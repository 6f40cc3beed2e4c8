"""Which live objects an export takes: ``--kind`` names and ``--name`` patterns."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence

from reconciler.core.errors import ConfigError
from reconciler.kinds import KINDS, REGISTRY, Kind, unknown_kind_message


def check_kinds(names: Iterable[str]) -> list[Kind]:
    """The kinds named by ``--kind`` (all when none), in the registry's order."""
    names = list(names)
    for name in names:
        if name not in REGISTRY:
            raise ConfigError(f"--kind: {unknown_kind_message(name)}")
    return [k for k in KINDS if not names or k.name in names]


def matches(name: str, patterns: Sequence[str]) -> bool:
    """``--name`` patterns: fnmatch, case-insensitive like names; no pattern matches all."""
    folded = name.casefold()
    return not patterns or any(fnmatch.fnmatchcase(folded, p.casefold()) for p in patterns)
