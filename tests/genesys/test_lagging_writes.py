"""Lost writes resolved against a lagging server, and the platform's 400 version mismatch (issue 14).

A real org's listings and reads lag its writes. A lost create of a kind whose names the
platform does not keep unique (triggers) must not be sent again just because the
listing does not show it yet; a lost update that landed must not be reported stale
because a read still shows the old version. Both are resolved within the bound of
``ClientLimits.confirm_reads`` / ``confirm_wait`` (virtual time here).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from reconciler.apply.stale import refused_as_stale
from reconciler.core.errors import VersionMismatchError
from reconciler.genesys import ClientLimits, GenesysClient
from reconciler.genesys.errors import error_from_response
from reconciler.kinds import REGISTRY
from reconciler.plan.model import Action

from ._support import VOICE, FakeSleep, envelope, error_body, stored, voice_body

pytestmark = pytest.mark.anyio

TRIGGER = REGISTRY["ProcessAutomationTrigger"]
TRIGGERS = TRIGGER.collection
VOICES = VOICE.collection


def trigger_body(name: str = "On end") -> dict[str, Any]:
    topic = "v2.detail.events.conversation.{id}.customer.end"
    return TRIGGER.api_body(name, {"topicName": topic, "target": {"type": "Workflow", "id": "w"}})


def cursor_page(*items: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"entities": list(items), "selfUri": TRIGGERS})


class Lagging:
    """A listing that shows the object only from the ``shows_from``-th read on."""

    def __init__(self, obj: dict[str, Any], shows_from: int, page: Any = cursor_page) -> None:
        self.obj, self.shows_from, self.reads, self.page = obj, shows_from, 0, page

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.reads += 1
        return self.page(self.obj) if self.reads >= self.shows_from else self.page()


def test_triggers_may_share_a_name_the_contract_kinds_may_not() -> None:
    assert TRIGGER.unique_names is False
    assert VOICE.unique_names is True and REGISTRY["SpeechTopic"].unique_names is True


def test_the_bound_is_configurable_and_checked() -> None:
    assert (ClientLimits().confirm_reads, ClientLimits().confirm_wait) == (6, 1.0)
    with pytest.raises(Exception, match="confirm_reads"):
        ClientLimits(confirm_reads=0)


class TestLostCreate:
    async def test_a_trigger_is_not_created_twice_when_the_listing_lags(
        self, client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        body = trigger_body()
        post = router.post(TRIGGERS).mock(side_effect=httpx.ReadTimeout("answer lost"))
        listing = Lagging(stored(body, id="made"), shows_from=3)
        router.get(TRIGGERS).mock(side_effect=listing)
        result = await client.create(TRIGGER, body)
        assert post.call_count == 1, "never created twice"
        assert result.adopted and result.object is not None and result.object["id"] == "made"
        assert listing.reads == 3
        assert fake_sleep.positive[-2:] == [1.0, 2.0], "the look-ups back off on the session's (virtual) clock"

    async def test_a_create_that_never_landed_is_sent_again_after_the_bounded_wait(
        self, client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        body = trigger_body()
        post = router.post(TRIGGERS).mock(
            side_effect=[httpx.ReadTimeout("answer lost"), httpx.Response(200, json=stored(body, id="second"))]
        )
        listing = Lagging(stored(body), shows_from=99)
        router.get(TRIGGERS).mock(side_effect=listing)
        started = fake_sleep.now
        result = await client.create(TRIGGER, body)
        assert post.call_count == 2 and not result.adopted
        assert listing.reads == ClientLimits().confirm_reads
        looked = [s for s in fake_sleep.positive if s >= 1.0]
        assert looked[:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
        assert fake_sleep.now - started < 40, "bounded: about 30 s of reads, plus the retry's own backoff"

    async def test_a_unique_name_kind_is_sent_again_and_its_conflict_waited_out(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        body = voice_body("Main")
        post = router.post(VOICES).mock(
            side_effect=[
                httpx.ReadTimeout("answer lost"),
                httpx.Response(409, json=error_body(409, "duplicate.name", "name taken")),
            ]
        )

        def page(*items: dict[str, Any]) -> httpx.Response:
            return httpx.Response(200, json=envelope(list(items), page=1, size=100, total=len(items)))

        listing = Lagging(stored(body, id="made"), shows_from=4, page=page)
        router.get(VOICES).mock(side_effect=listing)
        result = await client.create(VOICE, body)
        assert post.call_count == 2
        assert result.adopted and result.object is not None and result.object["id"] == "made", "no false 'stale'"


class TestLostUpdate:
    async def test_an_update_that_landed_is_not_reported_stale_while_reads_lag(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        body = voice_body("Main")
        put = router.put(f"{VOICES}/id-1").mock(
            side_effect=[
                httpx.ReadTimeout("answer lost"),
                httpx.Response(409, json=error_body(409, "version.mismatch", "changed")),
            ]
        )
        reads = iter([stored(body, version=3)] * 3 + [stored(body, version=4)] * 5)
        router.get(f"{VOICES}/id-1").mock(side_effect=lambda request: httpx.Response(200, json=next(reads)))
        result = await client.update(VOICE, "id-1", body, version=3)
        assert put.call_count == 2
        assert result.adopted and result.object is not None and result.object["version"] == 4

    async def test_someone_elses_update_is_still_a_mismatch(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        body = voice_body("Main")
        router.put(f"{VOICES}/id-1").mock(
            side_effect=[
                httpx.ReadTimeout("answer lost"),
                httpx.Response(409, json=error_body(409, "version.mismatch", "changed")),
            ]
        )
        theirs = stored({**body, "pitch": 1.5}, version=4)
        reads = iter([stored(body, version=3), theirs, theirs])
        router.get(f"{VOICES}/id-1").mock(side_effect=lambda request: httpx.Response(200, json=next(reads)))
        with pytest.raises(VersionMismatchError):
            await client.update(VOICE, "id-1", body, version=3)


class TestVersionMismatchAs400:
    MESSAGE = "The version supplied (3) does not match the current version (4)"

    def test_it_is_a_version_mismatch(self) -> None:
        response = httpx.Response(400, json=error_body(400, "bad.request", self.MESSAGE))
        error = error_from_response(response, method="PUT", path=f"{TRIGGERS}/t-1")
        assert isinstance(error, VersionMismatchError) and error.status == 400

    def test_other_400s_stay_bad_requests(self) -> None:
        response = httpx.Response(400, json=error_body(400, "bad.request", "name is required"))
        assert not isinstance(error_from_response(response, method="PUT", path=TRIGGERS), VersionMismatchError)

    async def test_an_update_refused_so_is_never_forced_and_reads_as_stale(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        put = router.put(f"{TRIGGERS}/t-1").mock(
            return_value=httpx.Response(400, json=error_body(400, "bad.request", self.MESSAGE))
        )
        with pytest.raises(VersionMismatchError) as info:
            await client.update(TRIGGER, "t-1", trigger_body(), version=3)
        assert put.call_count == 1
        why = refused_as_stale(Action.UPDATE, Action.UPDATE, info.value)
        assert why is not None and "HTTP 400" in why and "run plan again" in why
