"""``GET /api/v2/tokens/me``: which org a token belongs to, and which OAuth client holds it.

The platform answers it to any valid token, no permission needed (SDK
``TokensApi.get_tokens_me``, model ``TokenInfo``: "Requires NO permissions",
platform-client-sdk-python ``build/docs/TokensApi.md``). The reconciler records the org in
a saved plan and refuses to apply that plan to another org, so each sandbox database is
an org of its own: its id and name are made when the file is (``Store._open_anchor``, an
older file on its first open) and never change, so a served sandbox restarted on another
database at the same address answers as another org, as a real region would for another
org's credentials. ``doctor`` reads the answer's ``OAuthClient`` too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox.openapi_kinds import errors, ok, ref
from reconciler.sandbox.responses import JSON
from reconciler.sandbox.store import Store

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxState

TOKEN_INFO = "/api/v2/tokens/me"


def sandbox_org(store: Store) -> tuple[str, str]:
    """``(id, name)`` of the org ``store``'s database stands for."""
    with store.read() as conn:
        row = conn.execute("SELECT id, name FROM org WHERE one = 1").fetchone()
    return str(row[0]), str(row[1])


def token_info(org: tuple[str, str], client_id: str) -> dict[str, Any]:
    """The ``TokenInfo`` of a client-credentials token: the org (also its home org) and the OAuth client."""
    org_id, org_name = org
    organization = {"id": org_id, "name": org_name, "selfUri": f"/api/v2/organizations/{org_id}"}
    return {
        "organization": organization,
        "homeOrganization": organization,
        "OAuthClient": {"id": client_id, "name": client_id, "organization": {"id": org_id}},
    }


def identity_routes(state: SandboxState) -> list[Route]:
    """The one endpoint: any live token, no permission (rate limited like every Genesys endpoint)."""

    async def me(request: Request) -> Response:
        record = await state.guard(request, (), write=False)
        org = await run_in_threadpool(sandbox_org, state.store)
        return JSON(token_info(org, record.client_id))

    return [Route(TOKEN_INFO, me, methods=["GET"], name="tokens.me")]


def identity_paths(components: dict[str, Any]) -> dict[str, Any]:
    """The path in the OpenAPI document; its schema (the SDK's ``TokenInfo``, as far as filled in) goes into
    ``components``."""
    text = {"type": "string"}
    entity = {"type": "object", "required": ["id"], "properties": {"id": text, "name": text, "selfUri": text}}
    components["TokenInfo"] = {
        "type": "object",
        "required": ["organization", "homeOrganization", "OAuthClient"],
        "properties": {
            "organization": entity,
            "homeOrganization": entity,
            "OAuthClient": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": text, "name": text, "organization": entity},
            },
        },
    }
    return {
        TOKEN_INFO: {
            "get": {
                "operationId": "getTokensMe",
                "summary": "Fetch information about the current token: its org and OAuth client (no permission).",
                "security": [{"oauth": []}],
                "responses": {**ok("The token's org and OAuth client.", ref("TokenInfo")), **errors(401, 429)},
            }
        }
    }


__all__ = ["TOKEN_INFO", "identity_paths", "identity_routes", "sandbox_org", "token_info"]
