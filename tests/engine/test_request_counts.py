"""What a command asks of the API, counted: one token per command, every listing at its endpoint's largest page.

Counts, never times: the sandbox counts the requests it answered (``/__sandbox__/stats``,
token requests included), a recording transport shows the page size asked for.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from reconciler.app import RunOptions, client_for, with_concurrency
from reconciler.genesys import ClientLimits, GenesysClient, resolve_target
from reconciler.kinds import KINDS
from reconciler.sandbox import SandboxOptions, embedded_transport
from reconciler.sandbox.server import ServedSandbox, serve_in_thread

from ._support import REPO, requests_seen, served_cli

TOKEN = "POST /oauth/token"
#: whose org the token is (GET /api/v2/tokens/me): asked once per command, the plan and the apply sharing it
ORG = "GET /api/v2/tokens/me"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedSandbox]:
    with serve_in_thread(SandboxOptions(db_path=tmp_path / "served.db")) as sandbox:
        yield sandbox






def tokens_taken(url: str, root: Path, *args: str, exit_code: int = 0) -> int:
    """Tokens the command took; it must also have asked whose org it is once, and only once."""
    before = requests_seen(url)
    assert served_cli(url, root, *args).exit_code == exit_code
    after = requests_seen(url)
    assert after.get(ORG, 0) - before.get(ORG, 0) == 1, args
    return after.get(TOKEN, 0) - before.get(TOKEN, 0)


class TestOneTokenPerCommand:
    def test_plan_and_apply_each_take_one_token_and_ask_the_org_once(self, tmp_path: Path, served: ServedSandbox) -> None:
        shutil.copytree(REPO / "manifests", tmp_path / "manifests")
        audit = ("--audit-log", str(tmp_path / "audit.jsonl"))
        # planned and applied in one command: the plan's client carries on to apply
        assert tokens_taken(served.url, tmp_path, "apply", "manifests", "--auto-approve", *audit) == 1
        assert tokens_taken(served.url, tmp_path, "plan", "manifests", "--detailed-exitcode") == 1
        # a saved plan: applied with the one client apply opens
        source = tmp_path / "manifests" / "voice-profiles.yaml"
        source.write_text(source.read_text().replace("rate: 1.05", "rate: 1.5", 1))
        assert tokens_taken(served.url, tmp_path, "plan", "manifests", "--out", "saved.plan") == 1
        assert tokens_taken(served.url, tmp_path, "apply", "saved.plan", *audit) == 1
        assert tokens_taken(served.url, tmp_path, "drift", "manifests") == 1


def test_the_benchs_floor_reads_the_listings_the_sandbox_serves(tmp_path: Path, served: ServedSandbox) -> None:
    """bench/floor.py reads every listing as our plan does, for the floor to parse the same bytes: when the
    sandbox began refusing parameters a listing does not take, its data-action listing (sent the item read's
    ``expand=contract``) failed with 400 and issue 17's benchmark stopped; nothing in the suite ran it."""
    spec = importlib.util.spec_from_file_location("bench_floor", REPO / "bench" / "floor.py")
    assert spec is not None and spec.loader is not None
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    assert served_cli(served.url, tmp_path, "apply", "manifests", "--auto-approve", "--audit-log", str(tmp_path / "a.jsonl")).exit_code == 0
    pages = floor.save_listing(served.url, tmp_path / "listing")
    listed = sorted(p.name.split(".")[0] for p in (tmp_path / "listing").iterdir())
    assert pages == len(listed) and set(listed) == {k.name for k in KINDS if k.singleton is None}


class Recording(httpx.AsyncBaseTransport):
    """The embedded sandbox, with every request it was sent kept for the test to read."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)


def listed_with(tmp_path: Path, limits: ClientLimits) -> dict[str, list[httpx.URL]]:
    """The listing requests of one full read of every kind, by collection path."""
    recording = Recording(embedded_transport(SandboxOptions(db_path=tmp_path / "sandbox.db")))
    target = resolve_target(target="sandbox", sandbox_db=str(tmp_path / "sandbox.db"), env={})

    async def read_all() -> None:
        async with GenesysClient(target, transport=recording, limits=limits) as client:
            for kind in KINDS:
                if kind.singleton is None:
                    await client.list_all(kind)

    anyio.run(read_all)
    out: dict[str, list[httpx.URL]] = {}
    for request in recording.sent:
        if request.method == "GET":
            out.setdefault(request.url.path, []).append(request.url)
    return out


class TestListingPages:
    def test_each_kind_is_listed_at_its_endpoints_largest_page(self, tmp_path: Path) -> None:
        seen = listed_with(tmp_path, ClientLimits())
        listed = [kind for kind in KINDS if kind.singleton is None]
        for kind in listed:
            urls = seen[kind.listing_path]
            assert len(urls) == 1, kind.name  # an empty collection: one page
            assert urls[0].params["pageSize"] == str(kind.listing.page_size_max), kind.name
        sizes = {kind.name: kind.listing.page_size_max for kind in listed}
        assert sizes.get("SpeechTopic", 500) == 500  # the platform's topics listing takes 500
        assert sizes["ProcessAutomationTrigger"] == 200  # and triggers 200
        # credentials: the SDK's cursor listing (200 a page), not the deprecated page listing of the collection
        assert sizes["IntegrationCredential"] == 200 and "/api/v2/integrations/credentials" not in seen
        assert "/api/v2/integrations/credentials/listing" in seen

    def test_a_cap_on_the_page_size_still_applies(self, tmp_path: Path) -> None:
        seen = listed_with(tmp_path, ClientLimits(page_size=7))
        for kind in KINDS:
            if kind.singleton is None:
                assert seen[kind.listing_path][0].params["pageSize"] == "7", kind.name


class TestConcurrency:
    def test_concurrency_raises_the_clients_bound_never_lowers_it(self, tmp_path: Path) -> None:
        options = RunOptions(resolve_target(target="sandbox", sandbox_db=str(tmp_path / "x.db"), env={}))
        assert with_concurrency(options, 32).limits.max_concurrency == 32
        assert with_concurrency(options, 2).limits.max_concurrency == ClientLimits().max_concurrency
        assert client_for(with_concurrency(options, 16)).limits.max_concurrency == 16

