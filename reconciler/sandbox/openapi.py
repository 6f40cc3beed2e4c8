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

import json
import sys
from functools import lru_cache
from typing import Any

from reconciler.kinds import KINDS
from reconciler.sandbox.catalog import CREDENTIAL_TYPES, DIALECTS, ENGINES, TRIGGER_TOPICS, reference_reads
from reconciler.sandbox.identity import identity_paths
from reconciler.sandbox.openapi_audits import audit_paths
from reconciler.sandbox.openapi_kinds import (
    JSON_MEDIA,
    REF,
    RESPONSE_NAMES,
    errors,
    kind_schemas,
    ok,
    query,
    ref,
)
from reconciler.sandbox.openapi_paths import kind_paths
from reconciler.sandbox.responses import CORRELATION_HEADER

_HEADERS = {
    "CorrelationId": {
        "description": "Correlation id of the exchange (also the error body's contextId).",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    },
    "RetryAfter": {
        "description": "Whole seconds to wait.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
}
_CORRELATION = {CORRELATION_HEADER: {"$ref": "#/components/headers/CorrelationId"}}
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


def _name_listings(scopes: dict[str, str]) -> dict[str, Any]:
    """The topic dialects (one answer, no paging) and trigger topics (``after`` cursor): lists of names."""
    names = {"type": "array", "items": {"type": "string"}}
    paths: dict[str, Any] = {}
    for path, scope in scopes.items():
        cursor = path == TRIGGER_TOPICS
        parameters = [
            query("pageSize", {"type": "integer", "minimum": 1, "maximum": 200, "default": 25}),
            query("after", {"type": "string"}, "The cursor of the next page (from nextUri)."),
        ]
        properties = {"entities": names, "selfUri": {"type": "string"}, "nextUri": {"type": "string"}}
        paths[path] = {
            "get": {
                "operationId": "listTriggerTopics" if cursor else "listTopicDialects",
                "security": [{"oauth": [scope]}],
                "parameters": parameters if cursor else [],
                "responses": {
                    **ok("The names.", {"type": "object", "required": ["entities"], "properties": properties}),
                    **errors(400, 401, 403, 429),  # 400: a bad cursor, a parameter the listing does not take
                },
            }
        }
    return paths


def _credential_types(scope: str) -> dict[str, Any]:
    """The integration credential types: a bare array of the SDK's ``CredentialType``, no parameters."""
    item = {
        "type": "object",
        "required": ["id", "name", "required"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "properties": {"type": "object", "description": "Properties describing credentials of this type."},
            "displayOrder": {"type": "array", "items": {"type": "string"}},
            "required": {
                "type": "array", "items": {"type": "string"}, "description": "Properties that are required fields."
            },
            "selfUri": {"type": "string"},
        },
    }
    return {
        "get": {
            "operationId": "listCredentialTypes",
            "security": [{"oauth": [scope]}],
            "parameters": [],
            "responses": {**ok("The credential types.", {"type": "array", "items": item}), **errors(401, 403, 429)},
        }
    }


def _catalog(components: dict[str, Any]) -> dict[str, Any]:
    """Schemas and paths of the reference listings kinds check against (TTS engines, voices)."""
    uri = {"type": "string"}
    components["TtsVoiceEntity"] = {
        "type": "object",
        "required": ["id", "name", "language", "engine", "selfUri"],
        "properties": {
            k: {"type": "string"} for k in ("id", "name", "displayName", "gender", "voiceType", "language", "selfUri")
        }
        | {"engine": {"type": "object"}, "isDefault": {"type": "boolean"}},
    }
    components["TtsEngineEntity"] = {
        "type": "object",
        "required": ["id", "name", "languages", "selfUri"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "languages": {"type": "array", "items": {"type": "string"}},
            "outputFormats": {"type": "array", "items": {"type": "string"}},
            "voices": {"type": "array", "items": ref("TtsVoiceEntity")},
            "isDefault": {"type": "boolean"},
            "isSecure": {"type": "boolean"},
            "selfUri": uri,
        },
    }
    for item in ("TtsEngineEntity", "TtsVoiceEntity"):
        components[f"{item}Listing"] = {
            "type": "object",
            "required": ["entities", "pageSize", "pageNumber", "total", "pageCount", "firstUri", "lastUri", "selfUri"],
            "properties": {
                "entities": {"type": "array", "items": ref(item)},
                **{k: {"type": "integer"} for k in ("pageSize", "pageNumber", "total", "pageCount")},
                **{k: uri for k in ("firstUri", "lastUri", "selfUri", "nextUri", "previousUri")},
            },
        }
    paths: dict[str, Any] = {}
    reads = reference_reads()
    paths.update(_name_listings({p: r.scope for p, r in reads.items() if p in (DIALECTS, TRIGGER_TOPICS)}))
    if CREDENTIAL_TYPES in reads:
        paths[CREDENTIAL_TYPES] = _credential_types(reads[CREDENTIAL_TYPES].scope)
    for path, read in reads.items():
        if path != ENGINES:
            continue
        security = [{"oauth": [read.scope]}]
        paged = [
            query("pageSize", {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}),
            query("pageNumber", {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}),
        ]
        voices = query("includeVoices", {"type": "boolean"}, "Include each engine's voices.")
        engine_id = {"name": "engineId", "in": "path", "required": True, "schema": {"type": "string"}}
        voice_id = {"name": "voiceId", "in": "path", "required": True, "schema": {"type": "string"}}
        paths[path] = {
            "get": {
                "operationId": "listTtsEngines",
                "security": security,
                "parameters": [
                    *paged,
                    voices,
                    query("name", {"type": "string"}),
                    query("language", {"type": "string"}),
                ],
                "responses": {
                    **ok("One page of engines.", ref("TtsEngineEntityListing")),
                    **errors(400, 401, 403, 429),
                },
            }
        }
        paths[path + "/{engineId}"] = {
            "parameters": [engine_id],
            "get": {
                "operationId": "getTtsEngine",
                "security": security,
                "parameters": [voices],
                "responses": {**ok("The engine.", ref("TtsEngineEntity")), **errors(400, 401, 403, 404, 429)},
            },
        }
        paths[path + "/{engineId}/voices"] = {
            "parameters": [engine_id],
            "get": {
                "operationId": "listTtsEngineVoices",
                "security": security,
                "parameters": paged,
                "responses": {
                    **ok("One page of voices.", ref("TtsVoiceEntityListing")),
                    **errors(400, 401, 403, 404, 429),
                },
            },
        }
        paths[path + "/{engineId}/voices/{voiceId}"] = {
            "parameters": [engine_id, voice_id],
            "get": {
                "operationId": "getTtsEngineVoice",
                "security": security,
                "responses": {**ok("The voice.", ref("TtsVoiceEntity")), **errors(400, 401, 403, 404, 429)},
            },
        }
    return paths


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
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["grant_type"],
                                "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]}},
                            }
                        }
                    },
                },
                "responses": {**ok("A bearer token.", {"$ref": REF.format(model="TokenResponse")}), **errors(400, 401)},
            }
        }
    }
    hooks: dict[str, Any] = {}
    scopes: dict[str, str] = {}
    for kind in KINDS:
        kind_schemas(kind, components)
        paths.update(kind_paths(kind))
        scopes.setdefault(kind.read_scope, f"read {kind.name} objects")
        scopes.setdefault(kind.write_scope, f"write {kind.name} objects")
        if kind.publish is not None:
            scopes.setdefault(kind.publish.scope, kind.publish.description)
        for check in kind.live_checks:
            for read in check.reads:
                scopes.setdefault(read.scope, f"read reference data ({check.description})")
        hook = kind.after_write
        if hook is not None:
            scopes[hook.scope] = hook.description
            hooks.setdefault(hook.path, {})[hook.method.lower()] = {
                "operationId": "afterWrite" + "".join(p.title() for p in hook.path.split("/")[3:]),
                "summary": f"{hook.description[:1].upper()}{hook.description[1:]}"
                " (once per apply, after the last write).",
                "security": [{"oauth": [hook.scope]}],
                "responses": {
                    **ok("Accepted.", {"$ref": REF.format(model="AfterWriteAccepted")}, 202),
                    **errors(401, 403, 429),
                },
            }
    paths.update(hooks)
    paths.update(_catalog(components))
    paths.update(audit_paths(components, scopes))
    paths.update(identity_paths(components))
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "Genesys Cloud sandbox (reconciler)",
            "version": "1",
            "description": "The subset of the Genesys Cloud Platform API that reconciler speaks,"
            " as its sandbox emulates it. Every response carries ININ-Correlation-Id;"
            " every error is a Genesys ErrorBody.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {name: _error(status) for status, name in RESPONSE_NAMES.items()},
            "headers": _HEADERS,
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": dict(sorted(scopes.items()))}
                    },
                },
                "basic": {"type": "http", "scheme": "basic"},
            },
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy each call; callers may mutate it)."""
    doc: dict[str, Any] = json.loads(_document())
    return doc


def main() -> None:
    sys.stdout.write(_document())


if __name__ == "__main__":
    main()
