"""``sandbox serve --clients FILE`` read as manifests are: hostile files are one line and exit 1, never a wait."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.main import main


def _bomb(path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("not-utf8", lambda p: p.write_bytes(b"ci:\n  secret: \xff\xfe-top-secret\n"),
     "cannot read --clients file {path}:2:11: not UTF-8 text: byte 0xFF at byte offset 14 (invalid start byte); "
     "save the file as UTF-8"),
    ("fifo", lambda p: os.mkfifo(p), "cannot read --clients file {path}: is a FIFO (named pipe), not a regular file"),
    ("alias-bomb", _bomb, "{path}:5:5: aliases expand to more than 10000 values in this file; write the values out"),
    ("two-documents", lambda p: p.write_text("a: {secret: s}\n---\nb: {secret: t}\n", encoding="utf-8"),
     "{path}:3:1: a --clients file holds a single YAML document"),
]


@pytest.mark.timeout(20)  # a FIFO opened for reading waits for a writer that never comes
@pytest.mark.parametrize(("make", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_hostile_clients_file_is_one_line_and_exit_1(tmp_path: Path, make: Callable[[Path], None],
                                                       message: str) -> None:
    path = tmp_path / "clients.yaml"
    make(path)
    result = CliRunner().invoke(main, ["sandbox", "serve", "--clients", str(path), "--port", "0"])
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: {message.format(path=path)}\n"
    assert "top-secret" not in result.output
