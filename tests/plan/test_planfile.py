"""Saved plans: round trip, and refusal of edited, corrupt, foreign or future files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler import __version__
from reconciler.core.errors import PlanFileError
from reconciler.kinds import REGISTRY
from reconciler.manifests.reading import Unreadable, read_bounded
from reconciler.plan.builder import PrunePolicy
from reconciler.plan.model import Plan
from reconciler.plan.planfile import checksum, is_plan_file, load_plan, save_plan

from ._support import ENV, SECRET, TARGET, TEAM_TOKEN, applied, live_hook, plan_of, sample


@pytest.fixture
def plan() -> Plan:
    objects = sample()
    live = applied(objects[:2], env={**ENV, "TEAM_TOKEN": "old-team"}, extra=[live_hook("Stray")])
    return plan_of(objects, live, prune=PrunePolicy(kinds=frozenset({"Webhook"})))


@pytest.fixture
def saved(plan: Plan, tmp_path: Path) -> Path:
    return save_plan(plan, tmp_path / "plan.json")


class TestRoundTrip:
    def test_load_returns_the_same_plan(self, plan: Plan, saved: Path) -> None:
        loaded = load_plan(saved, expected_target=TARGET)
        assert loaded == plan
        assert loaded.summary == plan.summary and loaded.has_changes

    def test_file_records_versions_digest_target_and_checksum(self, plan: Plan, saved: Path) -> None:
        document = json.loads(saved.read_text())
        assert document["target"] == TARGET
        assert document["manifests_digest"] == plan.manifests_digest
        assert document["checksum"] == checksum(document) and document["checksum"].startswith("sha256:")
        versions = {c["name"]: c["live_version"] for c in document["changes"]}
        assert versions == {"IVR Main": 1, "Billing": 1, "CRM Sync": None, "Stray": 1}

    def test_no_environment_value_is_written(self, saved: Path) -> None:
        text = saved.read_text()
        assert SECRET not in text and TEAM_TOKEN not in text
        assert "${env:HOOK_TOKEN}" in text  # the spec keeps the placeholder for apply

    def test_save_leaves_no_temporary_files(self, saved: Path) -> None:
        assert [p.name for p in saved.parent.iterdir()] == ["plan.json"]


class TestRefusals:
    def test_edited_value_is_refused(self, saved: Path) -> None:
        text = saved.read_text()
        edited = text.replace('"action": "delete"', '"action": "no-op"', 1)
        assert edited != text
        saved.write_text(edited)
        with pytest.raises(PlanFileError, match="edited or corrupted"):
            load_plan(saved, expected_target=TARGET)

    @pytest.mark.parametrize("position", [0.25, 0.5, 0.9])
    def test_any_changed_byte_is_refused(self, saved: Path, position: float) -> None:
        data = bytearray(saved.read_bytes())
        # flip a digit or letter somewhere inside (keep the file valid JSON where we can)
        index = int(len(data) * position)
        while not chr(data[index]).isalnum():
            index += 1
        data[index] = ord("7") if data[index] != ord("7") else ord("8")
        saved.write_bytes(bytes(data))
        with pytest.raises(PlanFileError):
            load_plan(saved, expected_target=TARGET)

    def test_other_target_is_refused(self, saved: Path) -> None:
        with pytest.raises(PlanFileError, match="another target"):
            load_plan(saved, expected_target="https://api.mypurecloud.de")

    def test_unknown_format_version_is_refused_even_with_a_valid_checksum(self, saved: Path) -> None:
        document = json.loads(saved.read_text())
        document["format_version"] = 2
        document["checksum"] = checksum(document)
        saved.write_text(json.dumps(document))
        with pytest.raises(PlanFileError, match="format_version 2"):
            load_plan(saved, expected_target=TARGET)

    def test_missing_checksum_is_refused(self, saved: Path) -> None:
        document = json.loads(saved.read_text())
        del document["checksum"]
        saved.write_text(json.dumps(document))
        with pytest.raises(PlanFileError, match="no checksum"):
            load_plan(saved, expected_target=TARGET)

    def test_resealed_invalid_plan_is_refused(self, saved: Path) -> None:
        document = json.loads(saved.read_text())
        document["changes"][0]["action"] = "explode"
        document["checksum"] = checksum(document)
        saved.write_text(json.dumps(document))
        with pytest.raises(PlanFileError, match="not a valid plan"):
            load_plan(saved, expected_target=TARGET)

    def test_truncated_and_missing_files_are_refused(self, saved: Path, tmp_path: Path) -> None:
        saved.write_bytes(saved.read_bytes()[:100])
        with pytest.raises(PlanFileError, match="not valid JSON"):
            load_plan(saved, expected_target=TARGET)
        with pytest.raises(PlanFileError, match="cannot read"):
            load_plan(tmp_path / "absent.json", expected_target=TARGET)

    def test_unwritable_destination_is_a_plan_file_error(self, plan: Plan, tmp_path: Path) -> None:
        with pytest.raises(PlanFileError, match="cannot write"):
            save_plan(plan, tmp_path / "no-such-dir" / "plan.json")

    def test_a_plan_apply_would_not_read_is_not_written(
        self, plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """apply refuses a plan file past PLAN_MAX_BYTES unread: plan --out must say so, not save one."""
        from reconciler.plan import planfile

        size = len(planfile.plan_text(plan).encode("utf-8"))
        monkeypatch.setattr(planfile, "PLAN_MAX_BYTES", size - 1)
        with pytest.raises(PlanFileError, match="the plan is larger than 0 MB, more than apply reads"):
            save_plan(plan, tmp_path / "plan.json")
        assert list(tmp_path.iterdir()) == []
        monkeypatch.setattr(planfile, "PLAN_MAX_BYTES", size)
        assert load_plan(save_plan(plan, tmp_path / "plan.json"), expected_target=TARGET) == plan



def resealed(saved: Path, edit: Callable[[dict[str, Any]], object]) -> Path:
    """``saved`` edited by ``edit`` (given the changes by name) and sealed again, as anyone can."""
    document = json.loads(saved.read_text())
    edit({c["name"]: c for c in document["changes"]})
    document["checksum"] = checksum(document)
    saved.write_text(json.dumps(document))
    return saved


class TestResealedContents:
    """What the checksum cannot vouch for: a file sealed again after an edit, or made by another version.

    Without these checks apply failed part-way: a ``KeyError`` traceback for an unknown
    kind, an "internal error" repr for a spec the kind refuses, after earlier writes.
    """

    def test_unknown_kind_is_refused_naming_the_change(self, saved: Path) -> None:
        resealed(saved, lambda changes: changes["IVR Main"].update(kind="VoiceProfil"))  # even a no-op's
        with pytest.raises(PlanFileError) as refused:
            load_plan(saved, expected_target=TARGET)
        message = str(refused.value)
        assert message.startswith(f"{saved} is not a valid plan: VoiceProfil/IVR Main: unknown kind 'VoiceProfil' (")
        assert message.endswith("; did you mean 'VoiceProfile'?; make the plan again")

    @pytest.mark.parametrize(
        ("field", "value", "problem"),
        [
            ("authScheme", "telepathy", "spec.authScheme: 'telepathy' is not one of 'none', 'basic' or 'bearer'"),
            ("requestUrl", "not a url", "spec.requestUrl: 'not a url' does not match the pattern '^https://'"),
            ("authSecret", "a-literal-secret", "spec.authSecret: must be ${env:NAME}; a literal secret"),
            ("colour", "red", "spec.colour: unknown field"),
        ],
        ids=["enum", "url", "literal-secret", "unknown-field"],
    )
    def test_spec_breaking_its_kinds_rules_is_refused(self, saved: Path, field: str, value: str, problem: str) -> None:
        resealed(saved, lambda changes: changes["CRM Sync"]["spec"].update({field: value}))
        with pytest.raises(PlanFileError) as refused:
            load_plan(saved, expected_target=TARGET)
        assert str(refused.value).startswith(f"{saved} is not a valid plan: Webhook/CRM Sync: {problem}")
        assert str(refused.value).endswith("; make the plan again")

    def test_write_without_a_spec_is_refused(self, saved: Path) -> None:
        resealed(saved, lambda changes: changes["CRM Sync"].update(spec=None))
        with pytest.raises(PlanFileError, match="Webhook/CRM Sync: a create without a spec; make the plan again$"):
            load_plan(saved, expected_target=TARGET)

    def test_every_problem_is_counted_and_the_first_named(self, saved: Path) -> None:
        def edit(changes: dict[str, Any]) -> None:
            changes["CRM Sync"]["spec"]["authScheme"] = "telepathy"
            changes["Stray"]["kind"] = "Gadget"

        resealed(saved, edit)
        with pytest.raises(PlanFileError, match=r"Webhook/CRM Sync: .* \(and 1 more\); make the plan again$"):
            load_plan(saved, expected_target=TARGET)

    def test_a_plan_of_another_version_says_so(self, saved: Path) -> None:
        def edit(changes: dict[str, Any]) -> None:
            changes["CRM Sync"]["kind"] = "FutureKind"

        document = json.loads(resealed(saved, edit).read_text())
        document["tool_version"] = "99.0.0"
        document["checksum"] = checksum(document)
        saved.write_text(json.dumps(document))
        with pytest.raises(PlanFileError) as refused:
            load_plan(saved, expected_target=TARGET)
        assert str(refused.value).endswith(
            f"; it was made by reconciler 99.0.0, this is {__version__}; make the plan again"
        )

    def test_placeholders_need_no_environment_to_load(self, plan: Plan, saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The spec's ``${env:…}`` and ``${ref:…}`` are stood in for, not resolved: apply reads the environment."""
        for name in ENV:
            monkeypatch.delenv(name, raising=False)
        assert "${env:HOOK_TOKEN}" in saved.read_text() and "${ref:SpeechRule/Billing.id}" in saved.read_text()
        assert load_plan(saved, expected_target=TARGET) == plan

class TestWriteOnlyLeftToTheServer:
    """One rule, used by the plan file's check and by apply's request body: only an update may omit a secret."""

    def test_an_update_may_leave_an_absent_write_only_field_to_the_server(self) -> None:
        webhook = REGISTRY["Webhook"]
        assert webhook.left_to_server({"authScheme": "basic"}, update=True) == frozenset({"authSecret"})
        assert webhook.left_to_server({"authScheme": "basic", "authSecret": "${env:X}"}, update=True) == frozenset()

    def test_a_create_or_replace_leaves_nothing_to_the_server(self) -> None:
        assert REGISTRY["Webhook"].left_to_server({"authScheme": "basic"}, update=False) == frozenset()

    def test_a_resealed_update_without_its_secret_loads_and_a_create_without_it_does_not(self, saved: Path) -> None:
        def bearer_without_secret(change: dict[str, Any], action: str) -> None:
            assert change["spec"]["authScheme"] == "bearer"
            change.update(action=action)
            change["spec"].pop("authSecret", None)

        resealed(saved, lambda changes: bearer_without_secret(changes["CRM Sync"], "update"))
        load_plan(saved, expected_target=TARGET)
        resealed(saved, lambda changes: bearer_without_secret(changes["CRM Sync"], "create"))
        with pytest.raises(PlanFileError, match="Webhook/CRM Sync: spec.authSecret"):
            load_plan(saved, expected_target=TARGET)


class TestIsPlanFile:
    def test_plan_files_and_damaged_plan_files_count(self, saved: Path, tmp_path: Path) -> None:
        assert is_plan_file(saved)
        renamed = saved.rename(tmp_path / "plan.out")
        assert is_plan_file(renamed)  # by content
        broken = tmp_path / "broken.json"
        broken.write_text("{ not json")
        assert is_plan_file(broken)  # load_plan then refuses it with a precise message

    def test_manifests_and_directories_do_not(self, tmp_path: Path) -> None:
        manifest = tmp_path / "voice.yaml"
        manifest.write_text("apiVersion: reconciler/v1\nkind: VoiceProfile\n")
        assert not is_plan_file(manifest)
        assert not is_plan_file(tmp_path)
        assert not is_plan_file(tmp_path / "absent.json")

    def test_a_path_that_cannot_be_looked_at_goes_where_its_suffix_sends_it(self, tmp_path: Path) -> None:
        """A name too long raises in Path.is_file(): a .json is then a plan (load_plan names why), else manifests."""
        too_long = "p" * 300
        assert is_plan_file(tmp_path / f"{too_long}.json")
        assert not is_plan_file(tmp_path / f"{too_long}.yaml")
        with pytest.raises(PlanFileError, match="cannot read plan file .*: file name too long"):
            load_plan(tmp_path / f"{too_long}.json", expected_target=TARGET)

    def test_an_unreadable_file_says_why_apart_from_the_lead_of_its_message(self, tmp_path: Path) -> None:
        """load_plan words its own lead ("cannot read plan file"): it takes the reason, not a message cut by prefix."""
        with pytest.raises(Unreadable) as refused:
            read_bounded(tmp_path / f"{'p' * 300}.json", 1024, "too large")
        assert str(refused.value) == "cannot be read: file name too long"
        assert refused.value.reason == "file name too long"
        with pytest.raises(Unreadable) as missing:
            read_bounded(tmp_path / "absent.json", 1024, "too large")
        assert missing.value.reason == str(missing.value) == "no such file or directory"
