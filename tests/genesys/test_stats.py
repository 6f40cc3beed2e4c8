"""Counters: requests by method and path template, retries by reason, waits; a summary without secrets."""

from __future__ import annotations

import httpx
import pytest
import respx

from reconciler.genesys import ClientStats, GenesysClient

from ._support import CLIENT_SECRET, TOKEN, VOICE, envelope, error_body, stored, voice_body

pytestmark = pytest.mark.anyio


class TestCounters:
    async def test_requests_retries_and_waits_are_counted(self, client: GenesysClient,
                                                          router: respx.MockRouter) -> None:
        body = voice_body("Main")
        router.get("/api/v2/voice/profiles").mock(
            return_value=httpx.Response(200, json=envelope([], page=1, size=100, total=0))
        )
        router.post("/api/v2/voice/profiles").mock(
            side_effect=[httpx.Response(429, json=error_body(429, "too.many.requests"), headers={"Retry-After": "2"}),
                         httpx.Response(200, json=stored(body))]
        )
        router.put("/api/v2/voice/profiles/id-1").mock(return_value=httpx.Response(200, json=stored(body, version=2)))
        await client.list_all(VOICE)
        await client.create(VOICE, body)
        await client.update(VOICE, "id-1", body, 1)
        stats = client.stats
        assert stats.requests == {
            ("GET", "/api/v2/voice/profiles"): 1,
            ("POST", "/api/v2/voice/profiles"): 2,
            ("PUT", "/api/v2/voice/profiles/{id}"): 1,
        }
        assert stats.writes == 3
        assert stats.total_requests == 4
        assert stats.retries == {"too.many.requests": 1}
        assert stats.wait_counts["retry-after"] == 1 and 2.0 <= stats.wait_seconds["retry-after"] <= 2.3
        assert stats.rate_limited == 1
        assert stats.token_fetches == 1
        assert stats.statuses[200] == 4 and stats.statuses[429] == 1  # the token answer included

    async def test_summary_names_endpoints_and_never_a_secret(self, client: GenesysClient,
                                                              router: respx.MockRouter) -> None:
        router.get("/api/v2/voice/profiles/id-1").mock(
            side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"id": "id-1"})]
        )
        await client.get(VOICE, "id-1")
        text = client.stats.summary()
        assert "2 requests (0 writes)" in text
        assert "1 retries: timeout 1" in text
        assert "GET    /api/v2/voice/profiles/{id}  2" in text
        assert TOKEN not in text and CLIENT_SECRET not in text
        assert client.stats.as_dict()["requests"] == {"GET /api/v2/voice/profiles/{id}": 2}

    async def test_a_lost_update_found_landed_is_not_called_a_create(self, client: GenesysClient,
                                                                    router: respx.MockRouter) -> None:
        body = voice_body("Main")
        router.put("/api/v2/voice/profiles/id-1").mock(side_effect=httpx.RemoteProtocolError("closed"))
        router.get("/api/v2/voice/profiles/id-1").mock(return_value=httpx.Response(200, json=stored(body, version=2)))
        assert (await client.update(VOICE, "id-1", body, 1)).adopted
        text = client.stats.summary()
        assert "1 lost write(s) found landed and adopted" in text and "create" not in text

    def test_empty_summary(self) -> None:
        assert ClientStats().summary().startswith("0 requests (0 writes)")


class TestQueries:
    async def test_an_audit_query_is_a_read_not_a_write(self, client: GenesysClient, router: respx.MockRouter) -> None:
        """``drift --verbose`` said "(4 writes)" for a read-only run: each audit query's POST was counted a write."""
        from datetime import UTC, datetime, timedelta

        from reconciler.genesys.audits import QUERY

        router.post(QUERY).mock(return_value=httpx.Response(200, json={"id": "q1", "state": "Succeeded"}))
        router.get(f"{QUERY}/q1/results").mock(return_value=httpx.Response(200, json={"entities": []}))
        end = datetime(2024, 5, 8, tzinfo=UTC)
        await client.query_audits("Webhooks", end - timedelta(days=7), end)
        stats = client.stats
        assert stats.writes == 0 and stats.queries == 1
        assert stats.summary().startswith("2 requests (0 writes, 1 query)")
        assert stats.as_dict()["writes"] == 0 and stats.as_dict()["queries"] == 1
