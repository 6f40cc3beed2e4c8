"""The one canonical JSON serialization: sorted keys, no whitespace.

Saved plans carry a checksum and audit records a hash over this form, so its bytes
must never change for a value it serialized before. The three uses differ in only
what they must:

* :func:`canonical_json` is a *comparison key* (sorting unordered lists, matching
  items, fingerprints): ASCII-escaped text, and a value JSON cannot hold is shown by
  ``str()`` rather than refused, since a key must exist for anything being compared.
* :func:`canonical_bytes` is what gets *hashed and stored*: UTF-8 with non-ASCII kept
  as is, a value JSON cannot hold is a ``TypeError``. ``allow_nan=False`` refuses
  NaN/Infinity, which are not JSON (the audit log, read by other tools, asks for it;
  plan files have always accepted them, so it stays the default there).
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]  # untyped C parts
from typing import Any

_SEPARATORS = (",", ":")


#: made once: ``json.dumps`` with any non-default option builds a new encoder per call, and
#: sorting unordered lists calls this for every item of every object (exactly what
#: ``json.dumps(value, sort_keys=True, separators=_SEPARATORS, default=str)`` does, minus that)
_KEY_ENCODER = json.JSONEncoder(sort_keys=True, separators=_SEPARATORS, default=str)


def canonical_json(value: Any) -> str:
    """``value`` as a canonical, ASCII-only string: a stable key to sort or compare by."""
    return _KEY_ENCODER.encode(value)


#: the C encoder ``_KEY_ENCODER.encode`` builds on every call, built once. No circular-reference
#: markers: it only encodes values decoded from JSON or YAML or dumped by a model, never cyclic
_SORT_ENCODER: Any = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, str, encode_basestring_ascii, None, ":", _SEPARATORS[0], True, False, True)
)


def _sort_key(value: Any) -> str:
    """``canonical_json(value)``, without the encoder's per-call set-up (half the cost of a small object)."""
    if type(value) is str:  # most items of unordered lists (tags, ids): the encoder's own first step
        return str(encode_basestring_ascii(value))
    return "".join(_SORT_ENCODER(value, 0))


def canonically_sorted(items: list[Any]) -> list[Any]:
    """``sorted(items, key=canonical_json)``: the order of an unordered list in plans and revision digests.

    Why not that expression: an object's essence sorts its unordered lists on every read, and
    the key's set-up cost more than the encoding; a list of one item or none is already sorted.
    """
    if len(items) < 2:
        return list(items)
    return sorted(items, key=canonical_json if _SORT_ENCODER is None else _sort_key)


def canonical_bytes(value: Any, *, allow_nan: bool = True) -> bytes:
    """``value`` as canonical UTF-8 JSON: the input of a checksum or hash, and the audit line itself."""
    text = json.dumps(value, sort_keys=True, separators=_SEPARATORS, ensure_ascii=False, allow_nan=allow_nan)
    return text.encode("utf-8")
