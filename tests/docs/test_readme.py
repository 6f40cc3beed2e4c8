"""The README's walk-through, run: every console block it marks is executed and compared.

The README is the front door; a walk-through that no longer matches what the tool prints
teaches the wrong thing. Blocks marked ``<!-- walkthrough -->`` are run in order, in one
temporary project holding a copy of ``manifests/``, against the embedded sandbox, exactly
as a user would type them after the first quickstart command. The shown output is what
the tool prints to a log (stdout and stderr interleaved, no colour, no live progress).

Supported lines in a block: ``$ export NAME=VALUE``, ``$ [NAME=VALUE ...] [.venv/bin/]reconciler
ARGS``, ``$ echo $?``. Anything else fails the test, so the README cannot show a command
this test does not check. In expected output a line ``...`` stands for any number of lines,
and ids (UUIDs) are compared as ``<id>``. A ``<!-- walkthrough-edit FILE: "OLD" -> "NEW" -->``
comment edits a manifest between blocks, as the prose after it tells the reader to.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"

_MARK = re.compile(r"<!-- walkthrough -->\s*\n```console\n(.*?)\n```", re.S)
_EDIT = re.compile(r'<!-- walkthrough-edit (\S+): "([^"]*)" -> "([^"]*)" -->')
_STEP = re.compile(f"{_MARK.pattern}|{_EDIT.pattern}", re.S)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ASSIGN = re.compile(r"^[A-Z_][A-Z0-9_]*=")
#: variables that would point the tool at a real org instead of the embedded sandbox
_GENESYS_ENV = ("GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYSCLOUD_REGION",
                "GENESYSCLOUD_API_URL")


@dataclass
class Command:
    line: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Edit:
    path: str
    old: str
    new: str


def readme() -> str:
    return README.read_text(encoding="utf-8")


def steps(text: str) -> list[Command | Edit]:
    """The walk-through in reading order: each command with the output shown under it, and the edits."""
    out: list[Command | Edit] = []
    for match in _STEP.finditer(text):
        if match.group(1) is None:
            out.append(Edit(match.group(2), match.group(3), match.group(4)))
            continue
        for raw in match.group(1).splitlines():
            if raw.startswith("$ "):
                out.append(Command(raw[2:]))
            else:
                assert out and isinstance(out[-1], Command), f"output before any command: {raw!r}"
                out[-1].expected.append(raw)
    return out


def normalize(lines: list[str]) -> list[str]:
    lines = [_UUID.sub("<id>", line.rstrip()) for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` equals ``actual`` where each ``...`` line may stand for any lines."""
    pattern = "".join(r"(?:.*\n)*?" if line == "..." else re.escape(line) + r"\n" for line in expected)
    return re.fullmatch(pattern, "".join(line + "\n" for line in actual)) is not None


class Shell:
    """Just enough of a shell to run the README's lines: env, the tool, and ``$?``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env: dict[str, str | None] = dict.fromkeys(_GENESYS_ENV)
        self.status = 0

    def run(self, line: str) -> list[str]:
        words = shlex.split(line)
        if words[0] == "export" and len(words) == 2 and _ASSIGN.match(words[1]):
            name, value = words[1].split("=", 1)
            self.env[name] = value
            return []
        if words == ["echo", "$?"]:
            return [str(self.status)]
        env = dict(self.env)
        while words and _ASSIGN.match(words[0]):
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        assert words and words[0] in ("reconciler", ".venv/bin/reconciler"), f"the test cannot run: {line}"
        with contextlib.chdir(self.root):  # a user runs the tool from the clone's root
            result = CliRunner().invoke(main, words[1:], env=env, catch_exceptions=False)
        self.status = result.exit_code
        return result.output.splitlines()


def test_the_walkthrough_prints_what_the_readme_shows(tmp_path: Path) -> None:
    text = readme()
    walk = steps(text)
    commands = [s for s in walk if isinstance(s, Command)]
    assert len(commands) >= 5 and any(isinstance(s, Edit) for s in walk), "the walk-through markers are missing"
    quickstart = quickstart_commands(text)[0]
    assert quickstart.endswith(" && " + commands[0].line), "the walk-through starts with the quickstart's last step"
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    shell = Shell(tmp_path)
    for step in walk:
        if isinstance(step, Edit):
            path = tmp_path / step.path
            before = path.read_text(encoding="utf-8")
            assert before.count(step.old) == 1, f"{step.old!r} is not once in {step.path}"
            path.write_text(before.replace(step.old, step.new), encoding="utf-8")
            continue
        actual = normalize(shell.run(step.line))
        expected = normalize(step.expected)
        assert matches(expected, actual), (
            f"$ {step.line}\n--- README shows:\n" + "\n".join(expected) + "\n--- the tool prints:\n" + "\n".join(actual)
        )


def test_each_edit_is_the_one_the_prose_asks_for() -> None:
    text = readme()
    for match in _EDIT.finditer(text):
        prose = text[match.end() : text.index("```", match.end())]
        for value in match.group(2, 3):
            assert f"`{value}`" in prose, f"the walk-through edits {value!r} but the text after it does not say so"


def quickstart_commands(text: str) -> list[str]:
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_the_quickstart_is_exactly_two_commands() -> None:
    commands = quickstart_commands(readme())
    assert len(commands) == 2 and all("\n" not in c for c in commands), commands
    assert commands[0] == (
        "python3.11 -m venv .venv && .venv/bin/pip install -q -e . && "
        "CRM_WEBHOOK_PASSWORD=change-me .venv/bin/reconciler apply --auto-approve"
    )


def test_the_readme_test_command_is_what_ci_runs() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert quickstart_commands(readme())[1] == ci


def test_the_readme_is_a_front_door() -> None:
    assert len(readme().splitlines()) <= 250


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (["a", "...", "z"], ["a", "b", "c", "z"], True),
        (["a", "...", "z"], ["a", "z"], True),
        (["a", "z"], ["a", "b", "z"], False),
        (["a", "...", "z"], ["a", "b"], False),
        (["a.b"], ["axb"], False),
    ],
)
def test_ellipsis_matching(expected: list[str], actual: list[str], ok: bool) -> None:
    assert matches(expected, actual) is ok
