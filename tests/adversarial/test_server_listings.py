"""Hostile servers, in process: listings that never end or make no sense, objects without identity.

Each case drives the real :class:`~reconciler.genesys.GenesysClient` against respx (the
HTTP layer's unit tests use respx), with short limits so that each refusal takes
milliseconds: what matters is that the read ENDS, with an error naming the endpoint and
the field, on one line, and without the client's credentials.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from reconciler.core.errors import ReconcilerError
from reconciler.genesys import ClientLimits, GenesysClient, Target
from reconciler.kinds import Kind, get_kind

from ._harness import TIME_BOUND, secret_forms
from ._hostile import TOPIC, VOICE, Handler, ok, page_of, raw

API = "http://127.0.0.1:8997"
CLIENT_ID = "hostile-client"
CLIENT_SECRET = "Hostile\"server\\secret/+= ü"
TOKEN = "hostile-bearer-token-0042"
LIMITS = ClientLimits(
    requests_per_minute=60_000, rate_burst=1000, backoff_initial=0.0, backoff_max=0.0, max_attempts=1,
    max_pages=50, max_extra_pages=3, request_deadline=2.0, timeout=1.0,
)  # fmt: skip


def same_page_forever(request: httpx.Request) -> httpx.Response:
    number = int(request.url.params.get("pageNumber", "1"))
    return ok(page_of(number, pageCount=1, nextUri=f"{VOICE.collection}?pageNumber=2"))


def growing(request: httpx.Request) -> httpx.Response:
    number = int(request.url.params.get("pageNumber", "1"))
    return ok(page_of(number, pageCount=number + 1, nextUri=f"{VOICE.collection}?pageNumber={number + 1}"))


def endless_cursor(request: httpx.Request) -> httpx.Response:
    after = int(request.url.params.get("after", "0"))
    entities = [{"id": f"t{after}", "name": f"t{after}"}]
    return ok({"entities": entities, "nextUri": f"{TOPIC.collection}?after={after + 1}"})


def nested(depth: int) -> str:
    return '{"entities": [{"id": "a", "name": "a", "x": ' + "[" * depth + "]" * depth + "}]}"


#: (case, kind, handler, what the message must say)
LISTINGS: list[tuple[str, Kind, Handler, tuple[str, ...]]] = [
    ("entities-string", VOICE, lambda r: ok({"entities": "oops"}), ("entities that are a string",)),
    ("entities-number", VOICE, lambda r: ok({"entities": 42}), ("entities that are a number",)),
    ("entities-null", VOICE, lambda r: ok({"entities": None}), ("no entities",)),
    ("entities-missing", VOICE, lambda r: ok({"pageCount": 1}), ("no entities",)),
    ("entities-object", VOICE, lambda r: ok({"entities": {"id": "a"}}), ("entities that are an object",)),
    ("entity-string", VOICE, lambda r: ok({"entities": ["a"]}), ("entities[0] is a string",)),
    ("entity-null", VOICE, lambda r: ok({"entities": [{"id": "a", "name": "a"}, None]}), ("entities[1] is null",)),
    ("entity-no-id", VOICE, lambda r: ok({"entities": [{"name": "a"}]}), ("entities[0] has no id",)),
    ("entity-id-null", VOICE, lambda r: ok({"entities": [{"id": None, "name": "a"}]}), ("entities[0] has no id",)),
    ("entity-id-number", VOICE, lambda r: ok({"entities": [{"id": 7, "name": "a"}]}), ("id that is a number",)),
    ("entity-id-empty", VOICE, lambda r: ok({"entities": [{"id": " ", "name": "a"}]}), ("an empty id",)),
    ("entity-id-dotdot", VOICE, lambda r: ok({"entities": [{"id": "..", "name": "a"}]}), ("cannot name one object",)),
    ("entity-id-newline", VOICE, lambda r: ok({"entities": [{"id": "a\nb", "name": "a"}]}), ("cannot name one",)),
    ("entity-no-name", VOICE, lambda r: ok({"entities": [{"id": "a"}]}), ("entities[0] (a) has no name",)),
    ("entity-name-number", VOICE, lambda r: ok({"entities": [{"id": "a", "name": 3}]}), ("name that is a number",)),
    (
        "entity-version-nan",  # once a pydantic traceback in the plan (a revision is an integer or a string)
        VOICE,
        lambda r: raw('{"entities": [{"id": "a", "name": "a", "version": NaN}]}'),
        ("entities[0] (a) has a version that is a number that is not an integer",),
    ),
    (
        "entity-version-huge",
        VOICE,
        lambda r: raw('{"entities": [{"id": "a", "name": "a", "version": 1e308}]}'),
        ("has a version that is a number that is not an integer",),
    ),
    (
        "entity-revision-object",
        TOPIC,
        lambda r: ok({"entities": [{"id": "t", "name": "t", "dateModified": {"at": 1}}]}),
        ("entities[0] (t) has a dateModified that is an object",),
    ),
    ("not-json", VOICE, lambda r: raw("<html>proxy error</html>"), ("the answer is not JSON",)),
    ("json-array", VOICE, lambda r: ok([1, 2]), ("an array, not a JSON object",)),
    ("json-null", VOICE, lambda r: raw("null"), ("null, not a JSON object",)),
    ("nested-100000", VOICE, lambda r: raw("[" * 100_000 + "]" * 100_000), ("deeper than 64",)),
    ("nested-in-entity", VOICE, lambda r: raw(nested(65)), ("deeper than 64",)),
    ("page-count-billion", VOICE, lambda r: ok(page_of(1, pageCount=1_000_000_000)), ("ClientLimits.max_pages",)),
    ("page-count-string", VOICE, lambda r: ok(page_of(1, pageCount="3")), ("pageCount is a string",)),
    ("page-count-negative", VOICE, lambda r: ok(page_of(1, pageCount=-1)), ("pageCount is -1",)),
    ("page-count-float", VOICE, lambda r: ok(page_of(1, pageCount=2.5)), ("pageCount is 2.5",)),
    ("page-count-past-total", VOICE, lambda r: ok(page_of(1, pageCount=40, total=5)), ("more than total 5",)),
    ("next-uri-self", VOICE, lambda r: ok(page_of(1, nextUri="/x?p=1", selfUri="/x?p=1")), ("repeats a page",)),
    ("next-uri-repeated", VOICE, same_page_forever, ("nextUri though its pageCount is 1",)),
    ("page-count-growing", VOICE, growing, ("kept growing",)),
    ("next-uri-number", VOICE, lambda r: ok(page_of(1, nextUri=5)), ("nextUri is a number",)),
    ("next-uri-repeated-cursor", TOPIC, lambda r: ok(page_of(1, nextUri=f"{TOPIC.collection}?after=x")), ("repeats",)),
    (
        "cursor-repeated",  # fresh objects on the second page: it is the cursor that repeats, spelt another way
        TOPIC,
        lambda r: ok(
            page_of(2 if "after" in r.url.params else 1,
                    nextUri=f"{API if 'after' in r.url.params else ''}{TOPIC.collection}?after=a")
        ),
        ("cursor repeats",),
    ),
    (
        "page-number-stuck",  # pageCount promises 40 pages; every page says it is page 1, with the same objects
        VOICE,
        lambda r: ok(page_of(1, pageCount=40, total=80, pageSize=2)),
        ("page 2 was asked for, the answer is page 1",),
    ),
    (
        "page-repeated",  # each page says the number asked for, but holds the same objects
        VOICE,
        lambda r: ok(page_of(1, pageNumber=int(r.url.params["pageNumber"]), pageCount=40, total=80, pageSize=2)),
        ("repeats a page already read: all 2 of its objects were listed before",),
    ),
    (
        "cursor-same-page",  # a fresh cursor on every page, and the same objects
        TOPIC,
        lambda r: ok(page_of(1, nextUri=f"{TOPIC.collection}?after={int(r.url.params.get('after', '0')) + 1}")),
        ("page 2 repeats a page already read",),
    ),
    ("cursor-endless", TOPIC, endless_cursor, ("ceiling of 50 pages",)),
    ("cursor-leaves", TOPIC, lambda r: ok(page_of(1, nextUri="/api/v2/users?after=1")), ("leaves the collection",)),
    (
        "cursor-control-chars",
        TOPIC,
        lambda r: ok(page_of(1, nextUri="/x\n::error ::forged?after=1")),
        ("leaves the collection: /x\\n::error",),
    ),
]


@pytest.fixture
def target() -> Target:
    return Target(kind="genesys", api_url=API, login_url=API, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        mock.post("/oauth/token").mock(return_value=ok({"access_token": TOKEN, "expires_in": 86400}))
        yield mock


async def refused(target: Target, call: Callable[[GenesysClient], Any], limits: ClientLimits = LIMITS) -> str:
    """Run ``call`` on a fresh client; it must fail with one of our errors, quickly; return its message."""
    started = time.monotonic()
    async with GenesysClient(target, limits=limits, rng=random.Random(1)) as client:
        with pytest.raises(ReconcilerError) as caught:
            await call(client)
    assert time.monotonic() - started < 10, "a hostile answer must be refused quickly"
    message = str(caught.value)
    for form in (*secret_forms(CLIENT_SECRET, CLIENT_ID), TOKEN):
        assert form not in message
    assert "\n" not in message, f"a one-line message, not {message!r}"
    return message


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(("kind", "handler", "says"), [c[1:] for c in LISTINGS], ids=[c[0] for c in LISTINGS])
async def test_a_hostile_listing_is_an_error_naming_the_endpoint_and_the_field(
    target: Target, router: respx.MockRouter, kind: Kind, handler: Handler, says: tuple[str, ...]
) -> None:
    route = router.get(kind.collection).mock(side_effect=handler)
    message = await refused(target, lambda client: client.list_all(kind))
    assert f"GET {kind.collection}" in message
    for text in says:
        assert text in message
    assert route.call_count <= LIMITS.max_pages


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_the_page_ceiling_stops_an_honest_looking_listing(target: Target, router: respx.MockRouter) -> None:
    router.get(VOICE.collection).mock(side_effect=lambda r: ok(page_of(int(r.url.params["pageNumber"]), pageCount=51)))
    message = await refused(target, lambda client: client.list_all(VOICE))
    assert "pageCount 51 is past the ceiling of 50 pages (ClientLimits.max_pages)" in message


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_a_reference_listing_that_repeats_its_next_page_ends(target: Target, router: respx.MockRouter) -> None:
    read = get_kind("TtsSettings").live_checks[0].reads[0]
    route = router.get(read.path).mock(return_value=ok({"entities": [{"id": "e"}], "nextUri": f"{read.path}?p=2"}))
    message = await refused(target, lambda client: client.list_reference(read))
    assert f"GET {read.path}" in message and "repeats a page" in message
    assert route.call_count == 2


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_a_reference_listing_whose_pages_all_say_page_1_ends(target: Target, router: respx.MockRouter) -> None:
    """Fresh objects and a fresh nextUri on every page, each calling itself page 1: read to the ceiling, before."""
    read = get_kind("TtsSettings").live_checks[0].reads[0]
    assert read.paging == "pages"

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["pageNumber"])
        return ok({"entities": [{"id": f"e{number}"}], "pageNumber": 1, "nextUri": f"{read.path}?p={number + 1}"})

    route = router.get(read.path).mock(side_effect=answer)
    message = await refused(target, lambda client: client.list_reference(read))
    assert f"GET {read.path} failed: HTTP 200 invalid.response: page 2 was asked for, the answer is page 1" in message
    assert route.call_count == 2


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(
    ("body", "says"),
    [({"name": "no id"}, "the object has no id"), ({"id": 12}, "id that is a number"), ([], "an array")],
    ids=["no-id", "id-number", "array"],
)
async def test_a_malformed_object_is_an_error_naming_the_field(
    target: Target, router: respx.MockRouter, body: Any, says: str
) -> None:
    router.get(f"{VOICE.collection}/v1").mock(return_value=ok(body))
    message = await refused(target, lambda client: client.get(VOICE, "v1"))
    assert f"GET {VOICE.collection}/v1" in message and says in message


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_a_created_object_without_id_is_never_written_to_none(target: Target, router: respx.MockRouter) -> None:
    router.post(VOICE.collection).mock(return_value=httpx.Response(200, json={"name": "p"}))
    listed = router.get(VOICE.collection).mock(return_value=ok({"entities": [], "pageCount": 1}))
    limits = dataclasses.replace(LIMITS, max_attempts=2)
    message = await refused(target, lambda client: client.create(VOICE, {"name": "p"}), limits)
    assert f"POST {VOICE.collection}" in message and "the created object has no id" in message
    assert listed.called  # the lost create was looked for by name, not written again blindly
    assert not any("/None" in str(call.request.url) for call in router.calls)

