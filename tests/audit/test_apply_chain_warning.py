"""An apply appending to an audit log whose hash chain is already broken says so, and appends."""

from __future__ import annotations

from pathlib import Path

from engine._support import make_project

from reconciler.audit.verify import link_problem


def test_an_apply_to_a_log_broken_before_its_last_record_warns_every_time_and_appends(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    first = project.run("apply", "--auto-approve")
    assert "hash chain" not in first.stderr
    lines = project.audit_log.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"timestamp":"', b'"timestamp":"1', 1)  # record 2 edited, its hash kept
    project.audit_log.write_bytes(b"".join(lines))

    for rate in ("1.5", "1.25"):
        project.edit("voice-profiles.yaml", "rate: 1.05" if rate == "1.5" else "rate: 1.5", f"rate: {rate}")
        run = project.run("apply", "--auto-approve")
        assert (f"warning: the audit log's hash chain is already broken ({project.audit_log}: record 2 (line 2): "
                "hash mismatch: the record's content does not match its hash); this apply appends to it all the "
                f"same. `reconciler audit verify {project.audit_log}` names the damage") in run.stderr

    records = project.audit_records()
    stored = project.audit_log.read_bytes().splitlines()
    assert len(records) > len(lines)
    for n in range(len(lines), len(records)):  # the new records chain on from the last whole one
        assert link_problem(records[n], stored[n], records[n - 1]["seq"], records[n - 1]["hash"]) is None


def test_an_apply_to_a_log_whose_last_record_is_damaged_refuses_with_one_error_and_no_warning(tmp_path: Path) -> None:
    """Why: the apply warned 'this apply appends to it all the same', then the writer refused to append."""
    project = make_project(tmp_path)
    project.run("apply", "--auto-approve")
    lines = project.audit_log.read_bytes().splitlines(keepends=True)
    lines[-1] = lines[-1].replace(b'"timestamp":"', b'"timestamp":"1', 1)  # the last record edited, its hash kept
    project.audit_log.write_bytes(b"".join(lines))
    before = project.audit_log.read_bytes()
    project.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")

    run = project.run("apply", "--auto-approve", expect=1)

    assert "warning" not in run.stderr
    assert "appends to it all the same" not in run.stderr
    log = project.audit_log
    errors = [line for line in run.stderr.splitlines() if line.startswith("error")]
    assert errors == [
        f"error: cannot append to the audit log {log}: its last record (line {len(lines)}) is damaged (hash "
        "mismatch: the record's content does not match its hash); refusing to append: the hash chain would go on "
        f"from a record nobody can check. `reconciler audit verify {log}` names the damage; to start a new chain, move the log aside (keep it as evidence) or write to another log "
        "(apply --audit-log NEW_FILE); see docs/audit.md, 'The hash chain'"
    ]
    assert project.audit_log.read_bytes() == before
