"""The audit query client: polled on the session's sleep, and bounded in time and pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from reconciler.core.errors import ServerError
from reconciler.genesys import GenesysClient
from reconciler.genesys.audits import QUERY

from ._support import FakeSleep

pytestmark = pytest.mark.anyio

END = datetime(2024, 5, 8, tzinfo=UTC)
START = END - timedelta(days=7)


def _queued(router: respx.MockRouter) -> respx.Route:
    return router.post(QUERY).mock(return_value=httpx.Response(200, json={"id": "q1", "state": "Queued"}))


async def test_polls_until_succeeded_then_reads_every_page(
    client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    started = _queued(router)
    router.get(f"{QUERY}/q1").mock(side_effect=[httpx.Response(200, json={"id": "q1", "state": s})
                                                for s in ("Running", "Running", "Succeeded")])
    router.get(f"{QUERY}/q1/results").mock(side_effect=[
        httpx.Response(200, json={"id": "q1", "pageSize": 500, "cursor": "c2", "entities": [{"id": "m1"}]}),
        httpx.Response(200, json={"id": "q1", "pageSize": 500, "entities": [{"id": "m2"}]}),
    ])
    answer = await client.query_audits("Webhooks", START, END, filters=[("EntityType", "Webhook")])
    assert answer.complete and answer.state == "Succeeded"
    assert [m["id"] for m in answer.messages] == ["m1", "m2"]
    sent = started.calls.last.request.read()
    assert b'"interval":"2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z"' in sent
    assert b'"filters":[{"property":"EntityType","value":"Webhook"}]' in sent
    assert len(fake_sleep.positive) == 2  # one wait per Running answer, none after Succeeded


async def test_a_query_that_never_finishes_gives_up_after_the_timeout(
    client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    _queued(router)
    router.get(f"{QUERY}/q1").mock(return_value=httpx.Response(200, json={"id": "q1", "state": "Running"}))
    answer = await client.query_audits("Webhooks", START, END, timeout=30)
    assert not answer.complete and answer.state == "Running" and answer.messages == []
    assert 30 <= sum(fake_sleep.positive) < 40  # virtual time: the test took none of it


def _succeeded(router: respx.MockRouter) -> None:
    _queued(router)
    router.get(f"{QUERY}/q1").mock(return_value=httpx.Response(200, json={"id": "q1", "state": "Succeeded"}))


def _endless(request: httpx.Request) -> httpx.Response:
    """A fresh cursor and a fresh message on every page, for ever."""
    n = int(request.url.params.get("cursor", "c0")[1:]) + 1
    return httpx.Response(200, json={"id": "q1", "pageSize": 500, "cursor": f"c{n}", "entities": [{"id": f"m{n}"}]})


async def test_pages_are_capped(client: GenesysClient, router: respx.MockRouter) -> None:
    _succeeded(router)
    results = router.get(f"{QUERY}/q1/results").mock(side_effect=_endless)
    answer = await client.query_audits("Webhooks", START, END, max_pages=3)
    assert not answer.complete and answer.state == "Succeeded" and answer.refused is None
    assert [m["id"] for m in answer.messages] == ["m1", "m2", "m3"]
    assert results.call_count == 3


async def test_a_cursor_given_before_ends_the_reading(client: GenesysClient, router: respx.MockRouter) -> None:
    """The answer stands, incomplete, with the messages read: drift attributes what they name."""
    _succeeded(router)

    def stuck(request: httpx.Request) -> httpx.Response:
        """Cursor c2 on every page (fresh messages: only the cursor repeats)."""
        n = 2 if "cursor" in request.url.params else 1
        return httpx.Response(200, json={"id": "q1", "cursor": "c2", "entities": [{"id": f"m{n}"}]},
                              headers={"ININ-Correlation-Id": f"c-{n}"})

    results = router.get(f"{QUERY}/q1/results").mock(side_effect=stuck)
    answer = await client.query_audits("Webhooks", START, END)
    assert results.call_count == 2
    assert not answer.complete and answer.state == "Succeeded"
    assert [m["id"] for m in answer.messages] == ["m1", "m2"]
    assert answer.refused == (
        f"GET {QUERY}/q1/results failed: HTTP 200 invalid.response: the listing's cursor repeats a page already read: "
        "cursor=c2&pageSize=500 [correlation id: c-2]"
    )


async def test_a_fresh_cursor_over_messages_already_read_ends_the_reading(
    client: GenesysClient, router: respx.MockRouter
) -> None:
    """Each message read again would count as another write of its object."""
    _succeeded(router)

    def again(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("cursor", "c0")[1:]) + 1
        return httpx.Response(200, json={"id": "q1", "cursor": f"c{n}", "entities": [{"id": "m1"}, {"id": "m2"}]})

    results = router.get(f"{QUERY}/q1/results").mock(side_effect=again)
    answer = await client.query_audits("Webhooks", START, END)
    assert results.call_count == 2
    assert [m["id"] for m in answer.messages] == ["m1", "m2"]
    assert not answer.complete and answer.refused is not None
    assert "page 2 repeats a page already read: all 2 of its objects were listed before" in answer.refused


async def test_a_message_on_two_pages_is_listed_once(client: GenesysClient, router: respx.MockRouter) -> None:
    _succeeded(router)
    router.get(f"{QUERY}/q1/results").mock(side_effect=[
        httpx.Response(200, json={"id": "q1", "cursor": "c2", "entities": [{"id": "m1"}, {"id": "m2"}]}),
        httpx.Response(200, json={"id": "q1", "entities": [{"id": "m2"}, {"id": "m3"}]}),
    ])
    answer = await client.query_audits("Webhooks", START, END)
    assert [m["id"] for m in answer.messages] == ["m1", "m2", "m3"]
    assert answer.complete and answer.refused is None


async def test_a_message_whose_id_is_not_a_string_is_kept_not_a_crash(
    client: GenesysClient, router: respx.MockRouter
) -> None:
    _succeeded(router)
    odd = [{"id": ["m1"]}, {"id": {"m": 2}}, {"id": 3}, {"no": "id"}]
    router.get(f"{QUERY}/q1/results").mock(return_value=httpx.Response(200, json={"id": "q1", "entities": odd}))
    answer = await client.query_audits("Webhooks", START, END)
    assert answer.messages == odd and answer.complete


@pytest.mark.parametrize(
    ("page", "said"),
    [
        ({"id": "q1", "entities": {"id": "m1"}}, "the audit results' entities is an object, not an array"),
        ({"id": "q1", "cursor": 7, "entities": [{"id": "m1"}]}, "the audit results' cursor is a number, not a string"),
    ],
    ids=["entities-object", "cursor-number"],
)
async def test_a_results_page_of_the_wrong_shape_ends_the_reading_incomplete(
    client: GenesysClient, router: respx.MockRouter, page: dict[str, object], said: str
) -> None:
    """Read as they were, the first counted as an empty, complete answer; the second was followed as "7"."""
    _succeeded(router)
    results = router.get(f"{QUERY}/q1/results").mock(return_value=httpx.Response(200, json=page))
    answer = await client.query_audits("Webhooks", START, END)
    assert results.call_count == 1
    assert not answer.complete and answer.messages == []
    assert answer.refused is not None and said in answer.refused


@pytest.mark.parametrize(
    ("query_id", "says"),
    [(7, "an id that is a number"), ("..", "an id that cannot name one object"), ("q\n1", "an id that cannot name one object")],
    ids=["number", "dotdot", "newline"],
)
async def test_a_query_id_that_cannot_name_one_query_is_never_polled(
    client: GenesysClient, router: respx.MockRouter, query_id: object, says: str
) -> None:
    router.post(QUERY).mock(return_value=httpx.Response(200, json={"id": query_id, "state": "Queued"}))
    with pytest.raises(ServerError, match=f"POST {QUERY} failed: HTTP 200 invalid.response: the audit query has {says}"):
        await client.query_audits("Webhooks", START, END)
    assert [c.request.method for c in router.calls if c.request.url.path != "/oauth/token"] == ["POST"]


async def test_a_query_id_is_polled_and_read_as_one_path_segment(
    client: GenesysClient, router: respx.MockRouter
) -> None:
    router.post(QUERY).mock(return_value=httpx.Response(200, json={"id": "q/../../users?x", "state": "Succeeded"}))
    results = router.get(f"{QUERY}/q%2F..%2F..%2Fusers%3Fx/results").mock(
        return_value=httpx.Response(200, json={"entities": [{"id": "m1"}]})
    )
    answer = await client.query_audits("Webhooks", START, END)
    assert results.call_count == 1 and [m["id"] for m in answer.messages] == ["m1"]
