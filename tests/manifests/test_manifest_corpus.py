"""Every broken manifest in ``corpus/``: exit 1, one error at the right file:line and field, no traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main

from .corpus_cases import CASES, CORPUS, SET_SECRET, UNSET, Case

ISSUE_LINE = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<rest>.*)$")


def corpus_env() -> dict[str, str | None]:
    return {SET_SECRET[0]: SET_SECRET[1], **{name: None for name in UNSET}}


def issue_lines(output: str) -> list[re.Match[str]]:
    return [m for m in (ISSUE_LINE.match(line) for line in output.splitlines()) if m]


def reported(case: Case, output: str) -> bool:
    """True when some line names the case's file:line, its field and its message fragment."""
    file = case.file or case.target
    for m in issue_lines(output):
        if m["file"] != file or int(m["line"]) != case.line:
            continue
        rest = m["rest"]
        if case.field:
            if rest.startswith(f"{case.field}: ") and case.fragment in rest:
                return True
        elif case.fragment in rest:
            return True
    return False


class TestCorpusTable:
    def test_at_least_forty_cases(self) -> None:
        assert len(CASES) >= 40

    def test_every_corpus_entry_is_in_the_table(self) -> None:
        on_disk = {p.name + ("/" if p.is_dir() else "") for p in CORPUS.iterdir()}
        assert on_disk == {c.target for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_validate_reports_the_case(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    result = CliRunner().invoke(main, ["validate", "--check-env", case.target], env=corpus_env())
    output = result.output
    assert result.exit_code == 1, output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in output
    assert "error: 1 error in manifests" in output, output
    assert reported(case, output), f"expected {case.where} {case.field}: …{case.fragment}… in\n{output}"
    assert SET_SECRET[1] not in output
    if case.hidden:
        assert case.hidden not in output


def test_whole_corpus_in_a_subprocess_has_no_traceback() -> None:
    """One real process over every manifest case: exit 1, each case reported, no traceback."""
    manifest_cases = [c for c in CASES if not c.target.startswith("settings_")]
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env[SET_SECRET[0]] = SET_SECRET[1]
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "--check-env", *(c.target for c in manifest_cases)],
        cwd=CORPUS,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.startswith(f"error: {len(manifest_cases)} errors in manifests")
    missing = [c.id for c in manifest_cases if not reported(c, proc.stderr)]
    assert not missing, proc.stderr
    assert SET_SECRET[1] not in proc.stderr


def test_settings_errors_are_reported_with_the_manifests_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """All issues at once: a bad settings file does not hide a bad manifest beside it."""
    (tmp_path / "reconciler.yaml").write_text("prune:\n  maxDeletes: -1\n")
    (tmp_path / "a.yaml").write_text((CORPUS / "voice_rate_above_max.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate", "."])
    assert result.exit_code == 1
    assert "error: 2 errors in manifests" in result.output
    assert "reconciler.yaml:2:15: prune.maxDeletes: -1 is below the minimum 0" in result.output
    assert "a.yaml:9:9: spec.rate: 4.5 is above the maximum 4.0" in result.output
