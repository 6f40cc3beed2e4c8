"""Plan-time checks against the org's reference data (``Kind.live_checks``).

Some rules cannot be checked offline: whether the TTS engine a manifest names exists
in *this* org, and offers that voice for that language. Before planning, each
reference listing the declared kinds need is read once (read-only, paced like every
call), each declared object of those kinds is checked against it, and every broken
rule comes back as a :class:`~reconciler.core.errors.ManifestIssue` located at the field
in its file, exactly like an offline validation error. Values that came from the
environment never appear in a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import anyio

from reconciler.core.errors import ManifestIssue
from reconciler.core.jsonpath import format_path
from reconciler.core.keys import Location
from reconciler.kinds import REGISTRY, ReferenceRead
from reconciler.manifests.desired import DesiredObject, resolve


class ReferenceReader(Protocol):
    """What the checks need of a client: one read-only listing (the client paces it)."""

    async def list_reference(self, read: ReferenceRead) -> list[dict[str, Any]]: ...


async def live_check_issues(
    objects: Sequence[DesiredObject], client: ReferenceReader, env: Mapping[str, str]
) -> list[ManifestIssue]:
    """Every live-check rule the declared objects break (no request when no kind has live checks)."""
    checked = [obj for obj in objects if REGISTRY[obj.kind].live_checks]
    if not checked:
        return []
    reads = {read.key: read for obj in checked for check in REGISTRY[obj.kind].live_checks for read in check.reads}
    context: dict[str, list[dict[str, Any]]] = {}

    async def list_one(read: ReferenceRead) -> None:
        context[read.key] = await client.list_reference(read)

    try:
        async with anyio.create_task_group() as group:  # all listings at once; a failure cancels the rest
            for read in reads.values():
                group.start_soon(list_one, read)
    except BaseExceptionGroup as failed:
        # The caller handles a client error (permission, not found) as such, not as a group.
        raise failed.exceptions[0] from None
    issues: list[ManifestIssue] = []
    for obj in checked:
        issues.extend(_object_issues(obj, context, env))
    return issues


def _object_issues(
    obj: DesiredObject, context: Mapping[str, list[dict[str, Any]]], env: Mapping[str, str]
) -> list[ManifestIssue]:
    kind = REGISTRY[obj.kind]
    resolution = resolve(dict(obj.spec), env, lambda key, field: None, templated=kind.templated)
    if resolution.unknown:
        return []  # a value known only after apply: the server will judge it
    model, _ = kind.validate_spec(resolution.value)
    if model is None:  # pragma: no cover - the loader validated the spec already
        return []
    secrets = sorted({env[name] for name in obj.env_names if env.get(name)}, key=len, reverse=True)
    out = []
    for check in kind.live_checks:
        for issue in check.check(model, context):
            message = issue.message
            for value in secrets:
                message = message.replace(value, "(sensitive)")
            where = _location(obj, issue.loc)
            out.append(ManifestIssue(where.file, where.line, where.column, f"spec.{issue.path}", message))
    return out


def _location(obj: DesiredObject, loc: tuple[str | int, ...]) -> Location:
    """Where a field is written, else its closest written parent, else the object's name."""
    for end in range(len(loc), 0, -1):
        found = obj.locations.get(format_path(loc[:end]))
        if found is not None:
            return found
    return obj.source


__all__ = ["live_check_issues"]
