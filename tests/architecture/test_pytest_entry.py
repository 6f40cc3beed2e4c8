"""The suite runs the same from ``pytest`` as from ``python -m pytest``.

Why: some test modules import helpers as ``tests.…`` (``from tests.adversarial._harness import …``).
``python -m pytest`` puts the working directory on ``sys.path``, so ``tests`` was importable; the
``pytest`` script does not, and those modules failed to collect ("No module named 'tests'"). The
repository root is on the path by the pytest configuration (``pythonpath`` in pyproject.toml) now.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_IMPORTS_TESTS = re.compile(r"^(?:from|import) tests\.", re.MULTILINE)


def test_modules_importing_tests_collect_under_the_pytest_script() -> None:
    importing = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py")
                       if _IMPORTS_TESTS.search(p.read_text(encoding="utf-8")))
    assert importing, "no test module imports tests.…: this test checks nothing"
    script = Path(sys.executable).with_name("pytest")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([str(script), "--collect-only", "-q", "-p", "no:cacheprovider", *importing],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
