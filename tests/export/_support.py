"""An org on the embedded sandbox, seeded through the API, and the CLI run against it.

The seed holds every field of every kind set to a non-default value (plus objects that
are all defaults), two webhooks with secrets, references between kinds, and two names
whose file slugs collide, so that one export exercises every rule of ``export``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from click.testing import CliRunner, Result

from reconciler.app import RunOptions, client_for
from reconciler.cli import main
from reconciler.genesys import GenesysClient, resolve_target
from reconciler.kinds import REGISTRY

T = TypeVar("T")

#: secrets the sandbox holds; they must never appear in an export or its output
BASIC_SECRET = "Sw0rdfish-basic-KNOWN-5521"
BEARER_SECRET = "bearer-tok-KNOWN-9c1f77ad"
SECRETS = (BASIC_SECRET, BEARER_SECRET)

BASIC_VAR = "WEBHOOK_BASIC_AUTH_HOOK_AUTH_SECRET"
BEARER_VAR = "WEBHOOK_BEARER_HOOK_AUTH_SECRET"
#: any value will do: write-only secrets are not compared
SECRET_ENV = {BASIC_VAR: "anything", BEARER_VAR: "anything-else"}


@dataclass
class Org:
    """A sandbox state file and the commands run against it from ``root``."""

    root: Path
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        return self.root / "sandbox.db"

    def run(self, *args: str, env: Mapping[str, str] | None = None, expect: int | None = 0) -> Result:
        """``reconciler ARGS`` against this sandbox; asserts the exit code."""
        extra = ["--sandbox-db", str(self.db)] if args[0] in ("export", "plan", "drift") else []
        if extra and "--requests-per-minute" not in args:
            # the embedded sandbox has no rate limit to respect: pacing would only make the suite wait
            extra += ["--requests-per-minute", "100000"]
        environment = {"GENESYSCLOUD_OAUTHCLIENT_ID": "", **(env or {})}
        with contextlib.chdir(self.root):
            result = CliRunner().invoke(main, [*args, *extra], env=environment, catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, result.output
        return result

    def with_client(self, action: Callable[[GenesysClient], Awaitable[T]]) -> T:
        async def go() -> T:
            target = resolve_target(target="sandbox", sandbox_db=str(self.db), env={})
            async with client_for(RunOptions(target)) as client:
                return await action(client)

        return asyncio.run(go())

    def create(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        created = self.with_client(lambda c: c.create(REGISTRY[kind], body)).object
        self.ids[body[REGISTRY[kind].name_field]] = created["id"]
        return created

    def live(self, kind: str) -> list[dict[str, Any]]:
        return self.with_client(lambda c: c.list_all(REGISTRY[kind]))


def copy_of(org: Org, root: Path) -> Org:
    """The same org in a sandbox file of its own under ``root``, as seeding it again would leave it.

    Why: :func:`seed_full` makes some twenty objects through the API, 0.6 s a test; a copy made with
    SQLite's backup API (the sandbox file is in WAL mode, so not a plain file copy) takes milliseconds.
    """
    with contextlib.closing(sqlite3.connect(org.db)) as source, \
            contextlib.closing(sqlite3.connect(root / "sandbox.db")) as target:
        source.backup(target)
    return Org(root, ids=dict(org.ids))


def seed_full(org: Org) -> Org:
    """Every field of every kind at a non-default value, and all-default objects beside them."""
    rule = org.create("SpeechRule", {
        "name": "Full Rule",
        "description": "Every field set",
        "enabled": False,
        "language": "de-DE",
        "phrases": [
            {"phrase": "zahlung", "matchType": "exact", "caseSensitive": True, "enabled": False},
            {"phrase": "kündigen", "matchType": "fuzzy"},
            {"phrase": r"\bvertrag(e)?\b", "matchType": "regex", "caseSensitive": True},
        ],
        "scoring": [
            {"type": "multiplicative", "value": -0.25, "condition": "fail"},
            {"type": "additive", "value": 0.5, "condition": "pass"},
            {"type": "additive", "value": 1, "condition": "fail"},
        ],
        "tags": ["zeta", "alpha", "1e3", "yes"],
    })
    org.create("SpeechRule", {"name": "Minimal Rule", "phrases": [{"phrase": "hello"}]})
    voice = org.create("VoiceProfile", {
        "name": "Full Voice",
        "language": "fr-FR",
        "voice": "azure-DeniseNeural",
        "engine": "azure_tts",
        "pitch": 2.5,
        "rate": 1.5,
        "volume": 0.5,
        "customParams": {"style": "cheerful", "depth": 3, "ratio": 0.75, "ssml": True, "rule": f"rule:{rule['id']}"},
    })
    org.create("VoiceProfile", {"name": "Default Voice", "language": "en-US", "voice": "polly-Joanna", "engine": "amazon_polly"})
    org.create("Webhook", {
        "name": "Basic Auth Hook",
        "description": "Basic auth, headers, a filter on a speech rule id",
        "enabled": False,
        "requestUrl": "https://crm.example.com/hooks/rules",
        "method": "PUT",
        "headers": {"X-Team": "contact-centre", "Content-Type": "application/json"},
        "eventFilters": [
            {"event": "rules.updated", "filter": f"ruleId eq {rule['id']}"},
            {"event": "rules.deleted", "filter": f"ruleId eq {rule['id']}"},
            {"event": "voice.profile.updated"},
        ],
        "authScheme": "basic",
        "authUsername": "genesys-integration",
        "authSecret": BASIC_SECRET,
    })
    org.create("Webhook", {
        "name": "Bearer Hook",
        "requestUrl": "https://audit.example.com/feed",
        "eventFilters": [{"event": "conversation:voice:playback", "filter": f"profileId eq {voice['id']}"}],
        "authScheme": "bearer",
        "authSecret": BEARER_SECRET,
    })
    # two names with the same file slug, and one with accents
    org.create("Webhook", {"name": "Plain Hook", "requestUrl": "https://a.example.com/", "eventFilters": [{"event": "rules.deleted"}]})
    org.create("Webhook", {"name": "plain-hook!", "requestUrl": "https://b.example.com/", "eventFilters": [{"event": "rules.deleted"}]})
    org.create("Webhook", {"name": "Café Übersicht", "requestUrl": "https://c.example.com/", "eventFilters": [{"event": "voice.profile.deleted"}]})
    seed_platform(org)
    return org


def seed_platform(org: Org) -> None:
    """The kinds of the real platform API, every field set: a published topic and program, a trigger, the TTS settings, prompts, credentials, dictionary feedback."""
    topic = org.create("SpeechTopic", {
        "name": "Full Topic",
        "description": "Every field set",
        "strictness": "85",
        "programIds": ["program-b", "program-a"],
        "matchingType": "Lexical",
        "tags": ["zeta", "alpha"],
        "dialect": "de-DE",
        "participants": "Internal",
        "phrases": [
            {"text": "kündigen", "strictness": "55", "sentiment": "Negative", "isAIGenerated": True},
            {"text": "vertrag beenden"},
        ],
    })
    publish = REGISTRY["SpeechTopic"].publish
    assert publish is not None
    org.with_client(lambda c: c.publish(publish, [topic["id"]]))
    minimal = org.create("SpeechTopic", {"name": "Minimal Topic", "dialect": "en-US", "phrases": [{"text": "hello"}]})
    program = org.create("SpeechProgram", {
        "name": "Full Program",
        "description": "Every field set",
        "topicIds": [minimal["id"], topic["id"], "unmanaged-topic"],
        "tags": ["zeta", "alpha"],
    })
    program_publish = REGISTRY["SpeechProgram"].publish
    assert program_publish is not None
    org.with_client(lambda c: c.publish(program_publish, [program["id"]]))
    org.create("SpeechProgram", {"name": "Minimal Program"})
    org.create("DictionaryFeedback", {
        "term": "Full Term", "dialect": "de-DE", "boostValue": 7.5, "transcriptionEngine": "Genesys",
        "examplePhrases": [{"phrase": "eins zwei drei"}, {"phrase": "zwei drei vier"}, {"phrase": "drei vier fünf"}], "soundsLike": ["voll", "fool"]})
    org.create("DictionaryFeedback", {
        "term": "Minimal Term", "dialect": "en-US", "examplePhrases": [{"phrase": "a minimal term"}, {"phrase": "the minimal term"}, {"phrase": "one minimal term"}]})
    org.create("ArchitectUserPrompt", {"name": "FullPrompt", "description": "Every field set"})
    org.create("ArchitectUserPrompt", {"name": "MinimalPrompt"})
    credential = org.create("IntegrationCredential", {
        "name": "Full Credential", "type": {"name": "basicAuth"}, "credentialFields": {"userName": "u", "password": BASIC_SECRET}})
    org.create("IntegrationCredential", {"name": "Minimal Credential", "type": {"name": "userDefined"}})
    integration = org.create("Integration", {
        "name": "Full Integration", "integrationType": {"id": "custom-rest-actions"}, "intendedState": "ENABLED",
        "config": {"current": {"name": "Full", "notes": "Every field set", "properties": {"region": "eu"},
                               "advanced": {"retries": 2}, "credentials": {"basicAuth": {"id": credential["id"]}}}}})
    org.create("Integration", {"name": "Minimal Integration", "integrationType": {"id": "custom-rest-actions"}})
    org.create("DataAction", {
        "name": "Full Action", "category": "Full", "integrationId": integration["id"], "secure": True,
        "config": {
            "timeoutSeconds": 30,
            "request": {"requestUrlTemplate": "https://crm.example.com/c/${input.id}", "requestType": "PATCH",
                        "requestTemplate": "{\n  \"id\": \"${input.id}\"\n}", "headers": {"X-Trace": "${input.trace}"}},
            "response": {"translationMap": {"id": "$.id"}, "translationMapDefaults": {"id": "\"none\""},
                         "successTemplate": "{\"id\": ${id}}"},
        },
        "contract": {"input": {"inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}},
                     "output": {"successSchema": {"type": "object", "properties": {"id": {"type": "string"}}}}},
    })
    org.create("DataAction", {
        "name": "Minimal Action", "category": "Minimal", "integrationId": "unmanaged-integration",
        "config": {"request": {"requestUrlTemplate": "https://example.com", "requestType": "GET"}},
        "contract": {"input": {"inputSchema": {}}, "output": {"successSchema": {}}},
    })
    org.create("ProcessAutomationTrigger", {
        "name": "Full Trigger",
        "description": "Every field set",
        "topicName": "v2.detail.events.conversation.{id}.customer.end",
        "target": {"type": "Workflow", "id": "wf-1", "workflowTargetSettings": {"dataFormat": "TopLevelPrimitives"}},
        "matchCriteria": [
            {"jsonPath": "mediaType", "operator": "Equal", "value": "VOICE"},
            {"jsonPath": "topicId", "operator": "In", "values": [topic["id"], "other"]},
        ],
        "enabled": False,
        "delayBySeconds": 300,
    })
    org.create("ProcessAutomationTrigger", {
        "name": "Minimal Trigger",
        "topicName": "v2.detail.events.conversation.{id}.acd.end",
        "target": {"type": "Workflow", "id": "wf-2"},
    })
    tts = REGISTRY["TtsSettings"]
    org.with_client(lambda c: c.update(tts, "org", {
        "defaultEngine": "google-cloud",
        "languageOverrides": [{"language": "en-GB", "engine": "amazon-polly", "voice": "Amy"},
                              {"language": "de-DE", "engine": "microsoft-azure", "voice": "de-DE-KatjaNeural"}],
    }, 0))


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by relative path, with its bytes."""
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}
