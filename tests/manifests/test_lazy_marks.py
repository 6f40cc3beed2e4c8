"""Marks are re-derived from the file when an error first asks, and still name file:line:col."""

from __future__ import annotations

import contextlib
import gc
import tracemalloc
from pathlib import Path

import pytest

from reconciler.core.errors import ManifestError
from reconciler.core.keys import Location
from reconciler.manifests import load_manifests
from reconciler.manifests.yamlsource import load_documents, release_text

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


def test_only_the_document_asked_for_is_built_again(marks_built: list[object]) -> None:
    # every document's marks at the first ask was 500 MiB for a file of 106,000 documents
    text = "".join(f"---\na{i}: [x, y]\n" for i in range(50))
    docs, _ = load_documents(text)
    assert docs[30].mark(("a30", 1)) == (62, 10)
    assert len(marks_built) == 1
    assert docs[31].keys[("a31",)] == (64, 1)  # composed on from the last ask
    assert docs[2].mark(("a2", 0)) == (6, 6)  # one behind: composed again from the start
    assert len(marks_built) == 3


def test_marks_an_error_asked_for_are_not_kept_for_later() -> None:
    # an object outlives its document: were they handed over, every broken document's object would hold its marks
    text = "a: 1\n---\nspec: {b: [x]}\n"
    reads: list[int] = []

    def again() -> str:
        reads.append(1)
        return text

    docs, _ = load_documents(text, read_again=again)
    assert docs[1].mark(("spec", "b", 0)) == (3, 12)
    later = docs[1].deferred("spec")
    release_text()
    assert later.values()[("spec", "b", 0)] == (3, 12)
    assert reads == [1, 1]  # derived again: none were kept


def test_no_text_is_held_once_loading_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the file's text, read again to place the error, is let go when the load ends
    (tmp_path / "rules.yaml").write_text(RULES.replace("SpeechRule/first.", "SpeechRule/missing.") + "# " + "x" * 2_000_000)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError):
        load_manifests(["."], env={})  # once for the caches a first load fills
    tracemalloc.start()
    try:
        with pytest.raises(ManifestError):
            load_manifests(["."], env={})
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 1_000_000


def _rules(count: int, tags: str) -> str:
    """``count`` speech rules of 100 phrases each: their marks weigh about 50 KB a document."""
    phrases = "".join(f"    - phrase: w{i:03d}\n" for i in range(100))
    rule = "apiVersion: reconciler/v1\nkind: SpeechRule\nmetadata:\n  name: r{i}\nspec:\n  tags: [{tags}]\n  phrases:\n"
    return "---\n".join(rule.format(i=i, tags=tags) + phrases for i in range(count))


def _load_peak(paths: list[str]) -> int:
    tracemalloc.start()
    try:
        with contextlib.suppress(ManifestError):
            load_manifests(paths, env={})
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_marks_of_a_broken_document_go_with_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # each duplicate tag asks for its document's marks; the list of the file's documents held them all
    (tmp_path / "broken.yaml").write_text(_rules(150, "x, x"))
    (tmp_path / "valid.yaml").write_text(_rules(150, "x, y"))
    monkeypatch.chdir(tmp_path)
    valid = _load_peak(["valid.yaml"])  # first: the caches a first load fills count against the valid load
    broken = _load_peak(["broken.yaml"])
    assert broken - valid < 4_000_000  # the text read again, a document's marks, 150 issues; not 9 MB of marks


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
