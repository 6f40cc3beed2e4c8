"""Webhook: an HTTPS callback on platform events (contract section Webhook, seeds 000-002)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field

from reconciler.kinds.conventions import Audited, Permissions
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import FieldIssue, SpecModel

#: a header name that is ``Authorization`` in any case (the schema's ``propertyNames`` rule)
AUTHORIZATION_HEADER = r"^\s*[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn]\s*$"

Event = Literal[
    "voice.profile.updated",
    "voice.profile.deleted",
    "rules.updated",
    "rules.deleted",
    "conversation:voice:playback",
]


class EventFilter(SpecModel):
    """An event the webhook fires on, optionally narrowed by a filter expression."""

    event: Event = Field(description="Event name.")
    filter: str | None = Field(None, description="Optional filter, e.g. 'ruleId eq <speech rule id>'.")


class WebhookSpec(SpecModel):
    """An outbound HTTPS callback."""

    description: str = Field("", max_length=1000, description="At most 1000 characters.")
    enabled: bool = Field(True, description="Whether the webhook fires.")
    requestUrl: str = Field(pattern=r"^https://", description="Absolute https:// URL to call.")
    method: Literal["POST", "PUT"] = Field("POST", description="HTTP method of the callback.")
    headers: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="Extra headers, at most 20; no Authorization (use authScheme).",
        json_schema_extra={"propertyNames": {"not": {"pattern": AUTHORIZATION_HEADER}}},
    )
    eventFilters: list[EventFilter] = Field(
        min_length=1,
        max_length=20,
        description="1 to 20 distinct event filters.",
        json_schema_extra={"uniqueItems": True},
    )
    authScheme: Literal["none", "basic", "bearer"] = Field("none", description="How the callback authenticates.")
    authUsername: str | None = Field(None, min_length=1, description="User name; required when authScheme is basic.")
    authSecret: str | None = Field(
        None,
        min_length=1,
        description=(
            "Write-only basic password or bearer token; required for basic and bearer. In manifests: ${env:NAME} only."
        ),
        json_schema_extra={"writeOnly": True},
    )


#: URLs ``urlsplit`` certainly reads as https with a host: a plain DNS name (optional port) and
#: printable ASCII after it. Checked first because splitting was most of loading a webhook's rules.
_PLAIN_HTTPS = re.compile(r"https://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::[0-9]{1,5})?(?:[/?#][!-~]*)?\Z")


def _url_is_absolute_https(spec: WebhookSpec) -> Iterator[FieldIssue]:
    if _PLAIN_HTTPS.match(spec.requestUrl):
        return
    try:
        parts = urlsplit(spec.requestUrl)
        absolute = parts.scheme == "https" and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced "[" reads as a broken IPv6 host
        absolute = False
    if not absolute:
        yield FieldIssue(("requestUrl",), f"{spec.requestUrl!r} is not an absolute https:// URL")


def _headers(spec: WebhookSpec) -> Iterator[FieldIssue]:
    for key in spec.headers:
        if key.strip().lower() == "authorization":
            yield FieldIssue(("headers", key), "Authorization header is not allowed; use authScheme and authSecret")


def _event_filters_unique(spec: WebhookSpec) -> Iterator[FieldIssue]:
    seen: dict[tuple[str, str | None], int] = {}
    for i, ef in enumerate(spec.eventFilters):
        key = (ef.event, ef.filter)
        if key in seen:
            yield FieldIssue(("eventFilters", i), f"duplicates eventFilters[{seen[key]}]")
        seen.setdefault(key, i)


def _auth(spec: WebhookSpec) -> Iterator[FieldIssue]:
    # The contract requires authUsername for basic and forbids it nowhere: a webhook of another
    # scheme may carry one (a live one exported must validate), so it is not refused here.
    if spec.authScheme == "basic" and not spec.authUsername:
        yield FieldIssue(("authUsername",), "is required when authScheme is basic")
    if spec.authScheme in ("basic", "bearer") and not spec.authSecret:
        yield FieldIssue(("authSecret",), f"is required when authScheme is {spec.authScheme}")
    if spec.authScheme == "none" and spec.authSecret:
        yield FieldIssue(("authSecret",), "is only used when authScheme is basic or bearer")


KIND = Kind(
    name="Webhook",
    spec_model=WebhookSpec,
    collection="/api/v2/webhooks",
    read_scope="webhook:read",
    write_scope="webhook:write",
    # the seed contract names no permissions: the platform's domain:entity:action pattern for its scopes
    permissions=Permissions.crud("webhook:webhook"),
    description="An outbound HTTPS callback on platform events.",
    write_only={"authSecret": "authSecretSet"},
    checks=(_url_is_absolute_https, _headers, _event_filters_unique, _auth),
    audit=Audited("Webhooks", "Webhook"),
)
