"""Output safety: a hostile live name cannot start a workflow command, forge a line or break Markdown.

The sandbox is seeded with the example manifests, then an undeclared Webhook with a
hostile name is slipped into its database; plan, drift and apply show it (unmanaged,
or pruned) in text and Markdown.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from reconciler.render.escape import ZWJ, control, live, md_code, md_text, message

from ._harness import TIME_BOUND, invoke_cli, project

HOSTILE = [
    "x\n::error ::pwned",
    "::stop-commands::token",
    "  ::add-mask::x",
    "a\r\n::warning file=x::forged",
    "ok\nok       + create Webhook/forged",
    "\x1b[2J\x1b[31mred",
    "line\u2028::error ::sep",
    "bidi\u202eevil",
    "zero\u200b\u2060width",
    "x\n\n<!-- hidden -->\n\n@octocat [click](https://evil.example)",
    "back`tick``s```",
    "pipe | col | x",
    "nul\x00byte",
    "c1\x85next-line",
]


def _assert_text_safe(output: str) -> None:
    for line in output.splitlines():
        assert not line.lstrip().startswith("::"), f"a line starts a workflow command: {line!r}"
    assert "\x1b[2J" not in output and "\x00" not in output and "\u2028" not in output and "\u202e" not in output


@pytest.mark.parametrize("name", HOSTILE)
def test_live_escape_keeps_one_safe_line(name: str) -> None:
    shown = live(name)
    assert "\n" not in shown and "\r" not in shown
    _assert_text_safe(shown)
    assert control(shown) == shown, "escaping is stable"


@pytest.mark.parametrize("name", HOSTILE)
def test_markdown_text_has_no_markup_left(name: str) -> None:
    shown = md_text(name)
    assert "\n" not in shown and "<!--" not in shown and "](" not in shown.replace("\\](", "")
    assert "@octocat" not in shown and ("@" + ZWJ + "octocat" in shown) == ("@octocat" in name)


@pytest.mark.parametrize("name", HOSTILE)
def test_markdown_code_span_cannot_be_left(name: str) -> None:
    span = md_code(name, in_table=True)
    fence = span[: len(span) - len(span.lstrip("`"))]
    inner = span[len(fence) : -len(fence)]
    assert fence not in inner and "\n" not in span
    assert "|" not in span.replace("\\|", "")


def test_error_messages_keep_our_lines_but_no_command() -> None:
    assert message("2 errors:\n  x\n::error ::y") == "2 errors:\n  x\n\\::error ::y"
    assert message("a\x1b[31mb") == "a\\x1b[31mb"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sandbox database holding the examples; outside the project (the fake server keeps secrets)."""
    base = tmp_path_factory.mktemp("seed")
    root = project(base)
    invoke_cli(["apply", "--auto-approve", "--sandbox-db", str(base / "sandbox.db")], cwd=root).expect(0)
    return base


def _with_live_name(seeded: Path, tmp_path: Path, name: str) -> Path:
    from reconciler.sandbox.store import Store

    root = project(tmp_path)
    (tmp_path / "db").mkdir()
    for part in seeded.glob("sandbox.db*"):  # the WAL holds what was not checkpointed yet
        shutil.copy(part, tmp_path / "db" / part.name)
    store = Store(tmp_path / "db" / "sandbox.db")
    with store.read() as conn:
        body = json.loads(conn.execute("SELECT body FROM objects WHERE kind = 'Webhook' LIMIT 1").fetchone()[0])
    store.create("Webhook", {**body, "id": str(uuid.uuid4()), "name": name})
    store.close()
    return root


CLI_CASES = [
    (["drift", "--sandbox-db", "sandbox.db"], "x\n::error ::pwned"),
    (["drift", "--sandbox-db", "sandbox.db"], "::stop-commands::tok"),
    (["drift", "--sandbox-db", "sandbox.db", "--format", "markdown"], "x\n\n<!-- h -->\n\n@octocat [a](http://e.x)"),
    (["plan", "--sandbox-db", "sandbox.db"], "y\n::error ::pwned"),
    (["plan", "--sandbox-db", "sandbox.db", "--format", "markdown"], "z`` \n\n| @team |"),
    (["apply", "--auto-approve", "--sandbox-db", "sandbox.db"], "w\n::error ::applied"),
    (["export", "--out", "exported", "--sandbox-db", "sandbox.db"], "v\n::error ::exported"),
    (["export", "--out", "exported", "--sandbox-db", "sandbox.db"], "u\u2028Plan: 0 to create"),
]


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(("args", "name"), CLI_CASES)
def test_cli_output_quotes_hostile_live_names_safely(seeded: Path, tmp_path: Path, args: list[str], name: str) -> None:
    root = _with_live_name(seeded, tmp_path, name)
    args = [str(tmp_path / "db" / "sandbox.db") if a == "sandbox.db" else a for a in args]
    outcome = invoke_cli(args, cwd=root)
    assert outcome.returncode in (0, 1, 2), outcome.output
    outcome.expect(outcome.returncode)
    _assert_text_safe(outcome.output)
    if control(name) != name:
        assert name not in outcome.output, "the raw name (with its line breaks) is printed"
    assert "\n\n<!--" not in outcome.output and "\n@octocat" not in outcome.output
    # in Markdown the name stays inside a code span (where nothing pings or links), escaped
    assert control(name) in outcome.output
