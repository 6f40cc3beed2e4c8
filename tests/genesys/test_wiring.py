"""What the client is given rather than builds: its transport, and the rule that recognises a lost write as ours."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
import respx

from reconciler.core.errors import DuplicateNameError
from reconciler.genesys import GenesysClient, Target, open_client, resolve_target

from ._support import FAST, VOICE, FakeSleep, envelope, error_body, stored, voice_body

COLLECTION = "/api/v2/voice/profiles"


def test_the_sandbox_target_needs_an_injected_transport() -> None:
    target = resolve_target(target="sandbox", env={})
    with pytest.raises(ValueError, match="needs its transport"):
        open_client(target)


def test_the_client_package_never_imports_the_sandbox() -> None:
    code = "import sys, reconciler.genesys; print(sorted(m for m in sys.modules if m.startswith('reconciler.sandbox')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.anyio
async def test_without_a_comparison_a_lost_create_is_never_adopted(
    target: Target, router: respx.MockRouter, token_route: respx.Route, fake_sleep: FakeSleep
) -> None:
    """Even an identical object is not taken for ours when the caller gave no rule to tell."""
    body = voice_body("Main")
    post = router.post(COLLECTION).mock(side_effect=httpx.RemoteProtocolError("closed"))
    router.get(COLLECTION).mock(
        return_value=httpx.Response(200, json=envelope([stored(body)], page=1, size=100, total=1))
    )
    async with GenesysClient(target, limits=FAST, sleep=fake_sleep, clock=fake_sleep.clock) as client:
        with pytest.raises(DuplicateNameError, match="not adopted"):
            await client.create(VOICE, body)
    assert post.call_count == 1


@pytest.mark.anyio
async def test_the_resend_after_a_401_is_paced_and_counted_like_any_request(
    client: GenesysClient, router: respx.MockRouter
) -> None:
    router.get(f"{COLLECTION}/x").mock(
        side_effect=[httpx.Response(401, json=error_body(401, "authentication.required")),
                     httpx.Response(200, json={"id": "x"})]
    )
    assert await client.get(VOICE, "x") == {"id": "x"}
    assert client.stats.requests[("GET", f"{COLLECTION}/{{id}}")] == 2
    assert client.stats.statuses[401] == 1 and client.stats.total_retries == 0
