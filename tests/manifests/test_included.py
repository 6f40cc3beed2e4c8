"""What a load of part of a project pulls in from its files not given: what the files given reference, transitively.

The loader's side of :mod:`reconciler.manifests.included`; the plan and apply through the CLI
are in ``tests/engine/test_referenced_elsewhere.py``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from reconciler.core.errors import ManifestError
from reconciler.core.keys import ObjectKey
from reconciler.manifests import ManifestSet, load_manifests

RULE = (
    "apiVersion: reconciler/v1\nkind: SpeechRule\nmetadata:\n  name: {name}\nspec:\n  description: {description}\n"
    "  phrases:\n    - phrase: hello\n"
)
HOOK = (
    "apiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: {name}\nspec:\n"
    "  description: {description}\n  requestUrl: https://example.com/x\n  eventFilters:\n    - event: rules.updated\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose ``given.yaml`` holds a hook referencing ``Mid``, a hook of ``hooks.yaml`` referencing a rule."""
    (tmp_path / "reconciler.yaml").write_text("prune:\n  kinds: []\n")
    (tmp_path / "given.yaml").write_text(HOOK.format(name="Top", description='"${ref:Webhook/mid.requestUrl}"'))
    (tmp_path / "hooks.yaml").write_text(
        HOOK.format(name="Unrelated", description="plain") + "---\n"
        + HOOK.format(name="Mid", description='"rule ${ref:SpeechRule/Base.id}"'))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "rules.yaml").write_text(
        RULE.format(name="Other", description="${env:NEVER_SET_IN_TESTS}") + "---\n"
        + RULE.format(name="Base", description="plain"))
    return tmp_path


def load(project: Path, *paths: str) -> ManifestSet:
    with contextlib.chdir(project):
        return load_manifests(list(paths or ["given.yaml"]), env={})


def refused(project: Path, *paths: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load(project, *paths)
    return [str(issue) for issue in caught.value.issues]


def test_references_are_pulled_in_transitively_and_nothing_else(project: Path) -> None:
    """``Other`` holds a variable never set: not pulled in, it is never checked."""
    loaded = load(project)
    assert [(o.kind, o.name, str(o.source)) for o in loaded.objects] == [
        ("Webhook", "Top", "given.yaml:4:9"), ("Webhook", "Mid", "hooks.yaml:14:9"),
        ("SpeechRule", "Base", "sub/rules.yaml:13:9"),
    ]
    assert loaded.included == {ObjectKey("Webhook", "Mid"): (ObjectKey("Webhook", "Top"),),
                               ObjectKey("SpeechRule", "Base"): (ObjectKey("Webhook", "Mid"),)}
    assert loaded.files == ("given.yaml",) and "sub/rules.yaml" in loaded.left_out


def test_the_digest_covers_the_files_a_document_came_from(project: Path) -> None:
    before = load(project).digest
    rules = project / "sub" / "rules.yaml"
    rules.write_text(rules.read_text().replace("description: plain", "description: changed"))
    assert load(project).digest != before


def test_files_given_whose_references_resolve_read_nothing_else(project: Path) -> None:
    (project / "hooks.yaml").write_text("kind: [broken\n")
    (project / "sub" / "rules.yaml").write_text("kind: [broken\n")
    (project / "alone.yaml").write_text(RULE.format(name="Alone", description="plain"))
    loaded = load(project, "alone.yaml")
    assert [o.name for o in loaded.objects] == ["Alone"] and loaded.included == {}


def test_a_pulled_in_spec_is_checked_at_its_line(project: Path) -> None:
    rules = project / "sub" / "rules.yaml"
    rules.write_text(rules.read_text().replace("description: plain", "description: 5"))
    (issue,) = refused(project)
    assert issue.startswith("sub/rules.yaml:15:16: spec.description: expected a string")
    assert "(SpeechRule/Base is in this run, referenced by Webhook/Mid: sub/rules.yaml was not given" in issue


def test_a_broken_file_is_named_when_a_reference_stays_unresolved(project: Path) -> None:
    """The rule lay after the syntax error: the file could have declared it, so it is refused, not guessed."""
    rules = project / "sub" / "rules.yaml"
    rules.write_text("foo: [bad\n---\n" + rules.read_text())
    issues = refused(project)
    (broken,) = [issue for issue in issues if issue.startswith("sub/rules.yaml")]
    assert broken.startswith("sub/rules.yaml:2:1: invalid YAML")
    assert "read for an object this run references and no file given declares" in broken
    assert any(issue.startswith("hooks.yaml:16:16: spec.description: dangling reference ${ref:SpeechRule/Base.id}")
               for issue in issues)


def test_a_name_declared_twice_elsewhere_is_the_duplicate_it_is_in_the_whole_project(project: Path) -> None:
    (project / "more.yaml").write_text(RULE.format(name="base", description="again"))
    issues = refused(project)
    assert [i for i in issues if "already declared" in i] == [
        "sub/rules.yaml:13:9: metadata.name: SpeechRule 'Base' is already declared as 'base' (names compare "
        "case-insensitively) at more.yaml:4:9"]


def test_other_documents_of_a_supplying_file_are_left_to_a_plan_of_it(project: Path) -> None:
    """Only what is referenced is planned: a broken neighbour of the rule does not stop this load."""
    rules = project / "sub" / "rules.yaml"
    rules.write_text(rules.read_text() + "---\napiVersion: reconciler/v1\nkind: SpeechRul\nmetadata:\n  name: X\n")
    assert [o.name for o in load(project).objects] == ["Top", "Mid", "Base"]
    # when a reference stays unresolved, that neighbour could be what it names: refused, not guessed
    (project / "given.yaml").write_text(HOOK.format(name="Top", description='"${ref:SpeechRule/X.id}"'))
    issues = refused(project)
    assert any(i.startswith("sub/rules.yaml:20:7: kind: unknown kind 'SpeechRul'") for i in issues), issues


def test_a_rule_many_objects_reference_names_three_and_counts_the_rest(project: Path) -> None:
    hooks = [HOOK.format(name=f"H{i}", description='"${ref:SpeechRule/Base.id}"') for i in range(5)]
    (project / "given.yaml").write_text("---\n".join(hooks))
    loaded = load(project)
    assert loaded.included == {ObjectKey("SpeechRule", "Base"): tuple(ObjectKey("Webhook", f"H{i}") for i in range(5))}
    rules = project / "sub" / "rules.yaml"
    rules.write_text(rules.read_text().replace("description: plain", "description: 5"))
    (issue,) = refused(project)
    assert "(SpeechRule/Base is in this run, referenced by Webhook/H0, Webhook/H1, Webhook/H2 and 2 more:" in issue


def test_a_reference_problem_of_a_pulled_in_document_says_why_its_file_is_read(project: Path) -> None:
    """Pass 5 (dangling targets, fields, cycles) places its problems in a file not given: it says why, as pass 4 does."""
    hooks = project / "hooks.yaml"
    hooks.write_text(hooks.read_text().replace("${ref:SpeechRule/Base.id}", "${ref:SpeechRule/Nowhere.id}"))
    (issue,) = refused(project)
    assert issue.startswith("hooks.yaml:16:16: spec.description: dangling reference ${ref:SpeechRule/Nowhere.id}")
    assert issue.endswith("(Webhook/Mid is in this run, referenced by Webhook/Top: hooks.yaml was not given, so the "
                          "document declaring it is read and checked like a file given, as Terraform's -target plans "
                          "the target's dependencies)")
    hooks.write_text(hooks.read_text().replace("${ref:SpeechRule/Nowhere.id}", "${ref:Webhook/Unrelated.nosuch}"))
    (issue,) = refused(project)
    assert "Webhook has no field 'nosuch'" in issue and "(Webhook/Mid is in this run, referenced by Webhook/Top:" in issue
    # a cycle among pulled-in documents only: placed at one of them, which says why
    rules = project / "sub" / "rules.yaml"
    hooks.write_text(hooks.read_text().replace("${ref:Webhook/Unrelated.nosuch}", "${ref:Webhook/Back.requestUrl}"))
    rules.write_text(HOOK.format(name="Back", description='"${ref:Webhook/Mid.requestUrl}"'))
    (issue,) = refused(project)
    assert issue.startswith("hooks.yaml:16:16: spec.description: reference cycle: Webhook/Mid -> Webhook/Back")
    assert "(Webhook/Mid is in this run, referenced by Webhook/Top, Webhook/Back:" in issue


def test_a_pulled_in_object_is_named_as_its_document_declares_it_not_as_a_reference_spells_it(project: Path) -> None:
    """``given.yaml`` references ``Webhook/mid``; the hook is declared ``Mid``: messages and JSON say ``Mid``."""
    ((pulled, by), _) = load(project).included.items()
    assert (pulled.name, [b.name for b in by]) == ("Mid", ["Top"])
    hooks = project / "hooks.yaml"
    hooks.write_text(hooks.read_text().replace("rule ${ref:SpeechRule/Base.id}", "${env:NEVER_SET_IN_TESTS}"))
    (issue,) = refused(project)
    assert "(Webhook/Mid is in this run, referenced by Webhook/Top:" in issue, issue
