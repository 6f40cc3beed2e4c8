"""The moment a request goes out: a hook set by whoever must record it, run by the session.

Why: the audit intent of a write must be written when its request is about to be sent,
after the request has its concurrency slot and rate turn, not before it queues for
them; otherwise, with every slot busy, the intent's fsync and the queueing add up and
the audited latency doubles (issue 17). The writer (``apply``) and the session
(``genesys``) do not import each other, so they meet here: the writer sets a hook for
its task (a context variable, so writes in flight each see their own), the session
runs it once the slot and turn are taken. Only the first run does anything: retries
and the look-ups of lost-answer recovery belong to the same intent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar

Hook = Callable[[], Awaitable[None]]

_HOOK: ContextVar[Hook | None] = ContextVar("reconciler_before_send", default=None)


class _Hooked:
    """The block of :func:`before_send` (a plain class: every write enters one, and a generator costs more)."""

    __slots__ = ("_hook", "_token")

    def __init__(self, hook: Hook) -> None:
        self._hook = hook

    def __enter__(self) -> None:
        self._token = _HOOK.set(self._hook)

    def __exit__(self, *exc_info: object) -> None:
        _HOOK.reset(self._token)


def before_send(hook: Hook) -> AbstractContextManager[None]:
    """Within this block (this task and the tasks it starts), ``hook`` runs as a request goes out."""
    return _Hooked(hook)


async def going_out() -> None:
    """Called by the session with the slot and turn taken, just before the request is sent."""
    hook = _HOOK.get()
    if hook is not None:
        await hook()
