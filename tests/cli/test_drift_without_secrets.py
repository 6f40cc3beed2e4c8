"""``drift`` needs no secret's value: secrets are never compared (issue 16); plan and apply still need them.

A variable read by a compared field is still required: comparing a stand-in would report false drift.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main

HOOK = """\
apiVersion: reconciler/v1
kind: Webhook
metadata:
  name: CRM Sync
spec:
  description: {description}
  requestUrl: https://crm.example.com/hooks/genesys
  eventFilters:
    - event: rules.updated
  authScheme: basic
  authUsername: genesys-integration
  authSecret: ${{env:CRM_SECRET_FOR_TEST}}
"""


def _setup(tmp_path: Path, description: str) -> tuple[CliRunner, list[str], list[str]]:
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "hook.yaml").write_text(HOOK.format(description=description), encoding="utf-8")
    sandbox = ["--target", "sandbox", "--sandbox-db", str(tmp_path / "s.db")]
    return CliRunner(), [str(manifests), *sandbox], sandbox


def test_drift_runs_with_the_secret_unset_and_plan_still_refuses(tmp_path: Path) -> None:
    runner, args, _ = _setup(tmp_path, "Tells the CRM")
    applied = runner.invoke(main, ["apply", *args, "--auto-approve", "--audit-log", str(tmp_path / "a.jsonl")],
                            env={"CRM_SECRET_FOR_TEST": "s3cr3t"})
    assert applied.exit_code == 0, applied.output
    unset = {"CRM_SECRET_FOR_TEST": None}
    drift = runner.invoke(main, ["drift", *args], env=unset)
    assert drift.exit_code == 0, drift.output
    assert "Traceback" not in drift.output
    plan = runner.invoke(main, ["plan", *args], env=unset)
    assert plan.exit_code == 1
    assert "CRM_SECRET_FOR_TEST" in plan.output


def test_drift_still_reports_drift_with_the_secret_unset(tmp_path: Path) -> None:
    runner, args, _ = _setup(tmp_path, "Tells the CRM")
    drift = runner.invoke(main, ["drift", *args], env={"CRM_SECRET_FOR_TEST": None})
    assert drift.exit_code == 2, drift.output
    assert "CRM Sync" in drift.output


def test_drift_requires_a_variable_that_a_compared_field_reads(tmp_path: Path) -> None:
    runner, args, _ = _setup(tmp_path, "${env:CRM_SECRET_FOR_TEST}")
    drift = runner.invoke(main, ["drift", *args], env={"CRM_SECRET_FOR_TEST": None})
    assert drift.exit_code == 1, drift.output
    assert "environment variables not set" in drift.output and "CRM_SECRET_FOR_TEST" in drift.output
    assert "Traceback" not in drift.output


def test_drift_says_it_cannot_see_a_write_only_secret_changed_live(tmp_path: Path) -> None:
    """A secret changed outside git is invisible to drift (reads never show it): the report says so, by kind.

    Why: the secret was changed live (the sandbox keeps the new one) and drift printed "No drift" and
    nothing else, as if the secret had been compared; JSON and Markdown (the drift issue) likewise.
    """
    runner, args, sandbox = _setup(tmp_path, "Tells the CRM")
    applied = runner.invoke(main, ["apply", *args, "--auto-approve", "--audit-log", str(tmp_path / "a.jsonl")],
                            env={"CRM_SECRET_FOR_TEST": "s3cr3t"})
    assert applied.exit_code == 0, applied.output
    rotated = runner.invoke(main, ["apply", *args, "--auto-approve", "--audit-log", str(tmp_path / "a.jsonl"),
                                   "--rotate-secret", "Webhook/CRM Sync"], env={"CRM_SECRET_FOR_TEST": "Rotated-Live-551"})
    assert rotated.exit_code == 0, rotated.output  # the live secret now differs from what the manifests' variable had
    expected = ("drift does not compare write-only fields, which reads never show: a secret changed outside git "
                "is not seen (Webhook authSecret, 1 object)")
    for fmt in ("text", "json", "markdown"):
        drift = runner.invoke(main, ["drift", "--format", fmt, *args], env={"CRM_SECRET_FOR_TEST": "s3cr3t"})
        assert drift.exit_code == 0, drift.output  # not drift: nothing seen differs
        assert expected in drift.output.replace("\\_", "_"), drift.output
        assert "Rotated-Live-551" not in drift.output and "s3cr3t" not in drift.output
