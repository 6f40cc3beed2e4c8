"""Plain YAML scalars read by the YAML 1.2 core schema, shared by both value builders.

Split from :mod:`.yamlsource` so that the marked builder (:mod:`.yamlmarked`, which
reports every problem at its place) and the fast one (which builds values only) read a
scalar by the same rules: ``yes``, ``on`` and ``2024-01-01`` stay strings, ``1e3`` is a number.
"""

from __future__ import annotations

import math
import re
from typing import Any

from reconciler.core.bounded import surrogate_in, surrogate_problem
from reconciler.manifests.yamlcompose import CORE

Mark = tuple[int, int]  # 1-based (line, column)

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
#: a plain scalar that YAML 1.2 reads as a float (``1e3`` included, which 1.1 reads as a string);
#: public because whatever writes YAML for this loader must quote such strings (export does)
YAML12_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
#: the first characters a ``YAML12_FLOAT`` can have: a plain string starting with anything else
#: (most of them: names, enums, URLs) is known not to be one without running the pattern
FLOAT_START = frozenset("-+.0123456789")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

#: a YAML escape (``\\ud800``, ``\\U0000DC00``) of half a UTF-16 surrogate pair: the only way a value gets one
YAML_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")


def lone_surrogate(node: Any) -> str | None:
    """The first UTF-16 surrogate in a double-quoted scalar's value (``"\\ud800"``), as ``\\ud800``; else None.

    Why: an escape may name half of a surrogate pair, which is no character: the value then
    validated, and every plan and apply ended in a ``UnicodeEncodeError`` traceback as soon
    as it was printed or saved. Only a double-quoted scalar's escapes can make one (UTF-8
    text cannot hold it), so the others are not searched.
    """
    return surrogate_in(node.value) if node.style == '"' else None


def surrogate_message(escape: str) -> str:
    """:func:`~reconciler.core.bounded.surrogate_problem`, with what to write in YAML instead."""
    return f"{surrogate_problem(escape)}: write the character itself (or \\U and its 8 hex digits)"


#: the tags a scalar may carry: those the resolver gives untagged scalars; any other was written
PLAIN_TAGS = frozenset(f"{CORE}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp"))


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
