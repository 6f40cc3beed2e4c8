"""A project holding ``manifests-real/`` (the platform kinds' examples), run through the CLI
against the embedded sandbox, plus helpers to act on that sandbox as another tool would.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine._support import REPO
from engine._support import Project as EngineProject

from reconciler.genesys import GenesysClient
from reconciler.kinds import REGISTRY

TOPIC = REGISTRY["SpeechTopic"]
TTS = REGISTRY["TtsSettings"]
TRIGGER = REGISTRY["ProcessAutomationTrigger"]
TOPICS = TOPIC.collection
TRIGGERS = TRIGGER.collection
SETTINGS = TTS.collection
PUBLISH_JOBS = TOPICS + "/publishjobs"
#: a topic name the example manifests declare
CANCELLATION = "Cancellation Intent"
SURVEY = "Survey After Cancellation Call"



def topic_body(name: str = "Billing", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "dialect": "en-US", "phrases": [{"text": "refund my order"}]}
    body.update(changes)
    return body


def trigger_body(name: str = "On end", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "topicName": "v2.detail.events.conversation.{id}.customer.end",
        "target": {"type": "Workflow", "id": "wf-1"},
    }
    body.update(changes)
    return body


#: the secrets of the example credentials (manifests-real/credentials.yaml): they must appear in no output or file
CREDENTIAL_ENV = {
    "CRM_API_USER": "crm-integration-user-7f3a",
    "CRM_API_PASSWORD": "s3cr3t-crm-password-9b1d",
    "TICKETING_API_TOKEN": "tk-live-4c2e8a6f0d1b",
}


class Project(EngineProject):
    """``root/manifests`` (a copy of manifests-real/), a sandbox file and an audit log beside it."""

    def env(self) -> dict[str, str]:
        return {**super().env(), **CREDENTIAL_ENV}

    def live(self, kind: str, *, full: bool = True) -> dict[str, dict[str, Any]]:  # type: ignore[override]
        """Live objects by name (read in full for a summary-listing kind)."""

        async def read(client: GenesysClient) -> list[dict[str, Any]]:
            objects = await client.list_all(REGISTRY[kind])
            return await client.details(REGISTRY[kind], objects) if full and REGISTRY[kind].listing.is_summary else objects

        return {o["name"]: o for o in self.with_client(read)}


#: the examples of the first three platform kinds, which the cycle tests of those kinds count on
FIRST_EXAMPLES = ("speech-topics.yaml", "tts-settings.yaml", "triggers.yaml")


def make_project(tmp_path: Path, files: tuple[str, ...] | None = FIRST_EXAMPLES) -> Project:
    """A project of ``manifests-real/``: the given example files (``None``: every one of them)."""
    shutil.copytree(REPO / "manifests-real", tmp_path / "manifests")
    if files is not None:
        for path in (tmp_path / "manifests").glob("*.yaml"):
            if path.name not in files:
                path.unlink()
    return Project(tmp_path)


def changes_of(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The plan's changes that write something, by address."""
    return {f"{c['kind']}/{c['name']}": c for c in plan["changes"] if c["action"] != "no-op"}
