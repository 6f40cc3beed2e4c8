"""A project holding ``manifests-real/`` (the platform kinds' examples), run through the CLI
against the embedded sandbox, plus helpers to act on that sandbox as another tool would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.genesys import ClientLimits, GenesysClient, open_client, resolve_target
from reconciler.kinds import REGISTRY

REPO = Path(__file__).resolve().parents[2]
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

T = TypeVar("T")


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


@dataclass
class Project:
    """``root/manifests`` (a copy of manifests-real/), a sandbox file and an audit log beside it."""

    root: Path

    @property
    def manifests(self) -> Path:
        return self.root / "manifests"

    @property
    def db(self) -> Path:
        return self.root / "sandbox.db"

    @property
    def audit_log(self) -> Path:
        return self.root / "audit.jsonl"

    def run(self, *args: str, expect: int | None = 0, env: Mapping[str, str] | None = None) -> Result:
        """``reconciler ARGS`` against this project's sandbox; asserts the exit code."""
        extra: list[str] = []
        if args[0] in ("plan", "apply", "drift", "export"):
            extra = ["--sandbox-db", str(self.db)]
        if args[0] == "apply":
            extra += ["--audit-log", str(self.audit_log)]
        with contextlib.chdir(self.root):
            result = CliRunner().invoke(
                main, [*args, *extra], env={"GENESYSCLOUD_OAUTHCLIENT_ID": "", **(env or {})}, catch_exceptions=False
            )
        if expect is not None:
            assert result.exit_code == expect, result.output
        return result

    def plan_json(self, *args: str, expect: int | None = 0) -> dict[str, Any]:
        return json.loads(self.run("plan", "--format", "json", *args, expect=expect).stdout)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.manifests / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))

    def with_client(self, action: Callable[[GenesysClient], Awaitable[T]], limits: ClientLimits | None = None) -> T:
        """Act on the sandbox through the API, as another tool or a person would."""

        async def go() -> T:
            target = resolve_target(target="sandbox", sandbox_db=str(self.db), env={})
            async with open_client(target, limits=limits) as client:
                return await action(client)

        return asyncio.run(go())

    def live(self, kind: str, *, full: bool = True) -> dict[str, dict[str, Any]]:
        """Live objects by name (read in full for a summary-listing kind)."""

        async def read(client: GenesysClient) -> list[dict[str, Any]]:
            objects = await client.list_all(REGISTRY[kind])
            return await client.details(REGISTRY[kind], objects) if full and REGISTRY[kind].listing.is_summary else objects

        return {o["name"]: o for o in self.with_client(read)}

    def audit_records(self) -> list[dict[str, Any]]:
        if not self.audit_log.exists():
            return []
        return [json.loads(line) for line in self.audit_log.read_text().splitlines() if line.strip()]

    def last_run_records(self) -> list[dict[str, Any]]:
        records = self.audit_records()
        starts = [i for i, r in enumerate(records) if r["type"] == "run.start"]
        return records[starts[-1] :] if starts else []


def make_project(tmp_path: Path) -> Project:
    shutil.copytree(REPO / "manifests-real", tmp_path / "manifests")
    return Project(tmp_path)


def changes_of(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The plan's changes that write something, by address."""
    return {f"{c['kind']}/{c['name']}": c for c in plan["changes"] if c["action"] != "no-op"}
