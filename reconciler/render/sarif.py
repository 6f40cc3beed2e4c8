"""SARIF 2.1.0 documents of manifest issues and plan findings, for GitHub code scanning.

Why: uploaded with ``github/codeql-action/upload-sarif``, each result annotates the manifest
line on the pull request's diff, where the author fixes it. Manifest issues and warnings carry
file, line and column (so does a plan's warning about one manifest place); a protected object's
finding points at its manifest, and the plan's other errors, findings and warnings, sentences
about the whole plan, at the project's settings file (or first manifest): every result has a
location, or code scanning refuses the whole log.

A command that stops on an error still prints a log (:func:`render_error`), so that code scanning
shows what stopped it rather than nothing: invalid manifests are results at their lines, and any
other error (bad settings, an HTTP failure) is no finding about a file but a failed run, reported
as SARIF has it: ``executionSuccessful: false`` and a ``toolExecutionNotifications`` entry in
``invocations[0]``, with no result (code scanning refuses a whole file for one result without a
location).

Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html; GitHub's subset:
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from reconciler import __version__
from reconciler.core.errors import MAX_ISSUES, ManifestError, ManifestIssue, ManifestWarning, ReconcilerError
from reconciler.core.keys import Location, ObjectKey
from reconciler.core.secrets import scrub_remembered
from reconciler.plan.model import Plan, PolicyFinding, PolicyRule
from reconciler.plan.policy import finding_line
from reconciler.plan.warning import PlanWarning

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/reconciler-dev/reconciler"
_RULES = {
    "manifest-invalid": "A manifest breaks a rule of the API contract or of the manifest format.",
    "manifest-warning": "A valid manifest reads in a way that deserves a look (an escaped placeholder).",
    "plan-error": "The plan cannot be applied.",
    "plan-warning": "The plan can be applied but deserves a look.",
    "policy-protect": "A protected object (policy.protect) would be updated, replaced or deleted.",
    "policy-limit": "The plan makes more changes or deletes than policy.limits allows.",
}


def artifact_uri(file: str) -> str:
    """A file's path as the URI reference SARIF's ``artifactLocation.uri`` must be (SARIF 2.1.0 §3.4.3).

    Why not the path itself: ``voice profiles.yaml`` is no URI, and a consumer may refuse it or
    find no file. A relative path stays relative (code scanning resolves it against the
    repository's root), with ``/`` between its parts and the rest percent-encoded; an absolute
    one (manifests outside the working directory) becomes a ``file://`` URI, which
    ``upload-sarif`` makes relative to its checkout.
    """
    path = PurePath(file)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


def _location(file: str, line: int | None, column: int | None) -> dict[str, Any]:
    region: dict[str, int] = {}
    if line is not None:
        region["startLine"] = line
        if column is not None:
            region["startColumn"] = column
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(file)}}
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def _result(rule: str, level: str, message: str, locations: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": rule, "level": level, "message": {"text": message}}
    if locations:
        result["locations"] = locations
    return result


def _document(results: Iterable[dict[str, Any]], invocation: dict[str, Any] | None = None) -> str:
    rules = [{"id": rule, "shortDescription": {"text": text}} for rule, text in _RULES.items()]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "reconciler", "version": __version__, "informationUri": INFORMATION_URI,
                            "rules": rules}},
        "results": list(results),
    }
    if invocation is not None:
        run["invocations"] = [invocation]
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def issue_result(issue: ManifestIssue) -> dict[str, Any]:
    message = f"{issue.path}: {issue.message}" if issue.path else issue.message
    return _result("manifest-invalid", "error", message, [_location(issue.file, issue.line, issue.column)])


def warning_result(warning: ManifestWarning) -> dict[str, Any]:
    at = warning.at
    return _result("manifest-warning", "warning", warning.message, [_location(at.file, at.line, at.column)])


def render_issues(issues: Iterable[ManifestIssue], omitted: int = 0, warnings: Iterable[ManifestWarning] = ()) -> str:
    """``validate --format sarif``: one result per issue and per warning (an empty run when there are none).

    ``omitted``: issues found beyond those listed (:data:`~reconciler.core.errors.MAX_ISSUES`),
    said in a notification so that the log does not pass for all there is. ``warnings``: valid
    manifests worth a look (an escaped ``$${env:…}``), each a ``warning`` result at its line:
    printed on stderr only, code scanning never showed them.
    """
    invocation = None
    if omitted:
        more = f"... and {omitted} more error{'s' if omitted != 1 else ''}, not listed (the first {MAX_ISSUES} are)"
        invocation = {"executionSuccessful": True,
                      "toolExecutionNotifications": [{"level": "warning", "message": {"text": more}}]}
    results = [issue_result(issue) for issue in issues] + [warning_result(w) for w in warnings]
    return _document(results, invocation)


def render_plan_findings(plan: Plan, home: str, sources: Mapping[ObjectKey, Location] | None = None) -> str:
    """``plan --format sarif``: the plan's errors, policy findings and warnings, each located.

    Why each: code scanning refuses a whole log for one result without a location, so a plan
    with one warning uploaded nothing. A protect finding about a declared object points at its
    manifest (``sources``: each declared object's place), and so does a warning about one
    manifest place (an escaped ``$${env:…}``: its line and column, as ``validate`` has it);
    every other finding is about the project, and points at ``home``: its ``reconciler.yaml``
    where the policy lives, or the first manifest file.
    """
    project = [_location(home, None, None)]

    def where(finding: PolicyFinding) -> list[dict[str, Any]]:
        protected = finding.object if finding.rule is PolicyRule.PROTECT else None
        source = (sources or {}).get(ObjectKey.parse(protected)) if protected else None
        return [_location(source.file, source.line, source.column)] if source is not None else project

    def warned(warning: PlanWarning) -> dict[str, Any]:
        at = warning.at
        if at is None:
            return _result("plan-warning", "warning", warning.message, project)
        # about one manifest place: the result validate makes of the same warning (rule, message, line)
        return _result("manifest-warning", "warning", warning.message, [_location(at.file, at.line, at.column)])

    results = [_result("plan-error", "error", text, project) for text in plan.errors]
    results += [_result(f"policy-{f.rule.value}", "error", finding_line(f), where(f)) for f in plan.policy]
    results += [warned(w) for w in plan.warnings]
    return _document(results)


def render_error(error: ReconcilerError) -> str:
    """The log of a command stopped by ``error``: its manifest issues as results, anything else as a failed run.

    Why: ``plan --format sarif`` printed nothing when the manifests were invalid, so the upload
    failed or code scanning showed nothing exactly when there was most to show. The message of
    a failed run is masked here (it may quote a server that echoed a secret); the caller still
    prints the error on stderr and exits 1.
    """
    if isinstance(error, ManifestError):
        return render_issues(error.issues, error.omitted)
    notification = {"level": "error", "message": {"text": scrub_remembered(str(error))}}
    invocation = {"executionSuccessful": False, "exitCode": error.exit_code,
                  "toolExecutionNotifications": [notification]}
    return _document([], invocation)
