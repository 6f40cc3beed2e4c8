"""The OpenAPI document: generated from the kinds, kept in the repo, honoured by the app.

Regenerate the repo copy with ``python -m reconciler.sandbox.openapi > reconciler/sandbox/openapi.json``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from sandbox_data import valid
from starlette.routing import Route

from reconciler.kinds import CONTRACT_KINDS, KINDS
from reconciler.sandbox.openapi import document

REGENERATE = "python -m reconciler.sandbox.openapi > reconciler/sandbox/openapi.json"


def repo_copy() -> dict[str, Any]:
    return json.loads(resources.files("reconciler.sandbox").joinpath("openapi.json").read_text())


def response_validator(doc: dict[str, Any], path: str, method: str, status: int) -> jsonschema.Draft202012Validator:
    answer = doc["paths"][path][method]["responses"][str(status)]
    if "$ref" in answer:
        answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    schema = answer["content"]["application/json"]["schema"]
    return jsonschema.Draft202012Validator({**schema, "components": doc["components"]})


@pytest.mark.anyio
async def test_served_document_equals_the_repo_copy(sandbox_client) -> None:
    response = await sandbox_client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == repo_copy(), f"the OpenAPI copy is stale: run {REGENERATE}"


def test_every_genesys_route_is_documented_and_nothing_else(sandbox_app) -> None:
    routes = {
        (route.path, method.lower())
        for route in sandbox_app.routes
        if isinstance(route, Route) and not route.path.startswith("/__sandbox__") and route.path != "/openapi.json"
        for method in (route.methods or set()) - {"HEAD"}
    }
    documented = {(path, method) for path, item in document()["paths"].items()
                  for method in item if method != "parameters"}
    assert routes == documented


@pytest.mark.parametrize("kind", CONTRACT_KINDS, ids=lambda k: k.name)
def test_schemas_come_from_the_kind(kind) -> None:
    schemas = document()["components"]["schemas"]
    create, shown = schemas[f"{kind.name}Create"], schemas[kind.name]
    assert set(kind.spec_fields) | {"name"} <= set(create["properties"])
    assert set(create["required"]) == {"name", *(f for f, i in kind.spec_model.model_fields.items() if i.is_required())}
    assert "version" in schemas[f"{kind.name}Update"]["required"]
    assert not set(kind.write_only) & set(shown["properties"])
    assert set(kind.read_only) <= set(shown["required"])
    security = document()["paths"][kind.collection]
    assert security["get"]["security"] == [{"oauth": [kind.read_scope]}]
    assert security["post"]["security"] == [{"oauth": [kind.write_scope]}]


def test_security_scheme_lists_every_scope() -> None:
    from reconciler.kinds import AUDIT_READ_SCOPE, KINDS

    flows = document()["components"]["securitySchemes"]["oauth"]["flows"]["clientCredentials"]
    assert flows["tokenUrl"] == "/oauth/token"
    # the kinds' scopes, and the audit query service's (drift says who changed an object)
    assert set(flows["scopes"]) == {scope for kind in KINDS for scope in kind.scopes()} | {AUDIT_READ_SCOPE}


@pytest.mark.anyio
@pytest.mark.parametrize("kind", CONTRACT_KINDS, ids=lambda k: k.name)
async def test_a_lifecycle_conforms_to_the_document(api, kind) -> None:
    doc = document()
    item = kind.collection + "/{id}"
    body = valid(kind, **({"authScheme": "bearer", "authSecret": "s"} if kind.write_only else {}))
    created = await api.post(kind.collection, json=body)
    exchanges = [
        (kind.collection, "post", created),
        (kind.collection, "post", await api.post(kind.collection, json=body)),  # 409
        (kind.collection, "post", await api.post(kind.collection, json={"name": ""})),  # 400
        (kind.collection, "get", await api.get(kind.collection, params={"pageSize": 1})),
        (item, "get", await api.get(created.json()["selfUri"])),
        (item, "put", await api.put(created.json()["selfUri"], json=created.json())),
        (item, "put", await api.put(created.json()["selfUri"], json=created.json())),  # 409
        (item, "get", await api.client.get(created.json()["selfUri"])),  # 401
    ]
    for path, method, response in exchanges:
        response_validator(doc, path, method, response.status_code).validate(response.json())
    deleted = await api.delete(created.json()["selfUri"])
    assert str(deleted.status_code) in doc["paths"][item]["delete"]["responses"]


@pytest.mark.slow  # 400 generated requests: about 14 s; marked so that it starts early under xdist
@pytest.mark.timeout(120)
def test_property_based_no_5xx_and_every_response_conforms(tmp_path) -> None:
    """Schemathesis generates valid and invalid requests for every operation of the
    document; the sandbox must never answer 5xx nor anything the document does not allow."""
    import anyio
    import httpx
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import (
        content_type_conformance,
        negative_data_rejection,
        not_a_server_error,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from reconciler.sandbox import SandboxOptions, create_app
    from reconciler.sandbox.transport import EmbeddedTransport

    app = create_app(SandboxOptions(db_path=tmp_path / "fuzz.db", rate_limit=0))

    async def prepare() -> str:
        async with httpx.AsyncClient(transport=EmbeddedTransport(app), base_url="http://sandbox.local") as client:
            answer = await client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                       auth=("sandbox", "sandbox-secret"))
            token = str(answer.json()["access_token"])
            for kind in KINDS:  # so that listings hold real objects
                if kind.singleton is None:
                    await client.post(kind.collection, json=valid(kind), headers={"Authorization": f"Bearer {token}"})
            return token

    token = anyio.run(prepare)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    bearer = {"Authorization": f"Bearer {token}"}
    basic = {"Authorization": "Basic c2FuZGJveDpzYW5kYm94LXNlY3JldA=="}
    operations = [result.ok() for result in schema.get_all_operations()]
    strategies = [
        op.as_strategy(generation_mode=mode, headers=basic if op.path == "/oauth/token" else bearer)
        for op in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        negative_data_rejection,
    ]
    seen: set[tuple[str, str, int]] = set()

    @settings(max_examples=400, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def exercise(case: Any) -> None:
        response = case.call()
        seen.add((case.method, case.path, response.status_code))
        case.validate_response(response, checks=checks)

    exercise()
    statuses = {status for _, _, status in seen}
    assert statuses >= {200, 400}, seen
    assert not any(status >= 500 for status in statuses)
