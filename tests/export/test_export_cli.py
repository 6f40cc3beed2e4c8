"""``reconciler export`` through the CLI: filters, errors, overwriting, the target line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ._support import Org, copy_of, seed_full, tree


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Org:
    return seed_full(Org(tmp_path_factory.mktemp("seeded")))


@pytest.fixture
def org(seeded: Org, tmp_path: Path) -> Org:
    """The seeded org, a copy for each test: tests may change it (export --force, a deleted object)."""
    return copy_of(seeded, tmp_path)


def exported_names(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))


class TestFilters:
    def test_kind_filter_exports_only_that_kind(self, org: Org) -> None:
        result = org.run("export", "--out", "out", "--kind", "SpeechRule")
        assert exported_names(org.root / "out") == ["speech-rule/full-rule.yaml", "speech-rule/minimal-rule.yaml"]
        assert "Exported 2 objects" in result.stdout and "(2 SpeechRule)" in result.stdout

    def test_kind_is_repeatable(self, org: Org) -> None:
        org.run("export", "--out", "out", "--kind", "SpeechRule", "--kind", "VoiceProfile")
        assert {p.split("/")[0] for p in exported_names(org.root / "out")} == {"speech-rule", "voice-profile"}

    def test_name_filter_is_fnmatch_and_case_insensitive(self, org: Org) -> None:
        org.run("export", "--out", "out", "--name", "FULL *")
        assert exported_names(org.root / "out") == [
            "data-action/full-action.yaml",
            "dictionary-feedback/full-term.yaml",
            "integration-credential/full-credential.yaml",
            "integration/full-integration.yaml",
            "process-automation-trigger/full-trigger.yaml",
            "speech-program/full-program.yaml",
            "speech-rule/full-rule.yaml",
            "speech-topic/full-topic.yaml",
            "voice-profile/full-voice.yaml",
        ]

    def test_kind_and_name_together(self, org: Org) -> None:
        org.run("export", "--out", "out", "--kind", "Webhook", "--name", "plain*")
        assert exported_names(org.root / "out") == ["webhook/plain-hook-2.yaml", "webhook/plain-hook.yaml"]
        assert not (org.root / "out" / "SECRETS.md").exists()  # no secret among them

    def test_an_id_of_an_object_not_exported_stays_literal_with_a_warning(self, org: Org) -> None:
        result = org.run("export", "--out", "out", "--kind", "Webhook")
        text = (org.root / "out" / "webhook/basic-auth-hook.yaml").read_text()
        assert f"ruleId eq {org.ids['Full Rule']}" in text and "${ref:" not in text
        # a literal id of an object managed elsewhere is valid and plans the same
        assert "0 ids turned into references" in result.stdout
        env = {"WEBHOOK_BASIC_AUTH_HOOK_AUTH_SECRET": "basic-secret", "WEBHOOK_BEARER_HOOK_AUTH_SECRET": "bearer-token"}
        org.run("plan", "out", "--detailed-exitcode", env=env)


class TestErrors:
    def test_unknown_kind_is_refused_with_a_suggestion(self, org: Org) -> None:
        result = org.run("export", "--out", "out", "--kind", "Webhok", expect=1)
        assert "error: --kind: unknown kind 'Webhok'" in result.stderr
        assert "did you mean 'Webhook'?" in result.stderr
        assert "Traceback" not in result.output
        assert not (org.root / "out").exists()

    def test_no_match_is_an_error(self, org: Org) -> None:
        result = org.run("export", "--out", "out", "--name", "no such object", expect=1)
        assert "error: nothing to export" in result.stderr
        assert not (org.root / "out").exists()

    def test_out_is_required(self, org: Org) -> None:
        result = org.run("export", expect=1)  # a usage error: exit 1 (2 means changes or drift only)
        assert "--out" in result.stderr

    @pytest.mark.parametrize(("make", "what"), [
        (lambda p: p.write_text("not a directory"), "a regular file"),
        (os.mkfifo, "a FIFO (named pipe)"),
        (lambda p: (os.mkfifo(p.with_name("pipe")), p.symlink_to("pipe")), "a FIFO (named pipe)"),
    ], ids=["file", "fifo", "link-to-fifo"])
    def test_out_that_is_no_directory_is_refused_naming_what_it_is(self, org: Org, make: Any, what: str) -> None:
        """Why: a FIFO was 'exists and is not a directory', which named no thing to remove; looked at, never opened."""
        make(org.root / "out")
        result = org.run("export", "--out", "out", expect=1)
        assert result.stderr.strip().splitlines()[-1] == (
            f"error: --out out: {what} is there, not a directory; an export writes its manifests into a directory "
            "(remove it, or choose another --out)")
        assert "Target:" not in result.stderr  # refused before anything is read
        assert "Traceback" not in result.output

    @pytest.mark.parametrize(("out", "reason"), [("o" * 300, "file name too long"), ("afile/out", "not a directory")],
                             ids=["name-too-long", "below-a-file"])
    def test_out_that_cannot_be_looked_at_is_refused_by_name(self, org: Org, out: str, reason: str) -> None:
        (org.root / "afile").write_text("not a directory")
        result = org.run("export", "--out", out, expect=1)
        assert result.stderr.strip().splitlines()[-1] == f"error: --out {out}: {reason}"
        assert "Target:" not in result.stderr  # refused before anything is read


class TestOverwriting:
    def test_existing_files_are_not_overwritten(self, org: Org) -> None:
        org.run("export", "--out", "out")
        edited = org.root / "out" / "webhook" / "bearer-hook.yaml"
        edited.write_text("# mine\n")
        before = tree(org.root / "out")

        result = org.run("export", "--out", "out", expect=1)

        assert "already exist" in result.stderr and "--force" in result.stderr
        assert tree(org.root / "out") == before  # nothing written, not even the files that were free

    def test_force_overwrites(self, org: Org) -> None:
        org.run("export", "--out", "out")
        edited = org.root / "out" / "webhook" / "bearer-hook.yaml"
        original = edited.read_text()
        edited.write_text("# mine\n")
        org.run("export", "--out", "out", "--force")
        assert edited.read_text() == original

    def test_other_manifests_in_the_directory_are_kept_and_mentioned(self, org: Org) -> None:
        other = org.root / "out" / "mine.yaml"
        other.parent.mkdir()
        other.write_text("# someone else's\n")
        result = org.run("export", "--out", "out", "--kind", "VoiceProfile")
        assert other.read_text() == "# someone else's\n"
        assert "1 other manifest file(s)" in result.stderr


class TestOutput:
    def test_target_is_printed_first(self, org: Org) -> None:
        result = org.run("export", "--out", "out")
        assert result.stderr.startswith(f"Target: sandbox {org.db}"), result.stderr

    def test_each_file_is_listed_with_its_object(self, org: Org) -> None:
        result = org.run("export", "--out", "out")
        assert "  webhook/plain-hook-2.yaml  Webhook/plain-hook!" in result.stdout
        assert ("Exported 26 objects to out (2 VoiceProfile, 2 SpeechRule, 5 Webhook, 2 SpeechTopic, "
                "2 SpeechProgram, 2 DictionaryFeedback, 1 TtsSettings, 2 ArchitectUserPrompt, 2 ProcessAutomationTrigger, "
                "2 IntegrationCredential, 2 Integration, 2 DataAction)") in result.stdout

    def test_export_only_reads(self, org: Org) -> None:
        before = {k: sorted((o["name"], o["version"]) for o in org.live(k)) for k in ("VoiceProfile", "SpeechRule", "Webhook")}
        result = org.run("export", "--out", "out", "--verbose")
        assert "(0 writes)" in result.stderr
        after = {k: sorted((o["name"], o["version"]) for o in org.live(k)) for k in ("VoiceProfile", "SpeechRule", "Webhook")}
        assert after == before
