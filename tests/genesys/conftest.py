"""Fixtures for the HTTP-layer unit tests: a respx router on a loopback base URL, a fake sleep.

Nothing here leaves the process: respx answers every request, and an unmocked one fails.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from reconciler.app import same_content
from reconciler.genesys import GenesysClient, Target

from ._support import API, CLIENT_ID, CLIENT_SECRET, FAST, TOKEN, FakeSleep


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def target() -> Target:
    return Target(kind="genesys", api_url=API, login_url=API, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
def token_route(router: respx.MockRouter) -> respx.Route:
    return router.post("/oauth/token").mock(
        return_value=httpx.Response(200, json={"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400})
    )


@pytest.fixture
async def client(target: Target, token_route: respx.Route, fake_sleep: FakeSleep) -> AsyncIterator[GenesysClient]:
    async with GenesysClient(
        target, same_content=same_content, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock, rng=random.Random(7)
    ) as c:
        yield c
