"""Settled at read through the real use cases: plan_paths keeps stubs, and nothing downstream can tell."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from reconciler.app import RunOptions, plan_paths
from reconciler.kinds import REGISTRY
from reconciler.plan.settled import SettledLive

from ._support import SECRET, Project, applied_project

ENV = {"CRM_WEBHOOK_PASSWORD": SECRET}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return applied_project(tmp_path)


@pytest.fixture
def options(project: Project) -> RunOptions:
    return project.options()


def _document(settle: bool, project: Project, options: RunOptions, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    run = asyncio.run(plan_paths([str(project.manifests)], options, env=ENV, settle_at_read=settle, **kwargs))
    document = run.plan.model_dump(mode="json")
    document.pop("created_at")
    return document, run


def test_a_no_change_plan_holds_stubs_and_the_same_plan(project: Project, options: RunOptions) -> None:
    settled, run = _document(True, project, options)
    whole, full_run = _document(False, project, options)
    assert settled == whole
    assert run.live_counts == full_run.live_counts
    types = {(kind, o["name"]): type(o) for kind, objs in run.live.items() for o in objs}
    assert types[("SpeechRule", "Compliance Greeting")] is SettledLive
    assert types[("VoiceProfile", "IVR Main Menu - US English")] is SettledLive
    assert types[("Webhook", "CRM Compliance Sync")] is dict  # ${ref} and ${env}: compared by the planner
    assert all(type(o) is dict for objs in full_run.live.values() for o in objs)


def test_changed_pruned_and_rotated_plans_are_the_same_either_way(project: Project, options: RunOptions) -> None:
    project.edit("speech-rules.yaml", "tags: [churn, retention]", "tags: [churn]")
    project.with_client(lambda c: c.create(REGISTRY["Webhook"], {"name": "stray hook", "requestUrl": "https://s.example.com/h",
                                                      "eventFilters": [{"event": "rules.updated"}]}))
    for kwargs in ({}, {"prune_kinds": ["Webhook"]}, {"rotate": ["Webhook/CRM Compliance Sync"]}):
        settled, _ = _document(True, project, options, **kwargs)
        whole, _ = _document(False, project, options, **kwargs)
        assert settled == whole


def test_an_auto_approved_apply_resolves_references_through_a_stub(project: Project) -> None:
    """The webhook changes and references a no-op rule's id, which the plan's listing holds as a stub."""
    rule_id = project.live_by_name("SpeechRule")["Compliance Greeting"]["id"]
    project.edit("webhooks.yaml", "Tells the CRM when", "Tells the CRM whenever")
    project.run("apply", "--auto-approve")
    sent = project.live_by_name("Webhook")["CRM Compliance Sync"]
    assert sent["description"].startswith("Tells the CRM whenever")
    assert [f.get("filter") for f in sent["eventFilters"]] == [f"ruleId eq {rule_id}"] * 2
    assert project.plan_json("--detailed-exitcode")["summary"]["no-op"] >= 1
