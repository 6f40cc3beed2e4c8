"""Builders for planner, plan-file and renderer tests: desired objects and the live
objects a server would hold after applying them (defaults filled, unordered lists in
another order, write-only secrets replaced by their flag, server fields added)."""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from reconciler.core.keys import Location, ObjectKey
from reconciler.kinds import REGISTRY
from reconciler.manifests.desired import DesiredObject, resolve
from reconciler.plan.builder import NO_PRUNE, PrunePolicy, build_plan
from reconciler.plan.model import Org, Plan

#: A secret value that must never appear in any output.
SECRET = "hunter2-Zq8-TOPSECRET"
TEAM_TOKEN = "team-token-Kx7-PRIVATE"
ENV = {"HOOK_TOKEN": SECRET, "TEAM_TOKEN": TEAM_TOKEN}

TARGET = "https://api.mypurecloud.ie"
TARGET_DESCRIPTION = "Genesys Cloud https://api.mypurecloud.ie"
#: the org a plan of these tests was made for (as GET /api/v2/tokens/me names it)
ORG = Org(id="5f1c9a2e-7b3d-4e8a-9c61-2d4b8f0e7a13", name="Example Corp Dev")
DIGEST = "sha256:" + "ab" * 32
FIXED_TIME = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def desired(
    kind: str, name: str, spec: Mapping[str, Any], *, line: int = 1, file: str = "manifests/objs.yaml"
) -> DesiredObject:
    return DesiredObject(kind=kind, name=name, spec=dict(spec), source=Location(file, line, 1))


def voice(name: str = "IVR Main", **overrides: Any) -> DesiredObject:
    spec: dict[str, Any] = {"language": "en-US", "voice": "polly-Joanna", "engine": "amazon_polly", "rate": 1}
    spec.update(overrides)
    return desired("VoiceProfile", name, spec, line=2)


def rule(name: str = "Billing", **overrides: Any) -> DesiredObject:
    spec: dict[str, Any] = {
        "phrases": [
            {"phrase": "refund"},
            {"phrase": "cancel my account", "matchType": "fuzzy"},
            {"phrase": "charge.*back", "matchType": "regex", "caseSensitive": True},
        ],
        "scoring": [
            {"type": "additive", "value": 0.5},
            {"type": "multiplicative", "value": -0.25, "condition": "fail"},
        ],
        "tags": ["billing", "churn", "vip"],
    }
    spec.update(overrides)
    return desired("SpeechRule", name, spec, line=10)


def hook(name: str = "CRM Sync", rule_name: str = "Billing", **overrides: Any) -> DesiredObject:
    spec: dict[str, Any] = {
        "requestUrl": "https://crm.example.com/hooks",
        "eventFilters": [
            {"event": "rules.updated", "filter": f"ruleId eq ${{ref:SpeechRule/{rule_name}.id}}"},
            {"event": "rules.deleted"},
        ],
        "headers": {"X-Team": "${env:TEAM_TOKEN}", "X-Source": "genesys"},
        "authScheme": "bearer",
        "authSecret": "${env:HOOK_TOKEN}",
    }
    spec.update(overrides)
    return desired("Webhook", name, spec, line=30)


def plain_hook(name: str) -> DesiredObject:
    """A webhook with no reference and no secret."""
    url = f"https://plain.example.com/{name.replace(' ', '-')}"
    spec = {"requestUrl": url, "eventFilters": [{"event": "rules.updated"}]}
    return desired("Webhook", name, spec, line=50)


def sample() -> list[DesiredObject]:
    """One object of every kind, with defaults omitted, a reference and two env values."""
    return [voice(), rule(), hook()]


def object_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{name.casefold()}"))


def applied(
    objects: Sequence[DesiredObject],
    env: Mapping[str, str] = ENV,
    *,
    seed: int = 7,
    version: int = 1,
    extra: Iterable[tuple[str, dict[str, Any]]] = (),
) -> dict[str, list[dict[str, Any]]]:
    """The live listing after a faithful apply of ``objects``.

    Stored bodies carry every default, unordered lists come back shuffled, write-only
    values are replaced by their flag, and server-managed fields are added. ``extra``
    adds raw live objects (kind, body) that no manifest declares.
    """
    rng = random.Random(seed)
    ids = {o.key: object_id(o.kind, o.name) for o in objects}

    def lookup(key: ObjectKey, field: str) -> Any:
        return ids.get(key) if field == "id" else None

    live: dict[str, list[dict[str, Any]]] = {k: [] for k in REGISTRY}
    for obj in objects:
        kind = REGISTRY[obj.kind]
        body = kind.api_body(obj.name, resolve(dict(obj.spec), env, lookup).value)
        for secret, flag in kind.write_only.items():
            body[flag] = body.pop(secret, None) is not None
        for list_field in kind.unordered:
            if isinstance(body.get(list_field), list):
                rng.shuffle(body[list_field])
        live[obj.kind].append(server_fields(body, ids[obj.key], version))
    for kind_name, body in extra:
        oid = body.get("id") or object_id(kind_name, body["name"])
        live[kind_name].append(server_fields(copy.deepcopy(body), oid, version))
    return live


def server_fields(body: dict[str, Any], oid: str, version: int = 1) -> dict[str, Any]:
    return {
        "id": oid,
        "version": version,
        "dateCreated": "2024-04-01T10:00:00Z",
        "dateModified": "2024-04-02T10:00:00Z",
        "selfUri": f"/api/v2/x/{oid}",
        **body,
    }


def live_hook(name: str, filter_text: str | None = None) -> tuple[str, dict[str, Any]]:
    """An undeclared live webhook, optionally with a filter mentioning something."""
    event: dict[str, Any] = {"event": "rules.updated"}
    if filter_text is not None:
        event["filter"] = filter_text
    return (
        "Webhook",
        {
            "name": name,
            "requestUrl": f"https://other.example.com/{name.replace(' ', '-')}",
            "method": "POST",
            "headers": {},
            "eventFilters": [event],
            "authScheme": "none",
            "authSecretSet": False,
            "description": "",
            "enabled": True,
        },
    )


def live_rule(name: str) -> tuple[str, dict[str, Any]]:
    return (
        "SpeechRule",
        {
            "name": name,
            "description": "",
            "enabled": True,
            "language": "en-US",
            "phrases": [{"phrase": f"about {name}", "matchType": "exact", "caseSensitive": False, "enabled": True}],
            "scoring": [],
            "tags": [],
        },
    )


def plan_of(
    objects: Sequence[DesiredObject],
    live: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    env: Mapping[str, str] = ENV,
    prune: PrunePolicy = NO_PRUNE,
    **kwargs: Any,
) -> Plan:
    return build_plan(
        objects,
        live,
        env=env,
        target=TARGET,
        target_description=TARGET_DESCRIPTION,
        manifests_digest=DIGEST,
        prune=prune,
        created_at=FIXED_TIME,
        **{"org": ORG, **kwargs},
    )


def by_address(plan: Plan) -> dict[str, Any]:
    return {c.address: c for c in plan.changes}
