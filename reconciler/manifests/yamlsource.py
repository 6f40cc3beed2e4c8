"""YAML documents as plain JSON-like values that remember where each part was written.

``yaml.safe_load`` throws positions away, yet every manifest error must name its
file:line:column. So we compose node trees (``yaml.compose_all``) and build the values
ourselves, recording the 1-based mark of every value and every mapping key by its path
(a tuple such as ``("spec", "phrases", 1, "phrase")``).

Plain scalars follow the YAML 1.2 core schema (as Kubernetes does), not PyYAML's 1.1
rules: ``yes``, ``on`` and ``2024-01-01`` stay strings instead of turning into a bool
or a date. Duplicate keys, merge keys (``<<``), non-scalar keys, recursive aliases,
tags on any node (scalar, mapping or sequence) and NaN/Infinity are errors rather than
silent surprises.

Bounds, so that a hostile file of a few KB costs milliseconds, not minutes and GBs:
nesting deeper than ``MAX_DEPTH`` is refused by a pass over the parser's events before
any tree is built (both parsers would otherwise recurse once per level), and the values
reached through aliases are counted as they are built: past ``MAX_ALIAS_VALUES`` in one
file (a "billion laughs" expands 9 values into 9**n), the file is refused at that alias.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.core.bounded import MAX_DEPTH
from reconciler.core.jsonpath import JsonPath

Mark = tuple[int, int]  # 1-based (line, column)

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
#: a plain scalar that YAML 1.2 reads as a float (``1e3`` included, which 1.1 reads as a string);
#: public because whatever writes YAML for this loader must quote such strings (export does)
YAML12_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

_CORE = "tag:yaml.org,2002:"
#: libyaml, when PyYAML was built with it, composes about eight times faster than the
#: pure-Python parser and gives the same nodes (tags, values, marks; only a plain
#: scalar's ``style`` is ``""`` instead of ``None``). Its error messages differ, so a
#: stream it rejects is parsed again in Python for the exact message and position.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)
_PLAIN_TAGS = {f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_COLLECTION_TAG: dict[type[yaml.Node], str] = {yaml.MappingNode: f"{_CORE}map", yaml.SequenceNode: f"{_CORE}seq"}
#: values one file may reach through aliases: anchors for a shared scoring list or a few
#: phrases stay far below it; an alias bomb reaches it within milliseconds
MAX_ALIAS_VALUES = 10_000


@dataclass(frozen=True)
class YamlProblem:
    """A problem in the YAML itself; ``path`` is where in the document it sits."""

    line: int | None
    column: int | None
    message: str
    path: JsonPath = ()


@dataclass
class SourceDocument:
    """One non-empty document of a file: its value and the marks of its parts."""

    value: Any
    index: int  # position of the document in its file, from 0
    start: Mark
    values: dict[JsonPath, Mark] = field(default_factory=dict)
    keys: dict[JsonPath, Mark] = field(default_factory=dict)
    #: paths where the YAML itself was wrong; rules about what lies there would only add noise
    broken: set[JsonPath] = field(default_factory=set)

    def is_broken(self, path: JsonPath) -> bool:
        """True when ``path`` is, or lies under, a part already reported as bad YAML."""
        return any(path[: len(b)] == b for b in self.broken)

    def mark(self, path: JsonPath, *, key: bool = False) -> Mark:
        """Where ``path`` was written; falls back to the closest written ancestor.

        ``key=True`` prefers the mapping key (for "unknown field"), else the value.
        """
        if key and path in self.keys:
            return self.keys[path]
        probe = path
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), self.start)


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def plain_scalar(text: str) -> Any:
    """Resolve an untagged plain scalar by the YAML 1.2 core schema."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT10.match(text):
        return int(text)
    if _INT8.match(text):
        return int(text[2:], 8)
    if _INT16.match(text):
        return int(text[2:], 16)
    if YAML12_FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


@dataclass
class _AliasBudget:
    """Values built through aliases so far in one file; past the bound, nothing more is built."""

    used: int = 0
    exhausted: bool = False


class _Builder:
    """Turns one node tree into values, collecting marks and problems."""

    def __init__(self, doc: SourceDocument, budget: _AliasBudget) -> None:
        self.doc = doc
        self.problems: list[YamlProblem] = []
        self._active: set[int] = set()
        self._built: set[int] = set()  # a node met again is an alias's
        self._aliased = 0  # > 0 while building what an alias points at
        self._budget = budget
        self._alias_use: JsonPath = ()

    def problem(self, node: yaml.Node, message: str, path: JsonPath) -> None:
        self.doc.broken.add(path)
        line, column = _mark(node)
        self.problems.append(YamlProblem(line, column, message, path))

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        if self._budget.exhausted:
            return None
        self.doc.values[path] = _mark(node)
        if id(node) in self._active:
            self.problem(node, "recursive alias", path)
            return None
        alias = id(node) in self._built
        if alias and not self._aliased:
            self._alias_use = path  # the outermost alias: where the user wrote ``*name``
        self._aliased += alias
        if self._aliased:
            self._budget.used += 1
            if self._budget.used > MAX_ALIAS_VALUES:
                self._budget.exhausted = True
                self._aliased -= alias
                self._too_many_aliases()
                return None
        self._built.add(id(node))
        self._active.add(id(node))
        try:
            return self._node(node, path)
        finally:
            self._active.discard(id(node))
            self._aliased -= alias

    def _too_many_aliases(self) -> None:
        # A node does not remember the alias that reached it, only its anchor; the alias
        # was written inside its parent, which was not reached through one.
        used = self._alias_use
        line, column = self.doc.mark(used[:-1]) if used else self.doc.start
        message = f"aliases expand to more than {MAX_ALIAS_VALUES} values in this file; write the values out"
        self.doc.broken.add(used)
        self.problems.append(YamlProblem(line, column, message, used))

    def _node(self, node: yaml.Node, path: JsonPath) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if node.tag != _COLLECTION_TAG.get(type(node)):
            self.problem(node, f"unsupported YAML tag {node.tag!r}: tags are not allowed in manifests", path)
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]

    def _scalar(self, node: yaml.ScalarNode, path: JsonPath) -> Any:
        if node.tag not in _PLAIN_TAGS:
            self.problem(node, f"unsupported YAML tag {node.tag!r}: tags are not allowed in manifests", path)
            return None
        if node.style:  # quoted or block: a string whatever it looks like
            return node.value
        # plain: None from the Python parser, "" from libyaml. An untagged plain scalar
        # 1.1 calls a string may be a 1.2 number (1e3).
        if node.tag == f"{_CORE}str" and not YAML12_FLOAT.match(node.value):
            return node.value
        try:
            value = plain_scalar(node.value)
        except ValueError:  # an integer of more than 4300 digits (CPython's int conversion bound)
            self.problem(node, "number too long", path)
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(node, f"{_short(node.value)} is not a finite number; NaN and Infinity are not allowed", path)
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            if key_node.tag == f"{_CORE}merge":
                self.problem(key_node, "merge keys (<<) are not supported; write the fields out", path)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "a mapping key must be a plain string", path)
                continue
            key = key_node.value
            key_path = (*path, key)
            if key in first_seen:
                line, _ = first_seen[key]
                self.problem(key_node, f"duplicate key {key!r} (first at line {line})", key_path)
                continue
            first_seen[key] = _mark(key_node)
            self.doc.keys[key_path] = _mark(key_node)
            out[key] = self.build(value_node, key_path)
        return out


def _is_empty(node: yaml.Node | None) -> bool:
    return node is None or (
        isinstance(node, yaml.ScalarNode) and not node.style and node.tag == f"{_CORE}null" and not node.value
    )


def load_documents(text: str) -> tuple[list[SourceDocument], list[YamlProblem]]:
    """Every non-empty document of ``text``, with the problems found.

    A syntax error ends the stream (nothing after it can be trusted), but the documents
    before it are returned so that their own problems are reported too.
    """
    docs: list[SourceDocument] = []
    too_deep = _depth_problem(text)
    if too_deep is not None:
        return docs, [too_deep]
    problems: list[YamlProblem] = []
    budget = _AliasBudget()
    nodes: Iterator[yaml.Node] = _compose_all(text)
    index = 0
    while True:
        try:
            node = next(nodes)
        except StopIteration:
            break
        except yaml.MarkedYAMLError as exc:
            problems.append(_syntax_problem(exc))
            break
        except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare (bad encoding)
            problems.append(YamlProblem(None, None, f"invalid YAML: {exc}"))
            break
        if not _is_empty(node):
            doc = SourceDocument(value=None, index=index, start=_mark(node))
            builder = _Builder(doc, budget)
            doc.value = builder.build(node, ())
            docs.append(doc)
            problems.extend(builder.problems)
        index += 1
    return docs, problems


def _depth_problem(text: str) -> YamlProblem | None:
    """Where the stream first nests deeper than ``MAX_DEPTH``, from its events (no recursion).

    libyaml looks ahead inside flow collections and fails at its own bound (1000 levels)
    before handing out the event past ours, so a stream it rejects is scanned again by
    the Python parser, which is not recursive either and stops at our bound.
    """
    loaders = [_FAST_LOADER, yaml.SafeLoader] if _FAST_LOADER is not None else [yaml.SafeLoader]
    for loader in loaders:
        depth = 0
        try:
            for event in yaml.parse(text, Loader=loader):
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        mark = event.start_mark
                        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
                        return YamlProblem(line, column, f"nested deeper than {MAX_DEPTH} levels")
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
        except yaml.YAMLError:
            continue  # a syntax error: composing reports it, with the documents before it
        return None
    return None


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _compose_all(text: str) -> Iterator[yaml.Node]:
    """The stream's node trees, one document at a time: libyaml while it accepts the stream, else Python.

    Streamed, not listed: holding every document's nodes at once kept about a million
    node objects alive at 10,000 manifests, and the cyclic GC rescanned them over and over
    (a third of a plan's CPU). A document's tree is garbage once its values are built.
    When libyaml rejects the stream part-way, the Python parser reads it again from the
    start for PyYAML's own message; the documents libyaml already handed out are skipped.
    """
    handed_out = 0
    if _FAST_LOADER is not None:
        try:
            for node in yaml.compose_all(text, Loader=_FAST_LOADER):
                handed_out += 1
                yield node
            return
        except yaml.YAMLError:
            pass  # parsed again below, for PyYAML's own message and position
    for index, node in enumerate(yaml.compose_all(text, Loader=yaml.SafeLoader)):
        if index >= handed_out:
            yield node


def _syntax_problem(exc: yaml.MarkedYAMLError) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or "syntax error"
    if exc.context:
        what = f"{exc.context}: {what}"
        if exc.context_mark is not None and exc.context_mark is not mark:
            what += f" (started at line {exc.context_mark.line + 1})"
    if mark is None:  # pragma: no cover - PyYAML marks its syntax errors
        return YamlProblem(None, None, f"invalid YAML: {what}")
    return YamlProblem(mark.line + 1, mark.column + 1, f"invalid YAML: {what}")
