"""What a command imports (issue 17): only what it uses.

Why: a 10k plan's memory target is twice the parsing floor's, and ``import reconciler.app``
once cost 49 MiB; every module a command loads and does not use is paid by every run. The
served sandbox (starlette, uvicorn, SQLite), the exporter, the apply executor and audit
writer, and httpx's own command line (rich, pygments) are for other commands and targets.

Each case runs the real CLI in its own process, this checkout first on the path (the
process boundary is the point: an in-process run would see what the test session imported),
then reports which modules that process loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxOptions
from reconciler.sandbox.server import serve_in_thread

REPO = Path(__file__).resolve().parents[2]

#: runs ``reconciler ARGS`` in this process, then writes the names in ``sys.modules`` (a ``None``
#: entry, the import system's "not importable" marker, reported as such) to the file argv[1]
PROBE = """\
import json, runpy, sys
out = sys.argv[1]
sys.argv = ["reconciler", *sys.argv[2:]]
code = 0
try:
    runpy.run_module("reconciler", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
loaded = sorted(name for name, module in sys.modules.items() if module is not None)
blocked = sorted(name for name, module in sys.modules.items() if module is None)
with open(out, "w") as f:
    json.dump({"code": code, "loaded": loaded, "blocked": blocked}, f)
"""

#: never needed by a plan or a validate, whatever the target: the served sandbox and its checks
SANDBOX_STACK = ("starlette", "uvicorn", "sqlite3", "_sqlite3", "jsonschema", "reconciler.sandbox.app")
#: other commands' machinery, and httpx's command line (rich, pygments)
OTHER_COMMANDS = (
    "reconciler.export", "reconciler.apply.executor", "reconciler.audit.log", "reconciler.audit.query",
    "reconciler.app.applying", "reconciler.app.revert", "reconciler.app.doctor", "httpx._main", "rich", "pygments",
)

HOOK = """\
apiVersion: reconciler/v1
kind: Webhook
metadata:
  name: CRM Sync
spec:
  description: Tells the CRM
  requestUrl: https://crm.example.com/hooks/genesys
  eventFilters:
    - event: rules.updated
  authScheme: basic
  authUsername: genesys-integration
  authSecret: ${env:CRM_SECRET_FOR_TEST}
"""


def _manifests(tmp_path: Path) -> Path:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "hook.yaml").write_text(HOOK, encoding="utf-8")
    return manifests


def _imports(tmp_path: Path, args: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``reconciler ARGS`` in a clean process; its exit code and the modules it loaded and blocked."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "NO_COLOR", "FORCE_COLOR"))}
    base["PYTHONPATH"] = os.pathsep.join([str(REPO), base.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out = tmp_path / "imports.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        cwd=tmp_path,
        env={**base, "NO_COLOR": "1", "CRM_SECRET_FOR_TEST": "not-a-real-secret", **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.exists(), done.stderr
    report: dict[str, object] = json.loads(out.read_text())
    report["output"] = done.stdout + done.stderr
    return report


def _loaded(report: dict[str, object], names: tuple[str, ...]) -> list[str]:
    loaded = report["loaded"]
    assert isinstance(loaded, list)
    return [name for name in names if name in loaded]


def test_a_genesys_target_plan_imports_neither_the_sandbox_nor_other_commands(tmp_path: Path) -> None:
    manifests = _manifests(tmp_path)
    with serve_in_thread(SandboxOptions(db_path=tmp_path / "served.db", rate_limit=0)) as served:
        env = {
            "GENESYSCLOUD_API_URL": served.url,
            "GENESYSCLOUD_OAUTHCLIENT_ID": DEFAULT_CLIENT_ID,
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        }
        report = _imports(tmp_path, ["plan", str(manifests), "--target", "genesys", "--detailed-exitcode", "-q"], env)
    assert report["code"] == 2, report["output"]  # the plan ran to the end: one object to create
    assert "Plan: 1 to create" in str(report["output"])
    assert _loaded(report, SANDBOX_STACK) == []
    assert _loaded(report, OTHER_COMMANDS) == []
    # httpcore asks for sniffio on every lock it makes: a declared dependency, so found, not searched for
    assert "sniffio" in report["loaded"]  # type: ignore[operator]


def test_validate_imports_no_client_and_no_sandbox(tmp_path: Path) -> None:
    report = _imports(tmp_path, ["validate", str(_manifests(tmp_path))])
    assert report["code"] == 0, report["output"]
    assert _loaded(report, SANDBOX_STACK) == []
    assert _loaded(report, OTHER_COMMANDS) == []
    # offline by design: not even the HTTP client or the async runtime
    assert _loaded(report, ("httpx", "anyio", "reconciler.genesys", "reconciler.render.markdown")) == []


def test_help_imports_only_the_command_line(tmp_path: Path) -> None:
    report = _imports(tmp_path, ["--help"])
    assert report["code"] == 0, report["output"]
    assert "Plan and apply Genesys Cloud CX" in str(report["output"])
    assert _loaded(report, ("pydantic", "yaml", "httpx", "anyio", *SANDBOX_STACK)) == []


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import click

    assert isinstance(group, click.Group)
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


def test_every_command_still_has_its_help() -> None:
    """Implementations are imported inside the commands: their help must not need them."""
    runner = CliRunner()
    commands = _commands(main)
    assert {("plan",), ("validate",), ("sandbox", "serve"), ("audit", "verify")} <= set(commands)
    for command in [(), *commands]:
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "Usage:" in result.output
