"""Nested values shown as indented text in Markdown plans: a data action's templates and contracts.

One-line JSON (:func:`~reconciler.render.values.show`) is right for a flag or a short
list, but a data action's ``config.request.requestTemplate`` is a multi-line Velocity
template and its ``contract`` a JSON Schema three levels deep: as JSON on one line the
template's newlines become ``\\n`` and a reviewer cannot read either. Such values are
shown as indented, YAML-like lines instead, each carrying the diff sign, so the diff
block still colours them; multi-line text is shown as a ``|`` block, as written. Leaves
stay JSON (``"1"`` and ``1`` remain distinguishable).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.render.values import show

#: values nested this deep (a mapping in a mapping in a mapping) are shown as indented text
DEPTH = 3
INDENT = "  "


def depth(value: Any) -> int:
    """How many levels of mappings and lists ``value`` has (a scalar: 0)."""
    if isinstance(value, Mapping):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def _multiline(value: Any) -> bool:
    if isinstance(value, str):
        return "\n" in value
    if isinstance(value, Mapping):
        return any(_multiline(v) for v in value.values())
    if isinstance(value, list):
        return any(_multiline(v) for v in value)
    return False


def readable(value: Any) -> bool:
    """Whether ``value`` reads better as indented text than as one line of JSON."""
    return _multiline(value) or depth(value) >= DEPTH


def _text(pad: str, head: str, value: str) -> list[str]:
    return [f"{pad}{head}|", *(f"{pad}{INDENT}{line}" for line in value.split("\n"))]


def _lines(value: Any, pad: str) -> list[str]:
    out: list[str] = []
    items = value.items() if isinstance(value, Mapping) else ((None, v) for v in value)
    for key, item in items:
        head = f"{key}: " if key is not None else "- "
        if isinstance(item, str) and "\n" in item:
            out.extend(_text(pad, head, item))
        elif isinstance(item, (Mapping, list)) and item:
            out.append(f"{pad}{head.rstrip()}")
            out.extend(_lines(item, pad + INDENT))
        else:
            out.append(f"{pad}{head}{show(item)}")
    return out


def field_lines(sign: str, path: str, value: Any) -> list[str] | None:
    """``value`` of the field at ``path`` as diff lines prefixed by ``sign``; ``None`` if one line reads better."""
    if not readable(value):
        return None
    if isinstance(value, str):
        lines = _text("", f"{path}: ", value)
    else:
        lines = [f"{path}:", *_lines(value, INDENT)]
    return [f"{sign} {line}" for line in lines]


__all__ = ["field_lines", "readable"]
