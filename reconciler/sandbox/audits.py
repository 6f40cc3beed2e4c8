"""The platform's audit query service, emulated: who wrote what, when, queried as the API is.

Every create, update and delete of a kind that has an audit service (``Kind.audit``)
is recorded, by whichever client made it (the reconciler, another OAuth client), as an
``AuditLogMessage`` of the SDK (``PureCloudPlatformClientV2`` ``models/audit_log_message.py``):
``client``, ``serviceName``, ``eventDate``, ``action``, ``entity``, ``entityType`` and
``propertyChanges`` (``property``, ``oldValues``, ``newValues``, values as text). A
write-only value is never recorded: its property is named with no values.

Queries run as the platform's do (SDK ``AuditApi``), asynchronously:

* ``POST /api/v2/audits/query`` with an ``AuditQueryRequest`` (``interval``,
  ``serviceName``, ``filters``, ``sort``) answers an ``AuditQueryExecutionStatusResponse``
  in state ``Queued``;
* ``GET /api/v2/audits/query/{transactionId}`` answers its state: ``Succeeded`` from the
  first poll on (a client must poll before it reads);
* ``GET /api/v2/audits/query/{transactionId}/results`` (``cursor``, ``pageSize``) answers
  an ``AuditQueryExecutionResultsResponse`` page; ``cursor`` is absent on the last page.

All three need the ``audits:audit:view`` permission. Records and queries live in the sandbox's
SQLite file, so a served and an embedded sandbox on one file see the same history; like
the platform's audit log, it outlives the objects (a reset keeps it).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
import weakref
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.core.canonical import canonical_json
from reconciler.kinds import AUDIT_READ_PERMISSION, Kind
from reconciler.sandbox.listing import decode_cursor, encode_cursor, int_param
from reconciler.sandbox.responses import JSON, ApiProblem, bad_request
from reconciler.sandbox.store import Store

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxState

QUERY = "/api/v2/audits/query"
RESULTS_PAGE_DEFAULT = 25
RESULTS_PAGE_MAX = 500
#: ``AuditQueryFilter.property`` (SDK enum)
FILTER_PROPERTIES = ("UserId", "TrusteeOrganizationId", "ClientId", "Action", "EntityType", "EntityId")
SORT_ORDERS = ("ascending", "descending")
#: ``serviceName`` values (SDK ``AuditTopicAuditLogMessage.service_name`` enum; ``AuditQueryRequest`` takes the same)
SERVICES = (
    "LanguageUnderstanding", "ContentManagement", "PeoplePermissions", "Presence", "Architect", "ContactCenter",
    "Quality", "SpeechAndTextAnalytics", "PredictiveEngagement", "Knowledge", "Coaching", "Learning", "UsersRules",
    "Gamification", "EmployeeEngagement", "WorkforceManagement", "Triggers", "ProcessAutomation",
    "ResponseManagement", "Groups", "Telephony", "Outbound", "Routing", "Integrations", "Webhooks",
    "AnalyticsReporting", "EmbeddedAnalytics", "Limits", "EmployeePerformance", "Datatables", "Messaging",
    "WebDeployments", "Supportability", "Callback", "Directory", "Locations", "ExternalContacts", "TaskManagement",
    "SCIM", "NumberPurchasing", "Marketplace", "LogCapture", "GDPR", "DSAR", "ExternalContactsExport", "AgentConfig",
    "Emails", "Scripter", "Billing", "JourneyAnalytics", "NerService", "Onboarding", "SocialListening",
    "BusinessRules", "SocialEscalationRules", "Alerting", "Assistants", "AnomalyDetection", "Conversations",
    "GenesysCloudCopilot", "ConversationRefinement",
)
#: fields every write changes or the server owns: not a change anyone made
_NOT_CHANGES = frozenset({"id", "version", "dateCreated", "dateModified", "selfUri"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    service    TEXT NOT NULL,
    event_date TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_service ON audit_log (service, event_date);
CREATE TABLE IF NOT EXISTS audit_queries (
    id    TEXT PRIMARY KEY,
    body  TEXT NOT NULL,
    state TEXT NOT NULL
);
"""


class AuditLog:
    """The audit tables of one store (made on first use: older sandbox files have none)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._ready = False

    def _conn(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        if not self._ready:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            self._ready = True
        return conn

    def add(self, message: Mapping[str, Any]) -> None:
        with self.store.write() as conn:
            self._conn(conn).execute(
                "INSERT INTO audit_log (service, event_date, body) VALUES (?, ?, ?)",
                (message["serviceName"], message["eventDate"], json.dumps(message)),
            )

    def messages(self, service: str, start: str, end: str) -> list[dict[str, Any]]:
        """The messages of ``service`` with ``start <= eventDate < end``, oldest first."""
        with self.store.write() as conn:  # a write: the first use creates the tables
            rows = self._conn(conn).execute(
                "SELECT body FROM audit_log WHERE service = ? AND event_date >= ? AND event_date < ? ORDER BY seq",
                (service, start, end),
            ).fetchall()
        return [json.loads(body) for (body,) in rows]

    def put_query(self, query: Mapping[str, Any], state: str) -> None:
        with self.store.write() as conn:
            self._conn(conn).execute(
                "INSERT OR REPLACE INTO audit_queries (id, body, state) VALUES (?, ?, ?)",
                (query["id"], json.dumps(query), state),
            )

    def get_query(self, query_id: str) -> tuple[dict[str, Any], str] | None:
        with self.store.write() as conn:
            row = self._conn(conn).execute(
                "SELECT body, state FROM audit_queries WHERE id = ?", (query_id,)
            ).fetchone()
        return (json.loads(row[0]), str(row[1])) if row else None


_LOGS: weakref.WeakKeyDictionary[Store, AuditLog] = weakref.WeakKeyDictionary()


def audit_log(store: Store) -> AuditLog:
    """The one :class:`AuditLog` of ``store`` (so its tables are checked once)."""
    found = _LOGS.get(store)
    if found is None:
        found = _LOGS[store] = AuditLog(store)
    return found


# ---- recording ------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else canonical_json(value)


def property_changes(kind: Kind, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Any]:
    """``PropertyChange`` objects for each top-level field that differs (write-only values left out)."""
    old, new = before or {}, after or {}
    changes = []
    for name in sorted((set(old) | set(new)) - _NOT_CHANGES):
        if name in old and name in new and old[name] == new[name]:
            continue
        secret = name in kind.write_only
        changes.append({
            "property": name,
            "oldValues": [] if secret or name not in old else [_text(old[name])],
            "newValues": [] if secret or name not in new else [_text(new[name])],
        })
    return changes


Body = Mapping[str, Any] | None


def message(kind: Kind, action: str, client_id: str, when: str, before: Body, after: Body) -> dict[str, Any]:
    """An ``AuditLogMessage`` for one write of ``kind``."""
    assert kind.audit is not None
    obj = after or before or {}
    return {
        "id": str(uuid.uuid4()),
        "client": {"id": client_id, "selfUri": f"/api/v2/oauth/clients/{client_id}"},
        "serviceName": kind.audit.service,
        "level": "USER",
        "eventDate": when,
        "action": action,
        "entity": {"id": obj.get("id"), "name": obj.get("name"), "selfUri": obj.get("selfUri")},
        "entityType": kind.audit.entity_type,
        "status": "SUCCESS",
        "propertyChanges": property_changes(kind, before, after),
    }


async def record_write(
    state: SandboxState,
    request: Request,
    kind: Kind,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    """Record a committed write of ``kind`` by the client whose token the request carries."""
    if kind.audit is None:
        return
    from reconciler.sandbox.resources import now_iso

    authority = state.authority

    def write() -> None:
        client_id = authority.authenticate(authority.bearer(request)).client_id
        audit_log(state.store).add(message(kind, action, client_id, now_iso(), before, after))

    await run_in_threadpool(write)


# ---- querying -------------------------------------------------------------------------


def interval_bounds(interval: str) -> tuple[str, str]:
    """``start/end`` of an ISO 8601 interval as stored dates; ``ValueError`` if it is not one."""
    start_text, sep, end_text = interval.partition("/")
    if not sep:
        raise ValueError(interval)
    start, end = datetime.fromisoformat(start_text), datetime.fromisoformat(end_text)
    if start.tzinfo is None or end.tzinfo is None or start >= end:
        raise ValueError(interval)

    def stored(when: datetime) -> str:
        return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return stored(start), stored(end)


def _request_issues(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    interval = body.get("interval")
    if not isinstance(interval, str):
        issues.append(("interval", "is required (an ISO 8601 interval)"))
    else:
        try:
            interval_bounds(interval)
        except ValueError:
            issues.append(("interval", "must be an ISO 8601 interval start/end with time zones, start before end"))
    if body.get("serviceName") not in SERVICES:
        issues.append(("serviceName", "is required: one of the audit services"))
    filters = body.get("filters", [])
    if not isinstance(filters, list) or not all(
        isinstance(f, dict) and f.get("property") in FILTER_PROPERTIES and isinstance(f.get("value"), str)
        and set(f) <= {"property", "value"}
        for f in filters
    ):
        allowed = ", ".join(FILTER_PROPERTIES)
        issues.append(("filters", f"must be a list of {{property, value}}, property one of {allowed}"))
    sort = body.get("sort", [])
    if not isinstance(sort, list) or not all(
        isinstance(s, dict) and s.get("name") == "Timestamp" and s.get("sortOrder", "ascending") in SORT_ORDERS
        and set(s) <= {"name", "sortOrder"}
        for s in sort
    ):
        issues.append(("sort", "must be a list of {name: Timestamp, sortOrder: ascending|descending}"))
    unknown = set(body) - {"interval", "serviceName", "filters", "sort"}
    issues.extend((name, "is not a field of AuditQueryRequest") for name in sorted(unknown))
    return issues


_FILTERED: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "UserId": lambda m: (m.get("user") or {}).get("id"),
    "ClientId": lambda m: (m.get("client") or {}).get("id"),
    "Action": lambda m: m.get("action"),
    "EntityType": lambda m: m.get("entityType"),
    "EntityId": lambda m: (m.get("entity") or {}).get("id"),
    "TrusteeOrganizationId": lambda m: None,  # the sandbox has no trustee organisations
}


def results(log: AuditLog, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The messages a query selects, in its order (newest first unless it asks otherwise)."""
    start, end = interval_bounds(query["interval"])
    found = [
        m for m in log.messages(query["serviceName"], start, end)
        if all(_FILTERED[f["property"]](m) == f["value"] for f in query.get("filters", []))
    ]
    ascending = any(sort.get("sortOrder", "ascending") == "ascending" for sort in query.get("sort") or [])
    return found if ascending else found[::-1]


def audit_routes(state: SandboxState) -> list[Route]:
    """The three endpoints of the audit query service."""
    from reconciler.sandbox.resources import json_object, now_iso

    log = audit_log(state.store)

    async def start(request: Request) -> Response:
        await state.guard(request, (AUDIT_READ_PERMISSION,), write=False)
        body = await json_object(request)
        issues = _request_issues(body)
        if issues:
            raise bad_request(issues, "audit query")
        query = {
            "id": str(uuid.uuid4()),
            "startDate": now_iso(),
            "interval": body["interval"],
            "serviceName": body["serviceName"],
            "filters": body.get("filters", []),
            "sort": body.get("sort", []),
        }
        await run_in_threadpool(log.put_query, query, "Queued")
        return JSON({**query, "state": "Queued"})

    async def found(request: Request) -> tuple[dict[str, Any], str]:
        await state.guard(request, (AUDIT_READ_PERMISSION,), write=False)
        query_id = request.path_params["transactionId"]
        stored = await run_in_threadpool(log.get_query, query_id)
        if stored is None:
            raise ApiProblem(404, f"No audit query with transaction id {query_id!r}")
        return stored

    async def status(request: Request) -> Response:
        query, _ = await found(request)
        await run_in_threadpool(log.put_query, query, "Succeeded")
        return JSON({**query, "state": "Succeeded"})

    async def page(request: Request) -> Response:
        query, query_state = await found(request)
        if query_state != "Succeeded":
            raise bad_request([("transactionId", f"the query is {query_state}: poll it until it has Succeeded")])
        size = int_param(request, "pageSize", RESULTS_PAGE_DEFAULT, 1, RESULTS_PAGE_MAX)
        cursor = request.query_params.get("cursor")
        offset = decode_cursor("cursor", cursor) if cursor else 0
        selected = await run_in_threadpool(results, log, query)
        answer: dict[str, Any] = {"id": query["id"], "pageSize": size, "entities": selected[offset : offset + size]}
        if offset + size < len(selected):
            answer["cursor"] = encode_cursor(offset + size)
        return JSON(answer)

    return [
        Route(QUERY, start, methods=["POST"], name="audits.query"),
        Route(QUERY + "/{transactionId}", status, methods=["GET"], name="audits.status"),
        Route(QUERY + "/{transactionId}/results", page, methods=["GET"], name="audits.results"),
    ]


__all__ = ["QUERY", "SERVICES", "AuditLog", "audit_log", "audit_routes", "message", "record_write"]
