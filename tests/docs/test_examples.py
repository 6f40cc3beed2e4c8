"""Output the docs quote from the tool is what the tool prints: each quoted block is produced
again here from the input the page describes, and compared line for line.

docs/manifests.md quoted the escape warning without the column the tool prints
(``hooks.yaml:9:`` for ``hooks.yaml:9:16:``); a reader matching it against a log, or writing
a problem matcher from it, was taught a form the tool never gives.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs"

_HOOK = """\
apiVersion: reconciler/v1
kind: Webhook
metadata:
  name: CRM Sync
spec:
  requestUrl: https://crm.example.com/hook
  eventFilters:
    - {event: rules.updated}
  description: "$${env:X}"
"""


def quoted(page: str, starts: str) -> list[str]:
    """The ``text`` block of ``page`` whose first line starts with ``starts``."""
    blocks = re.findall(r"^```text\n(.*?)^```", (DOCS / page).read_text(encoding="utf-8"), re.S | re.M)
    (block,) = [b for b in blocks if b.startswith(starts)]
    return block.splitlines()


def run(root: Path, *args: str) -> tuple[int, list[str]]:
    with contextlib.chdir(root):
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output.splitlines()


def test_the_escape_warning_is_quoted_as_validate_prints_it(tmp_path: Path) -> None:
    (tmp_path / "hooks.yaml").write_text(_HOOK, encoding="utf-8")
    code, output = run(tmp_path, "validate", "hooks.yaml")
    assert code == 0
    assert [line for line in output if line.startswith("warning:")] == quoted("manifests.md", "warning: hooks.yaml")


def test_audit_verify_of_files_that_are_no_log_is_quoted_as_printed(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("some notes\n", encoding="utf-8")
    (tmp_path / "other.json").write_text('{"a": 1}\n', encoding="utf-8")
    printed = []
    for name in ("notes.txt", "other.json"):
        code, output = run(tmp_path, "audit", "verify", name)
        assert code == 1
        printed += [f"$ reconciler audit verify {name}", *output]
    assert printed == quoted("audit.md", "$ reconciler audit verify notes.txt")
