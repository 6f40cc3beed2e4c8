"""Valid bodies per kind and small request helpers shared by the sandbox tests."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from reconciler.kinds import KINDS, Kind

VALID: dict[str, dict[str, Any]] = {
    "VoiceProfile": {"name": "Greeting", "language": "en-US", "voice": "polly-joanna", "engine": "amazon_polly"},
    "SpeechRule": {
        "name": "Cancellation",
        "phrases": [{"phrase": "cancel my account"}, {"phrase": "close account", "matchType": "fuzzy"}],
    },
    "Webhook": {
        "name": "Notify",
        "requestUrl": "https://hooks.example.com/genesys",
        "eventFilters": [{"event": "rules.updated"}],
    },
    # kinds of the real platform API (tests/realkinds tests them in depth)
    "SpeechTopic": {"name": "Billing", "dialect": "en-US", "phrases": [{"text": "refund my order"}]},
    "DictionaryFeedback": {
        "term": "Genesys",
        "dialect": "en-US",
        "examplePhrases": [{"phrase": "please call Genesys"}, {"phrase": "Genesys Cloud works"}, {"phrase": "the Genesys app"}],
    },
    "SpeechProgram": {"name": "Retention", "description": "Churn signals", "tags": ["retention"]},
    "ArchitectUserPrompt": {"name": "MainMenuGreeting", "description": "Played when the IVR answers"},
    "IntegrationCredential": {
        "name": "CRM Basic Auth",
        "type": {"name": "basicAuth"},
        "credentialFields": {"userName": "crm", "password": "crm-password"},
    },
    "Integration": {"name": "CRM Web Services", "integrationType": {"id": "custom-rest-actions"}},
    "DataAction": {
        "name": "Notify CRM",
        "category": "CRM",
        "integrationId": "3c8d3a52-2f0e-4b43-8d0b-6c7d9d3c2a11",
        "config": {"request": {"requestUrlTemplate": "https://crm.example.com/calls", "requestType": "POST"}},
        "contract": {"input": {"inputSchema": {"type": "object"}}, "output": {"successSchema": {"type": "object"}}},
    },
    "ProcessAutomationTrigger": {
        "name": "On customer end",
        "topicName": "v2.detail.events.conversation.{id}.customer.end",
        "target": {"type": "Workflow", "id": "4f3f8c2e-0c4b-4b8e-9d61-1f6c2a9b7e10"},
    },
}

KIND_IDS = [k.name for k in KINDS]


def valid(kind: Kind | str, **changes: Any) -> dict[str, Any]:
    """A valid create body of ``kind`` with ``changes`` applied (a value of ``...`` removes the field)."""
    name = kind if isinstance(kind, str) else kind.name
    body = copy.deepcopy(VALID[name])
    for key, value in changes.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def fields(response: httpx.Response) -> list[str]:
    """The ``fieldName`` of each detail of an error body."""
    return [d["fieldName"] for d in response.json()["details"]]


def assert_error(response: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    """Status, Genesys error code, the ErrorBody shape and (optionally) the field named."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "code", "status", "messageParams", "contextId", "details", "errors"}
    assert body["code"] == code
    assert body["status"] == status
    assert body["contextId"] == response.headers["ININ-Correlation-Id"]
    if field is not None:
        assert field in fields(response), f"{field!r} not in {fields(response)}"
