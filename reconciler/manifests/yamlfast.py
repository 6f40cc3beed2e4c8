"""Building a document's values fast: no marks, no paths, and a stop at anything to report.

Split from :mod:`.yamlsource`: most documents hold nothing wrong, so their values are built
here by the marked builder's rules (:mod:`.yamlmarked`) without its bookkeeping; at the
first problem (a tag, a merge or duplicate key, NaN, too deep) :class:`NeedsMarks` hands
the document to the marked builder, which reports it at its place.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from sys import intern
from typing import Any

import yaml

from reconciler.core.bounded import MAX_DEPTH
from reconciler.core.jsonpath import JsonPath
from reconciler.manifests.yamlcompose import MERGE, STR
from reconciler.manifests.yamlmarked import COLLECTION_TAG, node_mark
from reconciler.manifests.yamlscalar import FLOAT_START, PLAIN_TAGS, YAML12_FLOAT, Mark, plain_scalar


class NeedsMarks(Exception):
    """The document holds something to report (or may hold an alias): the marked builder builds it."""


#: string values this short are shared through ``sys.intern``: the values that enumerate
#: (``language: en-US``, ``engine: amazon_polly``, event names) repeat in most documents, and one
#: copy each made a 50,000-object estate's specs about a tenth lighter. Long ones rarely repeat.
#: Interned strings nobody holds any more are freed, so nothing stays behind after a command.
_SHARED_LENGTH = 40


def fast_value(node: yaml.Node, depth: int) -> Any:
    """The value of ``node`` by the marked builder's rules, without marks or paths; ``NeedsMarks`` at any problem."""
    if type(node) is yaml.ScalarNode:
        return _fast_scalar(node)
    if depth >= MAX_DEPTH or node.tag != COLLECTION_TAG.get(type(node)):
        raise NeedsMarks
    if type(node) is yaml.MappingNode:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode or key_node.tag == MERGE or key_node.value in out:
                raise NeedsMarks
            # Interned: the same few field names repeat in every document; one copy each, not one per mapping.
            key = intern(key_node.value)
            if (
                value_node.tag == STR
                and type(value_node) is yaml.ScalarNode
                and (
                    value_node.style
                    or value_node.value[:1] not in FLOAT_START
                    or not YAML12_FLOAT.match(value_node.value)
                )
            ):
                text = value_node.value
                out[key] = intern(text) if len(text) <= _SHARED_LENGTH else text
            else:
                out[key] = fast_value(value_node, depth + 1)
        return out
    return [fast_value(item, depth + 1) for item in node.value]


def _fast_scalar(node: yaml.ScalarNode) -> Any:
    if node.tag not in PLAIN_TAGS:
        raise NeedsMarks
    if node.style or (node.tag == STR and (node.value[:1] not in FLOAT_START or not YAML12_FLOAT.match(node.value))):
        text: str = node.value
        return intern(text) if len(text) <= _SHARED_LENGTH else text
    try:
        value = plain_scalar(node.value)
    except ValueError:  # a number too long: reported by the marked builder
        raise NeedsMarks from None
    if isinstance(value, float) and not math.isfinite(value):
        raise NeedsMarks
    return value


def eager_marks(root: yaml.Node, paths: Iterable[JsonPath]) -> tuple[tuple[JsonPath, Mark], ...]:
    """The marks of ``paths`` that exist in a document built without problems (a tuple: a dict per document
    weighed twice as much, for one or two marks)."""
    found = ((path, _node_at(root, path)) for path in paths)
    return tuple((path, node_mark(node)) for path, node in found if node is not None)


def _node_at(node: yaml.Node, path: JsonPath) -> yaml.Node | None:
    for part in path:
        if type(node) is yaml.MappingNode:
            for key_node, value_node in node.value:
                if key_node.value == part:
                    node = value_node
                    break
            else:
                return None
        elif type(node) is yaml.SequenceNode and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node


def placeholder_free(text: str, node: yaml.Node) -> bool:
    """No string built from ``node`` can hold ``${``: its text has no ``${`` and no double-quoted escape.

    Why: one C-speed scan of the document's text spares walking every string of every spec
    that has no placeholder (most of them). A string gets ``${`` only from ``${`` written in
    the text or from an escape (``"\\x24{"``), which needs a backslash and a double quote;
    without anchors (the fast builder's case) no value comes from elsewhere in the file.
    """
    start, end = node.start_mark.index, node.end_mark.index
    if text.find("${", start, end) != -1:
        return False
    return text.find("\\", start, end) == -1 or text.find('"', start, end) == -1
