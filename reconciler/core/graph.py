"""The one graph module: the order that references impose on objects, and their loops.

An object that references another needs the other's value (usually its server-assigned
``id``) before it can be written, so referenced objects are created first and deleted
last. :meth:`ReferenceGraph.levels` groups the declared objects into levels: every object
depends only on objects of earlier levels, so the executor may write a level's objects in
any order (or concurrently) and deletes run through the levels backwards.

The graph of the declared objects is computed once (:func:`reference_graph`): the
manifest loader reads its :attr:`~ReferenceGraph.cycles` to report loops, and the planner
reads its levels and dependencies from the same value instead of walking the references
again. The generic helpers (:func:`strongly_connected`, :func:`chain_depths`) also order
things that are not declared objects, such as live objects a plan deletes, so that no
other module keeps a private graph algorithm.

References to objects that are not declared are ignored here: the manifest loader has
already reported them as errors, and a validated ``ManifestSet`` has none.

``core`` imports nothing else from reconciler, so the objects are described by the
:class:`Node` protocol (``DesiredObject`` satisfies it) rather than imported.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from reconciler.core.errors import PlanError
from reconciler.core.keys import ObjectKey

N = TypeVar("N", bound=Hashable)


class _Ref(Protocol):
    @property
    def target(self) -> ObjectKey: ...


class Node(Protocol):
    """What the graph needs of a declared object: its identity and what it references."""

    @property
    def key(self) -> ObjectKey: ...

    @property
    def references(self) -> Sequence[_Ref]: ...


class ReferenceCycleError(PlanError):
    """Objects reference each other in a loop, so none of them can be written first."""

    def __init__(self, cycles: Sequence[Sequence[ObjectKey]]) -> None:
        self.cycles = [list(c) for c in cycles]
        super().__init__("reference cycle: " + "; ".join(describe_cycle(c) for c in self.cycles))


def describe_cycle(cycle: Sequence[ObjectKey]) -> str:
    """``[a, b]`` -> ``A/a -> B/b -> A/a``."""
    return " -> ".join(str(k) for k in [*cycle, cycle[0]])


# ---- generic algorithms --------------------------------------------------------------


def strongly_connected(deps: Mapping[N, Sequence[N]]) -> list[list[N]]:
    """Tarjan's strongly connected groups of ``deps`` (node -> nodes it depends on).

    Every node is in exactly one group; a group is emitted only after every group it
    depends on, so the result is also a dependency order of the groups.
    """
    walk = _Tarjan(deps)
    for node in deps:
        if node not in walk.index:
            walk.connect(node)
    return walk.groups


class _Tarjan(Generic[N]):
    """The walk's state, in an object rather than a closure's cells.

    Why: a recursive closure refers to itself, so every call left a reference cycle
    holding its tables (a dict entry per object, a list per group) until the next cyclic
    collection, and the collector is paused while a plan is built (``app.memory``).
    """

    __slots__ = ("deps", "index", "low", "stack", "on_stack", "groups")

    def __init__(self, deps: Mapping[N, Sequence[N]]) -> None:
        self.deps = deps
        self.index: dict[N, int] = {}
        self.low: dict[N, int] = {}
        self.stack: list[N] = []
        self.on_stack: set[N] = set()
        self.groups: list[list[N]] = []

    def connect(self, node: N) -> None:
        # Recursion depth is bounded by the length of a reference chain: a few objects.
        index, low, stack, on_stack = self.index, self.low, self.stack, self.on_stack
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in self.deps.get(node, ()):
            if nxt not in index:
                self.connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[N] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            self.groups.append(group)


def chain_depths(deps: Mapping[N, Sequence[N]]) -> dict[N, int]:
    """For each node, the length of the longest chain of dependencies below it.

    A node that depends on nothing is 0; otherwise one more than its deepest dependency.
    Nodes that depend on each other in a loop share one depth (the loop counts as a
    single step), so the answer exists even where no order can satisfy every edge; a
    caller that must refuse loops checks :func:`strongly_connected` first.
    """
    return _depths(deps, strongly_connected(deps))


def _depths(deps: Mapping[N, Sequence[N]], groups: Iterable[Sequence[N]]) -> dict[N, int]:
    """:func:`chain_depths` over ``groups``, ``deps``'s strongly connected groups in dependency order."""
    depth: dict[N, int] = {}
    for group in groups:  # dependencies come out before their dependents
        members = set(group)
        below = [depth[d] for node in group for d in deps.get(node, ()) if d not in members]
        level = 1 + max(below, default=-1)
        for node in group:
            depth[node] = level
    return depth


# ---- the declared objects' reference graph -------------------------------------------


@dataclass(frozen=True)
class ReferenceGraph:
    """The declared objects' references, computed once (see :func:`reference_graph`)."""

    #: each object's declared reference targets, in first-mention order, without repeats;
    #: keys in declaration order
    deps: Mapping[ObjectKey, Sequence[ObjectKey]]
    #: one loop per strongly connected group, each starting at its earliest declared member
    cycles: tuple[tuple[ObjectKey, ...], ...]
    #: the strongly connected groups in dependency order (:func:`strongly_connected`), kept so
    #: that :meth:`levels` does not run Tarjan's walk over every object a second time; without
    #: cycles every group is one object, so they are kept flat (a tuple per object weighed
    #: 56 bytes, 3 MiB at 50,000 objects) and :attr:`groups` rebuilds them when asked
    order: tuple[ObjectKey, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def groups(self) -> tuple[tuple[ObjectKey, ...], ...] | None:
        """The strongly connected groups in dependency order (all of one object: kept only without cycles)."""
        return None if self.order is None else tuple((key,) for key in self.order)

    def levels(self) -> list[list[ObjectKey]]:
        """Levels for apply: level 0 references nothing, level n only levels below n.

        Within a level, objects keep their declaration order. Raises
        :class:`ReferenceCycleError` when the references loop.
        """
        if self.cycles:
            raise ReferenceCycleError(self.cycles)
        if self.order is None:
            depth = chain_depths(self.deps)
        else:
            depth = _depths(self.deps, ((key,) for key in self.order))
        levels: list[list[ObjectKey]] = [[] for _ in range(1 + max(depth.values(), default=-1))]
        for key in self.deps:
            levels[depth[key]].append(key)
        return levels


def reference_graph(objects: Iterable[Node]) -> ReferenceGraph:
    """Dependencies and cycles of ``objects``, walked once."""
    deps = _dependencies(objects)
    groups = strongly_connected(deps)
    cycles = tuple(tuple(c) for c in _cycles(deps, groups))
    order = None if cycles else tuple(group[0] for group in groups)
    return ReferenceGraph(deps=deps, cycles=cycles, order=order)


#: the dependencies of every object that references nothing declared (most of them): one shared value
_NONE: tuple[ObjectKey, ...] = ()


def _dependencies(objects: Iterable[Node]) -> dict[ObjectKey, Sequence[ObjectKey]]:
    """Tuples, not lists: the graph keeps them for the whole command, and most are empty (one shared tuple)."""
    objects = list(objects)
    declared = {o.key: o.key for o in objects}
    out: dict[ObjectKey, list[ObjectKey]] = {}
    for obj in objects:
        mine = out.setdefault(obj.key, [])
        for ref in obj.references:  # a handful per object: a list scan beats a set here
            target = declared.get(ref.target)
            if target is not None and target not in mine:
                mine.append(target)
    return {key: tuple(targets) if targets else _NONE for key, targets in out.items()}


def _cycles(deps: Mapping[ObjectKey, Sequence[ObjectKey]], groups: list[list[ObjectKey]]) -> list[list[ObjectKey]]:
    """One cycle per looping group, in declaration order; an object referencing itself is a cycle of one."""
    looping = [g for g in groups if len(g) > 1 or g[0] in deps[g[0]]]
    if not looping:
        return []
    order = {key: i for i, key in enumerate(deps)}
    cycles = [_walk_cycle(sorted(g, key=order.__getitem__), deps) for g in looping]
    return sorted(cycles, key=lambda c: order[c[0]])


def _walk_cycle(group: list[ObjectKey], deps: Mapping[ObjectKey, Sequence[ObjectKey]]) -> list[ObjectKey]:
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


# ---- one-shot conveniences (each walks the references once) ---------------------------


def dependencies(objects: Iterable[Node]) -> dict[ObjectKey, list[ObjectKey]]:
    """Each object's declared reference targets, in first-mention order, without repeats."""
    return {key: list(targets) for key, targets in _dependencies(objects).items()}


def find_cycles(objects: Iterable[Node]) -> list[list[ObjectKey]]:
    """The loops of ``objects`` (see :attr:`ReferenceGraph.cycles`)."""
    return [list(c) for c in reference_graph(objects).cycles]


def reference_order(objects: Iterable[Node]) -> list[list[ObjectKey]]:
    """The levels of ``objects`` (see :meth:`ReferenceGraph.levels`)."""
    return reference_graph(objects).levels()
