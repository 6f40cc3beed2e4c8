"""The client against the real sandbox: in-process (fast) and served under uvicorn with faults (slow).

Acceptance of issue 4: with drops, failures, a tight rate limit and short-lived tokens,
creating 200 objects ends with exactly 200, no duplicates, and a second apply writes
nothing. The served case runs twenty times faster than the issue's figures (120 a minute,
five-second tokens): the sandbox's rate-limit window is three seconds instead of sixty and
the client's pace and backoff are scaled along, so the same ratio of pace to limit, the
same faults and more token renewals happen in a twentieth of the time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from reconciler.app import RunOptions, client_for, same_content
from reconciler.core.errors import DuplicateNameError, VersionMismatchError
from reconciler.genesys import ClientLimits, GenesysClient, resolve_target
from reconciler.kinds import (
    CONTRACT_KINDS as KINDS,  # the seed contract's conventions; tests/realkinds covers the platform kinds
)
from reconciler.kinds import Kind
from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxOptions

from ._bodies import VOICE, body_for

pytestmark = pytest.mark.anyio

#: how much faster than the issue's real-time figures the served fault case runs
SPEEDUP = 20
QUICK = ClientLimits(requests_per_minute=60_000, rate_burst=100, backoff_initial=0.01, backoff_max=0.1)


async def apply_all(client: GenesysClient, wanted: list[tuple[Kind, dict[str, Any]]]) -> int:
    """A minimal apply: create what is missing, concurrently; returns how many creates it issued.

    Objects already present with the same content are left alone (the engine's job in
    full; here just enough to show a second run writes nothing).
    """
    live: dict[tuple[str, str], dict[str, Any]] = {}
    for kind in KINDS:
        for obj in await client.list_all(kind):
            live[(kind.name, obj["name"].casefold())] = obj
    todo = [(k, b) for k, b in wanted if (k.name, b["name"].casefold()) not in live]
    for kind, body in wanted:
        existing = live.get((kind.name, body["name"].casefold()))
        assert existing is None or kind.essence(existing) == kind.essence(body)
    async with anyio.create_task_group() as tg:
        for kind, body in todo:
            tg.start_soon(client.create, kind, body)
    return len(todo)


async def assert_exactly(client: GenesysClient, wanted: list[tuple[Kind, dict[str, Any]]]) -> None:
    for kind in KINDS:
        mine = {b["name"]: b for k, b in wanted if k is kind}
        listed = await client.list_all(kind)
        names = [o["name"] for o in listed]
        assert len(names) == len(set(n.casefold() for n in names)), f"duplicate {kind.name} names"
        assert sorted(names) == sorted(mine)
        for obj in listed:
            assert kind.essence(obj) == kind.essence(mine[obj["name"]])


class TestEmbeddedSandbox:
    async def test_faulty_creates_end_with_each_object_once(self, tmp_path: Path) -> None:
        target = resolve_target(target="sandbox", sandbox_db=tmp_path / "s.db", env={})
        options = SandboxOptions(db_path=tmp_path / "s.db", drop_rate=0.3, fail_rate=0.2, seed=11, rate_limit=0)
        wanted = [body_for(i) for i in range(45)]
        async with client_for(RunOptions(target, QUICK, options)) as client:
            assert await apply_all(client, wanted) == 45
            await assert_exactly(client, wanted)
            writes = client.stats.writes
            assert await apply_all(client, wanted) == 0
            assert client.stats.writes == writes
        assert client.stats.adopted > 0  # drops happened and were adopted, not recreated

    async def test_stale_update_is_a_version_mismatch_and_not_forced(self, tmp_path: Path) -> None:
        target = resolve_target(target="sandbox", sandbox_db=tmp_path / "s.db", env={})
        async with client_for(RunOptions(target, QUICK)) as client:
            kind, body = body_for(0)
            created = (await client.create(kind, body)).object
            assert created is not None
            moved = await client.update(kind, created["id"], {**body, "pitch": 1.0}, created["version"])
            assert moved.object is not None and moved.object["version"] == created["version"] + 1
            with pytest.raises(VersionMismatchError) as info:
                await client.update(kind, created["id"], {**body, "pitch": 2.0}, created["version"])
            assert info.value.status == 409 and info.value.correlation_id
            live = await client.get(kind, created["id"])
            assert live["pitch"] == 1.0

    async def test_duplicate_name_on_first_attempt(self, tmp_path: Path) -> None:
        target = resolve_target(target="sandbox", sandbox_db=tmp_path / "s.db", env={})
        async with client_for(RunOptions(target, QUICK)) as client:
            kind, body = body_for(0)
            await client.create(kind, body)
            with pytest.raises(DuplicateNameError):
                await client.create(kind, {**body, "name": body["name"].upper(), "pitch": 3.0})

    async def test_state_lives_in_the_target_db_whatever_the_options_say(self, tmp_path: Path) -> None:
        target = resolve_target(target="sandbox", sandbox_db=tmp_path / "target.db", env={})
        options = SandboxOptions(db_path=tmp_path / "options.db")
        async with client_for(RunOptions(target, QUICK, options)) as client:
            await client.create(*body_for(0))
        assert (tmp_path / "target.db").exists()
        assert not (tmp_path / "options.db").exists()
        async with client_for(RunOptions(target, QUICK)) as again:  # a later run sees the same state
            assert len(await again.list_all(VOICE)) == 1

    async def test_hook_and_delete(self, tmp_path: Path) -> None:
        target = resolve_target(target="sandbox", sandbox_db=tmp_path / "s.db", env={})
        async with client_for(RunOptions(target, QUICK)) as client:
            kind, body = body_for(0)
            created = (await client.create(kind, body)).object
            assert created is not None and VOICE.after_write is not None
            assert (await client.call_hook(VOICE.after_write)).status == 202
            assert (await client.delete(kind, created["id"])).status == 204
            assert await client.find_by_name(kind, body["name"]) is None


@pytest.mark.slow
@pytest.mark.timeout(150)
class TestServedSandboxUnderFaults:
    async def test_200_creates_exactly_200_and_a_second_apply_writes_nothing(
        self, served_sandbox: Callable[..., Any]
    ) -> None:
        # 120 requests per 3-second window: the 120 a minute, on a clock twenty times faster.
        served = served_sandbox(drop_rate=0.2, fail_rate=0.1, rate_limit=120, rate_window=60.0 / SPEEDUP, token_ttl=2,
                                seed=20240)
        target = resolve_target(
            api_url=served.url, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, env={}
        )
        # Pace below the sandbox's 120 a window (rate + burst stays under it in any window): 114 a window.
        limits = ClientLimits(requests_per_minute=114 * SPEEDUP, rate_burst=4, max_concurrency=8, max_attempts=8,
                              backoff_initial=0.2 / SPEEDUP, backoff_max=2.0 / SPEEDUP, timeout=10.0)
        wanted = [body_for(i) for i in range(200)]
        with anyio.fail_after(120):
            async with GenesysClient(target, same_content=same_content, limits=limits) as client:
                assert await apply_all(client, wanted) == 200
                await assert_exactly(client, wanted)
                writes = client.stats.writes
                assert await apply_all(client, wanted) == 0
                assert client.stats.writes == writes
            async with httpx.AsyncClient(base_url=served.url) as admin:
                server = (await admin.get("/__sandbox__/stats")).json()
        assert server["faults"]["dropped"] > 0 and server["faults"]["failed"] > 0
        assert client.stats.adopted == server["faults"]["dropped"]  # every lost create adopted, none recreated
        assert client.stats.token_fetches > 1  # two-second tokens were renewed along the way
        print("\nclient:", client.stats.summary(), "\nsandbox:", server)
