"""Listing: the paging envelope, page bounds, stable order and the name filter."""

from __future__ import annotations

import pytest
from sandbox_data import assert_error, valid

from reconciler.kinds import (
    CONTRACT_KINDS as KINDS,  # the seed contract's conventions; tests/realkinds covers the platform kinds
)
from reconciler.kinds import Kind

pytestmark = pytest.mark.anyio
by_kind = pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
ENVELOPE = {"entities", "pageSize", "pageNumber", "total", "pageCount", "firstUri", "lastUri", "selfUri"}


async def fill(api, kind: Kind, count: int) -> list[dict]:
    return [await api.create(kind.collection, valid(kind, name=f"Object {i:02d}")) for i in range(count)]


@by_kind
class TestEnvelope:
    async def test_empty_collection(self, api, kind: Kind) -> None:
        body = (await api.get(kind.collection)).json()
        assert set(body) == ENVELOPE
        assert body["entities"] == [] and body["total"] == 0 and body["pageCount"] == 0
        assert body["pageSize"] == 25 and body["pageNumber"] == 1

    async def test_pages_have_uris_and_next_is_absent_on_the_last(self, api, kind: Kind) -> None:
        await fill(api, kind, 5)
        first = (await api.get(kind.collection, params={"pageSize": 2})).json()
        assert set(first) == ENVELOPE | {"nextUri"}
        assert (first["total"], first["pageCount"], len(first["entities"])) == (5, 3, 2)
        assert first["selfUri"] == first["firstUri"] == f"{kind.collection}?pageSize=2&pageNumber=1"
        assert first["lastUri"] == f"{kind.collection}?pageSize=2&pageNumber=3"
        assert first["nextUri"] == f"{kind.collection}?pageSize=2&pageNumber=2"
        middle = (await api.get(first["nextUri"])).json()
        assert middle["pageNumber"] == 2 and "nextUri" in middle
        last = (await api.get(middle["nextUri"])).json()
        assert last["pageNumber"] == 3 and len(last["entities"]) == 1
        assert "nextUri" not in last

    async def test_walking_next_uris_yields_every_object_once_in_creation_order(self, api, kind: Kind) -> None:
        created = await fill(api, kind, 7)
        seen, uri = [], f"{kind.collection}?pageSize=3"
        while uri:
            page = (await api.get(uri)).json()
            seen += page["entities"]
            uri = page.get("nextUri")
        assert [o["id"] for o in seen] == [o["id"] for o in created]
        assert seen == created

    async def test_default_page_size_is_25(self, api, kind: Kind) -> None:
        await fill(api, kind, 26)
        page = (await api.get(kind.collection)).json()
        assert len(page["entities"]) == 25 and page["pageCount"] == 2 and "nextUri" in page

    async def test_a_page_past_the_end_is_empty(self, api, kind: Kind) -> None:
        await fill(api, kind, 2)
        page = (await api.get(kind.collection, params={"pageNumber": 9})).json()
        assert page["entities"] == [] and page["total"] == 2 and "nextUri" not in page

    async def test_listed_entities_are_complete(self, api, kind: Kind) -> None:
        stored = await api.create(kind.collection, valid(kind))
        assert (await api.get(kind.collection)).json()["entities"] == [stored]


@by_kind
class TestBounds:
    @pytest.mark.parametrize(("param", "value"), [
        ("pageSize", "0"), ("pageSize", "101"), ("pageSize", "-1"), ("pageSize", "ten"), ("pageSize", "2.5"),
        ("pageNumber", "0"), ("pageNumber", "x"), ("pageNumber", "99999999999999999999"),
    ])
    async def test_out_of_range_is_400_naming_the_parameter(self, api, kind: Kind, param: str, value: str) -> None:
        response = await api.get(kind.collection, params={param: value})
        assert_error(response, 400, "bad.request", param)

    @pytest.mark.parametrize("size", [1, 100])
    async def test_limits_are_accepted(self, api, kind: Kind, size: int) -> None:
        assert (await api.get(kind.collection, params={"pageSize": size})).json()["pageSize"] == size


@by_kind
class TestNameFilter:
    async def test_whole_name_case_insensitive(self, api, kind: Kind) -> None:
        await fill(api, kind, 3)
        target = await api.create(kind.collection, valid(kind, name="Front Desk Ünïcode"))
        page = (await api.get(kind.collection, params={"name": "FRONT DESK üNÏCODE"})).json()
        assert page["entities"] == [target] and page["total"] == 1
        assert page["selfUri"] == f"{kind.collection}?pageSize=25&pageNumber=1&name=FRONT%20DESK%20%C3%BCN%C3%8FCODE"

    async def test_no_partial_matches(self, api, kind: Kind) -> None:
        await api.create(kind.collection, valid(kind, name="Front Desk"))
        for name in ("Front", "Desk", "Front Desk 2", ""):
            assert (await api.get(kind.collection, params={"name": name})).json()["total"] == 0
