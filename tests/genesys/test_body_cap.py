"""An answer's body is read streaming and refused once it decodes past ``ClientLimits.max_body_bytes``.

The bodies here are gzip streams made as they are read (respx pre-reads only its own
``ByteStream``), so a test sees how much of a body the client pulled before refusing it.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import AsyncIterator

import httpx
import httpx._client
import httpx._decoders
import pytest
import respx

from reconciler.core.errors import ServerError
from reconciler.genesys import ClientLimits, GenesysClient, Target

from ._support import FAST, VOICE, FakeSleep

pytestmark = pytest.mark.anyio

MIB = 1024 * 1024


class GzipBomb(httpx.AsyncByteStream):
    """A gzip body of valid JSON (``{"entities": [], "pad": "aaaa…"}``) decoding to ``mib`` MiB, one MiB a chunk."""

    def __init__(self, mib: int) -> None:
        self.mib = mib
        self.pulled = 0  # MiB of the decoded body whose gzip the client asked for

    async def __aiter__(self) -> AsyncIterator[bytes]:
        gzip = zlib.compressobj(1, zlib.DEFLATED, 31)
        yield gzip.compress(b'{"entities": [], "pad": "') + gzip.flush(zlib.Z_SYNC_FLUSH)
        block = b"a" * MIB
        for _ in range(self.mib):
            self.pulled += 1
            yield gzip.compress(block) + gzip.flush(zlib.Z_SYNC_FLUSH)
        yield gzip.compress(b'"}') + gzip.flush()


def gzipped(stream: httpx.AsyncByteStream, status: int = 200, encoding: str = "gzip") -> httpx.Response:
    headers = {"Content-Type": "application/json", "Content-Encoding": encoding, "ININ-Correlation-Id": "c-bomb"}
    return httpx.Response(status, headers=headers, stream=stream)


class Chunks(httpx.AsyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk


def client_with(target: Target, fake_sleep: FakeSleep, limits: ClientLimits = FAST) -> GenesysClient:
    return GenesysClient(target, limits=limits, sleep=fake_sleep, clock=fake_sleep.clock)


async def test_a_gzip_bomb_is_refused_at_the_default_cap_before_it_is_inflated(
    target: Target, token_route: respx.Route, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """256 MiB once inflated (from about 1 MB of gzip): refused at 64 MiB, the rest never read."""
    assert ClientLimits().max_body_bytes == 64 * MIB
    bombs: list[GzipBomb] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bombs.append(GzipBomb(256))
        return gzipped(bombs[-1])

    router.get(VOICE.collection).mock(side_effect=answer)
    async with client_with(target, fake_sleep, dataclasses.replace(FAST, max_body_bytes=ClientLimits().max_body_bytes)) as client:
        with pytest.raises(ServerError) as info:
            await client.list_all(VOICE)
    assert str(info.value) == (
        "GET /api/v2/voice/profiles failed: HTTP 200 invalid.response: the answer is larger than 64 MiB decoded "
        "(ClientLimits.max_body_bytes) [correlation id: c-bomb]"
    )
    assert len(bombs) == 1, "the same answer is not asked for again"
    assert bombs[0].pulled <= 65, f"read {bombs[0].pulled} MiB of 256 before refusing"


async def test_the_cap_is_a_setting(
    target: Target, token_route: respx.Route, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    bomb = GzipBomb(16)
    router.get(VOICE.collection).mock(side_effect=lambda request: gzipped(bomb))
    async with client_with(target, fake_sleep, dataclasses.replace(FAST, max_body_bytes=2 * MIB)) as client:
        with pytest.raises(ServerError, match=r"the answer is larger than 2 MiB decoded \(ClientLimits.max_body_bytes\)"):
            await client.list_all(VOICE)
    assert bomb.pulled <= 3


async def test_an_answer_within_the_cap_is_read_whole(
    target: Target, token_route: respx.Route, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """The boundary: a body of exactly the cap is an answer, one byte more is refused."""
    body = b'{"entities": [{"id": "a", "name": "b"}], "pad": "' + b"x" * 300 + b'"}'  # longer than the token answer
    gzip = zlib.compressobj(9, zlib.DEFLATED, 31)
    packed = gzip.compress(body) + gzip.flush()
    router.get(VOICE.collection).mock(side_effect=lambda request: gzipped(Chunks(packed[:10], packed[10:])))
    async with client_with(target, fake_sleep, dataclasses.replace(FAST, max_body_bytes=len(body))) as client:
        assert await client.list_all(VOICE) == [{"id": "a", "name": "b"}]
    async with client_with(target, fake_sleep, dataclasses.replace(FAST, max_body_bytes=len(body) - 1)) as client:
        with pytest.raises(ServerError, match=f"larger than {len(body) - 1} bytes decoded"):
            await client.list_all(VOICE)


async def test_a_token_answer_is_capped_too(target: Target, router: respx.MockRouter, fake_sleep: FakeSleep) -> None:
    bombs: list[GzipBomb] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bombs.append(GzipBomb(16))
        return gzipped(bombs[-1])

    router.post("/oauth/token").mock(side_effect=answer)
    async with client_with(target, fake_sleep, dataclasses.replace(FAST, max_body_bytes=MIB)) as client:
        with pytest.raises(ServerError) as info:
            await client.get(VOICE, "x")
    assert str(info.value).startswith("POST /oauth/token failed: HTTP 200 invalid.response: the answer is larger than")
    assert info.value.correlation_id == "c-bomb"
    assert len(bombs) == 1 and bombs[0].pulled <= 2


async def test_a_401_answer_is_capped_too(
    target: Target, token_route: respx.Route, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    bomb = GzipBomb(16)
    router.get(f"{VOICE.collection}/x").mock(side_effect=lambda request: gzipped(bomb, status=401))
    async with client_with(target, fake_sleep, dataclasses.replace(FAST, max_body_bytes=MIB)) as client:
        with pytest.raises(ServerError, match="HTTP 401 invalid.response: the answer is larger than 1 MiB") as info:
            await client.get(VOICE, "x")
    assert info.value.path == f"{VOICE.collection}/x"
    assert bomb.pulled <= 2


async def test_stacked_codings_are_refused_unread(
    target: Target, token_route: respx.Route, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """``gzip, gzip`` inflates one read twice over, into gigabytes before a chunk could be counted."""
    bomb = GzipBomb(16)
    router.get(VOICE.collection).mock(side_effect=lambda request: gzipped(bomb, encoding="gzip, gzip"))
    async with client_with(target, fake_sleep) as client:
        with pytest.raises(ServerError, match=r"the answer's Content-Encoding stacks codings \(gzip, gzip\)"):
            await client.list_all(VOICE)
    assert bomb.pulled == 0


async def test_a_corrupt_gzip_body_is_an_invalid_answer_not_a_crash(
    target: Target, token_route: respx.Route, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """httpx's DecodingError is no transport error: it escaped as a traceback."""
    router.get(VOICE.collection).mock(side_effect=lambda request: gzipped(Chunks(b"this is not gzip")))
    async with client_with(target, fake_sleep) as client:
        with pytest.raises(ServerError) as info:
            await client.list_all(VOICE)
    assert str(info.value) == (
        "GET /api/v2/voice/profiles failed: HTTP 200 invalid.response: the answer's gzip encoding is corrupt "
        "[correlation id: c-bomb]"
    )


async def test_an_error_answer_is_capped_too(
    target: Target, token_route: respx.Route, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """A 500's body is read within the cap too (for its error code); refused, it is not asked for again."""
    bombs: list[GzipBomb] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bombs.append(GzipBomb(16))
        return gzipped(bombs[-1], status=500)

    router.get(VOICE.collection).mock(side_effect=answer)
    async with client_with(target, fake_sleep, dataclasses.replace(FAST, max_body_bytes=MIB)) as client:
        with pytest.raises(ServerError, match="HTTP 500 invalid.response: the answer is larger than 1 MiB"):
            await client.list_all(VOICE)
    assert [b.pulled <= 2 for b in bombs] == [True]



async def test_requests_ask_only_for_the_codings_decoded_a_bounded_step_at_a_time(
    target: Target, token_route: respx.Route, router: respx.MockRouter, fake_sleep: FakeSleep,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """httpx offers ``br`` and ``zstd`` whenever the brotli or zstandard package is installed."""
    monkeypatch.setattr(httpx._client, "ACCEPT_ENCODING", "gzip, deflate, br, zstd")
    route = router.get(f"{VOICE.collection}/x").mock(return_value=httpx.Response(200, json={"id": "x"}))
    async with client_with(target, fake_sleep) as client:
        await client.get(VOICE, "x")
    assert route.calls.last.request.headers["Accept-Encoding"] == "gzip, deflate"
    assert token_route.calls.last.request.headers["Accept-Encoding"] == "gzip, deflate"


class OneStep:
    """A decoder as httpx's brotli one is: each read decoded whole, in one step; here it only counts."""

    calls = 0

    def decode(self, data: bytes) -> bytes:
        OneStep.calls += 1
        return b"{}"

    def flush(self) -> bytes:
        return b""


@pytest.mark.parametrize(
    ("encoding", "decodable"),
    [("br", True), ("zstd", False), ("x-unheard-of", False)],
    ids=["decoded-in-one-step", "not-decodable", "unknown"],
)
async def test_an_answer_in_a_coding_not_asked_for_is_refused_unread(
    target: Target, token_route: respx.Route, router: respx.MockRouter, fake_sleep: FakeSleep,
    monkeypatch: pytest.MonkeyPatch, encoding: str, decodable: bool,
) -> None:
    """Decodable (the package installed), httpx would inflate each read unbounded; not decodable,
    it would pass the encoded bytes through as the body, to fail as "not JSON". Either way: refused."""
    if decodable:
        monkeypatch.setitem(httpx._decoders.SUPPORTED_DECODERS, encoding, OneStep)
    else:
        monkeypatch.delitem(httpx._decoders.SUPPORTED_DECODERS, encoding, raising=False)
    OneStep.calls = 0
    body = Chunks(b"\x1b\xff\xff\x00 encoded bytes")
    route = router.get(VOICE.collection).mock(side_effect=lambda request: gzipped(body, encoding=encoding))
    async with client_with(target, fake_sleep) as client:
        with pytest.raises(ServerError) as info:
            await client.list_all(VOICE)
    assert str(info.value) == (
        f"GET /api/v2/voice/profiles failed: HTTP 200 invalid.response: the answer's Content-Encoding is {encoding}, "
        "which was not asked for (Accept-Encoding: gzip, deflate) [correlation id: c-bomb]"
    )
    assert body.pulled == 0 and OneStep.calls == 0
    assert route.call_count == 1, "not asked for again: the server would answer the same"

