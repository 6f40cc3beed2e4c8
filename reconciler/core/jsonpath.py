"""Paths inside JSON-like values, and walks over the strings they hold.

A path is a tuple of mapping keys and list indexes (``("phrases", 1, "phrase")``),
shown to people as ``phrases[1].phrase``. Placeholders, masking, references and
export all look at a value's *strings* with the path to each, so the walk lives here
once and every stage agrees on what a path is and how it reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

#: a path inside a JSON-like value: mapping keys and list indexes
JsonPath = tuple[str | int, ...]


def format_path(path: Iterable[str | int]) -> str:
    """``("phrases", 1, "phrase")`` -> ``phrases[1].phrase``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def iter_strings(value: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, str]]:
    """Every string in ``value`` (found at ``path``) with its path; mapping keys are not visited."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from iter_strings(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from iter_strings(v, (*path, i))


def strings_containing(value: Any, needle: str) -> list[tuple[JsonPath, str]]:
    """The strings of ``value`` that contain ``needle``, with their paths, in :func:`iter_strings` order.

    Why not ``iter_strings`` and a filter: a path is built only for a string that matches,
    and no generator is resumed per level. Finding the few ``${`` placeholders in 10,000
    specs this way costs a fraction of walking every string with its path.
    """
    found: list[tuple[JsonPath, str]] = []
    _walk_containing(value, needle, [], found)
    return found


def _walk_containing(current: Any, needle: str, parts: list[str | int], found: list[tuple[JsonPath, str]]) -> None:
    """:func:`strings_containing`'s walk, a module function rather than a closure over itself.

    A recursive closure is a reference cycle (the function holds its own cell): each call
    left one for the cyclic collector, 33,000 objects of garbage while loading 10,000
    manifests, which the GC pause then had to collect.
    """
    if isinstance(current, str):
        if needle in current:
            found.append((tuple(parts), current))
    elif isinstance(current, Mapping):
        for k, v in current.items():
            if isinstance(v, str):  # most values: no call, no path
                if needle in v:
                    found.append(((*parts, k), v))
                continue
            parts.append(k)
            _walk_containing(v, needle, parts, found)
            parts.pop()
    elif isinstance(current, (list, tuple)):
        for i, v in enumerate(current):
            parts.append(i)
            _walk_containing(v, needle, parts, found)
            parts.pop()


def map_strings(value: Any, fn: Callable[[JsonPath, str], Any], path: JsonPath = ()) -> Any:
    """``value`` with every string ``s`` at path ``p`` replaced by ``fn(p, s)``.

    Mappings become dicts (keys untouched) and lists or tuples become lists; every
    other value is returned as it is.
    """
    if isinstance(value, str):
        return fn(path, value)
    if isinstance(value, Mapping):
        return {k: map_strings(v, fn, (*path, k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_strings(v, fn, (*path, i)) for i, v in enumerate(value)]
    return value
