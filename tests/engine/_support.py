"""A project directory with the example manifests, driven through the real CLI.

Every run uses the embedded sandbox on a file in the test's directory, so runs share
state the way a user's successive commands do.
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

import httpx
from click.testing import CliRunner, Result

from reconciler.app import RunOptions, client_for
from reconciler.cli import main
from reconciler.genesys import ClientLimits, GenesysClient, resolve_target
from reconciler.kinds import REGISTRY
from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

REPO = Path(__file__).resolve().parents[2]
#: a secret that must never appear in any output of the tool
SECRET = "Sw0rdfish-KNOWN-test-secret-7731"

T = TypeVar("T")


@dataclass
class ProjectFiles:
    """Where a test project keeps its manifests, the sandbox's file and the audit log (the CLI's defaults)."""

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


@dataclass
class Project(ProjectFiles):
    def env(self) -> dict[str, str]:
        return {"CRM_WEBHOOK_PASSWORD": SECRET, "GENESYSCLOUD_OAUTHCLIENT_ID": ""}

    def run(self, *args: str, expect: int | None = 0, env: Mapping[str, str] | None = None) -> Result:
        """``reconciler ARGS`` against this project's sandbox; asserts the exit code."""
        command = args[0]
        extra: list[str] = []
        if command in ("plan", "apply", "drift", "export"):
            extra = ["--sandbox-db", str(self.db)]
            if "--requests-per-minute" not in args:
                # the embedded sandbox has no rate limit to respect: pacing would only make the suite wait
                extra += ["--requests-per-minute", "100000"]
        if command == "apply":
            extra += ["--audit-log", str(self.audit_log)]
        runner = CliRunner()
        with contextlib.chdir(self.root):  # a user runs the tool from the project's root
            result = runner.invoke(main, [*args, *extra], env={**self.env(), **(env or {})}, catch_exceptions=False)
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

    def live(self, kind: str) -> list[dict[str, Any]]:
        return self.with_client(lambda client: client.list_all(REGISTRY[kind]))

    def live_by_name(self, kind: str) -> dict[str, dict[str, Any]]:
        return {obj["name"]: obj for obj in self.live(kind)}

    def options(self, limits: ClientLimits | None = None) -> RunOptions:
        """The use cases' options for this project's sandbox (what the CLI builds from ``--sandbox-db``)."""
        target = resolve_target(target="sandbox", sandbox_db=str(self.db), env={})
        return RunOptions(target, limits or ClientLimits())

    def with_client(self, action: Callable[[GenesysClient], Awaitable[T]], limits: ClientLimits | None = None) -> T:
        """Act on the sandbox through the API, as another tool or a person would."""

        async def go() -> T:
            async with client_for(self.options(limits)) as client:
                return await action(client)

        return asyncio.run(go())

    def audit_records(self) -> list[dict[str, Any]]:
        if not self.audit_log.exists():
            return []
        return [json.loads(line) for line in self.audit_log.read_text().splitlines() if line.strip()]

    def last_run_records(self) -> list[dict[str, Any]]:
        records = self.audit_records()
        starts = [i for i, r in enumerate(records) if r["type"] == "run.start"]
        return records[starts[-1] :] if starts else []


def make_project(tmp_path: Path, source: str = "manifests") -> Project:
    """``tmp_path/manifests`` holding a copy of the repository's ``source`` directory."""
    shutil.copytree(REPO / source, tmp_path / "manifests")
    return Project(tmp_path)


def applied_project(tmp_path: Path, source: str = "manifests") -> Project:
    """:func:`make_project`, then applied once: the live state matches the manifests."""
    project = make_project(tmp_path, source)
    project.run("apply", "--auto-approve")
    return project


def plan_json(project: Project, *args: str, expect: int | None = 0) -> dict[str, Any]:
    return project.plan_json(*args, expect=expect)


def served_cli(url: str, root: Path, *args: str) -> Result:
    """The CLI run in ``root`` against the served sandbox at ``url`` as a real org is reached (``--target genesys``)."""
    env = {
        "GENESYSCLOUD_API_URL": url,
        "GENESYSCLOUD_OAUTHCLIENT_ID": DEFAULT_CLIENT_ID,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "CRM_WEBHOOK_PASSWORD": SECRET,
    }
    with contextlib.chdir(root):
        return CliRunner().invoke(main, [*args, "--target", "genesys"], env=env, catch_exceptions=False)


def requests_seen(url: str) -> dict[str, int]:
    """The requests the served sandbox at ``url`` answered, by ``METHOD path`` (its own counters)."""
    return dict(httpx.get(url + "/__sandbox__/stats", timeout=10).json()["requests"])
