"""Every ``--option`` the docs show for a command is in that command's ``--help``, and docs/cli.md
lists every option each command has.

An option renamed or dropped in the code (``sandbox serve --db`` became ``--sandbox-db``) keeps
being taught by a page that still shows it; an option added without a row in cli.md is one a
reader cannot find. The commands' options are read from the ``--help`` each prints, and the
docs' commands from every ``reconciler …`` line of a code block and every code span that starts
with ``reconciler`` (or a command's name followed by an option, as tables write it).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "docs" / "cli.md"

_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z])\b")
_SPAN = re.compile(r"`([^`\n]+)`")
_FENCE = re.compile(r"^```\w*\n(.*?)^```", re.S | re.M)
_INVOKE = re.compile(r"(?:^|[\s(=$])(?:\S*/)?reconciler\s+(.*)")
_TARGET_TABLE = "## Target options"


def commands() -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for name, command in sorted(main.commands.items()):
        subs = getattr(command, "commands", None)
        out.extend((name, sub) for sub in sorted(subs)) if subs else out.append((name,))
    return out


@cache
def options(command: tuple[str, ...]) -> frozenset[str]:
    """The options ``reconciler COMMAND --help`` prints."""
    result = CliRunner().invoke(main, [*command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    listed = result.output.split("\nOptions:\n", 1)[1]
    return frozenset(m for line in listed.splitlines() if line.startswith("  -") for m in _OPTION.findall(line))


GLOBAL = frozenset({"--version", "--no-color", "-h", "--help"})


def invocations(page: Path) -> list[tuple[tuple[str, ...], list[str], str]]:
    """``(command, its option words, the line)`` for each ``reconciler …`` the page shows."""
    text = page.read_text(encoding="utf-8").replace("\\\n", " ")  # a shell line continued
    names = {c[0] for c in commands()}
    if page.suffix == ".md":
        lines = [line for block in _FENCE.findall(text) for line in block.splitlines()]
        spans = _SPAN.findall(_FENCE.sub("", text))
        # a span that starts with a command and an option, as tables and headings write it
        lines += [s if s.split()[0] not in names else "reconciler " + s for s in spans if s.split()]
    else:
        lines = text.splitlines()
    out = []
    for line in lines:
        for match in (m for part in re.split(r"&&|\|\||;", line) if (m := _INVOKE.search(part))):
            words = match.group(1).replace("\\|", "|").split()
            words = [w for w in words if w not in ("[OPTIONS]", "…", "...")]
            while words and words[0].startswith("-") and words[0] in GLOBAL:
                words.pop(0)
            if not words or words[0] not in names:
                continue
            command: tuple[str, ...] = (words[0],)
            if len(words) > 1 and (command + (words[1],)) in commands():
                command += (words[1],)
            rest = _until_next_command(words[len(command):])
            out.append((command, [w for w in rest if _OPTION.fullmatch(w.split("=")[0])], line))
    return out


def _until_next_command(words: list[str]) -> list[str]:
    """Options stop at a pipe or a redirection (``plan --out p.json | tee``, ``> plan.md``)."""
    for i, word in enumerate(words):
        if word in ("|", ">", "2>&1") or word.startswith(("`", "$(", ">")):
            return words[:i]
    return words


def pages() -> list[Path]:
    return [
        REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "action.yml",
        *sorted((REPO / ".github" / "workflows").glob("*.yml")),
    ]


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_option_shown_is_one_the_command_has(page: Path) -> None:
    wrong = []
    for command, words, line in invocations(page):
        for word in words:
            option = word.split("=")[0]
            if option not in options(command) | GLOBAL:
                wrong.append(f"reconciler {' '.join(command)} {option} (in: {line.strip()})")
    assert not wrong, f"{page.relative_to(REPO).as_posix()} shows options the commands do not have: {wrong}"


def sections() -> dict[tuple[str, ...], str]:
    """cli.md's ``## `reconciler COMMAND` `` sections, by command."""
    text = CLI.read_text(encoding="utf-8")
    out = {}
    for match in re.finditer(r"^## `reconciler ([^`]+)`\n(.*?)(?=^## |\Z)", text, re.S | re.M):
        out[tuple(match.group(1).split())] = match.group(2)
    return out


def documented(section: str) -> set[str]:
    """Options named in a section: its table's first column and its prose's code spans."""
    named = set()
    for span in _SPAN.findall(section):
        named.update(_OPTION.findall(span))
    return named


def target_options() -> set[str]:
    text = CLI.read_text(encoding="utf-8")
    table = text.split(_TARGET_TABLE, 1)[1].split("\n## ", 1)[0]
    return documented(table)


@pytest.mark.parametrize("command", commands(), ids=" ".join)
def test_cli_md_has_a_section_naming_every_option(command: tuple[str, ...]) -> None:
    section = sections().get(command)
    assert section is not None, f"docs/cli.md has no section for reconciler {' '.join(command)}"
    own = documented(section)
    if "target options" in section:
        own |= target_options()
    missing = sorted(options(command) - own - GLOBAL)
    assert not missing, f"docs/cli.md's reconciler {' '.join(command)} never names {missing}"
    unknown = sorted(own - options(command) - GLOBAL - {"--db"})  # --db: sandbox serve's hidden old name
    assert not unknown, f"docs/cli.md's reconciler {' '.join(command)} names options it does not have: {unknown}"


def test_the_checks_see_what_they_check() -> None:
    assert ("plan",) in commands() and ("audit", "verify") in commands()
    assert {"--detailed-exitcode", "--out", "-q"} <= options(("plan",))
    shown = {(c, tuple(w)) for c, w, _ in invocations(REPO / "README.md")}
    assert (("plan",), ("--detailed-exitcode",)) in shown
    assert (("plan",), ("--out",)) in shown


def test_a_stale_option_is_seen(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("Run `reconciler sandbox serve --db-file x` or `apply --approve`.\n\n```sh\n"
                    "reconciler plan manifests \\\n  --out p.json --detailed && reconciler drift\n```\n")
    shown = {(c, tuple(w)) for c, w, _ in invocations(page)}
    assert shown == {(("sandbox", "serve"), ("--db-file",)), (("apply",), ("--approve",)),
                     (("plan",), ("--out", "--detailed")), (("drift",), ())}
    assert "--db-file" not in options(("sandbox", "serve")) and "--detailed" not in options(("plan",))


def test_sandbox_serve_defaults_are_the_commands() -> None:
    """cli.md's ``sandbox serve`` table has a default column: each is the option's own default."""
    serve = main.commands["sandbox"].commands["serve"]  # type: ignore[attr-defined]
    defaults = {p.opts[0]: p.default for p in serve.params if p.opts[0].startswith("--")}
    rows = re.findall(r"^\| `(--[a-z-]+)[^`]*` \| ([^|]+) \|", sections()[("sandbox", "serve")], re.M)
    assert len(rows) == len(defaults) - 1  # every option but the hidden --db
    wrong = []
    for option, shown in rows:
        shown = shown.strip().strip("`")
        default = defaults[option]
        expected = "none" if default is None or not isinstance(default, str | int | float) else str(default)
        if shown != expected:
            wrong.append(f"{option}: cli.md {shown!r}, the command {expected!r}")
    assert not wrong, wrong
