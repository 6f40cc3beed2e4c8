"""A plan of a subfolder of a project, through the CLI against the sandbox: the project's settings apply.

The root is the nearest directory holding ``reconciler.yaml`` from the first path given up
(docs/manifests.md). It was the first directory given, so ``plan manifests/voices/...`` read
no settings: no pruning, no ``policy.protect``, and nothing of the rest of the project left alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.kinds import REGISTRY

from ._support import Project, applied_project

VOICES = "manifests/voices/voice-profiles.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """The example project, applied, its voice profiles then moved to ``manifests/voices/``, and a stray webhook live."""
    project = applied_project(tmp_path)
    (project.manifests / "voices").mkdir()
    (project.manifests / "voice-profiles.yaml").rename(project.root / VOICES)
    stray = {"name": "Stray Hook", "requestUrl": "https://hooks.example.com/x", "eventFilters": [{"event": "rules.updated"}]}
    project.with_client(lambda c: c.create(REGISTRY["Webhook"], stray))
    return project


def changed(plan: dict[str, object]) -> list[tuple[str, str]]:
    changes = plan["changes"]
    assert isinstance(changes, list)
    return [(c["action"], f'{c["kind"]}/{c["name"]}') for c in changes if c["action"] != "no-op"]


@pytest.mark.parametrize("given", [VOICES, "manifests/voices"])
def test_a_subfolder_prunes_as_the_project_says_and_leaves_the_other_files_alone(project: Project, given: str) -> None:
    """``prune.kinds: [Webhook]`` of manifests/reconciler.yaml: the stray goes, the webhooks webhooks.yaml declares stay."""
    plan = project.plan_json(given)
    assert changed(plan) == [("delete", "Webhook/Stray Hook")]
    assert plan["unmanaged"] == [] and plan["errors"] == []
    assert [w for w in plan["warnings"] if "files not given are left alone" in w] == [
        "5 live object(s) declared in files not given are left alone: manifests/speech-rules.yaml and 1 more file(s) "
        "of the project manifests (the directory holding reconciler.yaml, subfolders included) not given, so this "
        "run neither compares, updates nor deletes what they declare (give manifests to include them)"
    ]
    project.run("apply", given, "--auto-approve")
    assert sorted(project.live_by_name("Webhook")) == ["CRM Compliance Sync", "Voice Profile Audit Feed"]
    assert len(project.live("SpeechRule")) == 3


def test_a_subfolder_plan_is_held_to_the_project_policy(project: Project) -> None:
    settings = project.manifests / "reconciler.yaml"
    settings.write_text(settings.read_text() + "\npolicy:\n  protect: ['Webhook/Stray*']\n")
    result = project.run("plan", VOICES, expect=1)
    assert "error: policy refuses this plan (rule protect)" in result.stderr
    assert "Webhook/Stray Hook" in result.stderr and "Traceback" not in result.output
    result = project.run("apply", "manifests/voices", "--auto-approve", expect=1)
    assert "Stray Hook" in project.live_by_name("Webhook")


def test_a_path_of_another_project_is_refused_naming_it(project: Project) -> None:
    (project.root / "elsewhere").mkdir()
    (project.root / "elsewhere" / "reconciler.yaml").write_text("prune:\n  kinds: []\n")
    (project.manifests / "voices" / "voice-profiles.yaml").rename(project.root / "elsewhere" / "voices.yaml")
    result = project.run("plan", "manifests/speech-rules.yaml", "elsewhere/voices.yaml", expect=1)
    assert result.stderr.splitlines()[1:3] == [
        "error: 1 error in manifests",
        "elsewhere/voices.yaml: lies in the project elsewhere (elsewhere/reconciler.yaml), not in manifests "
        "(manifests/reconciler.yaml), the project of the first path given: a run reads the settings of one project, "
        "the nearest directory holding reconciler.yaml from the first path given upwards, so every path given must "
        "lie in it; give each project's paths in a run of its own",
    ]
    assert "Traceback" not in result.output
