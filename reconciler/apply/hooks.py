"""Post-write hooks: each kind's follow-up call (e.g. the TTS cache refresh), once per apply.

A hook runs after the last write, and only if a write of a kind that declares it
succeeded; a failed hook is reported but fails no change (the objects were written).
"""

from __future__ import annotations

from collections.abc import Set

from reconciler.apply.steps import HookStep
from reconciler.apply.writer import Answer, AuditedWriter, Request, nothing_stored
from reconciler.core.errors import ApiError, AuditError


async def run_hook(step: HookStep, written_kinds: Set[str], writer: AuditedWriter) -> str | None:
    """Call the hook if one of its kinds was written; the line for the apply report, else ``None``."""
    if not any(name in written_kinds for name in step.kinds):
        return None
    hook = step.hook
    request = Request(action="hook", method=hook.method, path=hook.path, changes=[])

    async def call() -> Answer:
        return await writer.client.call_hook(hook)

    try:
        await writer.send(request, call, nothing_stored)
    except ApiError as exc:
        return f"{hook.description}: failed: {exc}"
    except AuditError as exc:  # not audited, so not called; the next run still owes it
        return f"{hook.description}: not called: {exc}"
    return hook.description


__all__ = ["run_hook"]
