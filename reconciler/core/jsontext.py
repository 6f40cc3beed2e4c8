"""``json.dumps(value, indent=2)``, byte for byte, about three times faster.

CPython (before 3.13) serializes indented JSON with its pure-Python encoder: a chain of
generators, one per nesting level, yielding every token through all of them. A plan of
50,000 changes took over ten seconds to save or render that way (bench/RESULTS.md). This
writer appends to one list in a single recursive function and uses the C string escapers.
It accepts the JSON types a pydantic ``model_dump(mode="json")`` produces (str keys,
str/int/float/bool/None, dict, list; floats finite); anything else falls back to
``json.dumps`` itself, so the bytes are always the standard library's.
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

import pydantic_core


@contextmanager
def tree_building() -> Iterator[None]:
    """The cyclic GC paused while a JSON document is dumped and written: a tree holds no cycle to find.

    Why: ``model_dump`` of a 50,000-change plan makes about a million dicts and lists, and
    the collector, counting allocations, rescanned the growing document over and over:
    2.1 s of dumping became 0.8 s with it paused (``bench/changed_plan.py``). The command's
    own bulk data is handled by ``app/memory.py``; this covers only the document's making.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Unusual(Exception):
    """A value the fast path does not handle: the standard encoder takes over."""


def dumps_indented(value: Any, *, ensure_ascii: bool = True, allow_nan: bool = False) -> str:
    """``value`` as ``json.dumps(value, indent=2, ensure_ascii=..., allow_nan=...)`` would write it."""
    text = plain_dumps_indented(value, ensure_ascii=ensure_ascii)
    if text is None:
        # the standard library decides (and words any refusal) itself
        return json.dumps(value, indent=2, ensure_ascii=ensure_ascii, allow_nan=allow_nan)
    return text


def plain_dumps_indented(value: Any, *, ensure_ascii: bool = True) -> str | None:
    """What :func:`dumps_indented` writes, or ``None`` unless ``value`` is plain, finite JSON.

    Plain: ``dict`` with ``str`` keys, ``list``, ``str``, ``int``, ``float``, ``bool``,
    ``None``, those exact types. A caller that built ``value`` from models without
    pydantic's serializer relies on this check: ``None`` sends it back to ``model_dump``.
    """
    escape = encode_basestring_ascii if ensure_ascii else encode_basestring
    parts: list[str] = []
    append = parts.append
    #: per indentation, each key's text ("\n    \"key\": "): the same few keys recur at every depth
    key_texts: dict[str, dict[str, str]] = {}

    def scalar(item: Any) -> str:
        # strings are written where they are met (most leaves are strings); the rest comes here
        if item is None:
            return "null"
        if item is True:
            return "true"
        if item is False:
            return "false"
        kind = type(item)
        if kind is int:
            return int.__repr__(item)
        if kind is float and math.isfinite(item):
            return float.__repr__(item)
        raise _Unusual

    def emit(item: Any, pad: str) -> None:
        # Leaves are written inside their container's loop, one append each: a call per
        # leaf was half the cost at 50,000 changes.
        kind = type(item)
        if kind is dict:
            if not item:
                append("{}")
                return
            inner = pad + "  "
            keys = key_texts.get(inner)
            if keys is None:
                keys = key_texts[inner] = {}
            sep = "{"
            for key, sub in item.items():
                prefix = keys.get(key)
                if prefix is None:
                    if type(key) is not str:
                        raise _Unusual
                    prefix = keys[key] = inner + escape(key) + ": "
                sub_kind = type(sub)
                if sub_kind is str:
                    append(sep + prefix + escape(sub))
                elif (sub_kind is dict or sub_kind is list) and sub:
                    append(sep + prefix)
                    emit(sub, inner)
                elif sub_kind is dict:
                    append(sep + prefix + "{}")
                elif sub_kind is list:
                    append(sep + prefix + "[]")
                else:
                    append(sep + prefix + scalar(sub))
                sep = ","
            append(pad + "}")
        elif kind is list:
            if not item:
                append("[]")
                return
            inner = pad + "  "
            sep = "[" + inner
            for sub in item:
                sub_kind = type(sub)
                if sub_kind is str:
                    append(sep + escape(sub))
                elif sub_kind is dict or sub_kind is list:
                    append(sep)
                    emit(sub, inner)
                else:
                    append(sep + scalar(sub))
                sep = "," + inner
            append(pad + "]")
        elif kind is str:
            append(escape(item))
        else:
            append(scalar(item))

    try:
        emit(value, "\n")
    except (_Unusual, RecursionError):
        return None
    return "".join(parts)


#: what pydantic-core writes unlike ``json.dumps`` (read in canonical JSON): exponents -1..-9
#: (it writes ``1e-5`` or ``0.00001`` for ``1e-05``), NaN/Infinity (not in a plan file), a ``None``
#: key (``"None"``); a string merely holding this text sends a document the slower way, no harm
_RUST_DIFFERS: tuple[bytes, ...] = (b"e-0", b"NaN", b"Infinity", b'"null":')
#: the same floats, read in pydantic-core's own output: ``0.00001`` for ``1e-05``, ``1e-7`` for ``1e-07``
_RUST_SMALL_FLOATS: tuple[bytes, ...] = (b"e-", b"0.0000")
#: a number as pydantic-core writes one; in indented output a value starts after a space or "["
_NUMBER = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?")


def rust_dumps_indented(value: Any, canonical: bytes) -> str | None:
    """``json.dumps(value, indent=2, ensure_ascii=False)``'s text by pydantic-core's serializer, when safe.

    Why: at 50,000 changes the plan file's indented text took 1.2 s in Python, and its
    checksum needs the canonical JSON (``canonical``, of the same ``value``) anyway: that
    pass proves every value is one ``json`` writes, and its text shows whether one is
    written differently by pydantic-core (see ``_RUST_DIFFERS``); then pydantic-core
    writes the indented text in well under half the time. ``None``: use :func:`plain_dumps_indented`.
    """
    if any(text in canonical for text in _RUST_DIFFERS) or not _rust_agrees():  # four C scans: 0.1 s at 50k
        return None
    return _rust(value)


def rust_dumps_model_json(value: Any) -> str | None:
    """``json.dumps(<value as model_dump(mode="json") makes it>, indent=2, ensure_ascii=False)`` (NaN allowed).

    For a document assembled from a model's fields and values (``plan/document.py``):
    pydantic-core converts the values as ``model_dump`` would, and writes them as ``json``
    would except the small floats of ``_RUST_SMALL_FLOATS``, looked for in its output.
    ``None``: those, or a pydantic-core that writes otherwise; use the model_dump path.
    """
    if not _rust_agrees():
        return None
    written = _rust_bytes(value)
    if written is None or _small_float_in(written):
        return None
    return written.decode("utf-8")


def _small_float_in(written: bytes) -> bool:
    """Whether a number in ``written`` (not text in a string: UUIDs hold ``e-`` too) is one of ``_RUST_SMALL_FLOATS``.

    Each occurrence is checked in place: the number around it must start after a space or
    ``[`` and end before ``,``, a newline or ``]``, as every number in indented output does.
    """
    for marker in _RUST_SMALL_FLOATS:
        at = written.find(marker)
        while at >= 0:
            window = max(0, at - 40)  # a float is never longer; a string may be
            start = max(written.rfind(b" ", window, at), written.rfind(b"[", window, at)) + 1
            found = _NUMBER.match(written, start) if start else None
            if found and found.end() > at and written[found.end() : found.end() + 1] in (b",", b"\n", b"]", b""):
                return True
            at = written.find(marker, at + 1)
    return False


def _rust(value: Any) -> str | None:
    written = _rust_bytes(value)
    return None if written is None else written.decode("utf-8")


def _rust_bytes(value: Any) -> bytes | None:
    try:
        # NaN/Infinity as null, as model_dump(mode="json") has them (to_json would write NaN/Infinity)
        return pydantic_core.to_json(value, indent=2, inf_nan_mode="null")
    except (pydantic_core.PydanticSerializationError, ValueError, TypeError):
        return None


@cache
def _rust_agrees() -> bool:
    """The installed pydantic-core writes a sample of every JSON shape as ``json.dumps`` does (checked once)."""
    sample = {
        "numbers": [0, -7, 10**30, 1.5, -0.0, 0.1, 1e-4, 1e16, 1e22, 1234567890123456.0, True, False, None],
        "text": ["", "é\u2028\U0001f600\x00\x1f\x7f\"\\/\n\t"],
        "empty": [{}, []],
        "nested": {"a": {"b": [{"c": {}}]}},
    }
    written = _rust_bytes(sample)
    return written is not None and written.decode("utf-8") == json.dumps(sample, indent=2, ensure_ascii=False)
