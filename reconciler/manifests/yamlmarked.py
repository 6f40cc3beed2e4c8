"""Building one document's values with the mark of every part, and every YAML problem at its place.

The careful builder: it records the 1-based mark of every value and every mapping key by
its path (a tuple such as ``("spec", "phrases", 1, "phrase")``), and reports merge keys,
non-scalar keys, duplicate keys, recursive aliases, tags and NaN/Infinity where they
were written. :mod:`.yamlsource` runs it for a document the fast builder gave up on (it
met a problem or an anchor), and again, later, for a document whose marks an error asks
for: keeping marks for every value of 10,000 manifests cost tens of MiB and a third of
building them, though only errors read them.

Nesting deeper than ``MAX_DEPTH`` is refused as the values are built, and the values
reached through aliases are counted: past ``MAX_ALIAS_VALUES`` in one file (a "billion
laughs" expands 9 values into 9**n), the file is refused at that alias.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from reconciler.core.bounded import MAX_DEPTH
from reconciler.core.jsonpath import JsonPath
from reconciler.manifests.yamlcompose import CORE, MERGE, STR, YamlProblem, check_depth, too_deep
from reconciler.manifests.yamlscalar import (
    PLAIN_TAGS,
    YAML12_FLOAT,
    Mark,
    lone_surrogate,
    plain_scalar,
    surrogate_message,
)

COLLECTION_TAG: dict[type[yaml.Node], str] = {yaml.MappingNode: f"{CORE}map", yaml.SequenceNode: f"{CORE}seq"}
#: the plain scalars PyYAML's 1.1 resolver tags as no core type (``name: <<`` was "unsupported YAML
#: tag 'tag:yaml.org,2002:merge'" and "is required"); as values they are strings in YAML 1.2
_YAML11_ONLY = {MERGE: "<<", f"{CORE}value": "="}
#: the spellings of NaN and Infinity, quoted back in errors (no other non-finite token is)
_NON_FINITE_KEYWORD = re.compile(r"[-+]?\.(?:inf|nan)", re.IGNORECASE)
#: values one file may reach through aliases: anchors for a shared scoring list or a few
#: phrases stay far below it; an alias bomb reaches it within milliseconds
MAX_ALIAS_VALUES = 10_000


def node_mark(node: yaml.Node) -> Mark:
    """Where ``node`` starts, 1-based."""
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def closest_mark(values: Mapping[JsonPath, Mark], path: JsonPath, start: Mark) -> Mark:
    """The mark of ``path``, else of its closest written ancestor, else ``start``."""
    probe = path
    while probe:
        if probe in values:
            return values[probe]
        probe = probe[:-1]
    return values.get((), start)


@dataclass
class AliasBudget:
    """Values built through aliases so far in one file; past the bound, nothing more is built."""

    used: int = 0
    exhausted: bool = False


class MarkedBuilder:
    """Turns one node tree into values, collecting marks and problems."""

    def __init__(self, start: Mark, budget: AliasBudget, *, anchors: bool = True) -> None:
        self.start = start
        self.values: dict[JsonPath, Mark] = {}
        self.keys: dict[JsonPath, Mark] = {}
        #: paths where the YAML itself was wrong; rules about what lies there would only add noise
        self.broken: set[JsonPath] = set()
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
        self.broken.add(path)
        line, column = node_mark(node)
        self.problems.append(YamlProblem(line, column, message, path))

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        if self._budget.exhausted:
            check_depth(node, len(path), self._checked)
            return None
        mark = node.start_mark
        self.values[path] = (mark.line + 1, mark.column + 1)
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
        line, column = closest_mark(self.values, used[:-1], self.start) if used else self.start
        message = f"aliases expand to more than {MAX_ALIAS_VALUES} values in this file; write the values out"
        self.broken.add(used)
        self.problems.append(YamlProblem(line, column, message, used))

    def _node(self, node: yaml.Node, path: JsonPath) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if len(path) >= MAX_DEPTH:  # a value nested this deep, aliases included
            raise too_deep(node.start_mark)
        if node.tag != COLLECTION_TAG.get(type(node)):
            self.problem(node, f"unsupported YAML tag {node.tag!r}: tags are not allowed in manifests", path)
            parts = [p for pair in node.value for p in pair] if isinstance(node, yaml.MappingNode) else node.value
            for part in parts:
                check_depth(part, len(path) + 1, self._checked)
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]

    def _scalar(self, node: yaml.ScalarNode, path: JsonPath) -> Any:
        if not node.style and _YAML11_ONLY.get(node.tag) == node.value:
            return node.value  # a plain ``<<`` or ``=`` as a value: YAML 1.1 tags it, 1.2 calls it a string
        if node.tag not in PLAIN_TAGS:
            self.problem(node, f"unsupported YAML tag {node.tag!r}: tags are not allowed in manifests", path)
            return None
        if node.style:  # quoted or block: a string whatever it looks like
            escape = lone_surrogate(node)
            if escape is not None:
                self.problem(node, surrogate_message(escape), path)
                return None
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
            self.problem(node, _not_finite(node.value), path)
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        values, keys = self.values, self.keys
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
            escape = lone_surrogate(key_node)
            if escape is not None:
                self.problem(key_node, f"the key {surrogate_message(escape)}", path)
                check_depth(value_node, len(path) + 1, self._checked)
                continue
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
                and lone_surrogate(value_node) is None
            ):
                mark = value_node.start_mark
                values[key_path] = (mark.line + 1, mark.column + 1)
                out[key] = value_node.value
            else:
                out[key] = self.build(value_node, key_path)
        return out


def _not_finite(text: str) -> str:
    """Why the token is quoted only when it is a YAML keyword (``.nan``, ``-.Inf``): any field may be
    a write-only one, and a literal there (say ``authSecret: 9e9999``) is refused later, without
    being echoed; a number too large for a float is the user's own digits, so it is not echoed either."""
    if _NON_FINITE_KEYWORD.fullmatch(text):
        return f"{text!r} is not a finite number; NaN and Infinity are not allowed"
    return "a number too large to be finite (it reads as Infinity); NaN and Infinity are not allowed"

