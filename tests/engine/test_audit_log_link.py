"""apply refuses an audit log that is a symbolic link, before any write (see tests/audit/test_symlinks.py)."""

from __future__ import annotations

from pathlib import Path

from ._support import applied_project


def test_apply_with_a_symlinked_audit_log_exits_1_before_any_write(tmp_path: Path) -> None:
    project = applied_project(tmp_path)
    project.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.1")
    elsewhere = tmp_path / "elsewhere.jsonl"
    project.audit_log.rename(tmp_path / "kept.jsonl")
    project.audit_log.symlink_to(elsewhere)
    before = project.live("VoiceProfile")
    result = project.run("apply", "--auto-approve", expect=1)
    assert f"{project.audit_log}: it is a symbolic link to {str(elsewhere)!r}" in result.output
    assert "Traceback" not in result.output
    assert not elsewhere.exists() and project.live("VoiceProfile") == before
