"""Fixtures of the platform-kind tests: an authenticated in-process API client of the sandbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest


@dataclass
class Api:
    """An httpx client plus a bearer token: ``await api.post(path, json=...)``."""

    client: httpx.AsyncClient
    token: str

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def create(self, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.post(collection, json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
async def api(sandbox_client: httpx.AsyncClient, token: Callable[..., Awaitable[str]]) -> Api:
    return Api(sandbox_client, await token(sandbox_client))
