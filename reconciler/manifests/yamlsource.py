"""YAML documents as plain JSON-like values that can say where each part was written.

``yaml.safe_load`` throws positions away, yet every manifest error must name its
file:line:column. So we compose node trees (``yaml.compose_all``) and build the values
ourselves. Marks (the 1-based place of every value and key, by path) are *lazy*: a
document is built without them, and the first time an error asks, its file is read and
composed again and its marks are built by :class:`~.yamlmarked.MarkedBuilder`. Why:
only errors read marks, yet keeping a path and a mark for every value and key of
10,000 manifests cost tens of MiB and a third of the building time.

Plain scalars follow the YAML 1.2 core schema (as Kubernetes does), not PyYAML's 1.1
rules: ``yes``, ``on`` and ``2024-01-01`` stay strings instead of turning into a bool
or a date. Duplicate keys, merge keys (``<<``), non-scalar keys, recursive aliases,
tags on any node (scalar, mapping or sequence) and NaN/Infinity are errors rather than
silent surprises: the fast builder gives up on a document at the first of them (or when
the text holds an anchor) and the marked builder, which reports each at its place, builds
it instead. Bounds (``MAX_DEPTH``, ``MAX_ALIAS_VALUES``) are the marked builder's; the bound on
a document's values (``MAX_DOCUMENT_VALUES``) is checked on the parser's events before composing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from typing import Any

import yaml

from reconciler.core.jsonpath import JsonPath
from reconciler.manifests.yamlcompose import (
    CORE,
    TooDeep,
    YamlProblem,
    compose_all,
    oversized_document,
    reader_problem,
    stray_byte_order_mark,
    syntax_problem,
)
from reconciler.manifests.yamlfast import NeedsMarks, eager_marks, fast_value, placeholder_free
from reconciler.manifests.yamlmarked import (
    MAX_ALIAS_VALUES,
    AliasBudget,
    MarkedBuilder,
    closest_mark,
    node_mark,
)
from reconciler.manifests.yamlscalar import YAML12_FLOAT, YAML_SURROGATE_ESCAPE, Mark, plain_scalar

__all__ = [
    "MAX_ALIAS_VALUES",
    "YAML12_FLOAT",
    "DeferredMarks",
    "Mark",
    "SourceDocument",
    "load_documents",
    "plain_scalar",
    "release_text",
]

Marks = tuple[dict[JsonPath, Mark], dict[JsonPath, Mark]]  # (values, keys)
_NO_MARKS: Marks = ({}, {})
_NOTHING_BROKEN: frozenset[JsonPath] = frozenset()


class _Remarks:
    """Re-derives the marks of one text's documents, one document at a time, as errors ask for them.

    ``read`` gives the text again (the file re-read; ``None`` when it no longer can be):
    the text is not kept while loading, so loading holds no more than the values. A document
    whose value differs from the one loaded (the file changed since) gets no marks, and
    its errors name the document's start rather than a wrong line.

    Only the document asked for is built with its marks; the text is composed on from where
    the last ask stopped, so asks in file order (as the loader's passes make them) compose it
    once. Why not every document's marks at the first ask: for a file of 106,000 documents
    that was 500 MiB, held as long as any object of the file lived. The text read is held
    while asks may follow, by one instance at a time (:func:`release_text`).
    """

    __slots__ = ("_read", "_text", "_anchors", "_nodes", "_next", "_budget")

    def __init__(self, read: Callable[[], str | None]) -> None:
        self._read = read
        self._text: str | None = None
        self._anchors = True  # whether the text holds an anchor (worked out once per reading)
        self._nodes: Iterator[yaml.Node] | None = None
        self._next = 0  # index of the document ``_nodes`` hands out next
        self._budget = AliasBudget()

    def marks(self, index: int, value: Any, under: str | None = None) -> Marks:
        """Document ``index``'s marks, when its value (its part ``under`` a top key) is still ``value``."""
        built = self._build(index)
        if built is None:
            return _NO_MARKS
        found = built[0]
        if under is not None:
            found = found.get(under, _NO_MARKS) if isinstance(found, dict) else _NO_MARKS
        return built[1] if found == value else _NO_MARKS

    def _build(self, index: int) -> tuple[Any, Marks] | None:
        if self._nodes is None or index < self._next:
            if not self._open():
                return None
        nodes = self._nodes
        assert nodes is not None
        try:
            for node in nodes:
                at, self._next = self._next, self._next + 1
                if at == index:
                    if _is_empty(node):
                        return None
                    builder = MarkedBuilder(node_mark(node), self._budget, anchors=self._anchors)
                    return builder.build(node, ()), (builder.values, builder.keys)
        except (yaml.YAMLError, TooDeep):
            self._nodes = iter(())  # the documents before the break had their marks
        return None

    def _open(self) -> bool:
        """Compose the text from its start (read again unless held); False when it cannot be read."""
        global _holding
        if self._text is None:
            self._text = self._read()
            if self._text is None:
                return False
            self._anchors = "&" in self._text
        if _holding is not None and _holding is not self:
            _holding.close()
        _holding = self
        self._nodes, self._next, self._budget = compose_all(self._text), 0, AliasBudget()
        return True

    def close(self) -> None:
        """Let the text go; a later ask reads it again."""
        self._text, self._nodes, self._next = None, None, 0


#: the one :class:`_Remarks` holding its text: a text is let go when another is read, so
#: re-deriving marks holds one file's text at most (16 MiB), whichever files errors are in
_holding: _Remarks | None = None


def release_text() -> None:
    """Let go the text marks were last re-derived from (the loader calls it when it is done)."""
    global _holding
    if _holding is not None:
        _holding.close()
        _holding = None


class DeferredMarks:
    """A document's value marks for later, holding only what finds them again (not the document).

    Why: what outlives loading (every object's spec locations) should not keep each
    document's envelope, its eager marks and its start alive: tens of MiB at 50,000 manifests.
    """

    __slots__ = ("_marks", "_remarks", "_index", "_under", "_part")

    def __init__(self, marks: Marks | None, remarks: _Remarks | None, index: int, under: str, part: Any) -> None:
        self._marks = marks
        self._remarks = remarks
        self._index, self._under, self._part = index, under, part

    def values(self) -> dict[JsonPath, Mark]:
        """Path -> mark of every value of the document (re-derived on first use)."""
        if self._marks is None:
            remarks = self._remarks
            self._marks = remarks.marks(self._index, self._part, self._under) if remarks is not None else _NO_MARKS
            self._remarks = self._part = None
        return self._marks[0]


class SourceDocument:
    """One non-empty document of a file: its value, and the marks of its parts on demand."""

    __slots__ = ("value", "index", "start", "broken", "placeholder_free", "_marks", "_eager", "_remarks")

    def __init__(
        self,
        value: Any,
        index: int,
        start: Mark,
        *,
        marks: Marks | None = None,
        broken: AbstractSet[JsonPath] = _NOTHING_BROKEN,
        eager: tuple[tuple[JsonPath, Mark], ...] = (),
        remarks: _Remarks | None = None,
        placeholder_free: bool = False,
    ) -> None:
        self.value = value
        self.index = index  # position of the document in its file, from 0
        self.start = start
        #: paths where the YAML itself was wrong; rules about what lies there would only add noise
        self.broken = broken
        #: True when no string of the document can hold ``${`` (False: it may)
        self.placeholder_free = placeholder_free
        self._marks = marks
        #: the few marks every document is asked for (``metadata.name``), kept from the first build
        self._eager = eager
        self._remarks = remarks

    def _all(self) -> Marks:
        if self._marks is None:
            self._marks = self._remarks.marks(self.index, self.value) if self._remarks is not None else _NO_MARKS
        return self._marks

    @property
    def values(self) -> dict[JsonPath, Mark]:
        """Path -> mark of every value (re-derived on first use)."""
        return self._all()[0]

    @property
    def keys(self) -> dict[JsonPath, Mark]:
        """Path -> mark of every mapping key (re-derived on first use)."""
        return self._all()[1]

    def deferred(self, under: str) -> DeferredMarks:
        """This document's marks for later, checked against its part ``under`` the top key ``under``.

        Marks that can be re-derived are not handed over, even when an error already asked
        for them: an object outliving its document would keep them (a dict per value) for
        the whole command, for every document with an error.
        """
        part = self.value.get(under) if isinstance(self.value, dict) else None
        kept = self._marks if self._remarks is None else None
        return DeferredMarks(kept, self._remarks, self.index, under, part)

    def is_broken(self, path: JsonPath) -> bool:
        """True when ``path`` is, or lies under, a part already reported as bad YAML."""
        return any(path[: len(b)] == b for b in self.broken)

    def mark(self, path: JsonPath, *, key: bool = False) -> Mark:
        """Where ``path`` was written; falls back to the closest written ancestor.

        ``key=True`` prefers the mapping key (for "unknown field"), else the value.
        """
        if not key:
            for written, mark in self._eager:
                if written == path:
                    return mark  # what the full marks would say: the path itself was written
        values, keys = self._all()
        if key and path in keys:
            return keys[path]
        return closest_mark(values, path, self.start)


def _is_empty(node: yaml.Node | None) -> bool:
    return node is None or (
        isinstance(node, yaml.ScalarNode) and not node.style and node.tag == f"{CORE}null" and not node.value
    )


def load_documents(
    text: str, *, read_again: Callable[[], str | None] | None = None, eager: Iterable[JsonPath] = ()
) -> tuple[list[SourceDocument], list[YamlProblem]]:
    """Every non-empty document of ``text``, with the problems found.

    ``read_again`` gives the text back when an error first asks for marks (default: ``text``
    is kept for that); the marks of ``eager`` paths are kept from the start. A syntax error
    ends the stream (nothing after it can be trusted), but the documents before it are
    returned so that their own problems are reported too.
    """
    refused = stray_byte_order_mark(text) or oversized_document(text)
    if refused is not None:  # the only problem reported for the file, as nesting too deep is
        return [], [refused]
    docs: list[SourceDocument] = []
    problems: list[YamlProblem] = []
    budget = AliasBudget()
    anchors = "&" in text  # an anchor is written with "&": without one, no alias can exist
    # half a surrogate pair comes only from a double-quoted escape: a file without one has none to report
    marked_only = anchors or YAML_SURROGATE_ESCAPE.search(text) is not None
    remarks = _Remarks(read_again if read_again is not None else lambda: text)
    wanted = tuple(eager)
    nodes: Iterator[yaml.Node] = compose_all(text)
    index = 0
    while True:
        try:
            node = next(nodes)
        except StopIteration:
            break
        except TooDeep as exc:
            return [], [exc.problem]
        except yaml.MarkedYAMLError as exc:
            problems.append(syntax_problem(exc))
            break
        except yaml.reader.ReaderError as exc:  # a character YAML forbids: no mark, only an offset
            problems.append(reader_problem(exc, text))
            break
        except yaml.YAMLError as exc:  # pragma: no cover - every other error PyYAML composing raises is marked
            problems.append(YamlProblem(None, None, f"invalid YAML: {exc}"))
            break
        if not _is_empty(node):
            try:
                if marked_only:
                    raise NeedsMarks
                value = fast_value(node, 0)
                marked, free = eager_marks(node, wanted), placeholder_free(text, node)
                docs.append(
                    SourceDocument(value, index, node_mark(node), eager=marked, remarks=remarks, placeholder_free=free)
                )
            except NeedsMarks:
                builder = MarkedBuilder(node_mark(node), budget, anchors=anchors)
                try:
                    value = builder.build(node, ())
                except TooDeep as exc:
                    return [], [exc.problem]
                marks = (builder.values, builder.keys)
                docs.append(SourceDocument(value, index, builder.start, marks=marks, broken=builder.broken))
                problems.extend(builder.problems)
        index += 1
    return docs, problems
