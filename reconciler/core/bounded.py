"""JSON read within bounds: a nesting depth, and no NaN or Infinity, with the place of a breach.

``json.loads`` recurses once per level, so a document nested a few hundred levels deep
(a few KB) ends in a ``RecursionError`` traceback; and it accepts ``NaN``/``Infinity``,
which are not JSON and come back out as ``null`` or an error elsewhere. Every file or
answer the reconciler reads as JSON from outside (saved plans; audit lines and server
answers may reuse it) goes through :func:`loads_json` instead.

The depth is measured by one scan over the text (strings skipped, brackets counted)
before anything is decoded, so a hostile document costs one pass and is refused at
the first bracket too deep, with its line and column.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.core.errors import ReconcilerError

#: the default bound on nesting: far above any document the reconciler writes (a plan
#: change's spec sits four levels below the top, and a manifest's values at most
#: ``MAX_DEPTH`` below its document), far below the interpreter's recursion limit (1000)
MAX_DEPTH = 64

#: a string (its end quote optional, so an unterminated one swallows the rest), a
#: bracket, or one of the non-JSON constants ``json`` would otherwise accept. The string is
#: written as runs between escapes, matched possessively: one alternation per character
#: (``(?:[^"\\]|\\.)*``) kept a backtracking entry per character, 2.3 GB for a 20 MB string.
_TOKEN = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|[\[\]{}]|-?Infinity|NaN')


class BoundedJsonError(ReconcilerError):
    """JSON that is malformed or outside the bounds; ``line``/``column`` are 1-based (0 when unknown)."""

    def __init__(self, what: str, line: int, column: int, problem: str) -> None:
        self.what = what
        self.line = line
        self.column = column
        self.problem = problem
        where = f"{what}:{line}:{column}" if line else what
        super().__init__(f"{where}: {problem}")


class DuplicateKeyError(BoundedJsonError):
    """An object names ``key`` twice: ``json`` would keep the last value, another reader the first."""

    def __init__(self, what: str, key: str) -> None:
        self.key = key
        super().__init__(what, 0, 0, f"the key {key[:80]!r} appears twice in one object")


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's pairs as a dict, refusing a key that comes twice (``object_pairs_hook``)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return obj


def _place(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def check_json_text(text: str, *, max_depth: int = MAX_DEPTH, what: str = "JSON") -> None:
    """Raise :class:`BoundedJsonError` at the first bracket deeper than ``max_depth`` or bare NaN/Infinity."""
    depth = 0
    for match in _TOKEN.finditer(text):
        first = text[match.start()]  # not match.group(): a copy of every string, however long
        if first == '"':
            continue
        if first in "[{":
            depth += 1
            if depth > max_depth:
                line, column = _place(text, match.start())
                raise BoundedJsonError(what, line, column, f"nested deeper than {max_depth} levels")
        elif first in "]}":
            depth -= 1
        else:
            line, column = _place(text, match.start())
            message = f"{match.group()} is not a JSON number; NaN and Infinity are refused"
            raise BoundedJsonError(what, line, column, message)


#: a JSON escape of a UTF-16 surrogate (``\\ud800``): only a high one followed by a low one is a character
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
#: a UTF-16 surrogate: in a decoded string, always half of a pair that is no character
SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_in(text: str) -> str | None:
    """The first UTF-16 surrogate in ``text``, written as its escape (``\\ud800``); ``None`` when there is none."""
    found = SURROGATE.search(text)
    return None if found is None else f"\\u{ord(found.group()):04x}"


def surrogate_problem(escape: str) -> str:
    """What is wrong with a value holding ``escape`` (:func:`surrogate_in`), in one wording for JSON, YAML and logs."""
    return f"holds the escape {escape}, half of a UTF-16 surrogate pair, which is no character"


def lone_surrogate(value: Any) -> str | None:
    """The first lone UTF-16 surrogate in the strings (keys too) of a decoded JSON value, as ``\\udXXX``.

    Why: ``json`` decodes ``"\\ud800"`` to a lone surrogate, which is no character: the value
    cannot be written as UTF-8, so printing or hashing it was a ``UnicodeEncodeError``
    traceback. Callers ask only when the text holds such an escape (:data:`SURROGATE_ESCAPE`).
    """
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            escape = surrogate_in(current)
            if escape is not None:
                return escape
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return None


def _refuse_constant(name: str) -> Any:
    # unreachable after check_json_text; kept so json never turns NaN into a float behind our back
    raise ValueError(f"{name} is not a JSON number")


def loads_json(
    text: str | bytes, *, max_depth: int = MAX_DEPTH, what: str = "JSON", unique_keys: bool = False
) -> Any:
    """``json.loads`` within bounds: depth at most ``max_depth``, no NaN/Infinity, UTF-8 only.

    Every failure is a :class:`BoundedJsonError` naming ``what`` and, where known, the line
    and column; never a ``RecursionError`` or a ``JSONDecodeError`` traceback. With
    ``unique_keys``, an object naming a key twice is a :class:`DuplicateKeyError`: ``json``
    keeps the last value silently, so what a checksum or a reviewer saw may not be what is used.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BoundedJsonError(what, 0, 0, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    check_json_text(text, max_depth=max_depth, what=what)
    try:
        hook = _unique_keys if unique_keys else None
        value = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=hook)
    except _Duplicate as exc:
        raise DuplicateKeyError(what, exc.key) from None
    except json.JSONDecodeError as exc:
        raise BoundedJsonError(what, exc.lineno, exc.colno, f"not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:  # pragma: no cover - refused by the scan above
        raise BoundedJsonError(what, 0, 0, f"not valid JSON ({exc})") from None
    escape = SURROGATE_ESCAPE.search(text)
    if escape is not None and (lone := lone_surrogate(value)) is not None:
        line, column = _place(text, escape.start())
        raise BoundedJsonError(what, line, column, surrogate_problem(lone))
    return value


def dumps_json(value: Any, **options: Any) -> str:
    """``json.dumps`` that refuses NaN/Infinity (a ``ValueError``), so what is written reads back the same."""
    return json.dumps(value, allow_nan=False, **options)
