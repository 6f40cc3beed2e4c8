"""The Permissions table of docs/real-org-kinds.md is the kinds' own data (``Kind.permissions``),
which ``reconciler doctor`` checks: the two never disagree."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.kinds import PLATFORM_KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "real-org-kinds.md"


def _table() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    text = DOC.read_text()
    section = text[text.index("## Permissions") :]
    section = section[: section.index("\n## ", 1)]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            read, write = (tuple(re.findall(r"`([^`]+)`", c)) for c in cells[1:])
            rows[cells[0].strip("`")] = (read, write)
    return rows


def test_the_table_is_the_kinds_permissions() -> None:
    expected = {k.name: (k.permissions.read, k.permissions.write) for k in PLATFORM_KINDS if k.permissions.read}
    assert _table() == expected


def test_ci_docs_no_longer_build_a_read_only_client_from_scopes() -> None:
    ci = (DOC.parent / "ci.md").read_text()
    assert "with read scopes only" not in ci
    assert "processautomation:readonly" not in ci and "real-org-kinds.md#permissions" in ci
