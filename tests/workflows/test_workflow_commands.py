"""Every ``reconciler`` command line in the workflows parses with the real CLI.

A renamed option or an invalid choice would otherwise surface only in a customer's CI.
The command lines are taken from the ``run:`` scripts (continuation lines joined, bash
arrays such as ``args=(…)`` expanded, ``$VARS`` replaced by sample values) and handed to
click's own parser, which rejects unknown options and bad values without running anything.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import click
import pytest

from reconciler.cli import main

from ._support import load_action, load_workflow, workflow_files

SAMPLE_ENV = {
    "MANIFESTS": "manifests",
    "AUDIT_LOG": "reconciler-audit/audit.jsonl",
    "AUDIT_URL": "https://audit.example.test/ingest",
    "ORG": "prod-eu",
    "PLAN_FILE": "reviewed/plan.json",
    "TARGET": "genesys",
    "FORMAT": "markdown",
}
REDIRECTIONS = re.compile(r"^(\d?>>?|\||2>&1|&&|;)")


def _expand(token: str, arrays: dict[str, list[str]]) -> list[str]:
    array = re.fullmatch(r"\$\{(\w+)\[@\]\}", token)
    if array:
        return arrays[array[1]]
    return [re.sub(r"\$\{?(\w+)\}?", lambda m: SAMPLE_ENV[m[1]], token)]


def command_lines(script: str) -> list[list[str]]:
    """The argument lists (after ``reconciler``) of every invocation in a script."""
    joined = script.replace("\\\n", " ")
    arrays: dict[str, list[str]] = {}
    for name, plus, body in re.findall(r"^\s*(\w+)(\+?)=\((.*)\)\s*$", joined, re.MULTILINE):
        tokens = [t for tok in shlex.split(body) for t in _expand(tok, arrays)]
        arrays[name] = arrays.get(name, []) + tokens if plus else tokens
    found = []
    for line in re.findall(r"^\s*reconciler\s+(.*)$", joined, re.MULTILINE):
        args: list[str] = []
        for token in shlex.split(line):
            if REDIRECTIONS.match(token):
                break
            args.extend(_expand(token, arrays))
        found.append(args)
    return found


def invocations() -> list[Any]:
    cases = []
    for path in workflow_files():
        workflow = load_workflow(path.name)
        for job in workflow["jobs"].values():
            for s in job["steps"]:
                for args in command_lines(s.get("run", "")):
                    cases.append(pytest.param(args, id=f"{path.name}:{s.get('id', s.get('name'))}"))
    # plan, apply and drift run through this repository's action (`uses: ./`): its command lines too
    for s in load_action()["runs"]["steps"]:
        for args in command_lines(s.get("run", "")):
            cases.append(pytest.param(args, id=f"action.yml:{s['id']}:{args[0]}"))
    return cases


def test_the_org_workflows_invoke_validate_plan_apply_and_drift() -> None:
    commands = {case.values[0][0] for case in invocations()}
    assert commands == {"validate", "plan", "apply", "drift"}


@pytest.mark.parametrize("args", invocations())
def test_command_line_is_accepted_by_the_cli(args: list[str]) -> None:
    name, *rest = args
    command = main.commands.get(name)
    assert command is not None, f"`reconciler {name}` does not exist"
    try:
        command.make_context(f"reconciler {name}", list(rest))
    except click.ClickException as exc:
        pytest.fail(f"`reconciler {' '.join(args)}` is rejected: {exc.format_message()}")


def test_the_parser_rejects_what_it_should() -> None:
    """The check above has teeth: an unknown option and a bad choice are both refused."""
    for bad in (["--detailed-exit-code"], ["--format", "html"]):
        with pytest.raises(click.ClickException):
            main.commands["plan"].make_context("reconciler plan", ["manifests", *bad])


def test_arrays_and_variables_are_expanded() -> None:
    script = 'args=(--a "$AUDIT_LOG")\nargs+=(--b)\nreconciler apply plan.json "${args[@]}" > x.md\n'
    assert command_lines(script) == [["apply", "plan.json", "--a", "reconciler-audit/audit.jsonl", "--b"]]
