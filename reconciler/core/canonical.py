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
from typing import Any

_SEPARATORS = (",", ":")


#: made once: ``json.dumps`` with any non-default option builds a new encoder per call, and
#: sorting unordered lists calls this for every item of every object (exactly what
#: ``json.dumps(value, sort_keys=True, separators=_SEPARATORS, default=str)`` does, minus that)
_KEY_ENCODER = json.JSONEncoder(sort_keys=True, separators=_SEPARATORS, default=str)


def canonical_json(value: Any) -> str:
    """``value`` as a canonical, ASCII-only string: a stable key to sort or compare by."""
    return _KEY_ENCODER.encode(value)


def canonical_bytes(value: Any, *, allow_nan: bool = True) -> bytes:
    """``value`` as canonical UTF-8 JSON: the input of a checksum or hash, and the audit line itself."""
    text = json.dumps(value, sort_keys=True, separators=_SEPARATORS, ensure_ascii=False, allow_nan=allow_nan)
    return text.encode("utf-8")
