"""Suggestions for a mistyped word, and pydantic's raw validation errors made actionable.

Every "did you mean ...?" goes through :func:`closest`, so that one cutoff policy
(and one library) decides what counts as close. Two things pydantic does not do for
us: suggest the field the author probably meant (``matchtype`` -> ``matchType``), and
report a value that fits none of a union's members once rather than once per member
(its ``loc`` then ends in member tags such as ``'bool'``, ``'int'``, which are not
part of the document).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

#: how alike a word and a choice must be (``difflib`` ratio) to be suggested
CUTOFF = 0.6
#: the looser ratio kind names have always been matched with (``--kind``, ``kind:``, ``prune.kinds``)
LOOSE_CUTOFF = 0.5


def closest(word: str, choices: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """The choice most like ``word``, or ``None`` when none is at least ``cutoff`` alike."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return close[0] if close else None


def model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The (nested) model whose field ``loc[-1]`` would be, or ``None`` when not a model.

    ``model_at(SpeechRuleSpec, ("phrases", 0, "matchtype"))`` is ``Phrase``.
    """
    annotation: Any = model
    for part in loc[:-1]:
        current = _as_model(annotation)
        if current is not None and isinstance(part, str):
            info = current.model_fields.get(part)
            if info is None:
                return None
            annotation = info.annotation
            continue
        annotation = _element(annotation)
        if annotation is None:
            return None
    return _as_model(annotation)


def _as_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        models = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if len(models) == 1 else None
    return None


def _element(annotation: Any) -> Any:
    """The item type of a list/tuple/dict annotation (through Optional)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _element(arg)
            if found is not None:
                return found
        return None
    args = get_args(annotation)
    if origin in (list, tuple, set, frozenset) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def suggest_field(model: type[BaseModel], loc: Sequence[str | int]) -> str | None:
    """The valid field name closest to the unknown one at ``loc``, if any is close."""
    owner = model_at(model, loc)
    if owner is None or not loc or not isinstance(loc[-1], str):
        return None
    fields = list(owner.model_fields)
    lowered = {f.lower(): f for f in fields}
    if loc[-1].lower() in lowered:
        return lowered[loc[-1].lower()]
    return closest(loc[-1], fields)


def join_alternatives(items: Iterable[str]) -> str:
    """``['a', 'b', 'c']`` -> ``a, b or c``."""
    seq = list(dict.fromkeys(items))
    if len(seq) <= 1:
        return "".join(seq)
    return ", ".join(seq[:-1]) + " or " + seq[-1]
