"""One way to try the tool as an attacker would: run it, then check what every hostile case must hold.

Each adversarial case runs the real CLI in its own process (so a hang, a crash or a
traceback is seen exactly as a user would see it) with a hard time bound, then asserts:
the exit code, the message (file:line and field, or the endpoint), no traceback, and no
secret anywhere in stdout, stderr or the files the run left behind.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]
#: the secret every case plants; it must never be seen again
SECRET = "Adv3rsarial-KNOWN-secret-9187"
#: what a hostile case may take, start-up included, before it counts as a hang
TIME_BOUND = 30.0
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "', "RecursionError", "Error:\n  File")


#: a base64 core shorter than this is not promised to be masked (``core.secrets.MIN_BASE64_FORM``)
MIN_CORE = 6


def secret_forms(secret: str, client_id: str = "sandbox") -> tuple[str, ...]:
    """The forms a server may echo a secret in: as is, JSON-escaped, URL-encoded, Basic credential, base64.

    The base64 ones are :func:`base64_cores`: the secret's characters inside any encoded
    text, at every alignment, base64 and base64url.
    """
    return (
        secret,
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        base64.b64encode(f"{client_id}:{secret}".encode()).decode(),
        *base64_cores(secret),
    )


def base64_cores(secret: str) -> tuple[str, ...]:
    """The characters that only ``secret``'s bytes decide in any base64 (or base64url) text holding them.

    Derived by comparison, not by the formula the code under test uses: the secret is
    encoded between all-zero and between all-one bytes, at each of the three alignments,
    and the characters the two encodings share are the ones the secret alone decides (a
    character with any bit from the surroundings differs). Also the secret JSON-escaped, as
    a request body carries it.
    """
    cores: list[str] = []
    for text in dict.fromkeys([secret, json.dumps(secret)[1:-1]]):
        data = text.encode()
        for shift in range(3):
            low = base64.b64encode(b"\x00" * shift + data + b"\x00\x00").decode()
            high = base64.b64encode(b"\xff" * shift + data + b"\xff\xff").decode()
            runs = "".join(a if a == b and a != "=" else " " for a, b in zip(low, high, strict=True)).split()
            core = max(runs, key=len, default="")  # the one run the secret decides (a chance match is shorter)
            if len(core) >= MIN_CORE:
                cores += [core, core.replace("+", "-").replace("/", "_")]
    return tuple(dict.fromkeys(cores))


@dataclass
class Outcome:
    """What one run left: its exit code, its output, how long it took, and the files it wrote."""

    args: Sequence[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    files: list[Path] = field(default_factory=list)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def expect(self, code: int, *messages: str, secrets: Iterable[str] = (SECRET,)) -> Outcome:
        """The checks every adversarial case makes; ``messages`` must each appear in the output."""
        assert self.returncode == code, f"exit {self.returncode}, wanted {code}\n{self.output}"
        for marker in TRACEBACK_MARKERS:
            assert marker not in self.output, f"traceback-like output ({marker!r}):\n{self.output}"
        for message in messages:
            assert message in self.output, f"{message!r} not in output:\n{self.output}"
        assert self.seconds < TIME_BOUND, f"took {self.seconds:.1f} s (bound {TIME_BOUND} s)"
        self.assert_no_secret(secrets)
        return self

    def assert_no_secret(self, secrets: Iterable[str] = (SECRET,)) -> None:
        forms = [form for secret in secrets for form in secret_forms(secret)]
        for form in forms:
            assert form not in self.output, f"a form of a secret is in the output: {form!r}"
        for path in self.files:
            data = path.read_bytes()
            for form in forms:
                assert form.encode() not in data, f"a form of a secret is in {path}: {form!r}"


def run_cli(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = TIME_BOUND,
    stdin: str | None = None,
) -> Outcome:
    """``reconciler ARGS`` in its own process, in ``cwd``, this checkout's code first on the path.

    The environment is clean (no GENESYSCLOUD_* from the developer's shell) but for ``env``;
    a run that outlives ``timeout`` is killed and fails the test as a hang.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "NO_COLOR", "FORCE_COLOR"))}
    base["PYTHONPATH"] = os.pathsep.join([str(REPO), base.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=cwd,
            env={**base, "CRM_WEBHOOK_PASSWORD": SECRET, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"reconciler {' '.join(args)} hung for more than {timeout} s") from exc
    seconds = time.monotonic() - started
    files = [p for p in cwd.rglob("*") if p.is_file() and not p.is_symlink()]
    return Outcome(args, done.returncode, done.stdout, done.stderr, seconds, files)


def invoke_cli(args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None) -> Outcome:
    """``reconciler ARGS`` in this process (click's runner): ten times cheaper than a process.

    Use it for every case where the process boundary is not the point (signals, hangs of
    the whole interpreter and start-up are). An exception escaping the command is what a
    user would see as a traceback, so it is turned into traceback text and fails ``expect``.
    Pair it with ``@pytest.mark.timeout(TIME_BOUND)`` so a hang fails instead of blocking.
    """
    import contextlib
    import traceback

    from click.testing import CliRunner

    from reconciler.cli import main

    clean = {k: None for k in os.environ if k.startswith(("GENESYSCLOUD_", "NO_COLOR", "FORCE_COLOR"))}
    runner = CliRunner()
    started = time.monotonic()
    with contextlib.chdir(cwd):
        result = runner.invoke(main, list(args), env={**clean, "CRM_WEBHOOK_PASSWORD": SECRET, **(env or {})})
    seconds = time.monotonic() - started
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    files = [p for p in cwd.rglob("*") if p.is_file() and not p.is_symlink()]
    return Outcome(args, result.exit_code, result.stdout, stderr, seconds, files)


def project(tmp_path: Path, *, manifests: bool = True) -> Path:
    """A project directory with a copy of the example manifests (or none), for one case."""
    root = tmp_path / "project"
    root.mkdir()
    if manifests:
        shutil.copytree(REPO / "manifests", root / "manifests")
    return root
