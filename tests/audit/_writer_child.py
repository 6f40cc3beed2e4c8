"""A child process for the SIGKILL tests: it writes audit records the way apply does.

``driven`` mode obeys stdin (``intent`` / ``outcome SEQ``) and reports each step on stdout,
so the parent knows exactly which writes are in flight when it kills it. ``free`` mode
runs ``CONCURRENCY`` anyio workers, each looping intent → simulated request → outcome,
until it is killed.

stdout protocol: ``READY``, ``SENT <seq>`` after an intent is on disk (the request may
now be sent), ``DONE <seq>`` after its outcome is on disk.
"""

from __future__ import annotations

import random
import sys

import anyio

from reconciler.audit.source import Source
from reconciler.audit.trail import AuditTrail

CONCURRENCY = 4


def _intent(trail: AuditTrail, n: int) -> int:
    return trail.intent(
        kind="VoiceProfile",
        name=f"Voice {n}",
        object_id=None,
        action="create",
        changes=[{"path": "rate", "before": None, "after": 1.0 + n / 1000}],
        method="POST",
        path="/api/v2/voice/profiles",
    )


def _outcome(trail: AuditTrail, seq: int) -> None:
    trail.outcome(intent_seq=seq, outcome="success", status=200, correlation_id=f"c-{seq}", latency_ms=1.0,
                  object_id=f"id-{seq}", version=1)


def driven(trail: AuditTrail) -> None:
    n = 0
    for line in sys.stdin:
        command = line.split()
        if command[0] == "intent":
            n += 1
            print(f"SENT {_intent(trail, n)}", flush=True)
        elif command[0] == "outcome":
            seq = int(command[1])
            _outcome(trail, seq)
            print(f"DONE {seq}", flush=True)


async def free(trail: AuditTrail) -> None:
    counter = iter(range(10**9))

    async def worker() -> None:
        while True:
            seq = _intent(trail, next(counter))
            print(f"SENT {seq}", flush=True)
            await anyio.sleep(random.uniform(0, 0.002))
            _outcome(trail, seq)
            print(f"DONE {seq}", flush=True)

    async with anyio.create_task_group() as group:
        for _ in range(CONCURRENCY):
            group.start_soon(worker)


def main() -> None:
    mode, log, run_id = sys.argv[1:4]
    trail = AuditTrail.open(log, target="sandbox:kill", source=Source(actor="child"))
    trail.run_started(run_id, {"create": 1})
    print("READY", flush=True)
    if mode == "driven":
        driven(trail)
    else:
        anyio.run(free, trail)


if __name__ == "__main__":
    main()
