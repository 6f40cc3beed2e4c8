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
nesting deeper than ``MAX_DEPTH`` is refused as the values are built (the one libyaml
parse; libyaml itself stops at 1,000 levels, and the recursive Python parser only runs
after an event pass that stops at our bound), and the values reached through aliases are
counted as they are built: past ``MAX_ALIAS_VALUES`` in one file (a "billion laughs"
expands 9 values into 9**n), the file is refused at that alias.
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
from reconciler.manifests.yamlcompose import (
    CORE,
    MERGE,
    STR,
    TooDeep,
    YamlProblem,
    check_depth,
    compose_all,
    syntax_problem,
    too_deep,
)

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

_PLAIN_TAGS = {f"{CORE}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_COLLECTION_TAG: dict[type[yaml.Node], str] = {yaml.MappingNode: f"{CORE}map", yaml.SequenceNode: f"{CORE}seq"}
#: values one file may reach through aliases: anchors for a shared scoring list or a few
#: phrases stay far below it; an alias bomb reaches it within milliseconds
MAX_ALIAS_VALUES = 10_000


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

    def __init__(self, doc: SourceDocument, budget: _AliasBudget, *, anchors: bool = True) -> None:
        self.doc = doc
        self.problems: list[YamlProblem] = []
        #: without an anchor in the text no node can be met twice: no alias bookkeeping per node
        self._anchors = anchors
        self._active: set[int] = set()
        self._built: set[int] = set()  # a node met again is an alias's
        self._aliased = 0  # > 0 while building what an alias points at
        self._budget = budget
        self._alias_use: JsonPath = ()
        self._checked: set[int] = set()  # nodes of skipped subtrees whose depth was checked

    def problem(self, node: yaml.Node, message: str, path: JsonPath) -> None:
        self.doc.broken.add(path)
        line, column = _mark(node)
        self.problems.append(YamlProblem(line, column, message, path))

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        if self._budget.exhausted:
            check_depth(node, len(path), self._checked)
            return None
        mark = node.start_mark
        self.doc.values[path] = (mark.line + 1, mark.column + 1)
        if not self._anchors:
            return self._node(node, path)
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
        if len(path) >= MAX_DEPTH:  # a value nested this deep, aliases included
            raise too_deep(node.start_mark)
        if node.tag != _COLLECTION_TAG.get(type(node)):
            self.problem(node, f"unsupported YAML tag {node.tag!r}: tags are not allowed in manifests", path)
            parts = [p for pair in node.value for p in pair] if isinstance(node, yaml.MappingNode) else node.value
            for part in parts:
                check_depth(part, len(path) + 1, self._checked)
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
        if node.tag == STR and not YAML12_FLOAT.match(node.value):
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
        values, keys = self.doc.values, self.doc.keys
        inline = not self._anchors  # a plain string value is built here, without a call per node
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                self.problem(key_node, "merge keys (<<) are not supported; write the fields out", path)
                check_depth(value_node, len(path) + 1, self._checked)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "a mapping key must be a plain string", path)
                check_depth(key_node, len(path) + 1, self._checked)
                check_depth(value_node, len(path) + 1, self._checked)
                continue
            key = key_node.value
            key_path = (*path, key)
            if key in out:
                line, _ = keys[key_path]
                self.problem(key_node, f"duplicate key {key!r} (first at line {line})", key_path)
                check_depth(value_node, len(path) + 1, self._checked)
                continue
            mark = key_node.start_mark
            keys[key_path] = (mark.line + 1, mark.column + 1)
            if (
                inline
                and value_node.tag == STR
                and type(value_node) is yaml.ScalarNode
                and (value_node.style or not YAML12_FLOAT.match(value_node.value))
            ):
                mark = value_node.start_mark
                values[key_path] = (mark.line + 1, mark.column + 1)
                out[key] = value_node.value
            else:
                out[key] = self.build(value_node, key_path)
        return out


def _is_empty(node: yaml.Node | None) -> bool:
    return node is None or (
        isinstance(node, yaml.ScalarNode) and not node.style and node.tag == f"{CORE}null" and not node.value
    )


def load_documents(text: str) -> tuple[list[SourceDocument], list[YamlProblem]]:
    """Every non-empty document of ``text``, with the problems found.

    A syntax error ends the stream (nothing after it can be trusted), but the documents
    before it are returned so that their own problems are reported too.
    """
    docs: list[SourceDocument] = []
    problems: list[YamlProblem] = []
    budget = _AliasBudget()
    anchors = "&" in text  # an anchor is written with "&": without one, no alias can exist
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
        except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare (bad encoding)
            problems.append(YamlProblem(None, None, f"invalid YAML: {exc}"))
            break
        if not _is_empty(node):
            doc = SourceDocument(value=None, index=index, start=_mark(node))
            builder = _Builder(doc, budget, anchors=anchors)
            try:
                doc.value = builder.build(node, ())
            except TooDeep as exc:
                return [], [exc.problem]
            docs.append(doc)
            problems.extend(builder.problems)
        index += 1
    return docs, problems


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
