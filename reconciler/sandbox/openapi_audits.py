"""The audit query service in the OpenAPI document: schemas and the three paths (see :mod:`.audits`).

Schemas mirror the SDK's models (``AuditQueryRequest``, ``AuditQueryFilter``,
``AuditQuerySort``, ``AuditQueryExecutionStatusResponse``,
``AuditQueryExecutionResultsResponse``, ``AuditLogMessage``, ``PropertyChange``), as far
as the sandbox fills them in.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds import AUDIT_READ_SCOPE
from reconciler.sandbox.audits import (
    FILTER_PROPERTIES,
    QUERY,
    RESULTS_PAGE_DEFAULT,
    RESULTS_PAGE_MAX,
    SERVICES,
    SORT_ORDERS,
)
from reconciler.sandbox.openapi_kinds import JSON_MEDIA, errors, ok, query, ref

_TEXT = {"type": "string"}
_ENTITY = {"type": "object", "properties": {"id": _TEXT, "name": _TEXT, "selfUri": _TEXT}}


def _schemas() -> dict[str, Any]:
    request = {
        "interval": {**_TEXT, "description": "ISO 8601 interval start/end, with time zones."},
        "serviceName": {"type": "string", "enum": list(SERVICES)},
        "filters": {"type": "array", "items": ref("AuditQueryFilter")},
        "sort": {"type": "array", "items": ref("AuditQuerySort")},
    }
    return {
        "AuditQueryFilter": {
            "type": "object",
            "additionalProperties": False,
            "required": ["property", "value"],
            "properties": {"property": {"type": "string", "enum": list(FILTER_PROPERTIES)}, "value": _TEXT},
        },
        "AuditQuerySort": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "enum": ["Timestamp"]},
                "sortOrder": {"type": "string", "enum": list(SORT_ORDERS)},
            },
        },
        "AuditQueryRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["interval", "serviceName"],
            "properties": request,
        },
        "AuditQueryExecutionStatusResponse": {
            "type": "object",
            "required": ["id", "state", "startDate", "interval", "serviceName"],
            "properties": {
                **request,
                "id": _TEXT,
                "state": {"type": "string", "enum": ["Queued", "Running", "Succeeded", "Failed", "Cancelled"]},
                "startDate": _TEXT,
            },
        },
        "PropertyChange": {
            "type": "object",
            "required": ["property", "oldValues", "newValues"],
            "properties": {
                "property": _TEXT,
                "oldValues": {"type": "array", "items": _TEXT},
                "newValues": {"type": "array", "items": _TEXT},
            },
        },
        "AuditLogMessage": {
            "type": "object",
            "required": ["id", "serviceName", "eventDate", "action", "entity", "entityType", "status"],
            "properties": {
                "id": _TEXT,
                "user": _ENTITY,
                "client": _ENTITY,
                "serviceName": _TEXT,
                "level": {"type": "string", "enum": ["USER", "SYSTEM", "GENESYS_INTERNAL"]},
                "eventDate": _TEXT,
                "action": _TEXT,
                "entity": _ENTITY,
                "entityType": _TEXT,
                "status": {"type": "string", "enum": ["SUCCESS", "FAILURE", "WARNING"]},
                "propertyChanges": {"type": "array", "items": ref("PropertyChange")},
            },
        },
        "AuditQueryExecutionResultsResponse": {
            "type": "object",
            "required": ["id", "pageSize", "entities"],
            "properties": {
                "id": _TEXT,
                "pageSize": {"type": "integer"},
                "cursor": {**_TEXT, "description": "Absent on the last page."},
                "entities": {"type": "array", "items": ref("AuditLogMessage")},
            },
        },
    }


def audit_paths(components: dict[str, Any], scopes: dict[str, str]) -> dict[str, Any]:
    """The audit query paths; their schemas go into ``components``, their scope into ``scopes``."""
    components.update(_schemas())
    scopes[AUDIT_READ_SCOPE] = "query the audit service (who changed what, and when)"
    security = [{"oauth": [AUDIT_READ_SCOPE]}]
    transaction = {"name": "transactionId", "in": "path", "required": True, "schema": _TEXT}
    status = ref("AuditQueryExecutionStatusResponse")
    return {
        QUERY: {
            "post": {
                "operationId": "postAuditsQuery",
                "summary": "Start an audit query (answered Queued; poll it until it has Succeeded).",
                "security": security,
                "requestBody": {"required": True, "content": {JSON_MEDIA: {"schema": ref("AuditQueryRequest")}}},
                "responses": {**ok("The query, queued.", status), **errors(400, 401, 403, 429)},
            }
        },
        QUERY + "/{transactionId}": {
            "parameters": [transaction],
            "get": {
                "operationId": "getAuditsQueryTransactionId",
                "security": security,
                "responses": {**ok("The query's state.", status), **errors(401, 403, 404, 429)},
            },
        },
        QUERY + "/{transactionId}/results": {
            "parameters": [transaction],
            "get": {
                "operationId": "getAuditsQueryTransactionIdResults",
                "security": security,
                "parameters": [
                    query("cursor", _TEXT, "The cursor of the previous page."),
                    query(
                        "pageSize",
                        {"type": "integer", "minimum": 1, "maximum": RESULTS_PAGE_MAX, "default": RESULTS_PAGE_DEFAULT},
                    ),
                ],
                "responses": {
                    **ok("One page of audit messages.", ref("AuditQueryExecutionResultsResponse")),
                    **errors(400, 401, 403, 404, 429),
                },
            },
        },
    }
