"""``apply FILE`` and ``revert`` judge against the project the plan was made in, not ``manifests/`` of the working directory.

A saved plan records its project (``project``: the directory holding the ``reconciler.yaml`` it
read). ``apply FILE`` read ``manifests/reconciler.yaml`` under the working directory whatever
the plan's project, so a plan of ``infra/genesys`` got no re-check of that project's
``policy.protect``; ``revert`` had no way to say where the project is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler.plan.planfile import checksum

from ._support import Project, applied_project

FEED = "Voice Profile Audit Feed"
INFRA = "infra/genesys"
PROTECT_FEED = 'policy:\n  protect: ["Webhook/Voice *"]\n'
REFUSED = (f"policy refuses this apply (rule protect): [protect] Webhook/{FEED} would be deleted, but "
           "policy.protect 'Webhook/Voice *' protects it")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """The example project applied, then moved to ``infra/genesys``, and a plan of it saved that prunes the feed."""
    project = applied_project(tmp_path)
    infra = tmp_path / INFRA
    infra.parent.mkdir()
    project.manifests.rename(infra)
    hooks = infra / "webhooks.yaml"
    hooks.write_text(hooks.read_text().split("\n---")[0] + "\n")  # the second webhook, the feed, is pruned
    project.run("plan", INFRA, "--out", "p.json")
    return project


def add_settings(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_a_saved_plan_records_its_project(project: Project) -> None:
    assert json.loads((project.root / "p.json").read_text())["project"] == INFRA


def test_apply_file_rechecks_the_protect_of_the_plans_own_project(project: Project) -> None:
    add_settings(project.root / INFRA / "reconciler.yaml", PROTECT_FEED)
    before = len(project.audit_records())
    refused = project.run("apply", "p.json", expect=1)
    assert REFUSED in refused.stderr
    assert FEED in project.live_by_name("Webhook") and len(project.audit_records()) == before
    project.run("apply", "p.json", "--override", "CHG-7: feed retired")
    assert FEED not in project.live_by_name("Webhook")


def test_another_projects_settings_in_the_working_directory_are_not_the_plans(project: Project) -> None:
    """``manifests/reconciler.yaml`` in the working directory protecting the feed is another project's."""
    project.manifests.mkdir()
    (project.manifests / "reconciler.yaml").write_text(PROTECT_FEED)
    project.run("apply", "p.json")
    assert FEED not in project.live_by_name("Webhook")


def test_a_plan_whose_project_settings_are_gone_is_refused_naming_them(project: Project) -> None:
    (project.root / INFRA / "reconciler.yaml").unlink()
    before = len(project.audit_records())
    refused = project.run("apply", "p.json", expect=1)
    assert refused.stderr.splitlines()[-1] == (
        "error: p.json was planned in the project infra/genesys (infra/genesys/reconciler.yaml), which is not there "
        "now: apply judges a saved plan again against the policy (protect, limits) of the project it was made in; "
        "run apply from the directory the plan was made in, or plan again"
    )
    shutil.rmtree(project.root / INFRA)
    assert "p.json was planned in the project infra/genesys" in project.run("apply", "p.json", expect=1).stderr
    assert FEED in project.live_by_name("Webhook") and len(project.audit_records()) == before


def test_broken_project_settings_stop_the_apply_at_their_line(project: Project) -> None:
    add_settings(project.root / INFRA / "reconciler.yaml", "policy:\n  protect: 5\n")
    refused = project.run("apply", "p.json", expect=1)
    assert "infra/genesys/reconciler.yaml:12:12: policy.protect" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.output and FEED in project.live_by_name("Webhook")


def test_a_plan_file_made_before_projects_were_recorded_is_judged_by_manifests_as_then(project: Project) -> None:
    """No ``project`` key: judged against the project of ``manifests`` under the working directory, as before."""
    path = project.root / "p.json"
    document = json.loads(path.read_text())
    del document["project"]
    document["checksum"] = checksum(document)
    path.write_text(json.dumps(document))
    add_settings(project.root / INFRA / "reconciler.yaml", PROTECT_FEED)  # not read: the file names no project
    project.manifests.mkdir()
    (project.manifests / "reconciler.yaml").write_text('policy:\n  protect: ["Webhook/*Feed"]\n')
    assert "[protect] Webhook/Voice Profile Audit Feed would be deleted" in project.run("apply", "p.json", expect=1).stderr


def test_a_plan_of_manifests_in_no_project_is_judged_by_no_settings(project: Project) -> None:
    (project.root / INFRA / "reconciler.yaml").unlink()
    project.run("plan", INFRA, "--out", "q.json", "--prune", "Webhook")
    assert json.loads((project.root / "q.json").read_text())["project"] is None
    project.manifests.mkdir()
    (project.manifests / "reconciler.yaml").write_text(PROTECT_FEED)  # another project's
    project.run("apply", "q.json")
    assert FEED not in project.live_by_name("Webhook")


def revert(project: Project, *args: str, expect: int = 0) -> dict[str, object]:
    result = project.run("revert", *args, "--format", "json", "--sandbox-db", str(project.db), "--audit-log",
                         str(project.audit_log), expect=expect)
    plan = json.loads(result.stdout)
    assert isinstance(plan, dict)
    return plan


def test_revert_is_held_to_the_project_it_is_given(project: Project) -> None:
    """``revert --manifests infra/genesys`` reads that project's policy and records it for ``apply FILE``."""
    voices = project.root / INFRA / "voice-profiles.yaml"
    voices.write_text(voices.read_text().replace("rate: 1.05", "rate: 1.1", 1))
    project.run("apply", INFRA, "--auto-approve")
    run = [r["run_id"] for r in project.audit_records() if r["type"] == "run.start"][-1]
    add_settings(project.root / INFRA / "reconciler.yaml", 'policy:\n  protect: ["VoiceProfile/IVR*"]\n')

    plan = revert(project, run, "--manifests", INFRA, "--out", "r.json", expect=1)
    assert plan["project"] == INFRA and plan["applyable"] is False
    assert [f["object"] for f in plan["policy"]] == ["VoiceProfile/IVR Main Menu - US English"]
    # a file of the project names it as well
    assert revert(project, run, "--manifests", f"{INFRA}/voice-profiles.yaml", expect=1)["project"] == INFRA
    # by default, the project of manifests/ (none here): no policy, and none recorded
    unjudged = revert(project, run, "--out", "u.json")
    assert unjudged["project"] is None and unjudged["policy"] == []
    # the plan saved with --manifests is judged again against that project at apply
    assert "[protect] VoiceProfile/IVR Main Menu - US English would be updated" in project.run(
        "apply", "r.json", expect=1).stderr


def test_revert_refuses_a_manifests_path_that_is_not_there(project: Project) -> None:
    result = project.run("revert", "x", "--manifests", "infra/genesis", "--sandbox-db", str(project.db), expect=1)
    assert "Error: Invalid value for '--manifests': Path 'infra/genesis' does not exist." in result.output
