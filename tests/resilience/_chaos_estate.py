"""The chaos campaign's manifests: anchors every scenario keeps, and slots a scenario may change.

Why two groups: a random change set must stay a *valid* project (a reference to an
object the change set removed is a manifest error, not a fault), so everything that is
referenced is an anchor (always declared, never changed), and every slot is something
no other object refers to. A slot's state is ``None`` (not declared: absent, or pruned
when it was live), ``0`` or ``1`` (two contents: going from one to the other is an
update) or ``2`` (a content that differs in a field the platform cannot update: going
to it from ``0``/``1`` replaces the object). Slots span the seed kinds and the platform
kinds with references: credential -> integration -> data action, topics -> program,
triggers (a kind whose names may repeat), webhooks carrying a secret from the
environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: environment variables the manifests read secrets from, and their values (never to be seen again)
SECRETS = {
    "CHAOS_HOOK_TOKEN": "Chaos-hook-token-5521-never-print",
    "CHAOS_CRED_PASSWORD": "Chaos-cred-password-8830-never-print",
    "CHAOS_CRED_USER": "Chaos-cred-user-3307-never-print",
}
#: kinds a pruning plan covers (every kind a slot may hold)
PRUNED = ("VoiceProfile", "SpeechRule", "Webhook", "IntegrationCredential", "Integration", "DataAction",
          "SpeechTopic", "SpeechProgram", "ProcessAutomationTrigger")
#: kinds whose names the platform lets repeat: each declared name must still be live exactly once
REPEATABLE = ("ProcessAutomationTrigger", "IntegrationCredential", "Integration", "DataAction")

Doc = dict[str, Any]


def _doc(kind: str, name: str, spec: Doc) -> Doc:
    return {"apiVersion": "reconciler/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def _voice(name: str, v: int) -> Doc:
    return _doc("VoiceProfile", name, {"language": "en-US", "voice": "polly-Joanna", "engine": "amazon_polly",
                                       "rate": 1.0 + 0.25 * v})


def _rule(name: str, v: int) -> Doc:
    return _doc("SpeechRule", name, {"description": f"chaos rule v{v}",
                                     "phrases": [{"phrase": f"cancel order v{v}"}], "tags": ["chaos"]})


def _hook(name: str, v: int) -> Doc:
    spec: Doc = {"requestUrl": f"https://hooks.example.com/chaos/v{v}",
                 "eventFilters": [{"event": "rules.updated",
                                   "filter": "ruleId eq ${ref:SpeechRule/Chaos anchor rule.id}"}],
                 "authScheme": "bearer", "authSecret": "${env:CHAOS_HOOK_TOKEN}"}
    return _doc("Webhook", name, spec)


def _credential(name: str, v: int) -> Doc:
    # write-only fields from the environment only: its two contents are the same (a change needs --rotate-secret)
    return _doc("IntegrationCredential", name, {
        "type": {"name": "basicAuth"},
        "credentialFields": {"userName": "${env:CHAOS_CRED_USER}", "password": "${env:CHAOS_CRED_PASSWORD}"}})


def _integration(name: str, v: int) -> Doc:
    return _doc("Integration", name, {
        "integrationType": {"id": "custom-rest-actions"},
        "intendedState": "ENABLED" if v == 0 else "DISABLED",
        "config": {"current": {"notes": f"chaos v{v}",
                               "credentials": {"basicAuth": {"id": "${ref:IntegrationCredential/Chaos anchor cred.id}"}}}}})


def _action(name: str, v: int) -> Doc:
    # the integration cannot change (the SDK's Action: integrationId is read-only after create): v2 replaces
    home = "Chaos anchor integration B" if v == 2 else "Chaos anchor integration A"
    return _doc("DataAction", name, {
        "category": "Chaos",
        "integrationId": f"${{ref:Integration/{home}.id}}",
        "config": {"timeoutSeconds": 10 + v,
                   "request": {"requestUrlTemplate": "https://crm.example.com/api/${input.id}", "requestType": "POST"}},
        "contract": {"input": {"inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}},
                     "output": {"successSchema": {"type": "object", "properties": {"ok": {"type": "string"}}}}}})


def _topic(name: str, v: int) -> Doc:
    return _doc("SpeechTopic", name, {"description": f"chaos topic v{v}", "dialect": "en-US",
                                      "phrases": [{"text": f"close my account v{v}"}], "published": v == 1})


def _program(name: str, v: int) -> Doc:
    topics = ["${ref:SpeechTopic/Chaos anchor topic A.id}"]
    if v == 1:
        topics.append("${ref:SpeechTopic/Chaos anchor topic B.id}")
    return _doc("SpeechProgram", name, {"description": f"chaos program v{v}", "topicIds": topics, "tags": ["chaos"]})


def _trigger(name: str, v: int) -> Doc:
    # topicName cannot be updated (CX as Code: ForceNew): v2 replaces the trigger
    topic = "v2.detail.events.conversation.{id}.acd.end" if v == 2 else \
        "v2.detail.events.conversation.{id}.customer.end"
    return _doc("ProcessAutomationTrigger", name, {
        "description": f"chaos trigger v{v % 2}", "topicName": topic,
        "target": {"type": "Workflow", "id": "8a3c6f0e-2d4b-4c1a-9e7f-5b2d8c1a0f36"}, "eventTTLSeconds": 60 + v % 2})


_MAKERS = {"VoiceProfile": _voice, "SpeechRule": _rule, "Webhook": _hook, "IntegrationCredential": _credential,
           "Integration": _integration, "DataAction": _action, "SpeechTopic": _topic, "SpeechProgram": _program,
           "ProcessAutomationTrigger": _trigger}

ANCHORS: tuple[Doc, ...] = (
    _rule("Chaos anchor rule", 0),
    _credential("Chaos anchor cred", 0),
    _integration("Chaos anchor integration A", 0),
    _integration("Chaos anchor integration B", 0),
    _topic("Chaos anchor topic A", 1),
    _topic("Chaos anchor topic B", 0),
)


@dataclass(frozen=True)
class Slot:
    kind: str
    name: str
    #: whether the kind has a content (``2``) that replaces the object
    replaceable: bool = False


SLOTS: tuple[Slot, ...] = (
    Slot("VoiceProfile", "Chaos voice 1"),
    Slot("VoiceProfile", "Chaos voice 2"),
    Slot("SpeechRule", "Chaos rule 1"),
    Slot("Webhook", "Chaos hook 1"),
    Slot("Webhook", "Chaos hook 2"),
    Slot("IntegrationCredential", "Chaos cred 1"),
    Slot("Integration", "Chaos integration 1"),
    Slot("DataAction", "Chaos action 1", replaceable=True),
    Slot("DataAction", "Chaos action 2", replaceable=True),
    Slot("SpeechTopic", "Chaos topic 1"),
    Slot("SpeechProgram", "Chaos program 1"),
    Slot("ProcessAutomationTrigger", "Chaos trigger 1", replaceable=True),
    Slot("ProcessAutomationTrigger", "Chaos trigger 2", replaceable=True),
)

#: a state per slot, in :data:`SLOTS` order
States = tuple[int | None, ...]


def documents(states: States) -> list[Doc]:
    docs = list(ANCHORS)
    for slot, state in zip(SLOTS, states, strict=True):
        if state is not None:
            docs.append(_MAKERS[slot.kind](slot.name, state if slot.replaceable else min(state, 1)))
    return docs


def declared(states: States) -> dict[str, set[str]]:
    """The names each kind declares in ``states`` (anchors included)."""
    names: dict[str, set[str]] = {kind: set() for kind in PRUNED}
    for doc in documents(states):
        names[doc["kind"]].add(doc["metadata"]["name"])
    return names


def write_project(root: Path, states: States) -> None:
    """``root`` becomes a project: reconciler.yaml pruning every slot kind, the documents in one file."""
    root.mkdir(parents=True, exist_ok=True)
    settings = {"prune": {"kinds": list(PRUNED), "maxDeletes": 100, "maxDeletePercent": 100}}
    (root / "reconciler.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    (root / "chaos.yaml").write_text(yaml.safe_dump_all(documents(states), sort_keys=False, width=200))


def scalar_fields(states: States) -> Mapping[tuple[str, str], Doc]:
    """Each declared object's top-level scalar fields with no placeholder: what live state must show as written."""
    out: dict[tuple[str, str], Doc] = {}
    for doc in documents(states):
        spec = doc["spec"]
        out[(doc["kind"], doc["metadata"]["name"])] = {
            k: v for k, v in spec.items()
            if isinstance(v, str | int | float | bool) and "${" not in str(v) and k not in ("published", "intendedState")
        }
    return out
