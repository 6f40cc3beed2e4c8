"""Running a kind's rules on one spec and saying where, in the document, each one broke.

The rules themselves live in the kind (``Kind.validate_spec``); this module only
translates their findings for a manifest author: the path is cut to what exists in
the document (pydantic adds union member tags), a value that fits none of a union's
types is reported once, a mistyped field name gets the closest valid one, and no
message shows a value that came from the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.jsonpath import JsonPath
from reconciler.core.suggest import join_alternatives, suggest_field
from reconciler.kinds import Kind
from reconciler.manifests.placeholders import Substitution

UNKNOWN_FIELD = "unknown field"


@dataclass(frozen=True)
class SpecIssue:
    """A broken rule at ``path`` in the spec; ``at_key`` locates it at the key, not the value."""

    path: JsonPath
    message: str
    at_key: bool = False


def check_spec(kind: Kind, substitution: Substitution) -> list[SpecIssue]:
    """Every rule of ``kind`` on the substituted spec, located and worded for the author."""
    _, found = kind.validate_spec(substitution.value, shown_as=substitution.as_written)
    merged: dict[JsonPath, list[str]] = {}
    order: list[JsonPath] = []
    keyed: set[JsonPath] = set()
    plain: list[SpecIssue] = []
    for issue in found:
        path = document_path(issue.loc, substitution.value, issue.message)
        if path in substitution.opaque:
            continue
        message = substitution.scrub(path, issue.message)
        if issue.message == UNKNOWN_FIELD:
            close = suggest_field(kind.spec_model, issue.loc)
            if close is not None:
                message += f" (did you mean {close!r}?)"
            keyed.add(path)
        if message.startswith("expected "):
            if path not in merged:
                order.append(path)
            merged.setdefault(path, []).append(message)
        else:
            plain.append(SpecIssue(path, message, at_key=path in keyed and message.startswith(UNKNOWN_FIELD)))
    typed = [SpecIssue(path, _merge_expected(merged[path])) for path in order]
    return _unique([*typed, *plain])


def document_path(loc: tuple[str | int, ...], data: Any, message: str) -> JsonPath:
    """The part of ``loc`` that exists in ``data``, plus a final absent key for "is required".

    A key absent from its mapping is kept as the last part (a missing field, or a
    cross-field rule about an absent field), except for type errors, whose extra parts
    are pydantic's union member tags.
    """
    out: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        if isinstance(current, Mapping) and isinstance(part, str) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        elif i == len(loc) - 1 and isinstance(current, Mapping) and not message.startswith("expected "):
            out.append(part)
            break
        else:
            break
        out.append(part)
    return tuple(out)


def _merge_expected(messages: list[str]) -> str:
    """``expected a boolean, got a list [1]`` + ``expected a string, got …`` -> one message."""
    if len(messages) == 1:
        return messages[0]
    wanted: list[str] = []
    got = ""
    for message in messages:
        head, _, tail = message[len("expected ") :].partition(", got ")
        wanted.append(head)
        got = got or tail
    return f"expected {join_alternatives(wanted)}, got {got}"


def _unique(issues: list[SpecIssue]) -> list[SpecIssue]:
    seen: set[tuple[JsonPath, str]] = set()
    out: list[SpecIssue] = []
    for issue in issues:
        if (issue.path, issue.message) not in seen:
            seen.add((issue.path, issue.message))
            out.append(issue)
    return out
