"""The error tree drawn in ``reconciler/core/errors.py``'s docstring is the real class hierarchy.

The docstring is where a newcomer learns which class to raise or catch; a class added under
``ReconcilerError`` elsewhere (``ReferenceCycleError`` in ``core/graph.py`` was one) or moved
in the tree without the drawing following makes it lie. Every module of the package is
imported, so subclasses defined outside ``core/errors.py`` count too.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import reconciler
from reconciler.core import errors
from reconciler.core.errors import ReconcilerError

_NODE = re.compile(r"^(?P<indent>(?:[│ ] {3})*)(?:[├└]── )?(?P<name>\w+)(?:\s|$)")


def drawn() -> list[tuple[int, str]]:
    """``(depth, class name)`` of each line of the docstring's tree, in order."""
    doc = errors.__doc__ or ""
    tree = doc.split("::\n", 1)[1]
    out = []
    for line in tree.strip("\n").splitlines():
        body = line.removeprefix("    ")
        match = _NODE.match(body)
        assert match, f"not a line of the tree: {line!r}"
        depth = len(match["indent"]) // 4 + (0 if body.startswith(match["name"]) else 1)
        out.append((depth, match["name"]))
    return out


def actual() -> list[tuple[int, str]]:
    """The same, from ``ReconcilerError.__subclasses__()`` in definition order, every module imported."""
    for info in pkgutil.walk_packages(reconciler.__path__, "reconciler."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    out: list[tuple[int, str]] = []

    def walk(cls: type, depth: int) -> None:
        out.append((depth, cls.__name__))
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("reconciler."):
                walk(sub, depth + 1)

    walk(ReconcilerError, 0)
    return out


def test_the_docstring_draws_every_error_class_where_it_is() -> None:
    def by_parent(nodes: list[tuple[int, str]]) -> set[tuple[str, str]]:
        stack: list[str] = []
        edges = set()
        for depth, name in nodes:
            del stack[depth:]
            edges.add((stack[-1] if stack else "", name))
            stack.append(name)
        return edges

    assert by_parent(drawn()) == by_parent(actual())


def test_the_tree_is_parsed_as_drawn() -> None:
    nodes = drawn()
    assert nodes[0] == (0, "ReconcilerError")
    assert (1, "ApiError") in nodes and (3, "RateLimitedError") in nodes and (4, "VersionMismatchError") in nodes
