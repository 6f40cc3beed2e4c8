"""Control characters shown as visible escapes (``\\n``, ``\\x1b``, ``\\u2028``): the one definition.

Kept at the bottom of the tree so that what a server says is made one safe line where
it is received (:class:`~reconciler.core.errors.ApiError`) as well as where anything is
printed (:mod:`reconciler.render.escape`, which says why each character is dangerous).

The set: every C0 control (line feed, carriage return, vertical tab, form feed, escape),
DEL, every C1 control (next line ``U+0085`` among them), the Unicode line and paragraph
separators, and the bidi and zero-width format characters.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def control(text: str) -> str:
    """``text`` on one line, every control or invisible format character shown as an escape."""
    return _CONTROL.sub(_visible, text)


def control_but_newline(text: str) -> str:
    """As :func:`control`, but ``\\n`` is kept: for text of ours whose own lines are meant."""
    return _CONTROL_BUT_NEWLINE.sub(_visible, text)


__all__ = ["control", "control_but_newline"]
