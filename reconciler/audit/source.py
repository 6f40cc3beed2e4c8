"""Who is applying, and from what: the actor and source stamped on every audit record.

Answers the compliance questions "who" and "from which commit": the user (in CI, the
person who triggered the pipeline, falling back to the OS account), the git commit,
branch and repository of the working directory, whether the work tree had uncommitted
changes, and the CI run URL when a known CI system provides one.

Everything here is best effort and bounded: ``git`` gets a short timeout and its absence
(or a directory that is not a repository) yields ``None`` fields, never an error. A
remote URL never keeps credentials: ``https://user:token@host/org/repo`` is recorded
as ``https://host/org/repo`` (query and fragment dropped too).
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

GIT_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Source:
    """Where a run comes from. ``actor`` is the person; the rest is provenance."""

    actor: str
    os_user: str | None = None
    host: str | None = None
    commit: str | None = None
    branch: str | None = None
    repository: str | None = None
    dirty: bool | None = None
    ci: str | None = None
    ci_run_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``source`` field of a record (``actor`` is a field of its own)."""
        data = asdict(self)
        data.pop("actor")
        return data


def strip_credentials(url: str | None, *, keep_query: bool = False) -> str | None:
    """A remote or CI URL without user info and password, nor query and fragment
    (unless ``keep_query``: a CI run URL may need its ``?buildId=``).

    ``git@host:org/repo.git`` (scp form) carries no secret and is kept as it is.
    """
    if not url:
        return url
    url = url.strip()
    if "://" not in url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query if keep_query else "", ""))


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            encoding="utf-8",
            errors="replace",  # a branch or remote named in other bytes: the locale's strict decoding raised
            timeout=GIT_TIMEOUT_SECONDS,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip()


def _ci(env: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """(CI system, run URL, triggering user) from the environment of known CI systems."""
    if env.get("GITHUB_ACTIONS") == "true":
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        repo, run_id = env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
        url = f"{server}/{repo}/actions/runs/{run_id}" if repo and run_id else None
        if url and env.get("GITHUB_RUN_ATTEMPT"):
            url += f"/attempts/{env['GITHUB_RUN_ATTEMPT']}"
        return "github-actions", url, env.get("GITHUB_TRIGGERING_ACTOR") or env.get("GITHUB_ACTOR")
    if env.get("GITLAB_CI") == "true":
        return "gitlab-ci", env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL"), env.get("GITLAB_USER_LOGIN")
    if env.get("TF_BUILD") == "True" and env.get("SYSTEM_COLLECTIONURI") and env.get("BUILD_BUILDID"):
        url = (
            f"{env['SYSTEM_COLLECTIONURI'].rstrip('/')}/{env.get('SYSTEM_TEAMPROJECT', '')}"
            f"/_build/results?buildId={env['BUILD_BUILDID']}"
        )
        return "azure-pipelines", url, env.get("BUILD_REQUESTEDFOR")
    for system, var in (
        ("circleci", "CIRCLE_BUILD_URL"),
        ("buildkite", "BUILDKITE_BUILD_URL"),
        ("jenkins", "BUILD_URL"),
    ):
        if env.get(var):
            return system, env[var], env.get("BUILDKITE_BUILD_CREATOR") or env.get("CIRCLE_USERNAME")
    if env.get("CI", "").lower() in ("1", "true", "yes"):
        return "ci", None, None
    return None, None, None


def _ci_git(env: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """(commit, branch, repository) as CI systems announce them, for runs outside a clone."""
    commit = env.get("GITHUB_SHA") or env.get("CI_COMMIT_SHA") or env.get("BUILD_SOURCEVERSION")
    branch = env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME") or env.get("CI_COMMIT_REF_NAME")
    repository = None
    if env.get("GITHUB_REPOSITORY"):
        repository = f"{env.get('GITHUB_SERVER_URL', 'https://github.com').rstrip('/')}/{env['GITHUB_REPOSITORY']}"
    elif env.get("CI_PROJECT_URL"):
        repository = env["CI_PROJECT_URL"]
    return commit or None, branch or None, repository


def _os_user(env: Mapping[str, str]) -> str | None:
    name = env.get("USER") or env.get("LOGNAME")
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return None


def detect_source(cwd: str | Path | None = None, env: Mapping[str, str] | None = None) -> Source:
    """The actor and provenance of a run started in ``cwd`` with environment ``env``."""
    env = os.environ if env is None else env
    where = Path(cwd) if cwd is not None else Path.cwd()
    ci, ci_url, ci_actor = _ci(env)
    ci_commit, ci_branch, ci_repo = _ci_git(env)

    commit = _git(["rev-parse", "--verify", "HEAD"], where)
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], where) if commit else None
    if branch == "HEAD":  # detached (as in most CI checkouts)
        branch = None
    remote = _git(["config", "--get", "remote.origin.url"], where) if commit else None
    dirty = None
    if commit:
        status = _git(["status", "--porcelain", "--untracked-files=no"], where)
        dirty = None if status is None else bool(status)

    os_user = _os_user(env)
    try:
        host: str | None = socket.gethostname() or None
    except OSError:
        host = None
    return Source(
        actor=_text(ci_actor or os_user) or "unknown",
        os_user=_text(os_user),
        host=_text(host),
        commit=_text(commit or ci_commit),
        branch=_text(branch or ci_branch),
        repository=_text(strip_credentials(remote or ci_repo)),
        dirty=dirty,
        ci=ci,
        ci_run_url=_text(strip_credentials(ci_url, keep_query=True)),
    )


def _text(value: str | None) -> str | None:
    """``value`` with bytes that are not UTF-8 (kept by Python as lone surrogates) as U+FFFD.

    Why: provenance comes from the environment (``USER``, ``GITHUB_ACTOR``, ``GITHUB_REF_NAME``)
    as the operating system holds it; one such byte made the run's first record impossible to
    write as UTF-8, and apply ended in a ``UnicodeEncodeError`` traceback.
    """
    if value is None:
        return None
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
