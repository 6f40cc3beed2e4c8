"""Stopping an apply part-way on request (SIGINT, SIGTERM) without losing track of a write.

Once stop is requested no further write starts; writes in flight get ``grace`` seconds
to answer (their outcomes are recorded as usual), then they are cancelled: their intents
stay open in the audit trail, and the next run settles them. A second request ends the
grace at once.
"""

from __future__ import annotations

import signal

import anyio

#: how long writes in flight may take to answer once a stop is requested
GRACE_SECONDS = 10.0
#: the shell's convention: 128 + the signal's number
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Stop:
    """A request to stop starting writes, and (on a second request) to stop waiting."""

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.grace = grace
        self.requested = anyio.Event()
        self.hurry = anyio.Event()
        self.signum: int | None = None

    def request(self, signum: int = signal.SIGINT) -> None:
        if self.requested.is_set():
            self.hurry.set()
            return
        self.signum = signum
        self.requested.set()

    @property
    def stopping(self) -> bool:
        return self.requested.is_set()

    @property
    def why(self) -> str:
        """``SIGINT`` or ``SIGTERM``, for messages."""
        return signal.Signals(self.signum).name if self.signum is not None else "a stop request"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(signal.Signals(self.signum), 1) if self.signum is not None else 1

    async def wait_then_cancel(self, scope: anyio.CancelScope) -> None:
        """After a request, give writes in flight their grace, then cancel ``scope``."""
        await self.requested.wait()
        with anyio.move_on_after(self.grace):
            await self.hurry.wait()
        scope.cancel()

    async def listen(self) -> None:
        """Turn SIGINT and SIGTERM into requests (main thread only; run it in a task group)."""
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                self.request(signum)


__all__ = ["EXIT_CODES", "GRACE_SECONDS", "Stop"]
