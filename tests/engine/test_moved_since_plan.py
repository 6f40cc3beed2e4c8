"""A write refused because someone else got there first is *stale*, not a failure.

Between apply's fresh listing and its write, another writer (a second apply of the same
plan, a person in the admin UI) may create the name, or delete the object. The server
then answers 409 ``duplicate.name`` or 404; the executor reports the change stale, as it
does for a version mismatch, and nothing is forced or retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.app import RunOptions, apply, plan_paths
from reconciler.apply.result import ApplyResult, Outcome
from reconciler.genesys import GenesysClient
from reconciler.kinds import REGISTRY, Kind
from reconciler.plan.model import Plan

from ._support import SECRET, Project, make_project

ENV = {"CRM_WEBHOOK_PASSWORD": SECRET}
RULE = "Compliance Greeting"
VOICE = "IVR Main Menu - US English"


class SomeoneElseFirst:
    """The real client, except that just before writing ``name`` another writer acts on it."""

    def __init__(self, client: GenesysClient, name: str, act: Callable[[GenesysClient], Awaitable[Any]]) -> None:
        self._client, self._name, self._act = client, name, act

    async def _first(self, name: str) -> None:
        if name == self._name:
            await self._act(self._client)

    async def create(self, kind: Kind, body: dict[str, Any]) -> Any:
        await self._first(body["name"])
        return await self._client.create(kind, body)

    async def update(self, kind: Kind, object_id: str, body: dict[str, Any], version: int) -> Any:
        await self._first(body["name"])
        return await self._client.update(kind, object_id, body, version)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)


@pytest.fixture
def options(project: Project) -> RunOptions:
    return project.options()


def _apply_with(plan: Plan, options: RunOptions, project: Project, monkeypatch: pytest.MonkeyPatch,
                name: str, act: Callable[[GenesysClient], Awaitable[Any]]) -> ApplyResult:
    import reconciler.app.applying as engine

    real = engine.apply_plan

    async def racing(the_plan: Any, writer: Any, **kwargs: Any) -> Any:
        return await real(the_plan, SomeoneElseFirst(writer, name, act), **kwargs)

    monkeypatch.setattr(engine, "apply_plan", racing)
    try:
        result = asyncio.run(apply(plan, options, env=ENV, audit_log=project.audit_log)).result
    finally:
        monkeypatch.setattr(engine, "apply_plan", real)
    return result


def _plan(project: Project, options: RunOptions) -> Plan:
    plan = asyncio.run(plan_paths([str(project.manifests)], options, env=ENV)).plan
    return plan


def test_create_whose_name_was_taken_meanwhile_is_stale(
    project: Project, options: RunOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = REGISTRY["SpeechRule"]

    async def create_it_first(client: GenesysClient) -> None:
        await client.create(rule, {"name": RULE.upper(), "phrases": [{"phrase": "someone else's"}]})

    result = _apply_with(_plan(project, options), options, project, monkeypatch, RULE, create_it_first)

    by_name = {c.name: c for c in result.changes}
    assert by_name[RULE].outcome == Outcome.STALE
    assert "created by someone else since the plan" in (by_name[RULE].error or "")
    assert "409" in (by_name[RULE].error or "") and "duplicate.name" in (by_name[RULE].error or "")
    assert by_name["CRM Compliance Sync"].outcome == Outcome.SKIPPED  # it references the refused rule
    theirs = [o for o in project.live("SpeechRule") if o["name"].casefold() == RULE.casefold()]
    assert [(o["name"], [p["phrase"] for p in o["phrases"]]) for o in theirs] == [(RULE.upper(), ["someone else's"])], (
        "the other writer's object is left as it was"
    )


def test_update_of_an_object_deleted_meanwhile_is_stale(
    project: Project, options: RunOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.run("apply", "--auto-approve")
    project.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
    plan = _plan(project, options)
    voice = REGISTRY["VoiceProfile"]
    live_id = project.live_by_name("VoiceProfile")[VOICE]["id"]

    async def delete_it_first(client: GenesysClient) -> None:
        await client.delete(voice, live_id)

    result = _apply_with(plan, options, project, monkeypatch, VOICE, delete_it_first)

    (change,) = [c for c in result.changes if c.name == VOICE]
    assert change.outcome == Outcome.STALE
    assert "deleted by someone else since the plan" in (change.error or "") and "404" in (change.error or "")
    assert VOICE not in project.live_by_name("VoiceProfile"), "nothing was recreated behind the plan's back"
