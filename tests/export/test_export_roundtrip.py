"""Export round trip on a sandbox holding every field of every kind (issue 7 acceptance).

export -> validate -> plan shows no change; a second export is byte-identical;
ids become references; secrets become listed placeholders and never leak.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from reconciler.kinds import REGISTRY

from ._support import BASIC_VAR, BEARER_VAR, SECRET_ENV, SECRETS, Org, seed_full, tree


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Org, Path, Result]:
    org = seed_full(Org(tmp_path_factory.mktemp("org")))
    result = org.run("export", "--out", "out")
    return org, org.root / "out", result


def documents(out: Path) -> dict[str, dict]:
    return {p.relative_to(out).as_posix(): yaml.safe_load(p.read_text()) for p in sorted(out.rglob("*.yaml"))}


def spec_of(out: Path, relative: str) -> dict:
    return documents(out)[relative]["spec"]


class TestRoundTrip:
    def test_one_file_per_object_named_by_kind_and_slug(self, exported: tuple[Org, Path, Result]) -> None:
        _, out, _ = exported
        assert sorted(documents(out)) == [
            "architect-user-prompt/fullprompt.yaml",
            "architect-user-prompt/minimalprompt.yaml",
            "data-action/full-action.yaml",
            "data-action/minimal-action.yaml",
            "dictionary-feedback/full-term.yaml",
            "dictionary-feedback/minimal-term.yaml",
            "integration-credential/full-credential.yaml",
            "integration-credential/minimal-credential.yaml",
            "integration/full-integration.yaml",
            "integration/minimal-integration.yaml",
            "process-automation-trigger/full-trigger.yaml",
            "process-automation-trigger/minimal-trigger.yaml",
            "speech-program/full-program.yaml",
            "speech-program/minimal-program.yaml",
            "speech-rule/full-rule.yaml",
            "speech-rule/minimal-rule.yaml",
            "speech-topic/full-topic.yaml",
            "speech-topic/minimal-topic.yaml",
            "tts-settings/org.yaml",
            "voice-profile/default-voice.yaml",
            "voice-profile/full-voice.yaml",
            "webhook/basic-auth-hook.yaml",
            "webhook/bearer-hook.yaml",
            "webhook/cafe-ubersicht.yaml",
            "webhook/plain-hook-2.yaml",
            "webhook/plain-hook.yaml",
        ]
        names = {rel: doc["metadata"]["name"] for rel, doc in documents(out).items()}
        # colliding slugs: names sort case-insensitively, the first keeps the plain slug
        assert names["webhook/plain-hook.yaml"] == "Plain Hook"
        assert names["webhook/plain-hook-2.yaml"] == "plain-hook!"

    def test_exported_manifests_validate(self, exported: tuple[Org, Path, Result]) -> None:
        org, _, _ = exported
        result = org.run("validate", "out", env=SECRET_ENV)
        assert "26 objects in 26 files are valid" in result.stdout

    def test_plan_of_the_export_shows_no_change(self, exported: tuple[Org, Path, Result]) -> None:
        org, _, _ = exported
        result = org.run("plan", "out", "--format", "json", "--detailed-exitcode", env=SECRET_ENV)
        plan = json.loads(result.stdout)
        assert plan["summary"] == {"create": 0, "update": 0, "delete": 0, "no-op": 26} | {
            k: v for k, v in plan["summary"].items() if k not in ("create", "update", "delete", "no-op")
        }
        assert all(c["action"] == "no-op" for c in plan["changes"]) and len(plan["changes"]) == 26
        assert plan["unmanaged"] == [] and plan["applyable"] is True

    def test_second_export_is_byte_identical(self, exported: tuple[Org, Path, Result]) -> None:
        org, out, _ = exported
        org.run("export", "--out", "again")
        assert tree(org.root / "again") == tree(out)

    def test_forced_export_over_itself_changes_nothing(self, exported: tuple[Org, Path, Result]) -> None:
        org, out, _ = exported
        before = tree(out)
        org.run("export", "--out", "out", "--force")
        assert tree(out) == before


class TestContent:
    def test_defaults_and_server_fields_are_left_out(self, exported: tuple[Org, Path, Result]) -> None:
        _, out, _ = exported
        assert spec_of(out, "voice-profile/default-voice.yaml") == {
            "language": "en-US", "voice": "polly-Joanna", "engine": "amazon_polly"
        }
        assert spec_of(out, "speech-rule/minimal-rule.yaml") == {"phrases": [{"phrase": "hello"}]}
        for doc in documents(out).values():
            assert list(doc) == ["apiVersion", "kind", "metadata", "spec"]
            assert list(doc["metadata"]) == ["name"]
            assert not {"id", "version", "dateCreated", "dateModified", "selfUri", "authSecretSet"} & set(doc["spec"])

    def test_every_non_default_field_is_kept_in_model_order(self, exported: tuple[Org, Path, Result]) -> None:
        _, out, _ = exported
        for rel, doc in documents(out).items():
            order = list(REGISTRY[doc["kind"]].spec_fields)
            assert list(doc["spec"]) == sorted(doc["spec"], key=order.index), rel
        voice = spec_of(out, "voice-profile/full-voice.yaml")
        assert list(voice) == ["language", "voice", "engine", "pitch", "rate", "volume", "customParams"]
        assert voice["customParams"] == {
            "depth": 3, "ratio": 0.75, "rule": "rule:${ref:SpeechRule/Full Rule.id}", "ssml": True, "style": "cheerful"
        }
        rule = spec_of(out, "speech-rule/full-rule.yaml")
        assert rule["enabled"] is False and rule["language"] == "de-DE"
        # unordered lists sorted, nested defaults left out
        assert rule["phrases"] == [
            {"phrase": r"\bvertrag(e)?\b", "matchType": "regex", "caseSensitive": True},
            {"phrase": "kündigen", "matchType": "fuzzy"},
            {"phrase": "zahlung", "caseSensitive": True, "enabled": False},
        ]
        assert rule["scoring"] == [
            {"type": "additive", "value": 0.5},
            {"type": "additive", "value": 1.0, "condition": "fail"},
            {"type": "multiplicative", "value": -0.25, "condition": "fail"},
        ]
        assert rule["tags"] == ["1e3", "alpha", "yes", "zeta"]

    def test_files_are_laid_out_stably(self, exported: tuple[Org, Path, Result]) -> None:
        _, out, _ = exported
        text = (out / "webhook/bearer-hook.yaml").read_text()
        assert text == (
            "# yaml-language-server: $schema=../../schemas/manifest.json\n"
            "apiVersion: reconciler/v1\n"
            "kind: Webhook\n"
            "metadata:\n"
            "  name: Bearer Hook\n"
            "spec:\n"
            "  requestUrl: https://audit.example.com/feed\n"
            "  eventFilters:\n"
            "  - event: conversation:voice:playback\n"
            "    filter: profileId eq ${ref:VoiceProfile/Full Voice.id}\n"
            "  authScheme: bearer\n"
            "  authSecret: ${env:WEBHOOK_BEARER_HOOK_AUTH_SECRET}\n"
        )
        # strings a YAML 1.2 reader would take for numbers or booleans stay strings
        assert "- '1e3'\n" in (out / "speech-rule/full-rule.yaml").read_text()
        assert "name: Café Übersicht\n" in (out / "webhook/cafe-ubersicht.yaml").read_text()


class TestReferences:
    def test_ids_of_exported_objects_become_references(self, exported: tuple[Org, Path, Result]) -> None:
        org, out, result = exported
        hook = spec_of(out, "webhook/basic-auth-hook.yaml")
        assert [f.get("filter") for f in hook["eventFilters"]] == [
            "ruleId eq ${ref:SpeechRule/Full Rule.id}",
            "ruleId eq ${ref:SpeechRule/Full Rule.id}",
            None,
        ]
        trigger = spec_of(out, "process-automation-trigger/full-trigger.yaml")
        assert trigger["matchCriteria"][1]["values"] == ["${ref:SpeechTopic/Full Topic.id}", "other"]
        program = spec_of(out, "speech-program/full-program.yaml")
        assert sorted(program["topicIds"]) == [
            "${ref:SpeechTopic/Full Topic.id}", "${ref:SpeechTopic/Minimal Topic.id}", "unmanaged-topic"]
        integration = spec_of(out, "integration/full-integration.yaml")
        assert integration["config"]["current"]["credentials"] == {"basicAuth": {"id": "${ref:IntegrationCredential/Full Credential.id}"}}
        action = spec_of(out, "data-action/full-action.yaml")
        assert action["integrationId"] == "${ref:Integration/Full Integration.id}"
        assert action["config"]["request"]["headers"] == {"X-Trace": "${input.trace}"}  # Velocity, kept as it is
        assert "9 ids turned into references" in result.stdout

    def test_no_live_id_is_left_in_the_output(self, exported: tuple[Org, Path, Result]) -> None:
        org, out, _ = exported
        text = b"".join(tree(out).values()).decode()
        assert org.ids and not [name for name, oid in org.ids.items() if oid in text]


class TestSecrets:
    def test_secrets_are_env_placeholders(self, exported: tuple[Org, Path, Result]) -> None:
        _, out, _ = exported
        basic = spec_of(out, "webhook/basic-auth-hook.yaml")
        assert basic["authScheme"] == "basic" and basic["authUsername"] == "genesys-integration"
        assert basic["authSecret"] == f"${{env:{BASIC_VAR}}}"
        assert list(basic)[-3:] == ["authScheme", "authUsername", "authSecret"]
        assert "authSecret" not in spec_of(out, "webhook/plain-hook.yaml")

    def test_variables_are_listed_at_the_end_and_in_secrets_md(self, exported: tuple[Org, Path, Result]) -> None:
        _, out, result = exported
        tail = result.stdout.split("Set these environment variables", 1)[1]
        assert BASIC_VAR in tail and BEARER_VAR in tail
        listing = (out / "SECRETS.md").read_text()
        assert f"| `{BASIC_VAR}` | Webhook/Basic Auth Hook | `authSecret` | `webhook/basic-auth-hook.yaml` |" in listing
        assert f"| `{BEARER_VAR}` | Webhook/Bearer Hook | `authSecret` | `webhook/bearer-hook.yaml` |" in listing

    def test_no_secret_value_anywhere(self, exported: tuple[Org, Path, Result]) -> None:
        org, out, result = exported
        state = b"".join(p.read_bytes() for p in org.root.glob("sandbox.db*"))
        assert all(secret.encode() in state for secret in SECRETS)  # the sandbox does hold them
        haystacks = [*tree(out).values(), result.stdout.encode(), result.stderr.encode()]
        for secret in SECRETS:
            assert not any(secret.encode() in h for h in haystacks), secret

    def test_an_unset_variable_is_reported_by_validate(self, exported: tuple[Org, Path, Result]) -> None:
        org, _, _ = exported
        result = org.run("validate", "--check-env", "out", expect=1)
        assert f"environment variable {BASIC_VAR} is not set" in result.stderr
