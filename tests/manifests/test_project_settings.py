"""reconciler.yaml: defaults, prune coverage, and errors located in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifests.settings import ProjectSettings, PruneSettings, load_settings


def load(tmp_path: Path, text: str) -> tuple[ProjectSettings, list[str]]:
    path = tmp_path / "reconciler.yaml"
    path.write_text(text)
    settings, issues = load_settings(path, "reconciler.yaml")
    return settings, [str(i) for i in issues]


class TestDefaults:
    def test_absent_file_means_no_pruning(self, tmp_path: Path) -> None:
        settings, issues = load_settings(tmp_path / "reconciler.yaml", "reconciler.yaml")
        assert issues == []
        assert settings.prune.kinds == ()
        assert (settings.prune.maxDeletes, settings.prune.maxDeletePercent) == (10, 25.0)
        assert not settings.prunes("Webhook", "anything")

    def test_fields_are_read(self, tmp_path: Path) -> None:
        settings, issues = load(
            tmp_path, "prune:\n  kinds: [Webhook, SpeechRule]\n  exclude: ['Legacy*']\n  maxDeletes: 3\n  maxDeletePercent: 50\n"
        )
        assert issues == []
        assert settings.prune == PruneSettings(
            kinds=("Webhook", "SpeechRule"), exclude=("Legacy*",), maxDeletes=3, maxDeletePercent=50.0
        )


class TestCoverage:
    @pytest.mark.parametrize(
        ("kind", "name", "covered"),
        [
            ("Webhook", "Old hook", True),
            ("Webhook", "legacy billing", False),
            ("Webhook", "LEGACY", False),
            ("SpeechRule", "Old rule", False),
        ],
    )
    def test_kinds_and_case_insensitive_excludes(self, kind: str, name: str, covered: bool) -> None:
        prune = PruneSettings(kinds=("Webhook",), exclude=("Legacy*",))
        assert prune.covers(kind, name) is covered


class TestErrors:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("prune:\n  kindz: [Webhook]\n", "reconciler.yaml:2:3: prune.kindz: unknown field (did you mean 'kinds'?)"),
            ("prune:\n  kinds: [Webhooks]\n", "reconciler.yaml:2:10: prune.kinds: unknown kind 'Webhooks'"),
            ("prune:\n  kinds: [Webhook, Webhook]\n", "reconciler.yaml:2:10: prune.kinds: lists a kind twice"),
            # validate passed it, and plan refused it without a file or line
            ("prune:\n  kinds: [TtsSettings]\n",
             "reconciler.yaml:2:10: prune.kinds: TtsSettings is the org's single settings object; it is never deleted"),
            ("prune:\n  maxDeletes: '5'\n", "reconciler.yaml:2:15: prune.maxDeletes: expected an integer"),
            ("prune:\n  maxDeletePercent: 150\n", "reconciler.yaml:2:21: prune.maxDeletePercent: 150 is above the maximum 100.0"),
            ("prune: [Webhook]\n", "reconciler.yaml:1:8: prune: expected a mapping"),
            # lists held as tuples: pydantic's "Input should be a valid tuple" was shown as is
            ("prune:\n  kinds: Webhook\n", "reconciler.yaml:2:10: prune.kinds: expected a list, got a string 'Webhook'"),
            ("policy:\n  protect: 'Webhook/*'\n", "reconciler.yaml:2:12: policy.protect: expected a list, got a string"),
            ("policy:\n  windows: [{days: mon, from: '01:00', to: '02:00'}]\n",
             "reconciler.yaml:2:20: policy.windows[0].days: expected a list, got a string 'mon'"),
            # a zone name longer than a file name may be: the zone database's ENAMETOOLONG was a traceback
            ("policy:\n  windows: [{from: '01:00', to: '02:00', timezone: " + "a" * 300 + "}]\n",
             "reconciler.yaml:2:52: policy.windows[0].timezone: unknown time zone '" + "a" * 60 + "'... (300 characters)"),
            ("prunes: {}\n", "reconciler.yaml:1:1: prunes: unknown field (did you mean 'prune'?)"),
            ("- a\n", "reconciler.yaml:1:1: settings must be a mapping"),
            ("prune: {kinds: [a}\n", "reconciler.yaml:1:18: invalid YAML"),
            ("prune: {}\n---\nprune: {}\n", "reconciler.yaml:3:1: settings hold a single YAML document"),
        ],
    )
    def test_errors_name_line_and_field(self, tmp_path: Path, text: str, expected: str) -> None:
        settings, issues = load(tmp_path, text)
        assert len(issues) == 1, issues
        assert issues[0].startswith(expected), issues
        assert settings == ProjectSettings()
