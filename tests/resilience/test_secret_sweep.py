"""No trace of a known secret anywhere the tool writes, in any command, format or path.

Two secrets are in play, as in production: a webhook's bearer token (``${env:…}`` in
the manifests, sent in request bodies) and the OAuth client secret (sent in the token
request's Basic header). The sandbox is served by ``reconciler sandbox serve`` in its
own process at debug log level, with faults on, so retries, lost answers and their
messages are exercised too. Every command runs in its own process (forked from a
launcher that imported the CLI once: see ``_quick_cli.py``); its stdout and stderr, the
plan file, the audit log, the exported manifests, the sandbox's log and any other file
left in the project are searched for each secret in plain, base64 (alone and in the
``id:secret`` Basic form) and URL-encoded spellings. The sandbox's database is
the one place the webhook token may live: it is the server's store, not our output.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from ._estate import HOOK_TOKEN_VAR, write_estate
from ._support import ESTATE_KINDS, HOOK_TOKEN, UNPACED, audit_records, cli_env, reconciler_command, run

pytestmark = pytest.mark.slow

CLIENT_SECRET = "Sweep-oauth-client-secret-90210"
WRONG_SECRET = "Sweep-wrong-client-secret-31337"
FORMATS = ("text", "markdown", "json")


def spellings(secret: str, client_id: str = "sandbox") -> set[str]:
    """Every way the secret could plausibly be written down by mistake."""
    b64 = base64.b64encode(secret.encode()).decode()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {secret, b64, b64.rstrip("="), basic, basic.rstrip("="), quote(secret, safe=""), secret.lower()}


@contextmanager
def served_by_the_cli(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """``reconciler sandbox serve`` on a free port (``--port 0``), faults on; yields its URL and, at exit, its log."""
    log = tmp_path / "sandbox-serve.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            reconciler_command("sandbox", "serve", "--port", "0", "--db", str(tmp_path / "served.db"),
                               "--client-secret", CLIENT_SECRET, "--log-level", "debug", "--fail-rate", "0.1",
                               "--drop-rate", "0.1", "--seed", "77", "--rate-limit", "0"),
            env={k: v for k, v in os.environ.items() if not k.startswith("GENESYSCLOUD_")},
            cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT,
        )
    lines: list[str] = []
    try:
        url = _wait_for_url(proc, log)
        yield url, lines
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:  # pragma: no cover - uvicorn stops on SIGINT
            proc.kill()
            proc.wait(10)
        lines.extend(log.read_text().splitlines())


def _wait_for_url(proc: subprocess.Popen[bytes], log: Path) -> str:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"^sandbox: (http://127\.0\.0\.1:\d+) ", log.read_text(), re.MULTILINE)  # serve's banner
        if found:
            return found.group(1)
        assert proc.poll() is None, f"sandbox serve exited: {log.read_text()}"
        time.sleep(0.05)
    raise AssertionError(f"sandbox serve did not report its address: {log.read_text()}")


@pytest.mark.timeout(240)
def test_no_command_output_or_file_holds_a_secret(tmp_path: Path) -> None:
    estate = write_estate(tmp_path / "estate", 30)
    plan_file = tmp_path / "plan.json"
    audit_log = tmp_path / "audit.jsonl"
    export_dir = tmp_path / "exported"
    outputs: list[tuple[str, str]] = []

    with served_by_the_cli(tmp_path) as (url, serve_log):
        env = cli_env(url, secret=CLIENT_SECRET)
        assert env[HOOK_TOKEN_VAR] == HOOK_TOKEN

        def reconciler(*args: str, expect: tuple[int, ...] = (0,), environment: dict[str, str] = env) -> str:
            done = run(list(args), env=environment, cwd=tmp_path, timeout=120)
            outputs.append((" ".join(args), done.stdout + done.stderr))
            assert done.returncode in expect, \
                f"reconciler {' '.join(args)}: exit {done.returncode}\n{done.stderr[-2000:]}"
            return done.stdout

        # Unpaced: the sweep is about what is written, not about pacing (which took 12 s of waits for nothing).
        target = ("--target", "genesys", "--verbose", "--requests-per-minute", UNPACED)
        reconciler("validate", str(estate.root))
        for fmt in FORMATS:
            reconciler("plan", str(estate.root), "--format", fmt, *target)
        reconciler("plan", str(estate.root), "--out", str(plan_file), *target)
        reconciler("apply", str(plan_file), "--audit-log", str(audit_log), *target)

        rotated = [f"Webhook/{estate.tag} hook {i:05d}" for i in (0, 3, 6)]  # the estate's webhooks with a secret
        for fmt, rate in zip(FORMATS, (1.5, 2.0, 2.5), strict=True):
            write_estate(estate.root, 30, rate=rate)  # every voice profile changes
            reconciler("apply", str(estate.root), "--auto-approve", "--format", fmt, "--audit-log", str(audit_log),
                       *(f"--rotate-secret={address}" for address in rotated), *target, expect=(0, 1))
        write_estate(estate.root, 30, rate=3.0)
        for fmt in FORMATS:
            reconciler("drift", str(estate.root), "--format", fmt, *target, expect=(2,))
        for fmt in ("text", "json"):
            reconciler("audit", "show", str(audit_log), "--format", fmt)
        reconciler("audit", "verify", str(audit_log))
        reconciler("export", "--out", str(export_dir), *target)
        wrong = cli_env(url, secret=WRONG_SECRET)
        refused = reconciler("plan", str(estate.root), *target, expect=(1,), environment=wrong)
        assert refused == ""

    assert plan_file.exists() and audit_log.exists() and any(export_dir.iterdir())
    updated = {(r["kind"], r["name"]) for r in audit_records(audit_log)
               if r["type"] == "intent" and r["action"] == "update"}
    assert {("Webhook", a.split("/", 1)[1]) for a in rotated} <= updated, "the secrets were re-sent in request bodies"
    assert any("authSecret" in text for _, text in outputs), "the sweep looked where secrets would show"
    exported = "\n".join(p.read_text() for p in export_dir.rglob("*") if p.is_file())
    assert "${env:" in exported and all(k in exported for k in ESTATE_KINDS)

    places = dict(outputs)
    places["sandbox serve log"] = "\n".join(serve_log)
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.name.startswith("served.db") and estate.root not in path.parents:
            places[str(path.relative_to(tmp_path))] = path.read_text(errors="replace")
    assert plan_file.name in places and audit_log.name in places
    for secret in (HOOK_TOKEN, CLIENT_SECRET, WRONG_SECRET):
        for spelling in spellings(secret):
            leaks = [where for where, text in places.items() if spelling in text]
            assert not leaks, f"{secret!r} (as {spelling!r}) appears in: {leaks}"
