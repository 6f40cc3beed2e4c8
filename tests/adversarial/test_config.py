"""Bad configuration: a garbage sandbox database, a file that is not an audit log: one line, exit 1."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.core.paths import reason

from ._harness import TIME_BOUND, invoke_cli, project


def _random(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _random_no_newline(path: Path) -> None:
    path.write_bytes(os.urandom(4096).replace(b"\n", b"x"))


def _text(path: Path) -> None:
    path.write_text("just some notes\nnot a database\n")


def _empty_json_object_lines(path: Path) -> None:
    path.write_text('{"a": 1}\n{"b": 2}\n')


def _json_array(path: Path) -> None:
    path.write_text("[1, 2, 3]\n")


def _deep_json(path: Path) -> None:
    path.write_text("[" * 200_000 + "]" * 200_000 + "\n")


def _deep_object(path: Path) -> None:
    path.write_text('{"a":' * 100_000 + "1" + "}" * 100_000 + "\n")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _fake_record(path: Path) -> None:
    path.write_text('{"type": "intent"}\n')


SANDBOX_FILES: list[tuple[Callable[[Path], None], str]] = [
    (_random, "is not an SQLite database"),
    (_text, "is not an SQLite database"),
    (_json_array, "is not an SQLite database"),
]


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(("make", "message"), SANDBOX_FILES)
@pytest.mark.parametrize("command", ["plan", "drift"])
def test_garbage_sandbox_db_is_one_line_error(tmp_path: Path, make: Callable[[Path], None], message: str,
                                              command: str) -> None:
    root = project(tmp_path)
    make(root / "bad.db")
    outcome = invoke_cli([command, "--sandbox-db", "bad.db"], cwd=root).expect(1, "bad.db", message)
    assert len([line for line in outcome.stderr.splitlines() if line.startswith("error:")]) == 1


@pytest.mark.timeout(TIME_BOUND)
def test_sandbox_db_under_a_file_is_named(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "afile").write_text("x")
    invoke_cli(["plan", "--sandbox-db", "afile/s.db"], cwd=root).expect(1, "afile", "is a file, not a directory")


@pytest.mark.timeout(TIME_BOUND)
def test_a_sandbox_db_name_too_long_is_named(tmp_path: Path) -> None:
    """Path.is_dir() raises ENAMETOOLONG (it answers False only for ENOENT, ENOTDIR, EBADF, ELOOP)."""
    root = project(tmp_path)
    db = "d" * 300 + ".db"
    message = f"error: cannot open sandbox database {db}: file name too long"
    outcome = invoke_cli(["plan", "--sandbox-db", db], cwd=root).expect(1, message)
    assert [line for line in outcome.stderr.splitlines() if line.startswith("error:")] == [message]


def test_sandbox_store_refuses_a_directory(tmp_path: Path) -> None:
    from reconciler.core.errors import ConfigError
    from reconciler.sandbox.store import Store

    with pytest.raises(ConfigError, match="is a directory"):
        Store(tmp_path)


AUDIT_FILES: list[tuple[Callable[[Path], None], str]] = [
    (_random, "not an audit log"),
    (_random_no_newline, "not an audit log"),
    (_text, "not an audit log"),
    (_empty_json_object_lines, "not an audit log"),
    (_json_array, "not an audit log"),
    (_deep_json, "not an audit log"),
    (_deep_object, "not an audit log"),
    (_empty, "it is empty"),
    (_fake_record, "not an audit log"),
]


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(("make", "message"), AUDIT_FILES)
@pytest.mark.parametrize("command", ["verify", "show"])
def test_a_file_that_is_not_an_audit_log(tmp_path: Path, make: Callable[[Path], None], message: str,
                                         command: str) -> None:
    root = project(tmp_path, manifests=False)
    make(root / "log.jsonl")
    outcome = invoke_cli(["audit", command, "log.jsonl"], cwd=root).expect(1, "log.jsonl", message)
    assert "no matching audit records" not in outcome.output


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(("log", "what"), [("pipe.jsonl", "a FIFO (named pipe)"),
                                           ("/dev/urandom", "a character device")], ids=["fifo", "urandom"])
@pytest.mark.parametrize("command", ["verify", "show"])
def test_an_audit_log_that_is_no_regular_file_is_refused_unread(tmp_path: Path, log: str, what: str,
                                                                command: str) -> None:
    """show of a FIFO blocked in open for ever, and of /dev/urandom read random lines for ever."""
    root = project(tmp_path, manifests=False)
    os.mkfifo(root / "pipe.jsonl")
    invoke_cli(["audit", command, log], cwd=root).expect(1, f"error: cannot read audit log {log}: it is {what}")


def _applied_project(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """A project applied once against the embedded sandbox: its root, its audit log and the log's lines."""
    root = project(tmp_path)
    invoke_cli(["apply", "--auto-approve", "--sandbox-db", str(tmp_path / "sandbox.db")], cwd=root).expect(0)
    log = root / ".reconciler" / "audit.jsonl"
    return root, log, log.read_text(encoding="utf-8").splitlines()


@pytest.mark.timeout(TIME_BOUND)
def test_a_record_edited_to_hold_half_a_surrogate_pair_is_named_not_a_traceback(tmp_path: Path) -> None:
    """json reads "\\ud800" as a lone surrogate: hashing it (verify) or printing it (show) raised UnicodeEncodeError."""
    root, log, lines = _applied_project(tmp_path)
    lines[2] = lines[2].replace('"name":"', '"name":"\\ud800', 1)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    invoke_cli(["audit", "verify"], cwd=root).expect(
        1, "line 3: holds the escape \\ud800, half of a UTF-16 surrogate pair (the line was edited)")
    shown = invoke_cli(["audit", "show"], cwd=root).expect(0)
    assert shown.stdout.count("\n") == len(lines)  # the header and every record but the edited one


@pytest.mark.timeout(TIME_BOUND)
def test_a_record_edited_to_hold_nan_or_infinity_is_left_out_by_show_as_verify_names_it(tmp_path: Path) -> None:
    """json reads NaN and Infinity: show printed such a record, and its --format json printed NaN, which is no JSON."""
    root, log, lines = _applied_project(tmp_path)
    edits = [('"before":null', '"before":NaN'), ('"latency_ms":', '"latency_ms":-Infinity,"was":')]
    edited = [next(n for n, line in enumerate(lines) if old in line) for old, _ in edits]  # an intent, an outcome
    for number, (old, new) in zip(edited, edits, strict=True):
        lines[number] = lines[number].replace(old, new, 1)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    invoke_cli(["audit", "verify"], cwd=root).expect(1, f"(line {edited[0] + 1}): holds NaN or Infinity, which JSON has not")
    shown = invoke_cli(["audit", "show", "--format", "json"], cwd=root).expect(0)
    records = json.loads(shown.stdout, parse_constant=lambda name: pytest.fail(f"show printed {name}"))
    assert [r["seq"] for r in records] == [n + 1 for n in range(len(lines)) if n not in edited]
    table = invoke_cli(["audit", "show"], cwd=root).expect(0)
    assert table.stdout.count("\n") == len(lines) - 1  # the header and every record but the two edited


@pytest.mark.timeout(TIME_BOUND)
def test_a_missing_audit_log_is_named(tmp_path: Path) -> None:
    root = project(tmp_path, manifests=False)
    invoke_cli(["audit", "show", "nope.jsonl"], cwd=root).expect(1, "no audit log at nope.jsonl")


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(("log", "reason"), [("l" * 300 + ".jsonl", "file name too long"),
                                             ("afile/audit.jsonl", "not a directory")],
                         ids=["name-too-long", "below-a-file"])
def test_an_audit_log_path_apply_cannot_look_at_is_named(tmp_path: Path, log: str, reason: str) -> None:
    """Path.exists() raised on a name too long, and answered "no log" below a file: apply went on unaudited."""
    root = project(tmp_path)
    (root / "afile").write_text("x")
    outcome = invoke_cli(["apply", "--audit-log", log, "--auto-approve"], cwd=root)
    outcome.expect(1, f"error: cannot read audit log {log}: {reason}")
    assert "Plan for" not in outcome.output  # refused before planning, so before any write


@pytest.mark.parametrize(("error", "words"), [
    (IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), "x"), "is a directory"),
    (FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), "x"), "no such file or directory"),
    (OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG)), "file name too long"),
    (PermissionError(errno.EACCES, os.strerror(errno.EACCES), "x"), "permission denied"),
    (PermissionError(errno.EPERM, os.strerror(errno.EPERM), "x"), "permission denied"),
    (OSError("TLS handshake refused"), "TLS handshake refused"),  # an acronym keeps its capitals
], ids=["isdir", "noent", "nametoolong", "eacces", "eperm", "acronym"])
def test_an_os_error_is_told_in_the_lower_case_of_our_sentences(error: OSError, words: str) -> None:
    """The C library's capital inside our lower-case line: 'cannot write plan file p.json: Is a directory'."""
    assert reason(error) == words
