"""Identities shared by every stage: where a value was written, and which object it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import FrozenInstanceError, dataclass
from typing import TypeAlias

_set = object.__setattr__

Revision: TypeAlias = int | str
"""What a kind compares to tell whether an object moved: its ``version`` number, or, for kinds
without versions (speech topics), its ``dateModified`` ISO timestamp (``Kind.revision``)."""


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """Where something was written. Slotted: every declared object keeps one (its ``source``),
    and an instance dict weighed more than the three fields."""

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


class ObjectKey:
    """Identity of an object: its kind and its name compared case-insensitively.

    The folded form and its hash are computed once, when the key is made: keys are hashed
    and compared in every dict and set of a plan (about 600,000 times at 10,000 objects),
    and ``casefold`` on each of those was a measurable share of a plan's CPU. A plain
    class with ``__slots__`` rather than a frozen dataclass: a plan makes tens of thousands
    of keys, and the dataclass's ``object.__setattr__`` per field made each cost twice as
    much (2.4 vs 1.2 us). It behaves as the dataclass did: immutable, equal and hashed by
    its folded form, ``ObjectKey(kind=..., name=...)`` as its repr.
    """

    __slots__ = ("kind", "name", "folded", "_hash")
    kind: str
    name: str
    folded: tuple[str, str]
    _hash: int

    def __init__(self, kind: str, name: str) -> None:
        casefolded = name.casefold()
        # most names are already folded: keep the one string, not an equal copy per key
        folded = (kind, name if casefolded == name else casefolded)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "folded", folded)
        _set(self, "_hash", hash(folded))

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type[ObjectKey], tuple[str, str]]:
        # copy and pickle rebuild through __init__: the slots cannot be set one by one
        return (ObjectKey, (self.kind, self.name))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectKey) and self.folded == other.folded

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"ObjectKey(kind={self.kind!r}, name={self.name!r})"

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"

    @classmethod
    def parse(cls, address: str) -> ObjectKey:
        """The key written as ``Kind/Name`` (the form plans and messages use); the name may hold ``/``."""
        kind, sep, name = address.partition("/")
        if not (kind and sep and name):
            raise ValueError(f"{address!r} is not an object address; expected Kind/Name")
        return cls(kind, name)


#: objects named by :func:`some_of`; the rest are counted (a speech rule may be referenced by thousands of webhooks)
MAX_NAMED = 3


def some_of(addresses: Sequence[object]) -> str:
    """``Webhook/A, Webhook/B`` or ``Webhook/A, Webhook/B, Webhook/C and 197 more``: a list of objects kept one line."""
    named = ", ".join(str(a) for a in addresses[:MAX_NAMED])
    return named + (f" and {len(addresses) - MAX_NAMED} more" if len(addresses) > MAX_NAMED else "")
