"""Identities shared by every stage: where a value was written, and which object it is."""

from __future__ import annotations

from dataclasses import dataclass
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
    """Identity of an object: its kind and its name compared case-insensitively."""

    kind: str
    name: str

    @property
    def folded(self) -> tuple[str, str]:
        return (self.kind, self.name.casefold())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectKey) and self.folded == other.folded

    def __hash__(self) -> int:
        return hash(self.folded)

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"

    @classmethod
    def parse(cls, address: str) -> ObjectKey:
        """The key written as ``Kind/Name`` (the form plans and messages use); the name may hold ``/``."""
        kind, sep, name = address.partition("/")
        if not (kind and sep and name):
            raise ValueError(f"{address!r} is not an object address; expected Kind/Name")
        return cls(kind, name)
