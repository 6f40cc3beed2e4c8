"""The query parameters reads send, declare and document, against the official SDK's, endpoint by endpoint.

The platform refuses a query parameter an endpoint does not have (the premise of
``ReferenceRead``'s ``paging="none"``), and the SDK (``PureCloudPlatformClientV2``) sends
exactly the parameters each endpoint has: its api method's ``query_params['…'] =`` lines.
Each read of every platform kind is paired with the SDK method on the same path (found by
path, :func:`sdk_models.query_params`), and what the reconciler sends there must be among the
SDK method's parameters:

* the kind's listing (``Kind.listing_path``): ``pageSize``, ``pageNumber`` or the cursor
  parameters, the name filter, ``Listing.list_params()``, and the platform's parameters the
  sandbox refuses (``Listing.unsupported_params``); a superseded listing likewise;
* the item read (``GET {collection}/{id}``, or a singleton's path): ``Listing.read_params()``;
* a child collection's listing (``pageSize``/``pageNumber``) and each live check's
  reference read (its ``params`` and paging parameters);
* a delete: ``Kind.delete_params``;
* the sandbox's OpenAPI document: every query parameter it documents on those reads;
* the client itself: the parameters of each request it makes listing, finding by name and
  reading an object, recorded by a mock transport.

A data action's listing sent ``expand=contract`` (a parameter of ``get_integrations_action``
only, not of ``get_integrations_actions``) until ``list_params`` replaced ``read_params`` there.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from sdk_models import query_params

from reconciler.genesys import GenesysClient, Target
from reconciler.kinds import PLATFORM_KINDS, Kind
from reconciler.kinds.conventions import Listing
from reconciler.sandbox.listing import known_params
from reconciler.sandbox.openapi import document

_COLLECTIONS = [k for k in PLATFORM_KINDS if k.singleton is None]


def _listing_params(listing: Listing) -> set[str]:
    """Every query parameter a listing in this convention is sent or declares."""
    paging = {"pageNumber"} if listing.style == "pages" else {listing.cursor_param}
    return {
        "pageSize",
        *paging,
        *(p for p in (listing.before_param, listing.name_filter) if p),
        *listing.list_params(),
        *listing.unsupported_params,
    }


def _reads(kind: Kind) -> Iterator[tuple[str, str, set[str]]]:
    """``(what, path, query parameters)`` of every read of ``kind``."""
    if kind.singleton is not None:
        yield "singleton read", kind.collection, set(kind.listing.read_params())
    else:
        yield "listing", kind.listing_path, _listing_params(kind.listing)
        yield "item read", kind.collection + "/{id}", set(kind.listing.read_params())
    if kind.listing.superseded is not None:
        yield "superseded listing", kind.collection, _listing_params(kind.listing.superseded)
    if kind.children is not None:
        yield "child listing", kind.collection + "/{id}" + kind.children.path, {"pageSize", "pageNumber"}
    for check in kind.live_checks:
        for read in check.reads:
            paging = {"pages": {"pageSize", "pageNumber"}, "cursor": {"pageSize"}, "none": set()}[read.paging]
            yield f"reference read {read.key}", read.path, {*read.params, *paging}


_READS = [(kind, *read) for kind in PLATFORM_KINDS for read in _reads(kind)]


@pytest.mark.parametrize(("kind", "what", "path", "sent"), _READS, ids=[f"{r[0].name}-{r[1]}" for r in _READS])
def test_what_each_read_sends_is_a_parameter_of_the_sdk_method(kind: Kind, what: str, path: str, sent: set[str]) -> None:
    method, accepted = query_params("GET", path)
    unknown = sorted(sent - accepted)
    assert not unknown, f"{kind.name} {what} (GET {path}) sends {unknown}; SDK {method} takes {sorted(accepted)}"


@pytest.mark.parametrize("kind", _COLLECTIONS, ids=[k.name for k in _COLLECTIONS])
def test_the_sandbox_listing_honours_only_sdk_parameters(kind: Kind) -> None:
    method, accepted = query_params("GET", kind.listing_path)
    unknown = sorted(known_params(kind) - accepted)
    assert not unknown, f"the sandbox's {kind.name} listing honours {unknown}; SDK {method} takes {sorted(accepted)}"


@pytest.fixture(scope="module")
def documented() -> dict[str, Any]:
    return document()["paths"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("kind", "what", "path", "sent"), _READS, ids=[f"{r[0].name}-{r[1]}" for r in _READS])
def test_the_sandbox_documents_only_sdk_parameters(
    kind: Kind, what: str, path: str, sent: set[str], documented: dict[str, Any]
) -> None:
    at = next((p for p in documented if re.sub(r"\{[^}]+\}", "{}", p) == re.sub(r"\{[^}]+\}", "{}", path)), None)
    if at is None or "get" not in documented[at]:
        pytest.skip(f"the sandbox does not document GET {path}")
    operation = documented[at]["get"]
    params = [*documented[at].get("parameters", ()), *operation.get("parameters", ())]
    names = {p["name"] for p in params if p.get("in") == "query"}
    method, accepted = query_params("GET", path)
    unknown = sorted(names - accepted)
    assert not unknown, f"the sandbox documents {unknown} on {kind.name} {what}; SDK {method} takes {sorted(accepted)}"


@pytest.mark.parametrize("kind", _COLLECTIONS, ids=[k.name for k in _COLLECTIONS])
def test_what_a_delete_sends_is_a_parameter_of_the_sdk_method(kind: Kind) -> None:
    """``Kind.delete_params`` (a prompt's ``allResources=true``: SDK ``delete_architect_prompt(all_resources=…)``)."""
    method, accepted = query_params("DELETE", kind.collection + "/{id}")
    unknown = sorted(set(kind.delete_params) - accepted)
    assert not unknown, f"a {kind.name} delete sends {unknown}; SDK {method} takes {sorted(accepted)}"


def test_a_data_action_listing_is_not_asked_for_the_contract() -> None:
    """The case that was wrong: the listing never shows the contract, and its SDK method has no ``expand``."""
    actions = next(k for k in PLATFORM_KINDS if k.name == "DataAction")
    assert actions.listing.list_params() == {"includeConfig": "true"}
    assert actions.listing.read_params() == {"includeConfig": "true", "expand": "contract"}


# ---- what the client sends ------------------------------------------------------------------------------

API = "http://127.0.0.1:8998"


def _answer(kind: Kind, request: httpx.Request) -> httpx.Response:
    """An empty page at the listing, the object at an item path: just enough for the read to finish."""
    if request.url.path == kind.listing_path:
        size = int(request.url.params.get("pageSize", "25"))
        return httpx.Response(200, json={"entities": [], "pageSize": size, "pageNumber": 1, "total": 0,
                                         "pageCount": 0})
    return httpx.Response(200, json={"id": "id-1", kind.name_field: "one", "version": 1})


@pytest.mark.anyio
@pytest.mark.parametrize("kind", _COLLECTIONS, ids=[k.name for k in _COLLECTIONS])
async def test_the_client_sends_only_sdk_parameters(kind: Kind) -> None:
    sent: dict[str, set[str]] = {}
    target = Target(kind="genesys", api_url=API, login_url=API, client_id="id", client_secret="secret-value")
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as router:
        router.post("/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 86400})
        )

        def record(request: httpx.Request) -> httpx.Response:
            sent.setdefault(request.url.path, set()).update(request.url.params.keys())
            return _answer(kind, request)

        router.get(url__regex=r".*").mock(side_effect=record)
        async with GenesysClient(target, rng=random.Random(7)) as client:
            await client.list_all(kind)
            await client.find_by_name(kind, "one")
            await client.get(kind, "id-1")
    assert set(sent) == {kind.listing_path, kind.item_path("id-1")}
    for path, names in sent.items():
        method, accepted = query_params("GET", path if path == kind.listing_path else kind.collection + "/{id}")
        unknown = sorted(names - accepted)
        assert not unknown, f"the client sent {unknown} to GET {path}; SDK {method} takes {sorted(accepted)}"
