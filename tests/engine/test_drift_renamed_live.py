"""A live object renamed outside git is reported as renamed live, and its renamer is named.

A prompt is applied, then another OAuth client (``ui-editor``) renames it through the
sandbox's HTTP API. Drift said ``missing ArchitectUserPrompt/MainMenuGreeting (… replaces
'MainMenuGreetingV2' (renamed in manifests))``: the plan's wording, backwards, and the
attribution was looked up by the old name (the apply's create, by the tool's own client).
"""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from reconciler.kinds import REGISTRY
from reconciler.sandbox.auth import all_permissions

from ._support import Project
from .test_drift_attribution import _as_client

PROMPTS = REGISTRY["ArchitectUserPrompt"].collection
OLD, NEW = "MainMenuGreeting", "MainMenuGreetingV2"
MANIFEST = f"""apiVersion: reconciler/v1
kind: ArchitectUserPrompt
metadata:
  name: {OLD}
spec:
  description: Played when the IVR answers
"""


def rename_live(project: Project) -> str:
    """Rename the prompt as another client would in the UI; its id."""

    async def go() -> str:
        ui = await _as_client(project.db, "ui-editor", all_permissions())
        try:
            listed = {p["name"]: p for p in (await ui.get(PROMPTS)).json()["entities"]}
            prompt = {**listed[OLD], "name": NEW}
            answer = await ui.put(f"{PROMPTS}/{prompt['id']}", json=prompt)
            assert answer.status_code == 200, answer.text
            return str(prompt["id"])
        finally:
            await ui.aclose()

    return anyio.run(go)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "prompts.yaml").write_text(MANIFEST)
    project = Project(tmp_path)
    project.run("apply", "--auto-approve")
    return project


def test_a_live_rename_is_reported_as_renamed_live_with_its_renamer(project: Project) -> None:
    object_id = rename_live(project)
    report = json.loads(project.run("drift", "--format", "json", expect=2).stdout)
    [missing] = report["missing"]
    assert missing["name"] == OLD
    assert missing["renamed_live"] == {"object_id": object_id, "name": NEW}
    assert f"renamed live: '{OLD}' → '{NEW}'" in missing["reason"]
    assert "renamed in manifests" not in missing["reason"]
    who = report["changed_by"][f"ArchitectUserPrompt/{OLD}"]
    assert (who["by"], who["action"]) == ("ui-editor", "Update")
    # reported once: the new name is the renamed object, not also an unmanaged one
    assert report["unmanaged"] == []
    assert f"ArchitectUserPrompt/{NEW}" not in report["changed_by"]
    assert report["summary"] == {"differs": 0, "missing": 1, "unmanaged": 0, "renamed_live": 1}

    text = project.run("drift", expect=2).stdout
    assert f"renamed live: '{OLD}' → '{NEW}'" in text and "renamed in manifests" not in text
    assert "@ changed by client ui-editor" in text
    assert "unmanaged ArchitectUserPrompt" not in text
    assert "Drift: 0 differ, 1 missing (1 renamed live), 0 unmanaged." in text
    markdown = project.run("drift", "--format", "markdown", expect=2).stdout
    assert f"renamed live: '{OLD}' → '{NEW}'" in markdown and "renamed in manifests" not in markdown
    assert "_changed by client ui-editor" in markdown
    assert "Live but not declared" not in markdown
    assert "**Drift:** 0 differ, 1 missing (1 renamed live), 0 unmanaged." in markdown

    plan = project.plan_json(expect=0)
    [create] = [c for c in plan["changes"] if c["action"] == "create"]
    assert create["rename_of"] == {"object_id": object_id, "name": NEW}  # the plan keeps its own wording
    assert "renamed from" in create["reason"] or "renamed in manifests" in create["reason"]


def test_a_live_rename_of_a_pinned_object_is_worded_as_a_live_rename(project: Project) -> None:
    """Pinned by ``metadata.id``, the renamed prompt is one drifted object; drift said, backwards,
    ``renamed from 'MainMenuGreetingV2' (matched by metadata.id)`` (the plan's wording: git holds the old name)."""
    [prompt] = project.live("ArchitectUserPrompt")
    project.edit("prompts.yaml", f"  name: {OLD}\n", f"  name: {OLD}\n  id: {prompt['id']}\n")
    object_id = rename_live(project)
    report = json.loads(project.run("drift", "--format", "json", expect=2).stdout)
    assert report["missing"] == [] and report["unmanaged"] == []
    assert report["summary"] == {"differs": 1, "missing": 0, "unmanaged": 0, "renamed_live": 1}
    [differs] = report["differs"]
    assert differs["name"] == OLD
    assert differs["renamed_live"] == {"object_id": object_id, "name": NEW}
    assert f"renamed live: '{OLD}' → '{NEW}'" in differs["reason"]
    assert "renamed from" not in differs["reason"]
    assert {"code": "renamed_live", "text": f"renamed live: '{OLD}' → '{NEW}'"} in differs["reasons"]
    who = report["changed_by"][f"ArchitectUserPrompt/{OLD}"]
    assert (who["by"], who["action"]) == ("ui-editor", "Update")

    text = project.run("drift", expect=2).stdout
    assert f"renamed live: '{OLD}' → '{NEW}'" in text and "renamed from" not in text
    assert "1 differ (1 renamed live), 0 missing, 0 unmanaged" in text
    markdown = project.run("drift", "--format", "markdown", expect=2).stdout
    assert f"renamed live: '{OLD}' → '{NEW}'" in markdown and "renamed from" not in markdown
    assert "1 differ (1 renamed live), 0 missing, 0 unmanaged" in markdown

    plan = project.plan_json(expect=0)
    [update] = [c for c in plan["changes"] if c["action"] == "update"]
    assert update["rename_of"] == {"object_id": object_id, "name": NEW}
    assert f"renamed from '{NEW}' (matched by metadata.id)" in update["reason"]  # the plan keeps its own wording
