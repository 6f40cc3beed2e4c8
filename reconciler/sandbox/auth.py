"""OAuth client credentials, bearer tokens and the platform permissions they carry.

A client-credentials client gets its rights from its roles' permissions (such as
``processautomation:trigger:view``); OAuth scopes do not apply to it (SDK
``OAuthClientRequest``: "Scopes only apply to clients not using the client_credential
grant"). So every token carries its client's permissions, and an endpoint refuses a
token holding none of the permissions the kind's data names for it with the platform's
``403 missing.any.permissions`` ("... You must have at least one of the following
permissions assigned: [...]", the platform's message as CX as Code's test doubles and
the Genesys CLI reproduce it).

The configured client (``SandboxOptions.client_id``/``client_secret``) holds every
permission (``*``). ``SandboxOptions.clients`` (``sandbox serve --clients FILE``) and the
admin surface add clients with chosen permissions. A granted permission may use ``*`` for
any segment (``speechAndTextAnalytics:*:*``, or ``*`` alone for all), as roles do.
Tokens live in the SQLite file, so a token issued by one process is honoured by
another process sharing the file; expiry uses the wall clock for the same reason.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Callable, Collection, Mapping

from starlette.requests import Request

from reconciler.kinds import AUDIT_READ_PERMISSION, KINDS
from reconciler.sandbox.responses import ApiProblem, bad_request
from reconciler.sandbox.store import Store, TokenRecord

#: what the configured client holds: every permission
ALL = "*"



def all_permissions() -> frozenset[str]:
    """Every platform permission an endpoint of the sandbox may require (the audit query service's too)."""
    perms: set[str] = {AUDIT_READ_PERMISSION}
    for kind in KINDS:
        perms.update(kind.all_permissions())
    return frozenset(perms)


def grants(held: Collection[str], needed: str) -> bool:
    """Whether a held permission (segments may be ``*``; ``*`` alone: all) grants ``needed``."""
    wanted = needed.split(":")
    for permission in held:
        if permission == ALL or permission == needed:
            return True
        parts = permission.split(":")
        if len(parts) == len(wanted) and all(p in (ALL, w) for p, w in zip(parts, wanted, strict=True)):
            return True
    return False


def missing_permissions(needed: tuple[str, ...]) -> ApiProblem:
    """The platform's 403 for a token holding none of ``needed``."""
    listed = ", ".join(needed)
    return ApiProblem(
        403,
        f"Unable to perform the requested action. You must have at least one of the following permissions assigned: "
        f"[{listed}]",
        code="missing.any.permissions",
    )


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
        clients: Mapping[str, tuple[str, frozenset[str]]] | None = None,
    ) -> None:
        self.store = store
        self.client_id = client_id
        self.client_secret = client_secret
        #: client id -> (secret, permissions), from ``SandboxOptions.clients``
        self.clients = dict(clients or {})
        self.token_ttl = token_ttl
        self.clock = clock

    # ---- the token endpoint --------------------------------------------------------
    def client_permissions(self, authorization: str | None) -> tuple[str, frozenset[str]]:
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
            return client_id, frozenset({ALL})
        registered = self.clients.get(client_id) or self.store.get_client(client_id)
        if registered is not None and secrets.compare_digest(registered[0].encode(), client_secret.encode()):
            return client_id, registered[1]
        raise ApiProblem(401, "Invalid client credentials", headers={"WWW-Authenticate": 'Basic realm="sandbox"'})

    def issue(self, authorization: str | None, grant_type: str | None) -> dict[str, object]:
        """Answer a client-credentials grant: ``{"access_token", "token_type", "expires_in"}``."""
        client_id, permissions = self.client_permissions(authorization)
        if grant_type != "client_credentials":
            detail = "is required" if not grant_type else "must be client_credentials"
            raise bad_request([("grant_type", detail)], "token request")
        token = secrets.token_urlsafe(32)
        self.store.put_token(token, TokenRecord(client_id, permissions, self.clock() + self.token_ttl))
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
    def require(record: TokenRecord, needed: tuple[str, ...]) -> None:
        """Admit a token holding at least one of ``needed`` (none needed: any token), else 403."""
        if needed and not any(grants(record.permissions, n) for n in needed):
            raise missing_permissions(needed)
