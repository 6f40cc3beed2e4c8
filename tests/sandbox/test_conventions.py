"""Conventions of every endpoint: correlation ids, the ErrorBody, unknown paths."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sandbox_data import assert_error, valid

from reconciler.kinds import (
    CONTRACT_KINDS as KINDS,  # the seed contract's conventions; tests/realkinds covers the platform kinds
)
from reconciler.sandbox.transport import EmbeddedTransport

pytestmark = pytest.mark.anyio


async def test_every_response_carries_a_fresh_correlation_id(api) -> None:
    kind = KINDS[0]
    stored = await api.create(kind.collection, valid(kind))
    responses = [
        await api.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                              auth=("sandbox", "sandbox-secret")),
        await api.client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("sandbox", "nope")),
        await api.get(kind.collection),
        await api.get(stored["selfUri"]),
        await api.put(stored["selfUri"], json=stored),
        await api.put(stored["selfUri"], json=stored),  # 409
        await api.post(kind.collection, json={}),  # 400
        await api.client.get(kind.collection),  # 401
        await api.delete(stored["selfUri"]),  # 204
        await api.get("/api/v2/nothing/here"),  # 404
        await api.request("PATCH", kind.collection),  # 405
        await api.client.get("/openapi.json"),
        await api.client.get("/__sandbox__/stats"),
    ]
    ids = [r.headers["ININ-Correlation-Id"] for r in responses]
    assert all(uuid.UUID(i).version == 4 for i in ids)
    assert len(set(ids)) == len(ids)
    assert {r.status_code for r in responses} >= {200, 204, 400, 401, 404, 405, 409}


async def test_unknown_paths_and_methods_answer_an_error_body(api) -> None:
    assert_error(await api.get("/api/v2/unknown"), 404, "not.found")
    assert_error(await api.get(KINDS[0].collection + "/"), 404, "not.found")  # no redirect for a stray slash
    response = await api.request("PATCH", KINDS[0].collection)
    assert_error(response, 405, "method.not.allowed")
    assert "GET" in response.headers["Allow"]


async def test_a_sandbox_bug_still_answers_a_500_error_body(sandbox_app, api) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("simulated bug")

    sandbox_app.sandbox.store.get = broken
    async with httpx.AsyncClient(transport=EmbeddedTransport(sandbox_app), base_url="http://sandbox.local") as client:
        response = await client.get(f"{KINDS[0].collection}/{uuid.uuid4()}", headers=api.headers)
    assert_error(response, 500, "internal.server.error")
    assert "simulated bug" not in response.text


async def test_error_messages_say_what_is_wrong(api) -> None:
    kind = KINDS[0]
    response = await api.post(kind.collection, json=valid(kind, name=""))
    assert response.json()["message"].startswith("The object is invalid: name:")
