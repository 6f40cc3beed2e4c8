"""``reconciler revert RUN_ID`` on the sandbox: a run's changes put back from the audit trail.

Run 1 applies the example manifests; run 2 updates a voice profile (a top-level and a
nested field), creates one and deletes a webhook that holds a write-only secret. The
revert of run 2, applied as a saved plan, must leave live exactly as the manifests of
run 1 declare it; and an object someone changed after run 2 is refused by name.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.app.revert import find_run
from reconciler.core.errors import AuditError
from reconciler.kinds import REGISTRY

from ._support import SECRET, Project, applied_project

VOICE = "IVR Main Menu - US English"
WEBHOOK = "CRM Compliance Sync"
SECRET_VARIABLE = "WEBHOOK_CRM_COMPLIANCE_SYNC_AUTH_SECRET"
NEW_PROFILE = """---
apiVersion: reconciler/v1
kind: VoiceProfile
metadata:
  name: Revert Probe Voice
spec:
  language: en-US
  voice: google-en-US-Wavenet-D
  engine: google_tts
"""


def run_ids(project: Project) -> list[str]:
    return [r["run_id"] for r in project.audit_records() if r["type"] == "run.start"]


def revert(project: Project, *args: str, expect: int = 0, env: dict[str, str] | None = None) -> Any:
    return project.run("revert", *args, "--sandbox-db", str(project.db), "--audit-log", str(project.audit_log),
                       expect=expect, env=env)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = applied_project(tmp_path)
    shutil.copytree(project.manifests, tmp_path / "earlier")
    project.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.1")
    project.edit("voice-profiles.yaml", "audioEncoding: MULAW", "audioEncoding: LINEAR16")
    with (project.manifests / "voice-profiles.yaml").open("a", encoding="utf-8") as handle:
        handle.write(NEW_PROFILE)
    webhooks = project.manifests / "webhooks.yaml"
    documents = webhooks.read_text(encoding="utf-8").split("\n---\n")
    webhooks.write_text("\n---\n".join(d for d in documents if f"name: {WEBHOOK}" not in d), encoding="utf-8")
    project.run("apply", "--auto-approve", "--max-deletes", "1")
    assert len(run_ids(project)) == 2
    return project


def restore_manifests(project: Project) -> None:
    shutil.rmtree(project.manifests)
    shutil.copytree(project.root / "earlier", project.manifests)


def test_reverting_a_run_restores_the_earlier_live_state(project: Project) -> None:
    run2 = run_ids(project)[-1]
    shown = revert(project, run2[:8], "--out", "p.json", "--format", "json",
                   "--manifests-out", "restored.yaml")
    plan = json.loads(shown.stdout)
    actions = {c["kind"] + "/" + c["name"]: c["action"] for c in plan["changes"]}
    assert actions == {f"VoiceProfile/{VOICE}": "update", "VoiceProfile/Billing Hold Announcements - UK": "update",
                       "VoiceProfile/Revert Probe Voice": "delete", f"Webhook/{WEBHOOK}": "create"}
    assert {c["reasons"][0]["code"] for c in plan["changes"]} == {"reverted"}
    # the secret was never recorded: the plan names the field and the variable to set
    assert any("authSecret" in w and SECRET_VARIABLE in w for w in plan["warnings"])
    saved = (project.root / "p.json").read_text(encoding="utf-8")
    assert SECRET not in saved and SECRET not in shown.output
    restored = (project.root / "restored.yaml").read_text(encoding="utf-8")
    assert f"name: {VOICE}" in restored and "rate: 1.05" in restored
    assert "# remove VoiceProfile/Revert Probe Voice" in restored
    assert "${env:" + SECRET_VARIABLE + "}" in restored

    project.run("apply", "p.json", env={SECRET_VARIABLE: SECRET})
    restore_manifests(project)
    clean = project.plan_json("--detailed-exitcode")
    assert clean["has_changes"] is False, [c for c in clean["changes"] if c["action"] != "no-op"]
    # apply of the revert is audited like any other run
    assert len(run_ids(project)) == 3


def test_an_object_changed_since_the_run_is_refused_by_name(project: Project) -> None:
    async def retune(client: Any) -> None:
        kind = REGISTRY["VoiceProfile"]
        live = {o["name"]: o for o in await client.list_all(kind)}[VOICE]
        body = {k: v for k, v in live.items() if k not in ("id", "version", "selfUri", "dateCreated", "dateModified")}
        await client.update(kind, live["id"], {**body, "rate": 1.3}, live["version"])

    project.with_client(retune)
    run2 = run_ids(project)[-1]
    refused = revert(project, run2, "--out", "p.json", expect=1)
    assert f"VoiceProfile/{VOICE}" in refused.output and "changed since the run" in refused.output
    project.run("apply", "p.json", expect=1)  # the saved plan is not applyable
    assert project.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.3

    forced = revert(project, run2, "--out", "forced.json", "--force", "--format", "json")
    assert any(VOICE in w and "--force" in w for w in json.loads(forced.stdout)["warnings"])
    project.run("apply", "forced.json", env={SECRET_VARIABLE: SECRET})
    assert project.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.05


def test_unknown_and_ambiguous_runs_are_errors_not_tracebacks(project: Project) -> None:
    missing = revert(project, "no-such-run", expect=1)
    assert "no run 'no-such-run'" in missing.output
    # "" is a prefix of every id: the command line refuses it as a usage error ("$RUN" unset), before the log is read
    empty = revert(project, "", expect=1)
    assert "Error: Invalid value for 'RUN_ID': the value is empty (an unset variable?)" in empty.output
    with pytest.raises(AuditError, match="ambiguous"):  # both runs start with it
        find_run(project.audit_log, "")


def test_a_log_edited_by_hand_is_refused_not_restored_from(project: Project) -> None:
    """The values a revert writes are the run's recorded ``before``s: an edited one was planned as is."""
    lines = project.audit_log.read_text(encoding="utf-8").splitlines()
    run2 = run_ids(project)[-1]
    for index, line in enumerate(lines):
        record = json.loads(line)
        if record["run_id"] == run2 and record["type"] == "intent" and record.get("name") == VOICE:
            for change in record["changes"]:
                if change["path"] == "rate":
                    change["before"] = 3.99  # still canonical JSON: only the hash chain tells
            lines[index] = json.dumps(record, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
            break
    else:
        raise AssertionError("no intent of run 2 about the voice profile")
    project.audit_log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused = revert(project, run2, "--out", "p.json", expect=1)
    assert f"record {index + 1} (line {index + 1}): hash mismatch" in refused.output
    assert "revert restores the values the log recorded" in refused.output
    assert "3.99" not in refused.output and not (project.root / "p.json").exists()


class TestPureRevert:
    """The planner half, without a sandbox: paths, kinds without versions, masked values."""

    def test_display_paths_read_back_as_json_paths(self) -> None:
        from reconciler.core.jsonpath import format_path
        from reconciler.plan.revert import parse_display_path

        for path in [("rate",), ("phrases", 1, "phrase"), ("headers", "X-Team"), ("a", 0, 2, "b")]:
            assert parse_display_path(format_path(path)) == path

    def test_a_kind_without_versions_is_judged_by_the_recorded_values(self) -> None:
        from reconciler.plan.revert import Write, moved_since

        kind = next(k for k in REGISTRY.values() if k.revision_field != "version" and k.singleton is None)
        write = Write(kind.name, "T", "update", "id-1", None, ({"path": "description", "before": "a", "after": "b"},))
        assert moved_since(kind, write, {"id": "id-1", "name": "T", "description": "b"}) is None
        assert "description" in str(moved_since(kind, write, {"id": "id-1", "name": "T", "description": "c"}))
        assert moved_since(kind, write, None) == "deleted since the run"
        assert "replaced" in str(moved_since(kind, write, {"id": "id-2", "name": "T", "description": "b"}))

    def test_a_masked_before_value_becomes_a_variable_to_set(self) -> None:
        from reconciler.plan.revert import RunWrites, Write, build_revert_plan

        kind = REGISTRY["Webhook"]
        live = {"id": "w1", "version": 2, "name": "Hook", "requestUrl": "https://b.example.test/x",
                "authScheme": "none", "eventFilters": [{"event": "rules.updated"}]}
        write = Write("Webhook", "Hook", "update", "w1", 2,
                      ({"path": "requestUrl", "before": "(sensitive)", "after": "(sensitive)"},))
        plan = build_revert_plan(RunWrites((write,), ()), "run", {kind.name: [live]}, target="t",
                                 target_description="t", variable=lambda k, n, f: f"V_{f.upper()}")
        assert plan.errors == ()
        (change,) = plan.changes
        assert change.spec is not None and change.spec["requestUrl"] == "${env:V_REQUESTURL}"
        assert "https://b.example.test" not in json.dumps(change.model_dump(mode="json"))
        assert any("requestUrl cannot be restored" in w and "V_REQUESTURL" in w for w in map(str, plan.warnings))

    def test_objects_whose_names_give_one_variable_get_one_each(self) -> None:
        """``CRM Sync`` and ``CRM-Sync`` both spelled WEBHOOK_CRM_SYNC_AUTH_SECRET: one value set for it was sent
        to both webhooks, one of them another endpoint's password. Export numbers them; so does revert now."""
        from reconciler.app.revert import secret_variables

        variable = secret_variables()
        first = variable("Webhook", "CRM Sync", "authSecret")
        second = variable("Webhook", "CRM-Sync", "authSecret")
        assert first == "WEBHOOK_CRM_SYNC_AUTH_SECRET" and second == "WEBHOOK_CRM_SYNC_AUTH_SECRET_2"
        assert variable("Webhook", "crm sync", "authSecret") == first  # the same object (names fold)
        assert variable("Webhook", "CRM-Sync", "authSecret") == second


def test_a_revert_is_held_to_the_projects_guardrails(project: Project) -> None:
    """A revert is a change like any other: protect (and limits) of reconciler.yaml hold for it."""
    settings = project.manifests / "reconciler.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + '\npolicy:\n  protect: ["VoiceProfile/*"]\n',
                        encoding="utf-8")
    shown = revert(project, run_ids(project)[-1], "--out", "p.json", "--format", "json", expect=1)
    plan = json.loads(shown.stdout)
    assert plan["applyable"] is False
    assert {f["rule"] for f in plan["policy"]} == {"protect"}
    assert {f["object"] for f in plan["policy"]} == {f"VoiceProfile/{VOICE}", "VoiceProfile/Revert Probe Voice",
                                                   "VoiceProfile/Billing Hold Announcements - UK"}
    project.run("apply", "p.json", expect=1)  # refused naming the rule, nothing written


def test_reverting_an_update_of_a_webhook_with_a_secret_applies_and_keeps_the_secret(tmp_path: Path) -> None:
    """The run left the secret alone, and so does the revert: the update omits it and the server keeps it.
    The saved plan was refused by ``apply FILE`` (``spec.authSecret: is required when authScheme is basic``;
    ``make the plan again``, which made the same plan), though revert had said to apply it."""
    project = applied_project(tmp_path)
    shutil.copytree(project.manifests, tmp_path / "earlier")
    project.edit("webhooks.yaml", "crm.example.com/hooks", "crm2.example.com/hooks")
    project.run("apply", "--auto-approve")
    revert(project, run_ids(project)[-1], "--out", "p.json")
    saved = (project.root / "p.json").read_text(encoding="utf-8")
    assert SECRET not in saved and "authSecret" not in json.loads(saved)["changes"][0]["spec"]
    project.run("apply", "p.json")
    restore_manifests(project)
    clean = project.plan_json("--detailed-exitcode")
    assert clean["has_changes"] is False, [c for c in clean["changes"] if c["action"] != "no-op"]
    assert project.live_by_name("Webhook")[WEBHOOK]["authSecretSet"] is True


def test_manifests_out_of_an_update_to_a_webhook_with_a_secret_validate(tmp_path: Path) -> None:
    """The restored manifest of such an update lacked authSecret, so it did not validate
    ('spec.authSecret: is required when authScheme is basic'): it now names a variable to set."""
    project = applied_project(tmp_path)
    project.edit("webhooks.yaml", "crm.example.com/hooks", "crm2.example.com/hooks")
    project.run("apply", "--auto-approve")
    revert(project, run_ids(project)[-1], "--manifests-out", "restored.yaml")
    restored = (project.root / "restored.yaml").read_text(encoding="utf-8")
    assert "authSecret: ${env:" + SECRET_VARIABLE + "}" in restored
    assert f"set {SECRET_VARIABLE} to the authSecret the org keeps" in restored
    assert SECRET not in restored
    shutil.rmtree(project.manifests)
    project.manifests.mkdir()
    (project.manifests / "restored.yaml").write_text(restored, encoding="utf-8")
    project.run("validate", "manifests", env={SECRET_VARIABLE: SECRET})


@pytest.mark.parametrize("existing", ["manifest", "fifo"])
def test_manifests_out_never_replaces_or_blocks_on_what_is_there(project: Project, existing: str) -> None:
    """--manifests-out manifests/webhooks.yaml replaced the file, its other objects with it; a FIFO blocked."""
    if existing == "manifest":
        target = project.manifests / "voice-profiles.yaml"
        before = target.read_bytes()
    else:
        target = project.root / "fifo.yaml"
        os.mkfifo(target)
        reader = os.open(target, os.O_RDONLY | os.O_NONBLOCK)  # the old code wrote into it rather than block the test
    try:
        refused = revert(project, run_ids(project)[-1], "--manifests-out", str(target), expect=1)
    finally:
        if existing == "fifo":
            os.close(reader)
    assert f"cannot write {target}: it " in refused.output
    if existing == "manifest":
        assert target.read_bytes() == before

