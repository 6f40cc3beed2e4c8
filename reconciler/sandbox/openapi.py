"""The sandbox's OpenAPI 3.1 document, built from the kinds' pydantic models.

Generated, never hand-written, so it cannot drift from the rules the sandbox enforces.
A copy is kept in the package (``reconciler/sandbox/openapi.json``) and a test fails
when it differs from what the sandbox serves at ``/openapi.json``. Regenerate it with::

    python -m reconciler.sandbox.openapi > reconciler/sandbox/openapi.json

Only the Genesys surface is documented; the admin paths under ``/__sandbox__/`` are not
part of the contract. Rules that JSON Schema cannot say (engine matching the voice
prefix, case-insensitive duplicate phrases, auth-scheme requirements, ...) are enforced
by the server with ``400 bad.request`` and mentioned in the field descriptions.
"""

from __future__ import annotations

import copy
import json
import sys
from functools import lru_cache
from typing import Any

from ..kinds import KINDS, Kind
from ..kinds.base import NAME_MAX, SERVER_MANAGED
from .resources import PAGE_NUMBER_MAX, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX
from .responses import CORRELATION_HEADER

REF = "#/components/schemas/{model}"
JSON_MEDIA = "application/json"

_NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": NAME_MAX,
    "pattern": r"\S",
    "description": f"1 to {NAME_MAX} characters, not only spaces; unique per kind, compared case-insensitively.",
}
_SERVER_FIELDS: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "format": "uuid", "description": "Server-assigned id."},
    "version": {"type": "integer", "minimum": 1, "description": "Starts at 1, +1 on every update."},
    "dateCreated": {"type": "string", "format": "date-time", "description": "ISO 8601 UTC."},
    "dateModified": {"type": "string", "format": "date-time", "description": "ISO 8601 UTC."},
    "selfUri": {"type": "string", "description": "Path of this object."},
}
_HEADERS = {
    "CorrelationId": {
        "description": "Correlation id of the exchange (also the error body's contextId).",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    },
    "RetryAfter": {"description": "Whole seconds to wait.", "required": True, "schema": {"type": "integer", "minimum": 1}},
}
_CORRELATION = {CORRELATION_HEADER: {"$ref": "#/components/headers/CorrelationId"}}
_RESPONSE_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}
_ERROR_TEXT = {
    400: "Invalid request: `details` name each bad field (code bad.request).",
    401: "Missing, unknown or expired token (authentication.required).",
    403: "The token lacks the scope (missing.any.permissions).",
    404: "No such object (not.found).",
    409: "duplicate.name or version.mismatch.",
    429: "Rate limit exceeded (too.many.requests); wait Retry-After seconds.",
    500: "Server error (internal.server.error).",
    503: "Service unavailable (service.unavailable).",
}


def _error(status: int) -> dict[str, Any]:
    headers = dict(_CORRELATION)
    if status == 429:
        headers["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}
    return {
        "description": _ERROR_TEXT[status],
        "headers": headers,
        "content": {JSON_MEDIA: {"schema": {"$ref": REF.format(model="ErrorBody")}}},
    }


def _ok(description: str, schema: dict[str, Any] | None, status: int = 200) -> dict[str, dict[str, Any]]:
    answer: dict[str, Any] = {"description": description, "headers": dict(_CORRELATION)}
    if schema is not None:
        answer["content"] = {JSON_MEDIA: {"schema": schema}}
    return {str(status): answer}


def _errors(*statuses: int) -> dict[str, dict[str, Any]]:
    return {str(s): {"$ref": f"#/components/responses/{_RESPONSE_NAMES[s]}"} for s in statuses}


def _common_schemas() -> dict[str, Any]:
    return {
        "ErrorBody": {
            "type": "object",
            "description": "The Genesys error body.",
            "required": ["message", "code", "status", "messageParams", "contextId", "details", "errors"],
            "properties": {
                "message": {"type": "string"},
                "code": {"type": "string"},
                "status": {"type": "integer"},
                "messageParams": {"type": "object"},
                "contextId": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["errorCode", "fieldName"],
                        "properties": {"errorCode": {"type": "string"}, "fieldName": {"type": "string"}},
                    },
                },
                "errors": {"type": "array", "items": {"type": "object"}},
            },
        },
        "TokenResponse": {
            "type": "object",
            "required": ["access_token", "token_type", "expires_in"],
            "properties": {
                "access_token": {"type": "string"},
                "token_type": {"type": "string", "const": "bearer"},
                "expires_in": {"type": "integer", "minimum": 1},
            },
        },
        "AfterWriteAccepted": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "const": "refreshing"}},
        },
    }


def _kind_schemas(kind: Kind, components: dict[str, Any]) -> None:
    """Add ``<Kind>``, ``<Kind>Create``, ``<Kind>Update`` and ``<Kind>Listing``."""
    spec = kind.spec_model.model_json_schema(ref_template=REF)
    for def_name, definition in spec.pop("$defs", {}).items():
        if components.get(def_name, definition) != definition:
            raise ValueError(f"two kinds define different schemas named {def_name}")
        components[def_name] = definition
    spec_props: dict[str, Any] = spec["properties"]
    required_spec: list[str] = list(spec.get("required", []))
    ignored = {name: {"readOnly": True, "description": "Ignored in requests (server-managed)."} for name in SERVER_MANAGED}
    ignored.update({flag: {"readOnly": True, "description": "Ignored in requests (read-only flag)."} for flag in kind.read_only})

    create = {
        "type": "object",
        "description": f"Body of a {kind.name} create. {spec.get('description', '')}".strip(),
        "additionalProperties": False,
        "required": ["name", *required_spec],
        "properties": {"name": _NAME, **copy.deepcopy(spec_props), **ignored},
    }
    update = copy.deepcopy(create)
    update["description"] = f"Body of a {kind.name} update: the whole object and the version it is based on."
    update["required"] = ["name", "version", *required_spec]
    update["properties"]["version"] = {"type": "integer", "description": "The stored version this update is based on."}

    shown = {k: copy.deepcopy(v) for k, v in spec_props.items() if k not in kind.write_only}
    for value in shown.values():
        value.pop("default", None)
    always = [k for k, v in kind.spec_model.model_fields.items()
              if k not in kind.write_only and (v.is_required() or v.get_default(call_default_factory=True) is not None)]
    flags = {flag: {"type": "boolean", "readOnly": True, "description": f"Whether {secret} is set (never shown)."}
             for secret, flag in kind.write_only.items()}
    obj = {
        "type": "object",
        "description": f"A stored {kind.name}: defaults filled, write-only fields replaced by their flags.",
        "additionalProperties": False,
        "required": ["id", "name", *always, *flags, *_SERVER_FIELDS.keys() - {"id"}],
        "properties": {"id": _SERVER_FIELDS["id"], "name": _NAME, **shown, **flags,
                       **{k: v for k, v in _SERVER_FIELDS.items() if k != "id"}},
    }
    obj["required"] = sorted(set(obj["required"]), key=list(obj["properties"]).index)
    uri = {"type": "string"}
    listing = {
        "type": "object",
        "required": ["entities", "pageSize", "pageNumber", "total", "pageCount", "firstUri", "lastUri", "selfUri"],
        "properties": {
            "entities": {"type": "array", "items": {"$ref": REF.format(model=kind.name)}},
            "pageSize": {"type": "integer"},
            "pageNumber": {"type": "integer"},
            "total": {"type": "integer"},
            "pageCount": {"type": "integer"},
            "firstUri": uri,
            "lastUri": uri,
            "selfUri": uri,
            "nextUri": {"type": "string", "description": "Absent on the last page."},
        },
    }
    components[kind.name] = obj
    components[f"{kind.name}Create"] = create
    components[f"{kind.name}Update"] = update
    components[f"{kind.name}Listing"] = listing


def _kind_paths(kind: Kind) -> dict[str, Any]:
    ref = {"$ref": REF.format(model=kind.name)}
    read = [{"oauth": [kind.read_scope]}]
    write = [{"oauth": [kind.write_scope]}]
    item_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    guarded = (401, 403, 429)
    written = (500, 503)
    return {
        kind.collection: {
            "get": {
                "operationId": f"list{kind.name}s",
                "summary": f"List {kind.name} objects, a page at a time.",
                "security": read,
                "parameters": [
                    {"name": "pageSize", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX, "default": PAGE_SIZE_DEFAULT}},
                    {"name": "pageNumber", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_NUMBER_MAX, "default": 1}},
                    {"name": "name", "in": "query", "required": False, "description": "Whole name, case-insensitive.",
                     "schema": {"type": "string"}},
                ],
                "responses": {**_ok("One page.", {"$ref": REF.format(model=f"{kind.name}Listing")}), **_errors(400, *guarded)},
            },
            "post": {
                "operationId": f"create{kind.name}",
                "summary": f"Create a {kind.name}; omitted fields take their defaults.",
                "security": write,
                "requestBody": {"required": True,
                                "content": {JSON_MEDIA: {"schema": {"$ref": REF.format(model=f"{kind.name}Create")}}}},
                "responses": {**_ok("The stored object.", ref), **_errors(400, *guarded, 409, *written)},
            },
        },
        kind.collection + "/{id}": {
            "parameters": [item_id],
            "get": {
                "operationId": f"get{kind.name}",
                "security": read,
                "responses": {**_ok("The stored object.", ref), **_errors(*guarded, 404)},
            },
            "put": {
                "operationId": f"update{kind.name}",
                "summary": "Replace the whole object; version must be the stored one. Omitted write-only fields keep their value.",
                "security": write,
                "requestBody": {"required": True,
                                "content": {JSON_MEDIA: {"schema": {"$ref": REF.format(model=f"{kind.name}Update")}}}},
                "responses": {**_ok("The stored object, version + 1.", ref), **_errors(400, *guarded, 404, 409, *written)},
            },
            "delete": {
                "operationId": f"delete{kind.name}",
                "security": write,
                "responses": {**_ok("Deleted.", None, 204), **_errors(*guarded, 404, *written)},
            },
        },
    }


@lru_cache(maxsize=1)
def _document() -> str:
    components: dict[str, Any] = _common_schemas()
    paths: dict[str, Any] = {
        "/oauth/token": {
            "post": {
                "operationId": "getToken",
                "summary": "OAuth client-credentials grant (HTTP Basic client_id:client_secret).",
                "security": [{"basic": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]}},
                    }}},
                },
                "responses": {**_ok("A bearer token.", {"$ref": REF.format(model="TokenResponse")}), **_errors(400, 401)},
            }
        }
    }
    hooks: dict[str, Any] = {}
    scopes: dict[str, str] = {}
    for kind in KINDS:
        _kind_schemas(kind, components)
        paths.update(_kind_paths(kind))
        scopes[kind.read_scope] = f"read {kind.name} objects"
        scopes[kind.write_scope] = f"write {kind.name} objects"
        hook = kind.after_write
        if hook is not None:
            scopes[hook.scope] = hook.description
            hooks.setdefault(hook.path, {})[hook.method.lower()] = {
                "operationId": "afterWrite" + "".join(p.title() for p in hook.path.split("/")[3:]),
                "summary": f"{hook.description[:1].upper()}{hook.description[1:]} (once per apply, after the last write).",
                "security": [{"oauth": [hook.scope]}],
                "responses": {**_ok("Accepted.", {"$ref": REF.format(model="AfterWriteAccepted")}, 202),
                              **_errors(401, 403, 429)},
            }
    paths.update(hooks)
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "Genesys Cloud sandbox (reconciler)",
            "version": "1",
            "description": "The subset of the Genesys Cloud Platform API that reconciler speaks, as its sandbox emulates it. "
            "Every response carries ININ-Correlation-Id; every error is a Genesys ErrorBody.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {name: _error(status) for status, name in _RESPONSE_NAMES.items()},
            "headers": _HEADERS,
            "securitySchemes": {
                "oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": dict(sorted(scopes.items()))}}},
                "basic": {"type": "http", "scheme": "basic"},
            },
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy each call; callers may mutate it)."""
    return json.loads(_document())


def main() -> None:
    sys.stdout.write(_document())


if __name__ == "__main__":
    main()
