"""What the files of a project not given declare (read for a plan of part of it), or why they cannot tell."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from reconciler.core.errors import ManifestError
from reconciler.manifests import load_manifests
from reconciler.manifests.elsewhere import Declared, declared_elsewhere

VOICE = (
    "apiVersion: reconciler/v1\nkind: VoiceProfile\nmetadata:\n  name: {name}\n"
    "spec:\n  language: en-US\n  voice: polly-Joanna\n  engine: amazon_polly\n"
)
#: a webhook whose secret comes from a variable no test sets: its declaration is read all the same
HOOK = (
    "apiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: {name}\n{pin}spec:\n"
    "  requestUrl: https://example.com/x\n  eventFilters:\n    - event: rules.updated\n"
    "  authScheme: bearer\n  authSecret: ${{env:NEVER_SET_IN_TESTS}}\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project (``reconciler.yaml`` pruning webhooks) whose ``a.yaml`` alone is given; the cwd is its parent."""
    (tmp_path / "reconciler.yaml").write_text("prune:\n  kinds: [Webhook]\n", encoding="utf-8")
    (tmp_path / "a.yaml").write_text(VOICE.format(name="A"), encoding="utf-8")
    return tmp_path


def declared(project: Path) -> Declared:
    with contextlib.chdir(project):
        return declared_elsewhere(load_manifests(["a.yaml"], env={}))


def refused(project: Path) -> str:
    with contextlib.chdir(project), pytest.raises(ManifestError) as caught:
        declared_elsewhere(load_manifests(["a.yaml"], env={}))
    return str(caught.value)


def test_names_and_pins_are_read_without_the_variables_of_the_specs(project: Path) -> None:
    (project / "hooks.yaml").write_text(
        HOOK.format(name="CRM Sync", pin="") + "---\n" + HOOK.format(name="Dup", pin="  id: live-7\n"),
        encoding="utf-8",
    )
    # a spec's mistake is for the plan of its own file to report: its identity is still known
    (project / "wip.yaml").write_text(VOICE.format(name="Draft").replace("  voice: polly-Joanna\n", "  vioce: x\n"))
    found = declared(project)
    assert found.files == ("hooks.yaml", "wip.yaml")
    assert found.declares("VoiceProfile", "draft", "any-id")
    assert found.declares("Webhook", "crm sync", "any-id")
    assert found.declares("Webhook", "Dup", "live-7") and not found.declares("Webhook", "Dup", "live-8")
    assert not found.declares("SpeechRule", "CRM Sync", "any-id")  # kinds are apart


def test_a_file_that_does_not_parse_is_refused_at_its_line(project: Path) -> None:
    (project / "broken.yaml").write_text(HOOK.format(name="B", pin="") + "  headers: [unclosed\n", encoding="utf-8")
    message = refused(project)
    assert message.startswith("1 error in manifests\nbroken.yaml:12:1: invalid YAML")
    assert "a file of the project not given" in message and "it is refused rather than guess" in message


def test_a_document_whose_kind_cannot_be_told_is_refused_at_its_field(project: Path) -> None:
    (project / "odd.yaml").write_text(HOOK.format(name="B", pin="").replace("kind: Webhook", "kind: Webhok"))
    assert refused(project).splitlines()[1].startswith("odd.yaml:2:7: kind: unknown kind 'Webhok'")


def test_a_document_whose_pin_is_broken_is_refused(project: Path) -> None:
    (project / "pin.yaml").write_text(HOOK.format(name="B", pin="  id: 7\n"), encoding="utf-8")
    assert refused(project).splitlines()[1].startswith("pin.yaml:5:7: metadata.id: expected a string, got an integer")


def test_a_dangling_link_named_like_a_manifest_is_refused(project: Path) -> None:
    os.symlink(project / "gone.yaml", project / "hooks.yaml")
    assert refused(project).splitlines()[1].startswith("hooks.yaml: is a dangling symlink")


def test_a_file_given_is_not_read_again(project: Path) -> None:
    """The file given, a link leading out of the project, is no issue of the others' walk."""
    outside = project.parent / f"{project.name}-outside.yaml"
    outside.write_text(VOICE.format(name="Out"), encoding="utf-8")
    os.symlink(outside, project / "linked.yaml")
    with contextlib.chdir(project):
        found = declared_elsewhere(load_manifests(["linked.yaml"], env={}))
    assert found.files == ("a.yaml",)
