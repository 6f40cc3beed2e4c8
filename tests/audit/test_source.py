"""Actor and provenance: user, git commit/branch/repository, CI run URL, no credentials."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reconciler.audit.source import detect_source, strip_credentials


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    (root / "manifest.yaml").write_text("a: 1\n")
    _git(root, "add", "manifest.yaml")
    _git(root, "commit", "-q", "-m", "first")
    _git(root, "checkout", "-q", "-b", "feature/x")
    _git(root, "remote", "add", "origin", "https://deploy:ghp_T0KEN@git.example.com/org/config.git")
    return root


class TestStripCredentials:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("https://user:token@git.example.com/org/repo.git", "https://git.example.com/org/repo.git"),
            ("https://oauth2:abc@gitlab.example.com:8443/g/r", "https://gitlab.example.com:8443/g/r"),
            ("https://git.example.com/org/repo?private_token=abc#x", "https://git.example.com/org/repo"),
            ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
            ("ssh://git:pw@[::1]:22/repo", "ssh://[::1]:22/repo"),
            (None, None),
        ],
    )
    def test_credentials_query_and_fragment_are_removed(self, url: str | None, expected: str | None) -> None:
        assert strip_credentials(url) == expected


class TestGit:
    def test_commit_branch_and_repository_of_the_working_directory(self, repo: Path) -> None:
        source = detect_source(repo, env={"USER": "bob"})
        assert source.commit == _git(repo, "rev-parse", "HEAD") and len(source.commit) == 40
        assert source.branch == "feature/x"
        assert source.repository == "https://git.example.com/org/config.git"
        assert source.dirty is False
        assert (source.actor, source.os_user, source.ci, source.ci_run_url) == ("bob", "bob", None, None)

    def test_uncommitted_changes_are_flagged(self, repo: Path) -> None:
        (repo / "manifest.yaml").write_text("a: 2\n")
        assert detect_source(repo, env={"USER": "bob"}).dirty is True

    def test_detached_head_has_no_branch(self, repo: Path) -> None:
        _git(repo, "checkout", "-q", "--detach")
        assert detect_source(repo, env={}).branch is None

    def test_outside_a_repository_fields_are_empty(self, tmp_path: Path) -> None:
        source = detect_source(tmp_path, env={"LOGNAME": "carol"})
        assert (source.commit, source.branch, source.repository, source.dirty) == (None, None, None, None)
        assert source.actor == "carol"

    def test_without_git_installed_nothing_fails(self, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PATH", "")
        assert detect_source(repo, env={"USER": "bob"}).commit is None


class TestCi:
    def test_github_actions(self, tmp_path: Path) -> None:
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/genesys-config",
            "GITHUB_RUN_ID": "123456",
            "GITHUB_RUN_ATTEMPT": "2",
            "GITHUB_ACTOR": "dana",
            "GITHUB_SHA": "f" * 40,
            "GITHUB_REF_NAME": "main",
            "USER": "runner",
        }
        source = detect_source(tmp_path, env=env)
        assert source.ci == "github-actions"
        assert source.ci_run_url == "https://github.com/acme/genesys-config/actions/runs/123456/attempts/2"
        assert (source.actor, source.os_user) == ("dana", "runner")
        assert (source.commit, source.branch) == ("f" * 40, "main")
        assert source.repository == "https://github.com/acme/genesys-config"

    def test_variables_holding_bytes_that_are_not_utf8_are_recorded_with_replacements(self, tmp_path: Path) -> None:
        """Python keeps such bytes as lone surrogates: the run's first record could not be written (traceback)."""
        env = {"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "d\udcffna", "GITHUB_REF_NAME": "br\udcfe", "USER": "u\udcfd"}
        source = detect_source(tmp_path, env=env)
        assert (source.actor, source.branch, source.os_user) == ("d\ufffdna", "br\ufffd", "u\ufffd")
        json.dumps(source.to_json(), ensure_ascii=False).encode("utf-8")  # no UnicodeEncodeError

    def test_gitlab_ci(self, tmp_path: Path) -> None:
        env = {
            "GITLAB_CI": "true",
            "CI_PIPELINE_URL": "https://gitlab.example.com/g/r/-/pipelines/77",
            "GITLAB_USER_LOGIN": "erin",
            "CI_COMMIT_SHA": "e" * 40,
            "CI_COMMIT_REF_NAME": "release",
            "CI_PROJECT_URL": "https://gitlab.example.com/g/r",
        }
        source = detect_source(tmp_path, env=env)
        assert (source.ci, source.ci_run_url, source.actor) == (
            "gitlab-ci", "https://gitlab.example.com/g/r/-/pipelines/77", "erin"
        )
        assert (source.commit, source.branch, source.repository) == ("e" * 40, "release", "https://gitlab.example.com/g/r")

    def test_a_local_checkout_wins_over_ci_variables(self, repo: Path) -> None:
        env = {"GITHUB_ACTIONS": "true", "GITHUB_SHA": "0" * 40, "GITHUB_REPOSITORY": "a/b", "GITHUB_RUN_ID": "1"}
        source = detect_source(repo, env=env)
        assert source.commit == _git(repo, "rev-parse", "HEAD")
        assert source.repository == "https://git.example.com/org/config.git"

    def test_generic_ci_and_jenkins(self, tmp_path: Path) -> None:
        assert detect_source(tmp_path, env={"CI": "true"}).ci == "ci"
        jenkins = detect_source(tmp_path, env={"BUILD_URL": "https://u:p@jenkins.example.com/job/x/9/"})
        assert (jenkins.ci, jenkins.ci_run_url) == ("jenkins", "https://jenkins.example.com/job/x/9/")

    def test_not_in_ci(self, tmp_path: Path) -> None:
        source = detect_source(tmp_path, env={"USER": "bob"})
        assert (source.ci, source.ci_run_url) == (None, None)

    def test_the_source_goes_into_every_record(self, tmp_path: Path, repo: Path) -> None:
        from reconciler.audit.trail import AuditTrail

        from .conftest import records_of

        log = tmp_path / "a.jsonl"
        with AuditTrail.open(log, target="t", source=detect_source(repo, env={"USER": "bob"})) as trail:
            trail.run_started("r", {})
        record = records_of(log)[0]
        assert record["actor"] == "bob"
        assert record["source"]["branch"] == "feature/x"
        assert record["source"]["repository"] == "https://git.example.com/org/config.git"
        assert "T0KEN" not in log.read_text()
