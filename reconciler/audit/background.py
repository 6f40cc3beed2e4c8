"""Forwarding off the writer's path: a :class:`~reconciler.audit.forward.Forwarder` on a daemon thread.

Why a module of its own: the forwarder's job is to deliver records in order and keep its
place; this one's is to keep that away from the run (appends never wait for HTTP) and to
bound what the run's end waits for, whatever the endpoint does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from reconciler.audit.forward import DeliveryResult, Forwarder
from reconciler.core.errors import ReconcilerError
from reconciler.core.secrets import scrub_remembered


class BackgroundForwarder:
    """Runs a :class:`Forwarder` on a daemon thread so that appends never wait for HTTP.

    ``notify()`` after each append wakes it; after a failed pass it rests ``cooldown``
    seconds (or until ``finish``) instead of hammering a down endpoint. ``finish()``
    stops the thread and makes one last, bounded, pass in the caller's thread.
    """

    def __init__(
        self,
        make_forwarder: Callable[[threading.Event], Forwarder],
        *,
        cooldown: float = 5.0,
    ) -> None:
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._forwarder = make_forwarder(self._stop)
        self._cooldown = cooldown
        self._delivered = 0
        self._last_error: str | None = None
        self._result: DeliveryResult | None = None
        self._thread = threading.Thread(target=self._loop, name="audit-forwarder", daemon=True)
        self._thread.start()
        self._wake.set()  # deliver any backlog from earlier runs straight away

    @property
    def endpoint(self) -> str:
        return self._forwarder.endpoint

    def notify(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                outcome = self._forwarder.deliver_pending(wait_for_lock=False)
            except Exception as exc:  # noqa: BLE001 - forwarding must never take the run down
                outcome = DeliveryResult(error=_failed(exc))
            self._delivered += outcome.delivered
            if outcome.error:
                self._last_error = outcome.error
                self._stop.wait(self._cooldown)

    def finish(self, timeout: float = 30.0) -> DeliveryResult:
        """Stop the thread, deliver what is left, report: within some ``2 * timeout`` s, whatever the endpoint does.

        Why: a request the endpoint keeps alive (an answer trickled, which no per-read timeout
        ends) holds the delivery lock; waiting on it hung the run for ever, deaf to SIGTERM.
        The final pass runs on a daemon thread; one still inside a request at the bound is left
        behind, and what it has not delivered is reported undelivered: the next run sends it.
        """
        if self._result is not None:
            return self._result
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        final_forwarder = self._forwarder
        final_forwarder.stop_event = None  # the final pass gets its full retry budget
        if self._thread.is_alive():
            final = self._unanswered(timeout)
        else:
            final = self._final_pass(timeout)
        self._result = DeliveryResult(
            delivered=self._delivered + final.delivered,
            undelivered=final.undelivered,
            error=final.error if final.undelivered else None,
        )
        return self._result

    def _final_pass(self, timeout: float) -> DeliveryResult:
        """The last delivery pass, on a daemon thread joined for at most ``timeout`` seconds."""
        outcome: list[DeliveryResult] = []

        def deliver() -> None:
            try:
                outcome.append(self._forwarder.deliver_pending(wait_for_lock=True))
            except Exception as exc:  # noqa: BLE001 - forwarding must never take the run down
                outcome.append(DeliveryResult(undelivered=self._pending_or_unknown(), error=_failed(exc)))

        final = threading.Thread(target=deliver, name="audit-forwarder-final", daemon=True)
        final.start()
        final.join(timeout)
        if not outcome:
            return self._unanswered(timeout)  # its client is left open: the request still uses it
        self._forwarder.close()
        return outcome[0]

    def _unanswered(self, timeout: float) -> DeliveryResult:
        """A pass still inside a request after ``timeout`` seconds: what is left is undelivered, sent next run."""
        late = f"the endpoint did not finish answering within {timeout:g} s"
        return DeliveryResult(undelivered=self._pending_or_unknown(), error=late)

    def _pending_or_unknown(self) -> int:
        try:
            return self._forwarder.count_pending()
        except Exception:  # noqa: BLE001 - only used to word a failure
            return -1


def _failed(exc: Exception) -> str:
    """What the run's summary says of a pass that raised: our own errors are written for the user (a
    symlinked log, a broken chain) and say what to do, so their text is kept (secrets cut out);
    anything else is a bug whose text may hold anything, so only its type is named."""
    if isinstance(exc, ReconcilerError):
        return f"forwarding failed: {scrub_remembered(str(exc))}"
    return f"forwarding failed: {type(exc).__name__}"
