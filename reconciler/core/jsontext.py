"""``json.dumps(value, indent=2)``, byte for byte, about three times faster.

CPython (before 3.13) serializes indented JSON with its pure-Python encoder: a chain of
generators, one per nesting level, yielding every token through all of them. A plan of
50,000 changes took over ten seconds to save or render that way (bench/RESULTS.md). This
writer appends to one list in a single recursive function and uses the C string escapers.
It accepts the JSON types a pydantic ``model_dump(mode="json")`` produces (str keys,
str/int/float/bool/None, dict, list); anything else falls back to ``json.dumps`` itself,
so the bytes are always the standard library's.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any


class _Unusual(Exception):
    """A value the fast path does not handle: the standard encoder takes over."""


def dumps_indented(value: Any, *, ensure_ascii: bool = True, allow_nan: bool = False) -> str:
    """``value`` as ``json.dumps(value, indent=2, ensure_ascii=..., allow_nan=...)`` would write it."""
    escape = encode_basestring_ascii if ensure_ascii else encode_basestring
    parts: list[str] = []
    append = parts.append

    def emit(item: Any, pad: str) -> None:
        kind = type(item)
        if kind is str:
            append(escape(item))
        elif kind is dict:
            if not item:
                append("{}")
                return
            inner = pad + "  "
            sep = "{" + inner
            for key, sub in item.items():
                if type(key) is not str:
                    raise _Unusual
                append(sep)
                append(escape(key))
                append(": ")
                emit(sub, inner)
                sep = "," + inner
            append(pad + "}")
        elif kind is list:
            if not item:
                append("[]")
                return
            inner = pad + "  "
            sep = "[" + inner
            for sub in item:
                append(sep)
                emit(sub, inner)
                sep = "," + inner
            append(pad + "]")
        elif item is None:
            append("null")
        elif item is True:
            append("true")
        elif item is False:
            append("false")
        elif kind is int:
            append(int.__repr__(item))
        elif kind is float:
            if not math.isfinite(item):
                if allow_nan:
                    raise _Unusual
                raise ValueError("Out of range float values are not JSON compliant: " + repr(item))
            append(float.__repr__(item))
        else:
            raise _Unusual

    try:
        emit(value, "\n")
    except (_Unusual, RecursionError):
        return json.dumps(value, indent=2, ensure_ascii=ensure_ascii, allow_nan=allow_nan)
    return "".join(parts)
