"""The order that ``${ref:…}`` placeholders impose on the declared objects.

An object that references another needs the other's value (usually its server-assigned
``id``) before it can be written, so referenced objects are created first and deleted
last. :func:`reference_order` groups the objects into levels: every object depends only
on objects of earlier levels, so the executor may write a level's objects in any order
(or concurrently) and deletes run through the levels backwards.

References to objects that are not declared are ignored here: the manifest loader has
already reported them as errors, and a validated ``ManifestSet`` has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reconciler.core.errors import PlanError
from reconciler.core.keys import ObjectKey
from reconciler.manifests.desired import DesiredObject


class ReferenceCycleError(PlanError):
    """Objects reference each other in a loop, so none of them can be written first."""

    def __init__(self, cycles: Sequence[Sequence[ObjectKey]]) -> None:
        self.cycles = [list(c) for c in cycles]
        super().__init__("reference cycle: " + "; ".join(describe_cycle(c) for c in self.cycles))


def describe_cycle(cycle: Sequence[ObjectKey]) -> str:
    """``[a, b]`` -> ``A/a -> B/b -> A/a``."""
    return " -> ".join(str(k) for k in [*cycle, cycle[0]])


def dependencies(objects: Iterable[DesiredObject]) -> dict[ObjectKey, list[ObjectKey]]:
    """Each object's declared reference targets, in first-mention order, without repeats."""
    objects = list(objects)
    declared = {o.key: o.key for o in objects}
    out: dict[ObjectKey, list[ObjectKey]] = {}
    for obj in objects:
        targets: dict[ObjectKey, None] = {}
        for ref in obj.references:
            if ref.target in declared:
                targets[declared[ref.target]] = None
        out.setdefault(obj.key, [])
        out[obj.key].extend(t for t in targets if t not in out[obj.key])
    return out


def find_cycles(objects: Iterable[DesiredObject]) -> list[list[ObjectKey]]:
    """One cycle per strongly connected group of objects (Tarjan), in declaration order.

    A cycle is the list of objects along it, starting from the earliest declared one;
    an object referencing itself is a cycle of one.
    """
    deps = dependencies(objects)
    order = {key: i for i, key in enumerate(deps)}
    index: dict[ObjectKey, int] = {}
    low: dict[ObjectKey, int] = {}
    stack: list[ObjectKey] = []
    on_stack: set[ObjectKey] = set()
    groups: list[list[ObjectKey]] = []

    def connect(node: ObjectKey) -> None:
        # Recursion depth is bounded by the length of a reference chain: a few objects.
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in deps[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[ObjectKey] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1 or node in deps[node]:
                groups.append(group)

    for key in deps:
        if key not in index:
            connect(key)
    cycles = [_walk_cycle(sorted(g, key=order.__getitem__), deps) for g in groups]
    return sorted(cycles, key=lambda c: order[c[0]])


def _walk_cycle(group: list[ObjectKey], deps: dict[ObjectKey, list[ObjectKey]]) -> list[ObjectKey]:
    """A concrete loop through ``group`` starting at its first member (breadth-first)."""
    members = set(group)
    start = group[0]
    parents: dict[ObjectKey, ObjectKey] = {}
    frontier = [start]
    while frontier:
        following: list[ObjectKey] = []
        for node in frontier:
            for nxt in deps[node]:
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return list(reversed(path))
                if nxt in members and nxt not in parents:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    return [start]  # pragma: no cover - a strongly connected group always loops back


def reference_order(objects: Iterable[DesiredObject]) -> list[list[ObjectKey]]:
    """Levels for apply: level 0 references nothing, level n only levels below n.

    Within a level, objects keep their declaration order. Raises
    :class:`ReferenceCycleError` when the references loop.
    """
    objects = list(objects)
    cycles = find_cycles(objects)
    if cycles:
        raise ReferenceCycleError(cycles)
    deps = dependencies(objects)
    level: dict[ObjectKey, int] = {}
    remaining = list(deps)
    while remaining:
        ready = [k for k in remaining if all(d in level for d in deps[k])]
        for key in ready:
            level[key] = 1 + max((level[d] for d in deps[key]), default=-1)
        remaining = [k for k in remaining if k not in level]
    levels: list[list[ObjectKey]] = [[] for _ in range(1 + max(level.values(), default=-1))]
    for key in deps:
        levels[level[key]].append(key)
    return levels
