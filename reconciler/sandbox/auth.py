"""OAuth client credentials, bearer tokens and scopes, as the contract describes them.

The configured client (``SandboxOptions.client_id``/``client_secret``) holds every
scope the kinds need (read, write and their after-write hooks). Further clients with
chosen scopes can be registered through the admin surface, to exercise ``403``.
Tokens live in the SQLite file, so a token issued by one process is honoured by
another process sharing the file; expiry uses the wall clock for the same reason.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Callable

from starlette.requests import Request

from reconciler.kinds import AUDIT_READ_SCOPE, KINDS
from reconciler.sandbox.responses import ApiProblem, bad_request
from reconciler.sandbox.store import Store, TokenRecord


def all_scopes() -> frozenset[str]:
    """Every scope an endpoint of the sandbox may require (the audit query service's too)."""
    scopes: set[str] = {AUDIT_READ_SCOPE}
    for kind in KINDS:
        scopes.update(kind.scopes())
    return frozenset(scopes)


def unauthorized(message: str) -> ApiProblem:
    return ApiProblem(401, message, headers={"WWW-Authenticate": 'Bearer realm="sandbox"'})


class Authority:
    """Issues tokens to known clients and checks the bearer token of each request."""

    def __init__(
        self,
        store: Store,
        client_id: str,
        client_secret: str,
        token_ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.clock = clock

    # ---- the token endpoint --------------------------------------------------------
    def client_scopes(self, authorization: str | None) -> tuple[str, frozenset[str]]:
        """The client named by an HTTP Basic header, if its secret is right; else 401."""
        if not authorization or not authorization.lower().startswith("basic "):
            raise ApiProblem(
                401,
                "Client authentication is required (HTTP Basic client_id:client_secret)",
                headers={"WWW-Authenticate": 'Basic realm="sandbox"'},
            )
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
            client_id, client_secret = decoded.split(":", 1)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ApiProblem(
                401, "Malformed HTTP Basic credentials", headers={"WWW-Authenticate": 'Basic realm="sandbox"'}
            ) from None
        if secrets.compare_digest(client_id.encode(), self.client_id.encode()) and secrets.compare_digest(
            client_secret.encode(), self.client_secret.encode()
        ):
            return client_id, all_scopes()
        registered = self.store.get_client(client_id)
        if registered is not None and secrets.compare_digest(registered[0].encode(), client_secret.encode()):
            return client_id, registered[1]
        raise ApiProblem(401, "Invalid client credentials", headers={"WWW-Authenticate": 'Basic realm="sandbox"'})

    def issue(self, authorization: str | None, grant_type: str | None) -> dict[str, object]:
        """Answer a client-credentials grant: ``{"access_token", "token_type", "expires_in"}``."""
        client_id, scopes = self.client_scopes(authorization)
        if grant_type != "client_credentials":
            detail = "is required" if not grant_type else "must be client_credentials"
            raise bad_request([("grant_type", detail)], "token request")
        token = secrets.token_urlsafe(32)
        self.store.put_token(token, TokenRecord(client_id, scopes, self.clock() + self.token_ttl))
        return {"access_token": token, "token_type": "bearer", "expires_in": self.token_ttl}

    # ---- API requests --------------------------------------------------------------
    @staticmethod
    def bearer(request: Request) -> str:
        """The bearer token of a request, or 401."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Authentication required: send Authorization: Bearer <token>")
        return token.strip()

    def authenticate(self, token: str) -> TokenRecord:
        """The record of a live token, or 401 (unknown or expired)."""
        record = self.store.get_token(token)
        if record is None:
            raise unauthorized("The access token is not valid")
        if record.expires_at <= self.clock():
            raise unauthorized("The access token has expired")
        return record

    @staticmethod
    def require(record: TokenRecord, scope: str) -> None:
        if scope not in record.scopes:
            raise ApiProblem(
                403,
                f"The OAuth client lacks the permission this endpoint needs: {scope}",
                code="missing.any.permissions",
            )
