"""A failed write costs only what depends on it, and re-running apply finishes the job."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from reconciler.app import RunOptions, apply, plan_paths
from reconciler.apply.result import Outcome
from reconciler.core.errors import ServerError
from reconciler.genesys import GenesysClient, resolve_target
from reconciler.kinds import Kind

from ._support import SECRET, make_project


class FailingCreates:
    """The real client, except that creating one named object fails as a 503 would."""

    def __init__(self, client: GenesysClient, fail_name: str) -> None:
        self._client, self._fail_name = client, fail_name

    async def create(self, kind: Kind, body: dict[str, Any]) -> Any:
        if body["name"] == self._fail_name:
            raise ServerError(503, "service.unavailable", "injected", method="POST", path=kind.collection,
                              correlation_id="test-correlation")
        return await self._client.create(kind, body)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def options(tmp_path: Path) -> RunOptions:
    return RunOptions(target=resolve_target(target="sandbox", sandbox_db=str(tmp_path / "sandbox.db"), env={}))


def test_failure_skips_dependents_only_and_rerun_converges(
    tmp_path: Path, options: RunOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path)
    env = {"CRM_WEBHOOK_PASSWORD": SECRET}
    plan = asyncio.run(plan_paths([str(project.manifests)], options, env=env)).plan

    import reconciler.app.applying as engine

    real_apply_plan = engine.apply_plan

    async def failing_apply_plan(the_plan: Any, writer: Any, **kwargs: Any) -> Any:
        return await real_apply_plan(the_plan, FailingCreates(writer, "Compliance Greeting"), **kwargs)

    monkeypatch.setattr(engine, "apply_plan", failing_apply_plan)
    result = asyncio.run(apply(plan, options, env=env, audit_log=tmp_path / "audit.jsonl")).result

    by_name = {c.name: c for c in result.changes}
    assert by_name["Compliance Greeting"].outcome == Outcome.FAILED
    assert "503" in (by_name["Compliance Greeting"].error or "")
    assert "test-correlation" in (by_name["Compliance Greeting"].error or "")
    assert by_name["CRM Compliance Sync"].outcome == Outcome.SKIPPED  # it references the failed rule
    others = [c for c in result.changes if c.name not in ("Compliance Greeting", "CRM Compliance Sync")]
    assert len(others) == 6 and all(c.outcome == Outcome.SUCCESS for c in others)
    assert result.failed == 2

    monkeypatch.setattr(engine, "apply_plan", real_apply_plan)
    replan = asyncio.run(plan_paths([str(project.manifests)], options, env=env)).plan
    assert replan.summary["create"] == 2 and replan.summary["update"] == 0
    second = asyncio.run(apply(replan, options, env=env, audit_log=tmp_path / "audit.jsonl")).result
    assert second.failed == 0
    final = asyncio.run(plan_paths([str(project.manifests)], options, env=env)).plan
    assert not final.has_changes


def test_api_error_text_in_the_audit_log_never_carries_an_env_value(
    tmp_path: Path, options: RunOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: even a server message echoing a secret is scrubbed before it is logged."""
    project = make_project(tmp_path)
    env = {"CRM_WEBHOOK_PASSWORD": SECRET}
    plan = asyncio.run(plan_paths([str(project.manifests)], options, env=env)).plan

    class EchoingServer(FailingCreates):
        async def create(self, kind: Kind, body: dict[str, Any]) -> Any:
            if body.get("authSecret"):
                raise ServerError(500, "internal.server.error", f"could not store {body['authSecret']}",
                                  method="POST", path=kind.collection, correlation_id="c-1")
            return await self._client.create(kind, body)

    import reconciler.app.applying as engine

    real_apply_plan = engine.apply_plan

    async def echoing_apply_plan(the_plan: Any, writer: Any, **kwargs: Any) -> Any:
        return await real_apply_plan(the_plan, EchoingServer(writer, ""), **kwargs)

    monkeypatch.setattr(engine, "apply_plan", echoing_apply_plan)
    audit_log = tmp_path / "audit.jsonl"
    result = asyncio.run(apply(plan, options, env=env, audit_log=audit_log)).result
    assert result.failed == 1
    assert "internal.server.error" in audit_log.read_text()
    assert SECRET not in audit_log.read_text()
