"""Identities shared by every stage: where a value was written, and which object it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

Revision: TypeAlias = int | str
"""What a kind compares to tell whether an object moved: its ``version`` number, or, for kinds
without versions (speech topics), its ``dateModified`` ISO timestamp (``Kind.revision``)."""


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        out = self.file
        if self.line is not None:
            out += f":{self.line}"
            if self.column is not None:
                out += f":{self.column}"
        return out


@dataclass(frozen=True)
class ObjectKey:
    """Identity of an object: its kind and its name compared case-insensitively.

    The folded form is computed once, when the key is made: keys are hashed and compared
    in every dict and set of a plan (about 600,000 times at 10,000 objects), and
    ``casefold`` on each of those was a measurable share of a plan's CPU.
    """

    kind: str
    name: str
    folded: tuple[str, str] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded = (self.kind, self.name.casefold())
        object.__setattr__(self, "folded", folded)
        object.__setattr__(self, "_hash", hash(folded))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectKey) and self.folded == other.folded

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"

    @classmethod
    def parse(cls, address: str) -> ObjectKey:
        """The key written as ``Kind/Name`` (the form plans and messages use); the name may hold ``/``."""
        kind, sep, name = address.partition("/")
        if not (kind and sep and name):
            raise ValueError(f"{address!r} is not an object address; expected Kind/Name")
        return cls(kind, name)
