"""Plan and apply through the CLI against the embedded sandbox (issue 5 acceptance).

Grouped by behaviour: convergence, saved plans and staleness, prune, renames and
references, the TTS hook, approval, and secrets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.kinds import KINDS, REGISTRY
from reconciler.plan.planfile import checksum

from ._support import SECRET, Project, make_project, plan_json

VOICE = "IVR Main Menu - US English"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)


@pytest.fixture
def applied(project: Project) -> Project:
    project.run("apply", "--auto-approve")
    return project


def intents(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["type"] == "intent"]


def extra_webhook(name: str) -> dict[str, Any]:
    return {"name": name, "requestUrl": "https://hooks.example.com/x", "eventFilters": [{"event": "rules.updated"}]}


def create_live(project: Project, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return project.with_client(lambda c: c.create(REGISTRY[kind], body)).object


class TestConvergence:
    def test_first_apply_creates_every_declared_object(self, applied: Project) -> None:
        assert len(applied.live("VoiceProfile")) == 3
        assert len(applied.live("SpeechRule")) == 3
        assert len(applied.live("Webhook")) == 2

    def test_plan_after_apply_has_no_changes(self, applied: Project) -> None:
        result = applied.run("plan", "--detailed-exitcode", expect=0)
        assert "No changes" in result.stdout

    def test_second_apply_writes_nothing(self, applied: Project) -> None:
        versions = {o["name"]: o["version"] for o in applied.live("SpeechRule")}
        written = len(intents(applied.audit_records()))
        result = applied.run("apply", "--auto-approve")
        assert "No changes" in result.stdout
        assert len(intents(applied.audit_records())) == written
        assert {o["name"]: o["version"] for o in applied.live("SpeechRule")} == versions

    def test_one_field_edit_plans_exactly_that_update(self, applied: Project) -> None:
        applied.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
        plan = plan_json(applied, "--detailed-exitcode", expect=2)
        changed = [c for c in plan["changes"] if c["action"] != "no-op"]
        assert [(c["kind"], c["name"], c["action"]) for c in changed] == [("VoiceProfile", VOICE, "update")]
        assert [(f["path"], f["before"], f["after"]) for f in changed[0]["field_changes"]] == [("rate", 1.05, 1.5)]
        text = applied.run("plan").stdout
        assert "rate: 1.05 -> 1.5" in text

    def test_apply_of_the_edit_converges(self, applied: Project) -> None:
        applied.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
        applied.run("apply", "--auto-approve")
        assert applied.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.5
        applied.run("plan", "--detailed-exitcode", expect=0)

    def test_every_command_names_its_target_first(self, project: Project) -> None:
        for command in (["plan"], ["drift"], ["apply", "--auto-approve"]):
            result = project.run(*command, expect=None)
            assert result.stderr.startswith(f"Target: sandbox {project.db}"), result.stderr


class TestSavedPlans:
    def test_saved_plan_applies(self, applied: Project) -> None:
        applied.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
        out = applied.root / "plan.json"
        applied.run("plan", "--out", str(out))
        applied.run("apply", str(out))
        assert applied.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.5

    def test_object_changed_after_plan_is_refused_as_stale_and_not_written(self, applied: Project) -> None:
        applied.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
        applied.edit("speech-rules.yaml", "value: 1.0", "value: 0.5")
        out = applied.root / "plan.json"
        applied.run("plan", "--out", str(out))
        live = applied.live_by_name("VoiceProfile")[VOICE]
        kind = REGISTRY["VoiceProfile"]
        body = {k: v for k, v in live.items() if k in ("name", *kind.spec_fields)} | {"volume": 1.7}
        applied.with_client(lambda c: c.update(kind, live["id"], body, live["version"]))

        result = applied.run("apply", str(out), expect=1)

        assert f"VoiceProfile/{VOICE}" in result.output and "stale" in result.output
        after = applied.live_by_name("VoiceProfile")[VOICE]
        assert (after["rate"], after["volume"], after["version"]) == (1.05, 1.7, live["version"] + 1)
        written = [(r["kind"], r["name"]) for r in intents(applied.last_run_records())]
        assert ("VoiceProfile", VOICE) not in written
        assert ("SpeechRule", "Compliance Greeting") in written  # the rest of the plan went on

    def test_edited_plan_file_is_refused(self, applied: Project) -> None:
        applied.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
        out = applied.root / "plan.json"
        applied.run("plan", "--out", str(out))
        out.write_text(out.read_text().replace("1.5", "3.5"))
        result = applied.run("apply", str(out), expect=1)
        assert "checksum" in result.stderr
        assert applied.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.05

    def test_a_resealed_plan_with_a_dangling_reference_is_refused_before_any_write(self, applied: Project) -> None:
        """It failed at its own change, after the writes ordered before it had been made."""
        applied.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
        applied.edit("webhooks.yaml", "Tells the CRM when", "Tells the CRM, edited, when")
        out = applied.root / "plan.json"
        applied.run("plan", "--out", str(out))
        document = json.loads(out.read_text())
        hooks = [c for c in document["changes"] if c["kind"] == "Webhook" and c["action"] == "update"]
        hooks[0]["spec"]["eventFilters"][0]["filter"] = "ruleId eq ${ref:SpeechRule/No Such Rule.id}"
        document["checksum"] = checksum(document)
        out.write_text(json.dumps(document))
        versions = {o["name"]: o["version"] for o in applied.live("VoiceProfile")}
        written = len(applied.audit_records())

        result = applied.run("apply", str(out), expect=1)

        assert ("error: the plan refers to objects neither declared in it nor live: Webhook/"
                f"{hooks[0]['name']}: "
                "eventFilters[0].filter refers to SpeechRule/No Such Rule, which is neither declared in the plan "
                "nor live; nothing was applied; make the plan again") in result.stderr
        assert {o["name"]: o["version"] for o in applied.live("VoiceProfile")} == versions
        assert len(applied.audit_records()) == written

    def test_an_env_value_that_breaks_the_spec_at_apply_fails_that_change_clearly(self, project: Project) -> None:
        """Valid when planned; the apply's value breaks a rule: a failure line, not an internal error."""
        (project.manifests / "extra.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: Env Hook\nspec:\n"
            '  requestUrl: "${env:HOOK_URL}"\n  eventFilters:\n    - event: rules.updated\n', encoding="utf-8")
        out = project.root / "plan.json"
        project.run("plan", "--out", str(out), env={"HOOK_URL": "https://ok.example.com/x"})
        result = project.run("apply", str(out), expect=1, env={"HOOK_URL": "http://leak-me.example.com/x"})
        assert (
            "Webhook/Env Hook (create): failed: spec.requestUrl: '${env:HOOK_URL}' does not match the pattern "
            "'^https://' (with this apply's environment values; nothing was sent)"
        ) in result.output
        assert "internal error" not in result.output and "leak-me" not in result.output
        assert "Env Hook" not in project.live_by_name("Webhook")

    def test_a_saved_plan_beside_manifest_paths_is_refused_by_name(self, applied: Project) -> None:
        applied.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
        out = applied.root / "plan.json"
        applied.run("plan", "--out", str(out))
        result = applied.run("apply", str(out), "manifests", "--auto-approve", expect=1)
        assert result.stderr.strip().splitlines()[-1] == (
            f"error: {out} is a saved plan: apply takes one saved plan (apply FILE) or manifest paths "
            "(apply [PATH...]), not both"
        )
        assert "unknown field" not in result.output  # not read as a manifest
        assert applied.live_by_name("VoiceProfile")[VOICE]["rate"] == 1.05

    def test_a_plan_name_too_long_is_one_line_naming_it(self, project: Project) -> None:
        name = "p" * 300 + ".json"
        result = project.run("apply", name, "--auto-approve", expect=1)
        assert result.stderr.strip().splitlines()[-1] == f"error: cannot read plan file {name}: file name too long"
        assert not project.audit_log.exists() or intents(project.audit_records()) == []

    def test_plan_for_another_target_is_refused(self, applied: Project, tmp_path: Path) -> None:
        out = applied.root / "plan.json"
        applied.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
        applied.run("plan", "--out", str(out))
        other = Project(tmp_path / "other")
        other.root.mkdir()
        result = other.run("apply", str(out), expect=1)
        assert "target" in result.stderr
        assert not other.audit_log.exists() or intents(other.audit_records()) == []


class TestPrune:
    LEFT_ALONE = (
        "5 live object(s) declared in files not given are left alone: manifests/speech-rules.yaml and 1 more file(s) "
        "of the project manifests (the directory holding reconciler.yaml, subfolders included) not given, so this "
        "run neither compares, updates nor deletes what they declare (give manifests to include them)"
    )

    def test_a_plan_of_part_of_the_project_deletes_nothing_the_other_files_declare(self, applied: Project) -> None:
        """It deleted both webhooks webhooks.yaml declares (only a warning said so); a stray one still goes."""
        create_live(applied, "Webhook", extra_webhook("Stray Hook"))
        partial = applied.plan_json("manifests/voice-profiles.yaml", "--prune", "SpeechRule")
        assert [(c["action"], c["name"]) for c in partial["changes"] if c["action"] != "no-op"] == [
            ("delete", "Stray Hook")
        ]
        assert partial["unmanaged"] == [] and partial["errors"] == []
        assert partial["warnings"] == [self.LEFT_ALONE]
        applied.run("apply", "manifests/voice-profiles.yaml", "--auto-approve", "--prune", "SpeechRule")
        assert sorted(applied.live_by_name("Webhook")) == ["CRM Compliance Sync", "Voice Profile Audit Feed"]
        assert len(applied.live("SpeechRule")) == 3
        deletes = [(r["kind"], r["name"]) for r in intents(applied.last_run_records()) if r["action"] == "delete"]
        assert deletes == [("Webhook", "Stray Hook")]

    def test_a_saved_plan_of_part_of_the_project_applies_the_same(self, applied: Project) -> None:
        create_live(applied, "Webhook", extra_webhook("Stray Hook"))
        out = applied.root / "plan.json"
        applied.run("plan", "manifests/voice-profiles.yaml", "--out", str(out))
        applied.run("apply", str(out))
        assert sorted(applied.live_by_name("Webhook")) == ["CRM Compliance Sync", "Voice Profile Audit Feed"]

    def test_drift_of_part_of_the_project_counts_nothing_the_other_files_declare_as_unmanaged(
        self, applied: Project
    ) -> None:
        create_live(applied, "Webhook", extra_webhook("Stray Hook"))
        result = applied.run("drift", "--format", "json", "manifests/voice-profiles.yaml", expect=2)
        report = json.loads(result.stdout)
        assert report["unmanaged"] == ["Webhook/Stray Hook"]
        assert self.LEFT_ALONE in report["warnings"]

    def test_the_whole_project_says_nothing_of_files_not_given(self, applied: Project) -> None:
        assert not any("not given" in w for w in applied.plan_json("manifests")["warnings"])
        everything = ["manifests/voice-profiles.yaml", "manifests/speech-rules.yaml", "manifests/webhooks.yaml"]
        assert not any("not given" in w for w in applied.plan_json(*everything)["warnings"])

    def test_a_file_not_given_that_cannot_be_read_refuses_the_plan_at_its_line(self, applied: Project) -> None:
        """Never a guess: had its webhook been missed, pruning would have deleted it."""
        applied.edit("webhooks.yaml", "  method: PUT\n", "  method: [PUT\n")
        before = len(applied.audit_records())
        result = applied.run("apply", "manifests/voice-profiles.yaml", "--auto-approve", expect=1)
        assert "manifests/webhooks.yaml:29:10: invalid YAML" in result.stderr
        assert "a file of the project not given" in result.stderr and "Traceback" not in result.output
        assert len(applied.audit_records()) == before
        assert sorted(applied.live_by_name("Webhook")) == ["CRM Compliance Sync", "Voice Profile Audit Feed"]

    def test_part_of_a_project_without_prune_reads_no_other_file(self, applied: Project) -> None:
        (applied.manifests / "reconciler.yaml").write_text("prune:\n  kinds: []\n")
        applied.edit("webhooks.yaml", "  method: PUT\n", "  method: [PUT\n")  # nothing is deleted: no need to read it
        plan = applied.plan_json("manifests/voice-profiles.yaml")
        assert plan["warnings"] == [] and "Webhook/CRM Compliance Sync" in plan["unmanaged"]

    def test_kind_not_opted_in_is_never_deleted(self, applied: Project) -> None:
        create_live(applied, "SpeechRule", {"name": "Made By Hand", "phrases": [{"phrase": "hello there"}]})
        result = applied.run("apply", "--auto-approve")
        assert "Made By Hand" in applied.live_by_name("SpeechRule")
        assert "SpeechRule/Made By Hand" in result.stdout  # listed as unmanaged, left alone

    def test_opted_in_extra_object_is_deleted_and_audited(self, applied: Project) -> None:
        create_live(applied, "Webhook", extra_webhook("Stray Hook"))
        applied.run("apply", "--auto-approve")
        assert "Stray Hook" not in applied.live_by_name("Webhook")
        deletes = [r for r in intents(applied.last_run_records()) if r["action"] == "delete"]
        assert [(d["kind"], d["name"], d["method"]) for d in deletes] == [("Webhook", "Stray Hook", "DELETE")]
        outcomes = [r for r in applied.last_run_records() if r["type"] == "outcome"]
        assert any(o["intent_seq"] == deletes[0]["seq"] and o["outcome"] == "success" for o in outcomes)

    def test_excluded_names_are_never_deleted(self, applied: Project) -> None:
        create_live(applied, "Webhook", extra_webhook("legacy-billing"))
        applied.run("apply", "--auto-approve")
        assert "legacy-billing" in applied.live_by_name("Webhook")

    def test_a_manifest_with_an_upper_case_suffix_still_declares_its_objects(self, applied: Project) -> None:
        (applied.manifests / "webhooks.yaml").rename(applied.manifests / "webhooks.YAML")
        applied.run("apply", "--auto-approve")
        assert sorted(applied.live_by_name("Webhook")) == ["CRM Compliance Sync", "Voice Profile Audit Feed"]
        assert not [r for r in intents(applied.last_run_records()) if r["action"] == "delete"]

    def test_exceeding_the_bound_is_refused_and_deletes_nothing(self, applied: Project) -> None:
        for i in range(11):
            create_live(applied, "Webhook", extra_webhook(f"Stray {i}"))
        result = applied.run("apply", "--auto-approve", expect=1)
        assert "Webhook" in result.output and "11" in result.output
        assert len(applied.live("Webhook")) == 13
        assert not [r for r in intents(applied.audit_records()) if r["action"] == "delete"]

    def test_max_deletes_overrides_the_bound(self, applied: Project) -> None:
        for i in range(11):
            create_live(applied, "Webhook", extra_webhook(f"Stray {i}"))
        applied.run("apply", "--auto-approve", "--max-deletes", "11")
        assert sorted(applied.live_by_name("Webhook")) == ["CRM Compliance Sync", "Voice Profile Audit Feed"]

    def test_prune_flag_opts_a_kind_in(self, applied: Project) -> None:
        create_live(applied, "SpeechRule", {"name": "Made By Hand", "phrases": [{"phrase": "hello there"}]})
        applied.run("apply", "--auto-approve", "--prune", "SpeechRule")
        assert "Made By Hand" not in applied.live_by_name("SpeechRule")
        assert len(applied.live("VoiceProfile")) == 3

    def test_unknown_kind_in_prune_flag_is_an_error(self, project: Project) -> None:
        result = project.run("plan", "--prune", "Webhok", expect=1)
        assert "Webhook" in result.stderr and "Traceback" not in result.output


class TestRenamesAndReferences:
    def test_rename_plans_delete_and_create_and_says_so(self, applied: Project) -> None:
        applied.edit("voice-profiles.yaml", f"name: {VOICE}", "name: IVR Main Menu - English (US)")
        plan = plan_json(applied, "--prune", "VoiceProfile")
        changed = {(c["action"], c["name"]): c for c in plan["changes"] if c["action"] != "no-op"}
        assert set(changed) == {("delete", VOICE), ("create", "IVR Main Menu - English (US)")}
        assert "renamed" in changed[("delete", VOICE)]["reason"]
        assert "renamed" in changed[("create", "IVR Main Menu - English (US)")]["reason"]

    def test_rename_without_prune_keeps_the_old_object_and_says_why(self, applied: Project) -> None:
        applied.edit("voice-profiles.yaml", f"name: {VOICE}", "name: IVR Main Menu - English (US)")
        plan = plan_json(applied)
        changed = [c for c in plan["changes"] if c["action"] != "no-op"]
        assert [(c["action"], c["name"]) for c in changed] == [("create", "IVR Main Menu - English (US)")]
        assert VOICE in changed[0]["reason"]

    def test_removing_a_referenced_rule_is_an_error_before_any_write(self, applied: Project) -> None:
        path = applied.manifests / "speech-rules.yaml"
        docs = path.read_text().split("\n---\n")
        kept = [d for d in docs if "name: Compliance Greeting" not in d]
        assert len(kept) == len(docs) - 1
        path.write_text("\n---\n".join(kept))
        before = len(applied.audit_records())
        result = applied.run("apply", "--auto-approve", "--prune", "SpeechRule", expect=1)
        assert "Compliance Greeting" in result.stderr
        assert "Traceback" not in result.output
        assert len(applied.audit_records()) == before
        assert "Compliance Greeting" in applied.live_by_name("SpeechRule")

    def test_reference_resolves_to_the_created_rule_id(self, applied: Project) -> None:
        rule_id = applied.live_by_name("SpeechRule")["Compliance Greeting"]["id"]
        hook = applied.live_by_name("Webhook")["CRM Compliance Sync"]
        assert any(f.get("filter") == f"ruleId eq {rule_id}" for f in hook["eventFilters"])

    def test_referenced_objects_are_created_first(self, applied: Project) -> None:
        order = [(r["kind"], r["name"]) for r in intents(applied.audit_records())]
        assert order.index(("SpeechRule", "Compliance Greeting")) < order.index(("Webhook", "CRM Compliance Sync"))


class TestPostWriteHook:
    def test_tts_refresh_runs_once_after_the_last_voice_profile_write(self, project: Project) -> None:
        project.run("apply", "--auto-approve")
        records = intents(project.last_run_records())
        hooks = [r for r in records if r["path"] == "/api/v2/tts/settings/refresh"]
        assert len(hooks) == 1
        last_voice = max(i for i, r in enumerate(records) if r["kind"] == "VoiceProfile")
        assert records.index(hooks[0]) > last_voice

    def test_no_refresh_when_no_voice_profile_changed(self, applied: Project) -> None:
        applied.edit("speech-rules.yaml", "value: 1.0", "value: 0.5")
        applied.run("apply", "--auto-approve")
        paths = [r["path"] for r in intents(applied.last_run_records())]
        assert len(paths) == 1 and "/api/v2/tts/settings/refresh" not in paths


class TestApproval:
    def test_apply_without_terminal_or_auto_approve_refuses(self, project: Project) -> None:
        result = project.run("apply", expect=1)
        assert "--auto-approve" in result.stderr
        assert project.live("VoiceProfile") == []


class TestSecrets:
    def test_known_secret_never_appears_in_any_output(self, project: Project) -> None:
        outputs: list[str] = []
        plan_file = project.root / "plan.json"
        for fmt in ("text", "markdown", "json"):
            outputs.append(project.run("plan", "--format", fmt, "--out", str(plan_file)).output)
        outputs.append(project.run("apply", str(plan_file), "--verbose").output)
        previous = "description: Tells the CRM"
        for fmt in ("text", "markdown", "json"):
            project.edit("webhooks.yaml", previous, previous := f"description: Tells ({fmt}) the CRM")
            outputs.append(project.run("drift", "--format", fmt, expect=2).output)
            outputs.append(project.run("apply", "--auto-approve", "--format", fmt).output)
        outputs.append(project.run("audit", "show", str(project.audit_log), "--format", "json").output)
        for text in outputs:
            assert SECRET not in text
        assert SECRET not in plan_file.read_text()
        assert SECRET not in project.audit_log.read_text()
        webhook = project.live_by_name("Webhook")["CRM Compliance Sync"]
        assert webhook["authSecretSet"] is True and "authSecret" not in webhook
        assert json.loads(plan_file.read_text())["changes"]  # the plan file really held the plan


class TestSecretRotation:
    """A write-only secret cannot be compared; rotating it is an explicit request."""

    def stored_secret(self, project: Project) -> str:
        from reconciler.sandbox.store import Store

        hook = project.live_by_name("Webhook")["CRM Compliance Sync"]
        store = Store(project.db)
        try:
            stored = store.get("Webhook", hook["id"])
        finally:
            store.close()
        assert stored is not None
        return str(stored["authSecret"])

    def test_changed_secret_value_alone_plans_no_change(self, applied: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(Project, "env", lambda self: {"CRM_WEBHOOK_PASSWORD": SECRET + "-new"})
        applied.run("plan", "--detailed-exitcode", expect=0)

    def test_rotate_secret_resends_it_without_showing_it(self, applied: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        assert self.stored_secret(applied) == SECRET
        rotated = SECRET + "-rotated"
        monkeypatch.setattr(Project, "env", lambda self: {"CRM_WEBHOOK_PASSWORD": rotated})
        result = applied.run("apply", "--auto-approve", "--rotate-secret", "Webhook/CRM Compliance Sync")
        assert rotated not in result.output and SECRET not in result.output
        assert self.stored_secret(applied) == rotated
        assert rotated not in applied.audit_log.read_text()

    def test_rotate_secret_of_an_undeclared_object_is_refused_before_live_state_is_read(self, applied: Project) -> None:
        """It only warned and exited 0: a mistyped name meant the secret was never re-sent, silently."""
        result = applied.run("apply", "--auto-approve", "--rotate-secret", "Webhook/CRM Compliance Synk", expect=1)
        assert ("rotate: Webhook/CRM Compliance Synk is not declared in the manifests, so there is nothing to "
                "re-send (did you mean 'Webhook/CRM Compliance Sync'?)") in result.stderr
        assert "Live state:" not in result.stderr and "Traceback" not in result.output


class TestProgressOutput:
    def test_plan_logs_the_live_state_it_read(self, applied: Project) -> None:
        result = applied.run("plan")
        assert "Live state: 3 VoiceProfile, 3 SpeechRule, 2 Webhook" in result.stderr

    def test_auto_approved_apply_reads_live_state_once(self, applied: Project) -> None:
        """Planned and applied in one breath: the plan's listing serves the stale check too."""
        applied.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
        result = applied.run("apply", "--auto-approve", "--verbose")
        assert "2 requests (2 writes)" in result.stderr  # the update and the TTS refresh, nothing else
        assert "GET " not in result.stderr

    def test_verbose_adds_request_counts(self, applied: Project) -> None:
        result = applied.run("plan", "--verbose")
        assert "GET    /api/v2/webhooks  1" in result.stderr  # one paged listing per kind, no per-object reads
        assert "GET    /api/v2/tokens/me  1" in result.stderr  # whose org: once, recorded in the plan
        assert f"{len(KINDS) + 1} requests (0 writes)" in result.stderr  # one listing per kind, and the org
