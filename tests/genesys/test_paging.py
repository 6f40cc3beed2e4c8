"""Listing: follow the envelope to the last page, largest page size, pages 2..N concurrently."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
import respx

from reconciler.core.errors import NotFoundError, ServerError
from reconciler.genesys import GenesysClient, Target
from reconciler.kinds import get_kind

from ._support import FAST, RULE, VOICE, FakeSleep, envelope

pytestmark = pytest.mark.anyio

COLLECTION = "/api/v2/voice/profiles"
TOPIC = get_kind("SpeechTopic")


def objects(n: int) -> list[dict[str, Any]]:
    return [{"id": f"id-{i:04d}", "name": f"profile {i}"} for i in range(n)]


@pytest.fixture
async def paced(target: Target, token_route: respx.Route, fake_sleep: FakeSleep) -> AsyncIterator[GenesysClient]:
    """A client letting out 16 requests back to back (the default burst), on the fake time line."""
    limits = dataclasses.replace(FAST, rate_burst=16, requests_per_minute=286)
    async with GenesysClient(target, limits=limits, sleep=fake_sleep, clock=fake_sleep.clock) as c:
        yield c


def paged(items: list[dict[str, Any]]) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["pageSize"])
        number = int(request.url.params["pageNumber"])
        chunk = items[(number - 1) * size : number * size]
        return httpx.Response(200, json=envelope(chunk, page=number, size=size, total=len(items)))

    return answer


class TestListAll:
    async def test_reads_every_page_with_the_largest_page_size(self, client: GenesysClient,
                                                               router: respx.MockRouter) -> None:
        items = objects(250)
        route = router.get(COLLECTION).mock(side_effect=paged(items))
        listed = await client.list_all(VOICE)
        assert listed == items
        asked = sorted(int(c.request.url.params["pageNumber"]) for c in route.calls)
        assert asked == [1, 2, 3]
        assert {c.request.url.params["pageSize"] for c in route.calls} == {"100"}

    async def test_single_page(self, client: GenesysClient, router: respx.MockRouter) -> None:
        route = router.get(COLLECTION).mock(side_effect=paged(objects(7)))
        assert len(await client.list_all(VOICE)) == 7
        assert route.call_count == 1

    async def test_empty_collection(self, client: GenesysClient, router: respx.MockRouter) -> None:
        router.get(COLLECTION).mock(side_effect=paged([]))
        assert await client.list_all(VOICE) == []

    async def test_pages_after_the_first_are_fetched_concurrently(self, client: GenesysClient,
                                                                  router: respx.MockRouter) -> None:
        items = objects(500)
        in_flight = [0]
        peak = [0]
        all_started = anyio.Event()
        inner = paged(items)

        async def answer(request: httpx.Request) -> httpx.Response:
            if request.url.params["pageNumber"] != "1":
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
                if in_flight[0] == 4:
                    all_started.set()
                with anyio.fail_after(5):  # only reachable when pages 2..5 are in flight together
                    await all_started.wait()
                in_flight[0] -= 1
            return inner(request)

        router.get(COLLECTION).mock(side_effect=answer)
        assert len(await client.list_all(VOICE)) == 500
        assert peak[0] == 4

    async def test_follows_next_uri_past_the_first_page_count(self, client: GenesysClient,
                                                              router: respx.MockRouter) -> None:
        """The collection grew while it was read: the last page still names a next one."""
        items = objects(230)

        def answer(request: httpx.Request) -> httpx.Response:
            number = int(request.url.params["pageNumber"])
            if number == 1:  # read when there were 200 objects
                return httpx.Response(200, json=envelope(items[:100], page=1, size=100, total=200))
            return httpx.Response(
                200, json=envelope(items[(number - 1) * 100 : number * 100], page=number, size=100, total=230)
            )

        route = router.get(COLLECTION).mock(side_effect=answer)
        assert await client.list_all(VOICE) == items
        assert sorted(int(c.request.url.params["pageNumber"]) for c in route.calls) == [1, 2, 3]

    async def test_an_object_seen_on_two_pages_is_listed_once(self, client: GenesysClient,
                                                              router: respx.MockRouter) -> None:
        items = objects(150)

        def answer(request: httpx.Request) -> httpx.Response:
            number = int(request.url.params["pageNumber"])
            chunk = items[:100] if number == 1 else items[99:150]  # one object slid down a page
            return httpx.Response(200, json=envelope(chunk, page=number, size=100, total=150))

        router.get(COLLECTION).mock(side_effect=answer)
        assert await client.list_all(VOICE) == items

    async def test_a_failing_page_raises_the_error_itself(self, client: GenesysClient,
                                                          router: respx.MockRouter) -> None:
        items = objects(300)
        inner = paged(items)

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.params["pageNumber"] == "3":
                return httpx.Response(404, json={"code": "not.found", "message": "gone", "status": 404})
            return inner(request)

        router.get(COLLECTION).mock(side_effect=answer)
        with pytest.raises(NotFoundError):  # not an ExceptionGroup
            await client.list_all(VOICE)


class TestPagesReadAFewAtATime:
    """Pages 2..pageCount are read by ``max_concurrency`` workers, not by a task per page.

    A ``pageCount`` of 9,999 with a consistent ``total`` passes the guard; one task per page
    was seconds of CPU and 120 MiB before the first bad page could stop them.
    """

    async def test_a_large_page_count_is_read_by_as_many_workers_as_requests_may_be_in_flight(
        self, target: Target, token_route: respx.Route, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        items = objects(400)
        inner = paged(items)
        tasks: list[int] = []

        async def answer(request: httpx.Request) -> httpx.Response:
            tasks.append(len(anyio.get_running_tasks()))
            await anyio.sleep(0)  # the answers overlap, as a server's do
            return inner(request)

        router.get(COLLECTION).mock(side_effect=answer)
        limits = dataclasses.replace(FAST, max_concurrency=4, page_size=1)  # 400 pages
        async with GenesysClient(target, limits=limits, sleep=fake_sleep, clock=fake_sleep.clock) as client:
            assert await client.list_all(VOICE) == items
        assert len(tasks) == 400
        assert max(tasks) - tasks[0] == 4, "tasks beside the listing's own (page 1 is read alone)"

    @pytest.mark.parametrize("waits", [False, True], ids=["answered-at-once", "answered-after-a-wait"])
    async def test_a_failing_page_stops_the_pages_behind_it(
        self, client: GenesysClient, router: respx.MockRouter, waits: bool
    ) -> None:
        """Page 2 of 9,999 is refused: only the pages in flight beside it were asked for, not thousands.

        Answered at once (no wait in the exchange, as respx answers), a page cannot be
        cancelled: only a worker that takes no page after the failure stops the listing.
        Answered after a wait, the pages in flight are cancelled, but there were no more
        than the workers' to cancel.
        """
        tasks: list[int] = []

        async def answer(request: httpx.Request) -> httpx.Response:
            number = int(request.url.params["pageNumber"])
            tasks.append(len(anyio.get_running_tasks()))
            if waits:
                await anyio.sleep(0)
            if number == 2:
                return httpx.Response(404, json={"code": "not.found", "message": "gone", "status": 404})
            one = [{"id": f"id-{number}", "name": f"profile {number}"}]
            return httpx.Response(200, json=envelope(one, page=number, size=100, total=999_900))

        route = router.get(COLLECTION).mock(side_effect=answer)
        with pytest.raises(NotFoundError):
            await client.list_all(VOICE)
        assert route.call_count <= 1 + FAST.max_concurrency
        assert max(tasks) - tasks[0] <= FAST.max_concurrency


class TestPagesThatRepeat:
    """A listing whose pages never bring anything new ends at the first such page, not at max_pages.

    At the default burst (16 requests back to back): respx answers without a checkpoint, so
    requests let out together all complete before the first refusal can cancel them.
    """

    async def test_a_page_that_says_it_is_another_page_ends_the_listing_at_once(
        self, paced: GenesysClient, router: respx.MockRouter
    ) -> None:
        """Every page answers pageNumber 1 with the same object while pageCount claims 999 pages."""
        stuck = {**envelope([{"id": "id-1", "name": "one"}], page=1, size=1, total=999), "nextUri": "/x?p=2"}
        route = router.get(COLLECTION).mock(
            return_value=httpx.Response(200, json=stuck, headers={"ININ-Correlation-Id": "c-stuck"})
        )
        with pytest.raises(ServerError) as info:
            await paced.list_all(VOICE)
        assert str(info.value).startswith(f"GET {COLLECTION} failed: HTTP 200 invalid.response: page ")
        assert str(info.value).endswith(", the answer is page 1 [correlation id: c-stuck]")
        assert route.call_count < 50, "the pages in flight are cancelled, the rest never asked for"

    async def test_a_page_of_objects_already_read_ends_the_listing(
        self, paced: GenesysClient, router: respx.MockRouter
    ) -> None:
        """Each page says it is the page asked for, and holds the first page's objects again."""

        def answer(request: httpx.Request) -> httpx.Response:
            number = int(request.url.params["pageNumber"])
            return httpx.Response(200, json=envelope(objects(100), page=number, size=100, total=99_900))

        route = router.get(COLLECTION).mock(side_effect=answer)
        with pytest.raises(ServerError, match=r"page \d+ repeats a page already read: all 100 of its objects were"):
            await paced.list_all(VOICE)
        assert route.call_count < 50

    async def test_a_fresh_cursor_over_the_same_page_ends_the_listing(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            after = int(request.url.params.get("nextPage", "0"))
            body = {"entities": objects(3), "nextUri": f"{TOPIC.collection}?nextPage={after + 1}"}
            return httpx.Response(200, json=body, headers={"ININ-Correlation-Id": f"c-{after}"})

        route = router.get(TOPIC.collection).mock(side_effect=answer)
        with pytest.raises(ServerError) as info:
            await client.list_all(TOPIC)
        assert str(info.value) == (
            f"GET {TOPIC.collection} failed: HTTP 200 invalid.response: page 2 repeats a page already read: "
            "all 3 of its objects were listed before [correlation id: c-1]"
        )
        assert route.call_count == 2


    async def test_a_child_listing_whose_pages_all_say_page_1_ends(
        self, paced: GenesysClient, router: respx.MockRouter
    ) -> None:
        """A prompt's resources, read before they are written: the same page 1 for all 999 pages it claims."""
        prompt = get_kind("ArchitectUserPrompt")
        path = f"{prompt.collection}/p1/resources"
        stuck = envelope([{"id": "en-us", "language": "en-us"}], page=1, size=100, total=99_900)

        def answer(request: httpx.Request) -> httpx.Response:
            number = int(request.url.params["pageNumber"])
            return httpx.Response(200, json={**stuck, "nextUri": f"{path}?pageNumber={number + 1}"})

        router.put(f"{prompt.collection}/p1").mock(return_value=httpx.Response(200, json={"id": "p1", "name": "P"}))
        route = router.get(path).mock(side_effect=answer)
        body = {"name": "P", "resources": [{"language": "en-us", "ttsString": "Hello"}]}
        with pytest.raises(ServerError) as info:
            await paced.update(prompt, "p1", body, 1)
        assert str(info.value).startswith(
            f"GET {path} failed: HTTP 200 invalid.response: page 2 was asked for, the answer is page 1"
        )
        assert route.call_count == 2


class TestFindByName:
    async def test_uses_the_name_filter_and_compares_case_insensitively(self, client: GenesysClient,
                                                                        router: respx.MockRouter) -> None:
        rule = {"id": "r1", "name": "Refund Request"}
        route = router.get("/api/v2/speech/rules").mock(
            return_value=httpx.Response(200, json=envelope([rule], page=1, size=100, total=1))
        )
        assert await client.find_by_name(RULE, "refund request") == rule
        assert route.calls.last.request.url.params["name"] == "refund request"

    async def test_none_when_absent(self, client: GenesysClient, router: respx.MockRouter) -> None:
        router.get("/api/v2/speech/rules").mock(
            return_value=httpx.Response(200, json=envelope([], page=1, size=100, total=0))
        )
        assert await client.find_by_name(RULE, "nothing") is None

    async def test_server_ignoring_the_filter_falls_back_to_a_full_listing(self, client: GenesysClient,
                                                                            router: respx.MockRouter) -> None:
        items = [{"id": f"r{i}", "name": f"rule {i}"} for i in range(150)]
        router.get("/api/v2/speech/rules").mock(side_effect=paged(items))
        assert await client.find_by_name(RULE, "RULE 140") == items[140]


class TestGet:
    async def test_reads_one_object_by_id(self, client: GenesysClient, router: respx.MockRouter) -> None:
        route = router.get(f"{COLLECTION}/abc").mock(return_value=httpx.Response(200, json={"id": "abc"}))
        assert await client.get(VOICE, "abc") == {"id": "abc"}
        assert route.called

    async def test_id_is_quoted_into_the_path(self, client: GenesysClient, router: respx.MockRouter) -> None:
        route = router.get(f"{COLLECTION}/a%2Fb").mock(return_value=httpx.Response(200, json={"id": "a/b"}))
        await client.get(VOICE, "a/b")
        assert route.calls.last.request.url.raw_path == b"/api/v2/voice/profiles/a%2Fb"
