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
from json.encoder import (  # type: ignore[attr-defined]  # untyped C parts
    c_make_encoder,
    encode_basestring,
    encode_basestring_ascii,
)
from typing import Any

_SEPARATORS = (",", ":")


#: the C encoder ``json.dumps(value, sort_keys=True, separators=_SEPARATORS, default=str)`` builds
#: on every call (and the pure-Python one where the C parts are missing), built once: sorting
#: unordered lists asks for this key for every item of every object, and the set-up cost more
#: than the encoding. No circular-reference markers: the values come from JSON, YAML or a model.
_C_ENCODER: Any = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, str, encode_basestring_ascii, None, ":", _SEPARATORS[0], True, False, True)
)
_PY_ENCODER = json.JSONEncoder(sort_keys=True, separators=_SEPARATORS, default=str)


def canonical_json(value: Any) -> str:
    """``value`` as a canonical, ASCII-only string: a stable key to sort or compare by."""
    if type(value) is str:  # most items of unordered lists (tags, ids): the encoder's own first step
        return str(encode_basestring_ascii(value))
    if _C_ENCODER is None:
        return _PY_ENCODER.encode(value)
    return "".join(_C_ENCODER(value, 0))


def canonically_sorted(items: list[Any]) -> list[Any]:
    """``sorted(items, key=canonical_json)``: the order of an unordered list in plans and revision digests."""
    return list(items) if len(items) < 2 else sorted(items, key=canonical_json)


#: what ``json.dumps`` does with a value JSON cannot hold: its own ``TypeError``, word for word
_REFUSE = json.JSONEncoder().default


def canonical_bytes(value: Any, *, allow_nan: bool = True) -> bytes:
    """``value`` as canonical UTF-8 JSON: the input of a checksum or hash, and the audit line itself.

    Byte for byte ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=allow_nan)``, through the C encoder that call builds (with fresh circular-reference
    markers, as it has), without the ``JSONEncoder`` set up around it each time: every audit record
    is encoded here twice (half its sealing cost, issue 17).
    """
    if c_make_encoder is None:
        text = json.dumps(value, sort_keys=True, separators=_SEPARATORS, ensure_ascii=False, allow_nan=allow_nan)
    else:
        encode = c_make_encoder({}, _REFUSE, encode_basestring, None, ":", ",", True, False, allow_nan)
        text = "".join(encode(value, 0))
    return text.encode("utf-8")
