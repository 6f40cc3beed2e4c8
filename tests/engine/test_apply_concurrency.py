"""``--concurrency N`` lets N writes be in flight at once, dependencies still first (issue 17).

Counts, never times: a transport in front of the embedded sandbox holds every create
until N of them are in flight at once (or, were the bound lower, for ever: the test's
deadline is a safety net against a hang, not a measurement).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import anyio
import httpx

from reconciler.app import RunOptions, apply, plan_paths, with_concurrency
from reconciler.app.connect import same_content
from reconciler.genesys import open_client, resolve_target
from reconciler.sandbox import SandboxOptions, embedded_transport
from tests.resilience._estate import HOOK_TOKEN_VAR, write_estate

CONCURRENCY = 16


class HeldCreates(httpx.AsyncBaseTransport):
    """Creates wait until ``wanted`` of them are in flight together; the peak is kept."""

    def __init__(self, inner: httpx.AsyncBaseTransport, wanted: int) -> None:
        self.inner, self.wanted = inner, wanted
        self.in_flight = self.peak = 0
        self.open = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or request.url.path.startswith("/oauth"):
            return await self.inner.handle_async_request(request)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.in_flight >= self.wanted:
                self.open.set()
            await self.open.wait()
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


def test_concurrency_16_has_16_writes_in_flight_and_dependencies_first(tmp_path: Path) -> None:
    estate = write_estate(tmp_path / "conc", 60)  # 20 voices, 20 rules, 20 webhooks (10 reference a rule)
    db = tmp_path / "sandbox.db"
    options = RunOptions(target=resolve_target(target="sandbox", sandbox_db=str(db), env={}))
    env = {HOOK_TOKEN_VAR: "not-a-real-secret-but-long-enough"}
    audit = tmp_path / "audit.jsonl"
    held = HeldCreates(embedded_transport(SandboxOptions(db_path=db)), CONCURRENCY)
    wide = with_concurrency(options, CONCURRENCY)
    limits = dataclasses.replace(wide.limits, requests_per_minute=1_000_000, rate_burst=1000)

    async def main() -> int:
        plan = (await plan_paths([str(estate.root)], options, env=env)).plan
        with anyio.fail_after(60):  # a hang (fewer than 16 in flight) fails instead of blocking the suite
            async with open_client(options.target, transport=held, same_content=same_content, limits=limits) as c:
                run = await apply(plan, wide, env=env, audit_log=audit, concurrency=CONCURRENCY, client=c)
        assert run.result.failed == 0
        return len(run.result.changes)

    assert anyio.run(main) == 60
    assert held.peak == CONCURRENCY

    # every webhook that references a rule was sent only after that rule's create was answered
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    intents = {r["seq"]: r for r in records if r["type"] == "intent"}
    answered = {intents[r["intent_seq"]]["name"]: i for i, r in enumerate(records) if r["type"] == "outcome"}
    sent = {r["name"]: i for i, r in enumerate(records) if r["type"] == "intent"}
    for i in range(0, estate.counts["Webhook"], 2):
        rule = f"{estate.tag} rule {i % estate.counts['SpeechRule']:05d}"
        assert answered[rule] < sent[f"{estate.tag} hook {i:05d}"]
