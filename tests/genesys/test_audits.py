"""The audit query client: polled on the session's sleep, and bounded in time and pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from reconciler.genesys import GenesysClient
from reconciler.genesys.audits import QUERY

from ._support import FakeSleep

pytestmark = pytest.mark.anyio

END = datetime(2024, 5, 8, tzinfo=UTC)
START = END - timedelta(days=7)


def _queued(router: respx.MockRouter) -> respx.Route:
    return router.post(QUERY).mock(return_value=httpx.Response(200, json={"id": "q1", "state": "Queued"}))


async def test_polls_until_succeeded_then_reads_every_page(
    client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    started = _queued(router)
    router.get(f"{QUERY}/q1").mock(side_effect=[httpx.Response(200, json={"id": "q1", "state": s})
                                                for s in ("Running", "Running", "Succeeded")])
    router.get(f"{QUERY}/q1/results").mock(side_effect=[
        httpx.Response(200, json={"id": "q1", "pageSize": 500, "cursor": "c2", "entities": [{"id": "m1"}]}),
        httpx.Response(200, json={"id": "q1", "pageSize": 500, "entities": [{"id": "m2"}]}),
    ])
    answer = await client.query_audits("Webhooks", START, END, filters=[("EntityType", "Webhook")])
    assert answer.complete and answer.state == "Succeeded"
    assert [m["id"] for m in answer.messages] == ["m1", "m2"]
    sent = started.calls.last.request.read()
    assert b'"interval":"2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z"' in sent
    assert b'"filters":[{"property":"EntityType","value":"Webhook"}]' in sent
    assert len(fake_sleep.positive) == 2  # one wait per Running answer, none after Succeeded


async def test_a_query_that_never_finishes_gives_up_after_the_timeout(
    client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    _queued(router)
    router.get(f"{QUERY}/q1").mock(return_value=httpx.Response(200, json={"id": "q1", "state": "Running"}))
    answer = await client.query_audits("Webhooks", START, END, timeout=30)
    assert not answer.complete and answer.state == "Running" and answer.messages == []
    assert 30 <= sum(fake_sleep.positive) < 40  # virtual time: the test took none of it


async def test_pages_are_capped(client: GenesysClient, router: respx.MockRouter) -> None:
    _queued(router)
    router.get(f"{QUERY}/q1").mock(return_value=httpx.Response(200, json={"id": "q1", "state": "Succeeded"}))
    results = router.get(f"{QUERY}/q1/results").mock(return_value=httpx.Response(
        200, json={"id": "q1", "pageSize": 500, "cursor": "more", "entities": [{"id": "m"}]}))
    answer = await client.query_audits("Webhooks", START, END, max_pages=3)
    assert not answer.complete and answer.state == "Succeeded" and len(answer.messages) == 3
    assert results.call_count == 3
