"""Every read, delete and write the sandbox serves refuses a query parameter it would otherwise ignore (400 naming it).

Why: the listings refused one (``listing.check_params``) while an item read, a singleton's
read, a reference read or a delete ignored it, so a parameter the engine sent where the
SDK method has none passed every integration test. The platform refuses a parameter an
endpoint does not have (the premise of ``ReferenceRead``'s ``paging="none"``); the
sandbox does the same with the listings' 400 shape, and accepts what the engine sends
(``Listing.read_params``, ``Kind.delete_params``, each reference read's parameters).
``tests/sandbox/test_sdk_query_params.py`` holds what the engine sends to the SDK's.
"""

from __future__ import annotations

import pytest
from sandbox_data import assert_error, fields
from sdk_models import query_params

from reconciler.kinds import KINDS, PLATFORM_KINDS, Kind
from reconciler.sandbox.catalog import CREDENTIAL_TYPES, ENGINES, TAKEN, reference_reads

pytestmark = pytest.mark.anyio

_COLLECTIONS = [k for k in KINDS if k.singleton is None]
_SINGLETONS = [k for k in KINDS if k.singleton is not None]
_REFERENCE = sorted(reference_reads().values(), key=lambda read: read.path)
_PAGING = {"pages": {"pageSize": "25", "pageNumber": "1"}, "cursor": {"pageSize": "25"}, "none": {}}


def _refused(response, param: str) -> None:  # type: ignore[no-untyped-def]
    assert_error(response, 400, "bad.request", param)
    assert fields(response) == [param]
    assert "is not a parameter" in response.json()["message"]


@pytest.mark.parametrize("kind", _COLLECTIONS, ids=[k.name for k in _COLLECTIONS])
class TestItems:
    async def test_an_item_read_refuses_a_parameter_it_does_not_take(self, api, kind: Kind) -> None:
        _refused(await api.get(kind.item_path("no-such-id"), params={**kind.listing.read_params(), "bogus": "1"}),
                 "bogus")

    async def test_an_item_read_takes_what_the_engine_sends(self, api, kind: Kind) -> None:
        response = await api.get(kind.item_path("no-such-id"), params=kind.listing.read_params())
        assert response.status_code == 404, response.text

    async def test_a_delete_refuses_a_parameter_it_does_not_take(self, api, kind: Kind) -> None:
        _refused(await api.delete(kind.item_path("no-such-id"), params={**kind.delete_params, "bogus": "1"}), "bogus")

    async def test_a_delete_takes_what_the_engine_sends(self, api, kind: Kind) -> None:
        response = await api.delete(kind.item_path("no-such-id"), params=kind.delete_params)
        assert response.status_code == 404, response.text


@pytest.mark.parametrize("kind", _SINGLETONS, ids=[k.name for k in _SINGLETONS])
async def test_a_singleton_read_refuses_a_parameter_it_does_not_take(api, kind: Kind) -> None:
    _refused(await api.get(kind.collection, params={"bogus": "1"}), "bogus")
    assert (await api.get(kind.collection, params=kind.listing.read_params())).status_code == 200


@pytest.mark.parametrize("read", _REFERENCE, ids=[r.key for r in _REFERENCE])
async def test_a_reference_read_refuses_a_parameter_it_does_not_take(api, read) -> None:  # type: ignore[no-untyped-def]
    sent = {**read.params, **_PAGING[read.paging]}
    _refused(await api.get(read.path, params={**sent, "bogus": "1"}), "bogus")
    assert (await api.get(read.path, params=sent)).status_code == 200


_CHILDREN = [k for k in KINDS if k.children is not None]
_SUBS = [k for k in KINDS if k.sub_resource is not None]


@pytest.mark.parametrize("kind", _CHILDREN, ids=[k.name for k in _CHILDREN])
async def test_a_child_listing_and_delete_refuse_a_parameter_they_do_not_take(api, kind: Kind) -> None:
    assert kind.children is not None
    children = kind.item_path("no-such-id") + kind.children.path
    _refused(await api.get(children, params={"pageSize": "25", "pageNumber": "1", "bogus": "1"}), "bogus")
    _refused(await api.delete(children + "/en-us", params={"bogus": "1"}), "bogus")


@pytest.mark.parametrize("kind", _SUBS, ids=[k.name for k in _SUBS])
async def test_a_sub_resource_read_refuses_a_parameter_it_does_not_take(api, kind: Kind) -> None:
    assert kind.sub_resource is not None
    _refused(await api.get(kind.item_path("no-such-id") + kind.sub_resource.path, params={"bogus": "1"}), "bogus")


_PUBLISHED = [k for k in KINDS if k.publish is not None]


@pytest.mark.parametrize("kind", _PUBLISHED, ids=[k.name for k in _PUBLISHED])
async def test_a_publish_job_read_refuses_a_parameter_it_does_not_take(api, kind: Kind) -> None:
    assert kind.publish is not None
    _refused(await api.get(kind.publish.path + "/no-such-job", params={"bogus": "1"}), "bogus")


async def test_the_catalog_reads_refuse_a_parameter_they_do_not_take(api) -> None:  # type: ignore[no-untyped-def]
    engine = (await api.get(ENGINES)).json()["entities"][0]["id"]
    voice = (await api.get(f"{ENGINES}/{engine}/voices")).json()["entities"][0]["id"]
    for path in (f"{ENGINES}/{engine}", f"{ENGINES}/{engine}/voices", f"{ENGINES}/{engine}/voices/{voice}",
                 CREDENTIAL_TYPES):
        _refused(await api.get(path, params={"bogus": "1"}), "bogus")


@pytest.mark.parametrize("path", sorted(TAKEN))
def test_what_a_catalog_read_takes_is_a_parameter_of_the_sdk_method(path: str) -> None:
    method, accepted = query_params("GET", path)
    unknown = sorted(TAKEN[path] - accepted)
    assert not unknown, f"the sandbox takes {unknown} on GET {path}; SDK {method} takes {sorted(accepted)}"


# ---- writes ------------------------------------------------------------------------------------------------


def _writes(kind: Kind) -> list[tuple[str, str, frozenset[str]]]:
    """``(method, path, parameters the sandbox names as the platform's but not implemented)`` of every write."""
    if kind.singleton is not None:
        writes = [("PUT", kind.collection, frozenset[str]())]
    else:
        writes = [("POST", kind.collection, frozenset()),
                  (kind.update_method, kind.collection + "/{id}", frozenset(kind.update_unsupported_params))]
    if kind.sub_resource is not None:
        writes.append((kind.sub_resource.method, kind.collection + "/{id}" + kind.sub_resource.path, frozenset()))
    if kind.children is not None:
        children = kind.collection + "/{id}" + kind.children.path
        writes += [("POST", children, frozenset()), ("PUT", children + "/{key}", frozenset())]
    if kind.publish is not None:
        writes.append(("POST", kind.publish.path, frozenset()))
    if kind.after_write is not None:
        writes.append((kind.after_write.method, kind.after_write.path, frozenset()))
    return writes


_WRITES = [(kind, *write) for kind in KINDS for write in _writes(kind)]
_PLATFORM_WRITES = [w for w in _WRITES if w[0] in PLATFORM_KINDS]


@pytest.mark.parametrize(("kind", "method", "path", "unimplemented"), _WRITES,
                         ids=[f"{w[0].name}-{w[1]} {w[2]}" for w in _WRITES])
async def test_a_write_refuses_a_parameter_it_does_not_take(  # type: ignore[no-untyped-def]
    api, kind: Kind, method: str, path: str, unimplemented: frozenset[str]
) -> None:
    """A POST, PUT or PATCH ignored every query parameter while reads and deletes refused them."""
    at = path.replace("{id}", "no-such-id").replace("{key}", "en-us")
    _refused(await api.request(method, at, params={"bogus": "1"}, json={}), "bogus")
    for param in sorted(unimplemented):
        response = await api.request(method, at, params={param: "1"}, json={})
        assert_error(response, 400, "bad.request", param)
        assert "that the sandbox does not implement" in response.json()["message"]


@pytest.mark.parametrize(("kind", "method", "path", "unimplemented"), _PLATFORM_WRITES,
                         ids=[f"{w[0].name}-{w[1]} {w[2]}" for w in _PLATFORM_WRITES])
def test_each_write_knows_exactly_its_sdk_methods_parameters(
    kind: Kind, method: str, path: str, unimplemented: frozenset[str]
) -> None:
    """The engine sends no parameter on a write; the sandbox names each its SDK method has as not implemented."""
    sdk, accepted = query_params(method, path)
    assert unimplemented == accepted, f"{kind.name} {method} {path}: sandbox {sorted(unimplemented)}, SDK {sdk} " \
                                      f"takes {sorted(accepted)}"
