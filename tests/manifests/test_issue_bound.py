"""A load lists the first MAX_ISSUES issues in file order and counts the rest, placing none of those."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.core.errors import MAX_ISSUES, ManifestError, ManifestIssue
from reconciler.manifests import load_manifests, loader

#: two issues each, on the document's 4th line: ``engine`` is missing, ``rate`` is out of range
VOICE = (
    "apiVersion: reconciler/v1\nkind: VoiceProfile\nmetadata: {{name: v{i}}}\n"
    "spec: {{language: en-US, voice: polly-Joanna, rate: 9.5}}\n"
)
RATE_COLUMN = VOICE.format(i=0).splitlines()[3].index("9.5") + 1
#: documents whose issues fill the bound, and a hundred more
BROKEN = MAX_ISSUES // 2 + 100


#: a webhook whose reference dangles: found by the last pass, written first (line 4)
DANGLING = (
    "apiVersion: reconciler/v1\nkind: Webhook\nmetadata: {name: hook}\n"
    "spec: {requestUrl: 'https://h.example.com/x', eventFilters: [{event: rules.updated, "
    "filter: 'ruleId eq ${ref:SpeechRule/missing.id}'}]}\n"
)


def voices(count: int, first: int = 0) -> str:
    """``count`` broken voice profiles, five lines apart (``---`` between them)."""
    return "---\n".join(VOICE.format(i=i) for i in range(first, first + count))


def expected(file: str, count: int, first_line: int = 1) -> list[str]:
    """The issues of ``voices(count)`` written from ``first_line`` of ``file``, in listing order."""
    out: list[str] = []
    for i in range(count):
        line = first_line + 5 * i + 3
        out.append(f"{file}:{line}:7: spec.engine: is required")
        out.append(f"{file}:{line}:{RATE_COLUMN}: spec.rate: 9.5 is above the maximum 4.0")
    return out


def load_error(paths: list[str]) -> ManifestError:
    with pytest.raises(ManifestError) as info:
        load_manifests(paths, env={})
    return info.value


class TestTheBound:
    def test_past_the_bound_issues_are_counted_and_the_message_says_how_many_more(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / "v.yaml").write_text(voices(BROKEN))
        monkeypatch.chdir(tmp_path)
        error = load_error(["."])
        assert [str(i) for i in error.issues] == expected("v.yaml", BROKEN)[:MAX_ISSUES]
        assert error.omitted == 2 * BROKEN - MAX_ISSUES and error.total == 2 * BROKEN
        lines = str(error).splitlines()
        assert lines[0] == f"{2 * BROKEN} errors in manifests"
        assert lines[1:-1] == [str(i) for i in error.issues]
        assert lines[-1] == f"... and {2 * BROKEN - MAX_ISSUES} more errors"

    def test_up_to_the_bound_every_issue_is_listed_as_before(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "v.yaml").write_text(voices(MAX_ISSUES // 2))
        monkeypatch.chdir(tmp_path)
        error = load_error(["."])
        assert error.omitted == 0 and len(error.issues) == MAX_ISSUES
        assert str(error).splitlines() == [f"{MAX_ISSUES} errors in manifests", *expected("v.yaml", MAX_ISSUES // 2)]

    def test_documents_past_the_bound_are_not_placed(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marks_built: list[object]
    ) -> None:
        # placing an issue re-derives its document's marks; past the bound nothing asks for them
        (tmp_path / "v.yaml").write_text(voices(BROKEN))
        monkeypatch.chdir(tmp_path)
        assert load_error(["."]).total == 2 * BROKEN
        assert len(marks_built) == MAX_ISSUES // 2  # the documents whose issues are listed, each once


    def test_once_the_bound_is_passed_the_text_read_again_is_let_go(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # the rest of the file places nothing: its text, read again for the first issues' marks, was
        # held to the end of the load (29 MiB for a 15 MB file); the late issue written first reads it again
        (tmp_path / "v.yaml").write_text(DANGLING + "---\n" + voices(BROKEN))
        reads: list[object] = []
        read_text = loader.read_text

        def counted(path: Path) -> str:
            reads.append(path)
            return read_text(path)

        monkeypatch.setattr(loader, "read_text", counted)
        monkeypatch.chdir(tmp_path)
        error = load_error(["."])
        assert "dangling reference" in error.issues[0].message and error.total == 1 + 2 * BROKEN
        assert len(reads) == 3  # to load, to place the first voices' issues, and again for the reference

    @pytest.mark.parametrize(("target", "problem"), [("missing", "dangling reference"), ("h{i}", "reference cycle")])
    def test_references_past_the_bound_are_not_placed(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marks_built: list[object], target: str, problem: str
    ) -> None:
        # found by the last pass, after every document was read: placing one works out its object's locations
        hook = (
            "apiVersion: reconciler/v1\nkind: Webhook\nmetadata: {{name: h{i}}}\n"
            "spec: {{requestUrl: 'https://h.example.com/x', eventFilters: [{{event: rules.updated, "
            "filter: 'x eq ${{ref:Webhook/" + target + ".requestUrl}}'}}]}}\n"
        )
        (tmp_path / "h.yaml").write_text("---\n".join(hook.format(i=i) for i in range(MAX_ISSUES + 100)))
        monkeypatch.chdir(tmp_path)
        error = load_error(["."])
        assert error.total == MAX_ISSUES + 100 and error.omitted == 100
        assert str(error.issues[-1]).startswith(f"h.yaml:{5 * (MAX_ISSUES - 1) + 4}:")
        assert all(problem in i.message for i in error.issues)
        # one per issue listed, and one more: the first object past them is known to start only
        # after the name of the one before it, and that name is written before its last issue
        assert len(marks_built) == MAX_ISSUES + 1


class TestTheOrder:
    def test_issues_found_late_but_written_first_are_listed_first(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # the dangling reference is found by the last pass, the unset variable once every file
        # was read: both are written before the hundreds of broken voices, so they are kept
        unset = (
            "apiVersion: reconciler/v1\nkind: VoiceProfile\nmetadata: {name: env}\n"
            "spec: {language: en-US, voice: '${env:VOICE_NAME}', engine: amazon_polly}\n"
        )
        (tmp_path / "v.yaml").write_text("---\n".join([DANGLING, unset, voices(BROKEN)]))
        monkeypatch.chdir(tmp_path)
        error = load_error(["."])
        listed = [str(i) for i in error.issues]
        assert listed[0].startswith("v.yaml:4:") and "dangling reference" in listed[0]
        assert listed[1] == "v.yaml:9:32: spec.voice: environment variable VOICE_NAME is not set"
        assert listed[2:] == expected("v.yaml", BROKEN, first_line=11)[: MAX_ISSUES - 2]
        assert error.total == 2 + 2 * BROKEN

    def test_a_file_read_last_but_listed_first_is_kept(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "b.yaml").write_text(voices(BROKEN))
        (tmp_path / "a.yaml").write_text(VOICE.format(i="a"))
        monkeypatch.chdir(tmp_path)
        error = load_error(["b.yaml", "a.yaml"])  # read in this order, listed by file
        assert [str(i) for i in error.issues] == [*expected("a.yaml", 1), *expected("b.yaml", BROKEN)[: MAX_ISSUES - 2]]
        assert error.total == 2 + 2 * BROKEN


class TestManifestError:
    def test_it_keeps_the_first_issues_in_order_and_counts_the_rest(self) -> None:
        issues = [ManifestIssue("m.yaml", line, 1, "spec", "bad") for line in range(MAX_ISSUES + 5, 0, -1)]
        error = ManifestError(issues, omitted=10)
        assert [i.line for i in error.issues] == list(range(1, MAX_ISSUES + 1))
        assert error.omitted == 15 and error.total == MAX_ISSUES + 15
        assert str(error).splitlines()[-1] == "... and 15 more errors"

    def test_without_a_count_it_reads_as_before(self) -> None:
        error = ManifestError([ManifestIssue("m.yaml", 2, 3, "spec.x", "bad")])
        assert error.omitted == 0 and error.total == 1
        assert str(error) == "1 error in manifests\nm.yaml:2:3: spec.x: bad"
