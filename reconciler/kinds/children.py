"""Which child writes bring a live child collection to the desired one (:class:`ChildCollection`).

Pure: the client reads the live children, asks :func:`child_writes` what to send, and sends
it. Children are matched by their key (a prompt resource's ``language``) and compared on the
collection's ``fields`` alone, ``None`` and absent alike, so the server's own fields of a
child (its id, media URI, upload status) never make a write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.kinds.conventions import ChildCollection


@dataclass(frozen=True)
class ChildWrites:
    """The writes of one sync, in the order they are sent: creates, updates, deletes."""

    create: list[dict[str, Any]] = field(default_factory=list)
    #: (key, body) of each changed child
    update: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.delete)


def child_fields(children: ChildCollection, child: Mapping[str, Any]) -> dict[str, Any]:
    """What a write sends of a child (and what is compared): its ``fields`` that are set."""
    return {k: child[k] for k in children.fields if child.get(k) is not None}


def child_writes(
    children: ChildCollection, desired: Iterable[Mapping[str, Any]], live: Iterable[Mapping[str, Any]]
) -> ChildWrites:
    """The creates, updates and deletes that turn ``live`` children into ``desired`` ones."""
    wanted = {str(c[children.key]): child_fields(children, c) for c in desired}
    present = {str(c[children.key]): child_fields(children, c) for c in live if c.get(children.key) is not None}
    writes = ChildWrites()
    for key, body in wanted.items():
        if key not in present:
            writes.create.append(body)
        elif present[key] != body:
            writes.update.append((key, body))
    writes.delete.extend(key for key in present if key not in wanted)
    return writes


__all__ = ["ChildWrites", "child_fields", "child_writes"]
