"""Whose org the token is: ``GET /api/v2/tokens/me``, asked once per client and refused when it names no org."""

from __future__ import annotations

import anyio
import httpx
import pytest
import respx

from reconciler.core.errors import ServerError
from reconciler.genesys import GenesysClient, OrgIdentity

ME = "/api/v2/tokens/me"
ORG = {"id": "0b6c1b0e-3f54-4e53-9a8e-6d1f3e0c2a71", "name": "Example Corp Prod"}


@pytest.mark.anyio
async def test_the_org_is_asked_once_however_often_and_concurrently_it_is_wanted(
    client: GenesysClient, router: respx.MockRouter
) -> None:
    route = router.get(ME).mock(return_value=httpx.Response(200, json={"organization": ORG, "OAuthClient": {"id": "c"}}))
    found: list[OrgIdentity] = []

    async def ask() -> None:
        found.append(await client.org())

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(ask)
    assert found == [OrgIdentity(ORG["id"], ORG["name"])] * 5
    assert (await client.token_info())["OAuthClient"] == {"id": "c"}  # doctor's read: the same answer
    assert route.call_count == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "answer",
    [{}, {"organization": None}, {"organization": {"name": "No Id"}}, {"organization": {"id": ""}},
     {"organization": {"id": "a\nb"}}, {"organization": {"id": "x" * 500}}],
    ids=["absent", "null", "no-id", "empty-id", "control-character", "too-long"],
)
async def test_an_answer_naming_no_usable_org_is_the_servers_fault_named_with_its_request(
    client: GenesysClient, router: respx.MockRouter, answer: dict[str, object]
) -> None:
    router.get(ME).mock(return_value=httpx.Response(200, json=answer))
    with pytest.raises(ServerError, match=r"GET /api/v2/tokens/me .*organization"):
        await client.org()


@pytest.mark.anyio
async def test_a_name_is_optional_and_kept_to_one_line(client: GenesysClient, router: respx.MockRouter) -> None:
    router.get(ME).mock(return_value=httpx.Response(200, json={"organization": {"id": "o-1", "name": "Dev\n\x1b[31mX"}}))
    org = await client.org()
    assert org.id == "o-1" and org.name is not None and "\n" not in org.name and "\x1b" not in org.name
