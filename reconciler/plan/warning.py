"""A plan's warning: its sentence and, when it is about one place in the manifests, that place.

Why structured: ``plan --format sarif`` puts each result where code scanning annotates the
pull request's diff. A warning about one manifest document (an escaped ``$${env:…}``,
:mod:`reconciler.manifests.escapes`) knows its file, line, column and object; as a plain
string it could only be placed at the project's ``reconciler.yaml``, or its place re-parsed
from the text. So the place travels beside the sentence, and a warning about the whole plan
(a kind not read, a window, files left alone) has none.

Why a plan's JSON keeps each warning a string: ``str()`` is the line it always was, the
place first as for a manifest issue, so text, Markdown, ``--format json`` and saved plans
read as before. A saved plan's warnings carry no place when loaded: only ``plan`` writes SARIF,
from the plan it has just made, so nothing reads a place from a plan file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from reconciler.core.errors import ManifestWarning
from reconciler.core.keys import Location, ObjectKey


@dataclass(frozen=True, slots=True, eq=False)
class PlanWarning:
    """One warning of a plan; ``at`` and ``key`` are set when it is about one manifest place and object.

    Equal to another, and hashed, by the line it reads as (``str()``): that line is what a plan
    file keeps, so a plan loaded from its file equals the plan that was saved, places or not.
    """

    message: str
    #: where in the manifests it is about (file, line, column where known); ``None`` for the whole plan
    at: Location | None = None
    #: the declared object it is about, if any
    key: ObjectKey | None = None

    @classmethod
    def of(cls, warning: ManifestWarning) -> PlanWarning:
        """A manifest's warning as a plan's, with its place and object."""
        return cls(warning.message, warning.at, warning.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlanWarning) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        """The line shown and saved: ``file:line:column: message`` when located (as :class:`ManifestWarning`)."""
        return f"{self.at}: {self.message}" if self.at is not None else self.message


def _warning(value: Any) -> PlanWarning:
    if isinstance(value, PlanWarning):
        return value
    if isinstance(value, str):  # a saved plan's line (or a producer's sentence): no place
        return PlanWarning(value)
    raise ValueError(f"expected a warning's text, not {type(value).__name__}")


#: A :class:`PlanWarning` that a plan stores (and a saved plan holds) as its line of text.
WarningLine = Annotated[
    PlanWarning,
    PlainValidator(_warning),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]


def whole_plan(sentences: Iterable[str]) -> tuple[PlanWarning, ...]:
    """Warnings about the whole plan (no place) from their sentences."""
    return tuple(PlanWarning(s) for s in sentences)


__all__ = ["PlanWarning", "WarningLine", "whole_plan"]
