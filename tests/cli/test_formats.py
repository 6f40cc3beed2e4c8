"""validate without secrets, validate/audit verify as JSON, SARIF for code scanning, colour switches."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.cli.options import color, remember_no_color

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "manifests"
BAD = EXAMPLES.joinpath("voice-profiles.yaml").read_text(encoding="utf-8").replace("rate: 1.05", "rate: 9.5")


def test_validate_needs_no_secret_value_unless_check_env() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(EXAMPLES)], env={"CRM_WEBHOOK_PASSWORD": None})
    assert result.exit_code == 0, result.output
    assert result.output == "8 objects in 3 files are valid\n"
    checked = runner.invoke(main, ["validate", "--check-env", str(EXAMPLES)], env={"CRM_WEBHOOK_PASSWORD": None})
    assert checked.exit_code == 1
    assert "environment variable CRM_WEBHOOK_PASSWORD is not set" in checked.output


def test_one_file_is_singular(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: VoiceProfile\nmetadata:\n  name: p\n"
        "spec:\n  language: en-US\n  voice: polly-Joanna\n  engine: amazon_polly\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.output == "1 object in 1 file is valid\n"


def test_validate_json(tmp_path: Path) -> None:
    ok = CliRunner().invoke(main, ["validate", "--format", "json", str(EXAMPLES)])
    assert ok.exit_code == 0
    assert json.loads(ok.output) == {
        "format_version": 1, "valid": True, "objects": 8, "files": 3, "included": {}, "issues": [], "issues_omitted": 0, "warnings": []}
    (tmp_path / "v.yaml").write_text(BAD, encoding="utf-8")
    bad = CliRunner().invoke(main, ["validate", "--format", "json", str(tmp_path / "v.yaml")])
    assert bad.exit_code == 1
    doc = json.loads(bad.output)
    assert doc["valid"] is False
    assert {"file": str(tmp_path / "v.yaml"), "line": 12, "column": 9, "path": "spec.rate",
            "message": "9.5 is above the maximum 4.0"} in doc["issues"]


def test_past_the_bound_validate_and_plan_say_how_many_more(tmp_path: Path) -> None:
    # 1,200 issues (engine missing, rate out of range): the first 1,000 are listed, the rest counted
    voice = "apiVersion: reconciler/v1\nkind: VoiceProfile\nmetadata: {{name: v{i}}}\nspec: {{language: en-US, voice: polly-Joanna, rate: 9.5}}\n"
    (tmp_path / "v.yaml").write_text("---\n".join(voice.format(i=i) for i in range(600)), encoding="utf-8")
    text = CliRunner().invoke(main, ["validate", str(tmp_path)])
    lines = text.output.splitlines()
    assert text.exit_code == 1
    assert lines[0] == "error: 1200 errors in manifests" and len(lines) == 1002
    assert lines[1] == f"{tmp_path / 'v.yaml'}:4:7: spec.engine: is required"
    assert lines[-1] == "... and 200 more errors"
    as_json = CliRunner().invoke(main, ["validate", "--format", "json", str(tmp_path)])
    doc = json.loads(as_json.output)
    assert as_json.exit_code == 1 and len(doc["issues"]) == 1000 and doc["issues_omitted"] == 200
    plan = CliRunner().invoke(main, ["plan", str(tmp_path), "--target", "sandbox", "--sandbox-db", str(tmp_path / "s.db")])
    assert plan.exit_code == 1
    assert "error: 1200 errors in manifests" in plan.output and plan.output.endswith("... and 200 more errors\n")
    sarif_commands = (["validate", str(tmp_path)], ["plan", str(tmp_path), "--target", "sandbox"])
    for command in sarif_commands:  # the SARIF log says that there are more than it lists
        sarif = CliRunner().invoke(main, [*command, "--format", "sarif"])
        (run,) = json.loads(sarif.stdout)["runs"]
        assert sarif.exit_code == 1 and len(run["results"]) == 1000
        (note,) = run["invocations"][0]["toolExecutionNotifications"]
        assert note["message"]["text"] == "... and 200 more errors, not listed (the first 1000 are)"


def test_validate_sarif_locates_the_manifest_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("manifests").mkdir()
    Path("manifests/v.yaml").write_text(BAD, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--format", "sarif", "manifests"])
    assert result.exit_code == 1
    # the log on stdout for code scanning, the errors on stderr for the job's log
    assert result.stderr == "error: 1 error in manifests\nmanifests/v.yaml:12:9: spec.rate: 9.5 is above the maximum 4.0\n"
    doc = json.loads(result.stdout)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    (run,) = doc["runs"]
    assert run["tool"]["driver"]["name"] == "reconciler"
    (finding,) = run["results"]
    assert finding["ruleId"] == "manifest-invalid" and finding["level"] == "error"
    assert finding["message"]["text"] == "spec.rate: 9.5 is above the maximum 4.0"
    assert finding["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "manifests/v.yaml"}, "region": {"startLine": 12, "startColumn": 9}}
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {finding["ruleId"]}


def test_validate_sarif_has_each_warning_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A '$${env:X}' warning went to stderr only: code scanning, which shows only the log, never saw it."""
    monkeypatch.chdir(tmp_path)
    Path("manifests").mkdir()
    Path("manifests/hook.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: H\nspec:\n"
        "  requestUrl: https://x.example.com/\n  eventFilters:\n    - event: rules.updated\n"
        "  description: 'costs $${env:X}'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--format", "sarif", "manifests"], env={"X": "not-a-real-secret"})
    assert result.exit_code == 0, result.output  # a warning, not an error
    message = ("Webhook/H spec.description: '$${env:X}' is now the literal text '${env:X}' ('$${' escapes '${'), "
               "no longer '$' and the placeholder's value; to read it write ${env:X}")
    assert result.stderr == f"warning: manifests/hook.yaml:9:16: {message}\n"  # the job's log keeps it too
    doc = json.loads(result.stdout)
    _github_accepts(doc)
    (run,) = doc["runs"]
    assert run["results"] == [{
        "ruleId": "manifest-warning", "level": "warning", "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "manifests/hook.yaml"},
                                            "region": {"startLine": 9, "startColumn": 16}}}]}]
    assert "not-a-real-secret" not in result.output


def test_sarif_names_files_as_uri_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A path with a space is percent-encoded, and one outside the working directory is a file:// URI."""
    inside, outside = tmp_path / "repo", tmp_path / "elsewhere"
    for folder in (inside / "manifests", outside):
        folder.mkdir(parents=True)
    (inside / "manifests" / "voice profiles.yaml").write_text(BAD, encoding="utf-8")
    (outside / "v 1.yaml").write_text(BAD, encoding="utf-8")
    monkeypatch.chdir(inside)
    for path, uri in (("manifests", "manifests/voice%20profiles.yaml"),
                      (str(outside), (outside / "v 1.yaml").as_uri())):
        result = CliRunner().invoke(main, ["validate", "--format", "sarif", path])
        (finding,) = json.loads(result.stdout)["runs"][0]["results"]
        assert result.exit_code == 1
        assert finding["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": uri}
    assert (outside / "v 1.yaml").as_uri().startswith("file:///") and "%20" in uri


def test_a_forbidden_character_is_located_in_text_json_and_sarif(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML's reader error carries no mark: without one, no format had a line, and the text spilled parser internals."""
    monkeypatch.chdir(tmp_path)
    Path("manifests").mkdir()
    Path("manifests/bad.yaml").write_text("apiVersion: reconciler/v1\nkind: VoiceProfile\nmetadata:\n  name: x\x07y\n")
    message = "invalid YAML: control character U+0007 is not allowed; delete it, or write it as \\x07 inside double quotes"
    text = CliRunner().invoke(main, ["validate"])
    assert (text.exit_code, text.output) == (1, f"error: 1 error in manifests\nmanifests/bad.yaml:4:10: {message}\n")
    as_json = CliRunner().invoke(main, ["validate", "--format", "json"])
    assert json.loads(as_json.output)["issues"] == [
        {"file": "manifests/bad.yaml", "line": 4, "column": 10, "path": "", "message": message}]
    sarif = CliRunner().invoke(main, ["validate", "--format", "sarif"])
    (finding,) = json.loads(sarif.stdout)["runs"][0]["results"]
    assert finding["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 10}


def test_plan_sarif_has_the_plans_findings(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plan", str(EXAMPLES), "--target", "sandbox", "--sandbox-db",
                                       str(tmp_path / "s.db"), "--format", "sarif"],
                                env={"CRM_WEBHOOK_PASSWORD": "not-a-real-secret"})
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["runs"][0]["results"] == []
    _github_accepts(doc)


def test_plan_sarif_locates_a_warning_about_the_whole_plan_at_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan warning had no location, and code scanning refuses a whole log for one such result."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(EXAMPLES, "manifests")
    env = {"CRM_WEBHOOK_PASSWORD": "not-a-real-secret"}
    target = ["--target", "sandbox", "--sandbox-db", "s.db"]
    applied = CliRunner().invoke(main, ["apply", "manifests", *target, "--auto-approve", "-q"], env=env)
    assert applied.exit_code == 0, applied.output
    # one file of a project that prunes webhooks: the plan warns that what the others declare is left alone
    args = ["plan", "manifests/voice-profiles.yaml", *target, "--format", "sarif"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    _github_accepts(doc)
    (warning,) = doc["runs"][0]["results"]
    assert warning["ruleId"] == "plan-warning" and "declared in files not given" in warning["message"]["text"]
    assert warning["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "manifests/reconciler.yaml"}}}]


def test_plan_sarif_puts_a_warning_about_one_manifest_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    """A plan's '$${env:X}' warning knows its manifest line, yet the log put it at reconciler.yaml like the others.

    In one plan: the escape at its file, line and column (the result validate makes of it), and the
    warning about the whole plan (files not given) still at the settings file. Text and JSON keep the line.
    """
    monkeypatch.chdir(tmp_path)
    shutil.copytree(EXAMPLES, "manifests")
    env = {"CRM_WEBHOOK_PASSWORD": "not-a-real-secret", "X": "not-a-real-secret-either"}
    target = ["--target", "sandbox", "--sandbox-db", "s.db"]
    applied = CliRunner().invoke(main, ["apply", "manifests", *target, "--auto-approve", "-q"], env=env)
    assert applied.exit_code == 0, applied.output
    Path("manifests/hook.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: H\nspec:\n"
        "  requestUrl: https://x.example.com/\n  eventFilters:\n    - event: rules.updated\n"
        "  description: 'costs $${env:X}'\n", encoding="utf-8")
    plan = ["plan", "manifests/voice-profiles.yaml", "manifests/hook.yaml", *target]
    result = CliRunner().invoke(main, [*plan, "--format", "sarif"], env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    _github_accepts(doc)
    message = ("Webhook/H spec.description: '$${env:X}' is now the literal text '${env:X}' ('$${' escapes '${'), "
               "no longer '$' and the placeholder's value; to read it write ${env:X}")
    escaped, whole = doc["runs"][0]["results"]  # in the plan's order
    assert escaped == {
        "ruleId": "manifest-warning", "level": "warning", "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "manifests/hook.yaml"},
                                            "region": {"startLine": 9, "startColumn": 16}}}]}
    assert whole["ruleId"] == "plan-warning" and "declared in files not given" in whole["message"]["text"]
    assert whole["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "manifests/reconciler.yaml"}}}]
    line = f"manifests/hook.yaml:9:16: {message}"  # as text and JSON showed it before: the place first
    as_json = CliRunner().invoke(main, [*plan, "--format", "json"], env=env)
    assert json.loads(as_json.stdout)["warnings"] == [line, whole["message"]["text"]]
    text = CliRunner().invoke(main, plan, env=env)
    assert f"\n  - {line}\n" in text.stdout
    for run in (result, as_json, text):
        assert "not-a-real-secret" not in run.output


def _github_accepts(doc: dict[str, Any]) -> None:
    """What code scanning needs besides the schema: every result located in a file (else it refuses the whole log)."""
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    for run in doc["runs"]:
        assert run["tool"]["driver"]["name"] == "reconciler"
        for result in run["results"]:
            assert result["ruleId"] in {r["id"] for r in run["tool"]["driver"]["rules"]}
            assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]


def test_plan_sarif_of_invalid_manifests_has_each_error_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                    ) -> None:
    """It printed no log at all: code scanning showed nothing exactly when the manifests were broken."""
    monkeypatch.chdir(tmp_path)
    Path("manifests").mkdir()
    Path("manifests/v.yaml").write_text(BAD, encoding="utf-8")
    result = CliRunner().invoke(main, ["plan", "--format", "sarif", "--target", "sandbox"])
    assert result.exit_code == 1
    assert result.stderr.endswith("error: 1 error in manifests\n"
                                  "manifests/v.yaml:12:9: spec.rate: 9.5 is above the maximum 4.0\n")
    doc = json.loads(result.stdout)
    _github_accepts(doc)
    (run,) = doc["runs"]
    assert run["results"] == [{
        "ruleId": "manifest-invalid", "level": "error", "message": {"text": "spec.rate: 9.5 is above the maximum 4.0"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "manifests/v.yaml"},
                                            "region": {"startLine": 12, "startColumn": 9}}}]}]
    assert "invocations" not in run  # the analysis ran to its end: its findings are the results


def test_plan_sarif_of_a_run_that_failed_is_a_notification_not_a_result(tmp_path: Path) -> None:
    """Bad settings or an HTTP failure are about no file: a failed invocation, never a result without a location."""
    unset: dict[str, str | None] = {name: None for name in os.environ if name.startswith("GENESYSCLOUD_")}
    result = CliRunner().invoke(main, ["plan", str(EXAMPLES), "--format", "sarif", "--target", "genesys"],
                                env={**unset, "CRM_WEBHOOK_PASSWORD": "not-a-real-secret"})
    assert result.exit_code == 1
    message = "no Genesys Cloud region: set GENESYSCLOUD_REGION (e.g. eu-west-1) or GENESYSCLOUD_API_URL, " \
              "or pass --region / --api-url"
    assert result.stderr == f"error: {message}\n"
    doc = json.loads(result.stdout)
    _github_accepts(doc)
    (run,) = doc["runs"]
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": False, "exitCode": 1,
                                   "toolExecutionNotifications": [{"level": "error", "message": {"text": message}}]}]


def test_audit_verify_json(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    db = str(tmp_path / "s.db")
    applied = CliRunner().invoke(main, ["apply", str(EXAMPLES), "--target", "sandbox", "--sandbox-db", db,
                                        "--auto-approve", "--audit-log", str(log)], env={"CRM_WEBHOOK_PASSWORD": "not-a-real-secret"})
    assert applied.exit_code == 0, applied.output
    ok = CliRunner().invoke(main, ["audit", "verify", str(log), "--format", "json"])
    assert ok.exit_code == 0
    doc = json.loads(ok.output)
    assert doc["valid"] is True and doc["records"] > 0 and doc["runs"] == 1
    lines = log.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace('"', "'", 1)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = CliRunner().invoke(main, ["audit", "verify", str(log), "--format", "json"])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["valid"] is False and json.loads(bad.output)["line"] == 2


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [({}, [], False), ({"FORCE_COLOR": "1"}, [], True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
     ({"FORCE_COLOR": "1"}, ["--no-color"], False)],
)
def test_colour_switches(env: dict[str, str], args: list[str], expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seen: list[bool] = []

    @click.command()
    @click.option("--no-color", is_flag=True, expose_value=False,
                  callback=remember_no_color)
    def probe() -> None:
        seen.append(color())

    assert CliRunner().invoke(probe, args).exit_code == 0
    assert seen == [expected]


def _run_logged(args: list[str], cwd: Path, env: dict[str, str]) -> Any:
    """The CLI with stdout not a terminal, as in a CI log: click's runner strips ANSI codes as a pipe would."""
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("NO_COLOR", "FORCE_COLOR"))}
    with contextlib.chdir(cwd):
        return CliRunner().invoke(main, args, env={**clean, "CRM_WEBHOOK_PASSWORD": "not-a-real-secret", **env})


@pytest.mark.parametrize(
    ("env", "coloured"),
    [({"FORCE_COLOR": "1"}, True), ({}, False)],
    ids=["forced", "default"],
)
def test_force_color_colours_a_log_that_is_not_a_terminal(env: dict[str, str], coloured: bool, tmp_path: Path) -> None:
    """What FORCE_COLOR promises in CI: the plan, apply and drift text keep their ANSI codes off a terminal."""
    plan = _run_logged(["plan", str(EXAMPLES)], tmp_path, env)
    apply = _run_logged(["apply", str(EXAMPLES), "--auto-approve"], tmp_path, env)
    (tmp_path / "edited").mkdir()
    (tmp_path / "edited" / "voice.yaml").write_text(
        EXAMPLES.joinpath("voice-profiles.yaml").read_text(encoding="utf-8").replace("rate: 1.05", "rate: 1.1"),
        encoding="utf-8")
    drift = _run_logged(["drift", str(tmp_path / "edited")], tmp_path, env)
    assert (plan.exit_code, apply.exit_code, drift.exit_code) == (0, 0, 2), (plan.output, apply.output, drift.output)
    assert "Plan: 8 to create" in plan.stdout and "Apply: 8 succeeded" in apply.stdout
    assert "VoiceProfile" in drift.stdout
    for run in (plan, apply, drift):
        assert ("\x1b[" in run.stdout) is coloured, run.stdout


@pytest.mark.parametrize("fmt", ["json", "markdown", "sarif", "text"])
def test_a_plan_with_safety_errors_says_why_on_stderr(fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI keeps stdout (plan.json, plan.md) as a file: a plan refused by a safety error exited 1 with nothing in the log.

    A policy refusal printed ``error: policy refuses this plan …`` on stderr, and apply ``error: the plan
    is not applyable: …``; plan and revert said nothing there, so the failed step's log gave no reason.
    """
    monkeypatch.chdir(tmp_path)
    shutil.copytree(EXAMPLES, "manifests")
    env = {"CRM_WEBHOOK_PASSWORD": "not-a-real-secret"}
    target = ["--target", "sandbox", "--sandbox-db", "s.db"]
    applied = CliRunner().invoke(main, ["apply", "manifests", *target, "--auto-approve", "-q"], env=env)
    assert applied.exit_code == 0, applied.output
    Path("manifests/voice-profiles.yaml").unlink()  # its three profiles are now undeclared
    result = CliRunner().invoke(main, ["plan", "manifests", *target, "--prune", "VoiceProfile",
                                       "--max-deletes", "0", "--format", fmt, "-q"], env=env)
    assert result.exit_code == 1, result.output
    assert result.stderr.endswith("error: the plan is not applyable: the plan would delete 3 live objects "
                                  "(3 pruned), more than --max-deletes 0\n"), result.stderr
    if fmt in ("json", "sarif"):
        json.loads(result.stdout)  # the document on stdout stays whole
