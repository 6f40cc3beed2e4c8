"""Marks are re-derived from the file when an error first asks, and still name file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.core.errors import ManifestError
from reconciler.core.keys import Location
from reconciler.manifests import load_manifests
from reconciler.manifests.yamlsource import load_documents

RULES = """\
apiVersion: reconciler/v1
kind: SpeechRule
metadata:
  name: first
spec:
  phrases:
    - phrase: hello
---
apiVersion: reconciler/v1
kind: SpeechRule
metadata:
  name: second
spec:
  description: "${ref:SpeechRule/first.description}"
  phrases:
    - phrase: one
    - {phrase: two, matchType: exact}
"""


def test_a_late_error_names_file_line_col(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the dangling reference is found after every file was loaded (reference pass)
    (tmp_path / "rules.yaml").write_text(RULES.replace("SpeechRule/first.", "SpeechRule/missing."))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as info:
        load_manifests(["."], env={})
    [issue] = [str(i) for i in info.value.issues]
    assert issue.startswith("rules.yaml:14:16: spec.description: dangling reference")


def test_locations_asked_after_loading_name_the_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rules.yaml").write_text(RULES)
    monkeypatch.chdir(tmp_path)
    second = load_manifests(["."], env={}).objects[1]
    assert second.source == Location("rules.yaml", 12, 9)
    assert second.locations["phrases[1].phrase"] == Location("rules.yaml", 17, 16)
    assert second.locations["phrases[0]"] == Location("rules.yaml", 16, 7)


def test_a_file_changed_after_loading_gives_no_wrong_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rules.yaml").write_text(RULES)
    monkeypatch.chdir(tmp_path)
    first, second = load_manifests(["."], env={}).objects
    (tmp_path / "rules.yaml").write_text("# moved\n" + RULES.replace("- phrase: one", "- phrase: uno"))
    assert "phrases[0].phrase" in first.locations  # that document is unchanged: its marks are re-derived
    assert first.locations["phrases[0].phrase"] == Location("rules.yaml", 8, 15)
    assert second.locations.get("phrases[0].phrase", second.source) == second.source  # changed: none
    assert second.source == Location("rules.yaml", 12, 9)  # kept from loading


def test_a_file_gone_after_loading_gives_the_object_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rules.yaml").write_text(RULES)
    monkeypatch.chdir(tmp_path)
    first = load_manifests(["."], env={}).objects[0]
    (tmp_path / "rules.yaml").unlink()
    assert first.locations.get("phrases[0].phrase", first.source) == Location("rules.yaml", 4, 9)


def test_marks_are_read_again_only_when_asked_and_once_per_file() -> None:
    text = "a: 1\n---\nb: [x, {c: d}]\n"
    reads: list[int] = []

    def again() -> str:
        reads.append(1)
        return text

    docs, problems = load_documents(text, read_again=again, eager=[("b", 1, "c")])
    assert problems == [] and reads == []
    assert docs[1].mark(("b", 1, "c")) == (3, 12)  # kept from loading
    assert reads == []
    assert docs[1].mark(("b", 0)) == (3, 5)
    assert docs[0].keys[("a",)] == (1, 1)
    assert reads == [1]


def test_a_document_with_a_problem_keeps_its_marks_beside_lazy_ones() -> None:
    docs, problems = load_documents("a: 1\n---\nb: 1\nb: 2\n---\nc: [1, 2]\n", read_again=lambda: None)
    assert [(p.line, p.column, p.message) for p in problems] == [(4, 1, "duplicate key 'b' (first at line 3)")]
    assert docs[1].keys[("b",)] == (3, 1)  # built with marks: no reading again needed
    assert docs[2].mark(("c", 1)) == docs[2].start  # the text cannot be read again: the document's start


ESCAPED = r"""apiVersion: reconciler/v1
kind: SpeechRule
metadata:
  name: escaped
spec:
  description: "\x24{env:RULE_TEXT} and \u0024{ref:SpeechRule/plain.description}"
  phrases:
    - phrase: '\b(refund|return)\b'
      matchType: regex
---
apiVersion: reconciler/v1
kind: SpeechRule
metadata:
  name: plain
spec:
  description: no placeholder here
  phrases:
    - phrase: '\d+ items'
      matchType: regex
"""


def test_a_placeholder_written_with_an_escape_is_still_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rules.yaml").write_text(ESCAPED)
    monkeypatch.chdir(tmp_path)
    escaped, plain = load_manifests(["."], env={"RULE_TEXT": "x"}).objects
    assert escaped.env_names == ("RULE_TEXT",)
    assert [(r.target.name, r.field) for r in escaped.references] == [("plain", "description")]
    assert plain.env_names == () and plain.references == ()
    with pytest.raises(ManifestError) as info:
        load_manifests(["."], env={})
    assert [str(i) for i in info.value.issues] == [
        "rules.yaml:6:16: spec.description: environment variable RULE_TEXT is not set"
    ]
