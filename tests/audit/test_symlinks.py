"""The audit log and its sidecars are never written or read through a symbolic link.

Why: a link at ``.reconciler/audit.jsonl`` (or ``--audit-log PATH``) to a file that does not
exist yet, or is empty, took an apply's records wherever it led (a non-empty file that is no
log was refused only because its last line is no record); the sidecars beside the log (the
backlog checkpoint, the torn-line file, the run locks, forwarding's state) the same. Each is
opened without following a final link (``O_NOFOLLOW``), and a link is refused by name.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.audit import checkpoint
from reconciler.audit.backlog import read_backlog, run_is_alive, run_lock_path
from reconciler.audit.forward import DELIVERED_SUFFIX, Forwarder
from reconciler.audit.log import AuditLog
from reconciler.audit.reader import read_records
from reconciler.audit.verify import verify_log
from reconciler.core.errors import AuditError

from .conftest import open_trail, write_run


@pytest.mark.parametrize("target_exists", [False, True], ids=["dangling", "empty"])
def test_a_symlinked_log_is_refused_naming_where_it_leads_and_nothing_is_written(
    tmp_path: Path, target_exists: bool
) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    if target_exists:
        elsewhere.write_bytes(b"")
    log = tmp_path / "audit.jsonl"
    log.symlink_to(elsewhere)
    with pytest.raises(AuditError) as refused:
        open_trail(log)
    assert str(refused.value).startswith(f"cannot open audit log {log}: it is a symbolic link to {str(elsewhere)!r}")
    assert elsewhere.exists() == target_exists and (not target_exists or elsewhere.read_bytes() == b"")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["audit.jsonl"] + ["elsewhere.txt"] * target_exists)


def test_readers_refuse_a_symlinked_log(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    with open_trail(real) as trail:
        write_run(trail, "run-1")
    log = tmp_path / "audit.jsonl"
    log.symlink_to(real)
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "nowhere")
    for read in (verify_log, lambda path: list(read_records(path)), read_backlog):
        with pytest.raises(AuditError, match=f"it is a symbolic link to {str(real)!r}"):
            read(log)
        with pytest.raises(AuditError, match="it is a symbolic link to .*nowhere"):
            read(dangling)


def test_a_symlinked_torn_sidecar_is_refused_and_the_log_left_as_it_was(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with open_trail(log) as trail:
        write_run(trail, "run-1")
    log.write_bytes(log.read_bytes() + b'{"torn')
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "audit.jsonl.torn").symlink_to(elsewhere)
    before = log.read_bytes()
    with AuditLog(log) as writer, pytest.raises(AuditError, match="it is a symbolic link to"):
        writer.last_seq()
    assert not elsewhere.exists() and log.read_bytes() == before


def test_a_symlinked_checkpoint_is_neither_read_nor_written_through(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with open_trail(log) as trail:
        write_run(trail, "run-1")
    read_backlog(log)
    saved = tmp_path / "saved.backlog"
    checkpoint.path_of(log).rename(saved)
    checkpoint.path_of(log).symlink_to(saved)
    kept = saved.read_bytes()
    assert checkpoint.resume(log) == checkpoint.ScanState()  # not trusted through the link
    elsewhere = tmp_path / "elsewhere"
    tmp = checkpoint.path_of(log).with_name(f"{checkpoint.path_of(log).name}.{os.getpid()}.tmp")
    tmp.symlink_to(elsewhere)
    read_backlog(log)
    assert not elsewhere.exists() and saved.read_bytes() == kept


def test_run_locks_are_not_created_through_a_symlink(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    elsewhere = tmp_path / "elsewhere"
    with open_trail(log) as trail:
        run_lock_path(log, "run-1").symlink_to(elsewhere)
        trail.run_started("run-1", {})
        assert not elsewhere.exists()
        assert not run_is_alive(log, "run-1")


def test_forwarding_state_is_not_written_through_a_symlink(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with open_trail(log) as trail:
        write_run(trail, "run-1")
    elsewhere = tmp_path / "elsewhere"
    lock = log.with_name(log.name + DELIVERED_SUFFIX + ".lock")
    lock.symlink_to(elsewhere)
    forwarder = Forwarder(log, "http://127.0.0.1:9/audit")
    with pytest.raises(AuditError, match="it is a symbolic link to"):
        forwarder.deliver_pending()
    assert not elsewhere.exists()
