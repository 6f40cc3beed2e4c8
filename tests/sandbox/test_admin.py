"""The admin surface under /__sandbox__/: reset and request statistics."""

from __future__ import annotations

import pytest
from sandbox_data import valid

from reconciler.kinds import (
    CONTRACT_KINDS as KINDS,  # the seed contract's conventions; tests/realkinds covers the platform kinds
)

pytestmark = pytest.mark.anyio


async def test_stats_count_requests_per_method_and_path_template(api) -> None:
    kind = KINDS[0]
    first = await api.create(kind.collection, valid(kind, name="One"))
    second = await api.create(kind.collection, valid(kind, name="Two"))
    await api.get(first["selfUri"])
    await api.get(second["selfUri"])
    await api.get(kind.collection)
    await api.client.get(kind.collection)  # 401 is counted too
    stats = (await api.client.get("/__sandbox__/stats")).json()
    assert stats["requests"] == {
        "POST /oauth/token": 1,
        f"POST {kind.collection}": 2,
        f"GET {kind.collection}/{{id}}": 2,
        f"GET {kind.collection}": 2,
    }
    assert stats["total"] == 7
    assert stats["statuses"] == {"200": 6, "401": 1}
    assert stats["rateLimited"] == 0
    assert stats["faults"] == {"failed": 0, "dropped": 0}


async def test_admin_and_openapi_requests_are_not_counted(api) -> None:
    await api.client.get("/openapi.json")
    await api.client.get("/__sandbox__/stats")
    stats = (await api.client.get("/__sandbox__/stats")).json()
    assert stats["requests"] == {"POST /oauth/token": 1}


async def test_reset_forgets_objects_and_counts_but_keeps_tokens(api) -> None:
    for kind in KINDS:
        await api.create(kind.collection, valid(kind))
    response = await api.client.post("/__sandbox__/reset")
    assert response.status_code == 200
    assert (await api.client.get("/__sandbox__/stats")).json()["total"] == 0
    for kind in KINDS:
        listing = await api.get(kind.collection)
        assert listing.status_code == 200 and listing.json()["total"] == 0
