"""What an export produces: manifests for live objects, and the secrets they stand in for.

Kept apart from how they are built and written, so the renderer and the writer depend
on the result alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from reconciler.kinds import KINDS
from reconciler.manifests.document import API_VERSION

#: live objects per kind name, as listed


@dataclass(frozen=True)
class SecretVariable:
    """An environment variable the user must set: it stands for a write-only value."""

    name: str
    kind: str
    object_name: str
    field: str
    file: PurePosixPath


@dataclass(frozen=True)
class ExportedObject:
    """One live object as a manifest: ``path`` is relative to the output directory."""

    kind: str
    name: str
    path: PurePosixPath
    spec: dict[str, Any]
    #: ``metadata.id``, written when several live objects of the kind share the name
    pinned_id: str | None = None

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"

    def document(self) -> dict[str, Any]:
        metadata = {"name": self.name} if self.pinned_id is None else {"name": self.name, "id": self.pinned_id}
        return {"apiVersion": API_VERSION, "kind": self.kind, "metadata": metadata, "spec": self.spec}


@dataclass(frozen=True)
class Export:
    """What an export writes, with the variables to set and what could not be exported faithfully."""

    objects: tuple[ExportedObject, ...]
    secrets: tuple[SecretVariable, ...]
    references: int
    notes: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        """Objects per kind, in the registry's order, kinds without objects left out."""
        out = {k.name: 0 for k in KINDS}
        for obj in self.objects:
            out[obj.kind] += 1
        return {k: n for k, n in out.items() if n}
