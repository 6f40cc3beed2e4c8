"""The wheel is the product: built from a clean checkout, installed outside it, it works.

A clean checkout is ``git archive HEAD`` (no ``.reconciler/``, no editable-install leftovers).
The wheel is installed with ``--no-deps`` into a fresh venv that sees the test venv's
site-packages (``--system-site-packages``) for the dependencies, so no network is needed,
and the commands run from a directory outside the checkout with no ``PYTHONPATH``: the
code that runs is the wheel's. It plans, applies and exports against the embedded sandbox,
which needs ``sandbox/openapi.json`` inside the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

MANIFEST = """\
apiVersion: reconciler/v1
kind: VoiceProfile
metadata:
  name: wheel-check
spec:
  language: en-US
  voice: polly-Joanna
  engine: amazon_polly
"""

pytestmark = pytest.mark.slow


def _clean_checkout(dest: Path) -> Path:
    """The committed tree plus this worktree's uncommitted changes to tracked files (what a commit would hold)."""
    archive = dest / "src.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), "HEAD"], check=True)
    src = dest / "src"
    src.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(src, filter="data")
    changed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-m", "-o", "--exclude-standard"],
                             check=True, capture_output=True, text=True).stdout.split()
    for name in changed:
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    return src


def _without_pythonpath() -> dict[str, str]:
    """The test's environment without PYTHONPATH: a checkout on it would look installed to pip."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _build_wheel(src: Path, out: Path) -> Path:
    proc = subprocess.run(
        # --no-build-isolation: the test extras hold the backend (setuptools>=77, as build-system.requires asks),
        # so no isolated environment is fetched and built; .ci/run's `pip install -e` still builds in isolation.
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
         "-v", "-w", str(out), "."],
        cwd=src, capture_output=True, text=True, timeout=120, env=_without_pythonpath(),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert "License classifiers are deprecated" not in log and "project.license` as a TOML table" not in log, log
    (wheel,) = out.glob("genesyscloud_reconciler-*.whl")
    return wheel


def test_a_wheel_from_a_clean_checkout_plans_applies_and_exports(tmp_path: Path) -> None:
    src = _clean_checkout(tmp_path)
    wheel = _build_wheel(src, tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert "reconciler/sandbox/openapi.json" in names and "reconciler/py.typed" in names
    assert any(n.endswith("licenses/LICENSE") for n in names)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # The dependencies come from the test venv: its site-packages is appended to the new venv's path (a plain
    # path line, so the test venv's own .pth files, among them the editable install of the checkout, stay out).
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "test-venv-deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", "-q", str(wheel)],
        capture_output=True, text=True, timeout=120, env=_without_pythonpath(),
    )
    assert proc.returncode == 0, proc.stderr

    work = tmp_path / "consumer"
    (work / "manifests").mkdir(parents=True)
    (work / "manifests" / "voice.yaml").write_text(MANIFEST, encoding="utf-8")
    env = {"PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path)}
    reconciler = str(env_dir / "bin" / "reconciler")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([reconciler, *args], cwd=work, env=env, capture_output=True, text=True, timeout=60)

    where = subprocess.run([str(python), "-c", "import reconciler; print(reconciler.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in where, f"the wheel's code should run, not {where}"
    plan = run("plan", "--detailed-exitcode")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "create VoiceProfile/wheel-check" in plan.stdout
    applied = run("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert run("plan", "--detailed-exitcode").returncode == 0
    exported = run("export", "--out", "exported")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "VoiceProfile/wheel-check" in exported.stdout
    assert run("--version").stdout.strip().endswith(python_version(python, env, work))


def python_version(python: Path, env: dict[str, str], cwd: Path) -> str:
    return subprocess.run([str(python), "-c", "import reconciler; print(reconciler.__version__)"],
                          cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()
