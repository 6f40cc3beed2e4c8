"""The tree tells the pipeline: stages as packages, small modules, one-way imports.

These are the architecture issue's rules made executable, so a change that breaks the
layout fails CI instead of waiting for the next review.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "reconciler"
MAX_LINES = 400
MAX_TOP_MODULES = 6
STAGES = ("cli", "app", "manifests", "plan", "apply", "audit", "kinds", "genesys", "sandbox", "render", "export", "core")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_stages_are_packages() -> None:
    for stage in STAGES:
        assert (PACKAGE / stage / "__init__.py").is_file(), f"reconciler/{stage}/ is not a package"


def test_few_modules_at_the_top() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, f"{len(top)} modules at the top of reconciler/: {top}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_the_line_limit(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (limit {MAX_LINES}): split it by job"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = []
    for path in _modules():
        importer = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(node, importer, path.name == "__init__.py")
                if not source.startswith("reconciler") or source == importer:
                    continue
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offenders.append(f"{importer} imports {source}.{alias.name}")
    assert offenders == []


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(exe), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"PATH": str(exe.parent), "PYTHONPATH": str(cwd)},
    )


def test_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_contract_breaks_when_the_client_imports_the_sandbox(tmp_path: Path) -> None:
    """The contract is not vacuous: one import of the sandbox from genesys fails it."""
    shutil.copytree(PACKAGE, tmp_path / "reconciler", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    client_init = tmp_path / "reconciler" / "genesys" / "__init__.py"
    client_init.write_text(client_init.read_text(encoding="utf-8") + "\nimport reconciler.sandbox  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "reconciler.genesys is not allowed to import reconciler.sandbox" in result.stdout
