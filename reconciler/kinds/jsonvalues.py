"""Values as the API's JSON shows them: what an essence compares when a model cannot say.

Apart from :mod:`.kind` because they are plain value walks with no kind in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


def without_none(value: Any) -> Any:
    """``None`` means "absent" in an essence, at any depth (``{"filter": None}`` == ``{}``)."""
    if isinstance(value, Mapping):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_none(v) for v in value]
    return value


def to_json(value: Any) -> Any:
    """Models inside ``value`` as their JSON dump, so defaults compare with what reads return."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def has_path(value: Any, path: tuple[str, ...]) -> bool:
    """Whether ``value`` holds a key at ``path`` (``("config", "current", "properties")``), through mappings."""
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    return True


def without_path(value: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """``value`` without the key at ``path``: copied along the path only, ``value`` itself is left as it was."""
    head, *rest = path
    if head not in value:
        return value
    if not rest:
        return {k: v for k, v in value.items() if k != head}
    inner = value[head]
    if not isinstance(inner, Mapping):
        return value
    return {**value, head: without_path(dict(inner), tuple(rest))}


def without_absent(value: dict[str, Any], reference: Any, paths: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
    """``value`` without each of ``paths`` that ``reference`` lacks (:func:`without_path`)."""
    for path in paths:
        if not has_path(reference, path):
            value = without_path(value, path)
    return value


def kept_from(target: dict[str, Any], source: Any, path: tuple[str, ...]) -> dict[str, Any]:
    """``target`` with ``source``'s value at ``path`` where ``target`` has none there and ``source`` has one
    (not ``None``); copied along the path only. Mappings missing on the way are made."""
    value = source
    for part in path:
        if not isinstance(value, Mapping) or value.get(part) is None:
            return target
        value = value[part]
    return target if has_path(target, path) else _with_path(target, path, value)


def _with_path(target: Mapping[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    head, *rest = path
    if not rest:
        return {**target, head: value}
    inner = target.get(head)
    return {**target, head: _with_path(inner if isinstance(inner, Mapping) else {}, tuple(rest), value)}
