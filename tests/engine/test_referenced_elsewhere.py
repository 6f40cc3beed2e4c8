"""A plan of part of a project pulls in what the files given reference and only the others declare.

Through the CLI on the embedded sandbox. ``plan manifests/webhooks.yaml``, whose webhook filters
on ``${ref:SpeechRule/Compliance Greeting.id}``, was refused as a dangling reference because only
``manifests/speech-rules.yaml`` declares that rule. As Terraform's ``-target`` plans the target's
dependencies, the rule is now planned too (and only it: the other rules stay left alone), with a
note saying why; a reference no file declares is the same error as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.kinds import REGISTRY

from ._support import Project, applied_project, make_project

HOOKS = "manifests/webhooks.yaml"
GREETING = "SpeechRule/Compliance Greeting"
CRM = "Webhook/CRM Compliance Sync"
DANGLING = ("dangling reference ${ref:SpeechRule/No Such Rule.id}: no SpeechRule named 'No Such Rule' is declared "
            "in the manifests (to point at an object managed elsewhere, write its id)")
#: a webhook of a file of its own whose description takes the CRM hook's URL: the rule comes through the hook
MIRROR = """apiVersion: reconciler/v1
kind: Webhook
metadata:
  name: Audit Mirror
spec:
  description: "mirrors ${ref:Webhook/CRM Compliance Sync.requestUrl}"
  requestUrl: https://mirror.example.com/hook
  eventFilters:
    - event: rules.updated
"""


def planned(plan: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """``Kind/Name`` -> (action, included_by) of every change."""
    return {f'{c["kind"]}/{c["name"]}': (c["action"], c["included_by"]) for c in plan["changes"]}


def test_a_webhook_file_alone_creates_the_speech_rule_it_references_and_applies(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    plan = project.plan_json(HOOKS)
    assert planned(plan) == {
        GREETING: ("create", [CRM]),
        CRM: ("create", []),
        "Webhook/Voice Profile Audit Feed": ("create", []),
    }
    assert plan["errors"] == [] and plan["applyable"] is True
    text = project.run("plan", HOOKS).stdout
    assert f"    included: referenced by {CRM} (declared only in a file not given)" in text.splitlines()
    markdown = project.run("plan", "--format", "markdown", HOOKS).stdout
    assert f"included: referenced by `{CRM}` (declared only in a file not given)" in markdown
    validated = project.run("validate", HOOKS).stdout
    assert "3 objects in 1 file (1 of them referenced from files not given) are valid" in validated
    # a program reading validate's JSON learns it too: what came in, and what references it (as plan's included_by)
    as_json = json.loads(project.run("validate", "--format", "json", HOOKS).stdout)
    assert (as_json["objects"], as_json["files"], as_json["included"]) == (3, 1, {GREETING: [CRM]})
    assert json.loads(project.run("validate", "--format", "json", "manifests").stdout)["included"] == {}

    project.run("apply", HOOKS, "--auto-approve")
    rules = project.live_by_name("SpeechRule")
    assert list(rules) == ["Compliance Greeting"]  # only what is referenced, not the whole other file
    crm = project.live_by_name("Webhook")["CRM Compliance Sync"]
    assert [f["filter"] for f in crm["eventFilters"]] == [f'ruleId eq {rules["Compliance Greeting"]["id"]}'] * 2
    assert {c[0] for c in planned(project.plan_json(HOOKS)).values()} == {"no-op"}


def test_a_saved_partial_plan_applies_the_pulled_in_object_with_it(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    project.run("plan", HOOKS, "--out", "p.json")
    project.run("apply", "p.json")
    assert list(project.live_by_name("SpeechRule")) == ["Compliance Greeting"]
    assert sorted(project.live_by_name("Webhook")) == ["CRM Compliance Sync", "Voice Profile Audit Feed"]


def test_references_are_followed_transitively(tmp_path: Path) -> None:
    """The mirror references the CRM hook (webhooks.yaml), which references the rule (speech-rules.yaml)."""
    project = make_project(tmp_path)
    (project.manifests / "mirror.yaml").write_text(MIRROR)
    plan = project.plan_json("manifests/mirror.yaml")
    assert planned(plan) == {
        GREETING: ("create", [CRM]),
        CRM: ("create", ["Webhook/Audit Mirror"]),
        "Webhook/Audit Mirror": ("create", []),
    }
    project.run("apply", "manifests/mirror.yaml", "--auto-approve")
    assert sorted(project.live_by_name("Webhook")) == ["Audit Mirror", "CRM Compliance Sync"]
    assert list(project.live_by_name("SpeechRule")) == ["Compliance Greeting"]
    assert project.live_by_name("Webhook")["Audit Mirror"]["description"] == (
        "mirrors https://crm.example.com/hooks/genesys/speech-rules")


def test_pruning_still_leaves_alone_what_is_not_referenced(tmp_path: Path) -> None:
    project = applied_project(tmp_path)
    plan = project.plan_json(HOOKS, "--prune", "SpeechRule")
    assert planned(plan)[GREETING] == ("no-op", [CRM])
    assert {action for action, _ in planned(plan).values()} == {"no-op"}
    # two rules and three voice profiles; the pulled-in rule is in the plan, not left alone
    assert [w.split(":")[0] for w in plan["warnings"] if "not given" in w] == [
        "5 live object(s) declared in files not given are left alone"]
    project.run("apply", HOOKS, "--auto-approve", "--prune", "SpeechRule")
    assert len(project.live("SpeechRule")) == 3


def test_a_broken_referenced_file_is_refused_at_its_line(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    rules = project.manifests / "speech-rules.yaml"
    rules.write_text(rules.read_text() + "---\nkind: [SpeechRule\n")
    lines = rules.read_text().count("\n")
    result = project.run("plan", HOOKS, expect=1)
    assert f"manifests/speech-rules.yaml:{lines + 1}:1: invalid YAML" in result.stderr, result.stderr
    assert "a file of the project not given, read because it declares an object this run references" in result.stderr
    assert "Traceback" not in result.output
    project.run("apply", HOOKS, "--auto-approve", expect=1)
    assert project.live("SpeechRule") == [] and project.live("Webhook") == []


def test_a_mistake_in_the_pulled_in_spec_is_reported_at_its_line_and_says_why(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    project.edit("speech-rules.yaml", "description: Detects mandatory compliance greetings",
                 'description: "${env:GREETING_TEXT}"')
    result = project.run("plan", HOOKS, expect=1)
    assert (f"manifests/speech-rules.yaml:9:16: spec.description: environment variable GREETING_TEXT is not set "
            f"({GREETING} is in this run, referenced by {CRM}: manifests/speech-rules.yaml was not given, "
            "so the document declaring it is read and checked like a file given") in result.stderr, result.stderr
    plan = json.loads(project.run("plan", "--format", "json", HOOKS, env={"GREETING_TEXT": "Greets"}).stdout)
    assert planned(plan)[GREETING] == ("create", [CRM])


def test_a_reference_no_file_declares_is_the_same_error_as_before(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    project.edit("webhooks.yaml", 'Compliance Greeting.id}"\n', 'No Such Rule.id}"\n')
    partial = project.run("plan", HOOKS, expect=1)
    assert f"manifests/webhooks.yaml:14:15: spec.eventFilters[0].filter: {DANGLING}" in partial.stderr.splitlines()
    whole = project.run("plan", "manifests", expect=1)
    dangling = [line for line in whole.stderr.splitlines() if "dangling" in line]
    assert dangling and dangling == [line for line in partial.stderr.splitlines() if "dangling" in line]
    assert "Traceback" not in partial.output


def edit_description(project: Project, name: str) -> None:
    """Change a live rule's description through the API, as someone in the UI would."""
    live = project.live_by_name("SpeechRule")[name]
    body = {**live, "description": "edited in the UI"}
    project.with_client(lambda client: client.update(REGISTRY["SpeechRule"], live["id"], body, live["version"]))


def test_drift_of_a_file_compares_the_object_it_references(tmp_path: Path) -> None:
    project = applied_project(tmp_path)
    for name in ("Compliance Greeting", "Cancellation Risk"):
        edit_description(project, name)
    report = project.run("drift", "--format", "json", HOOKS, expect=2)
    differs = [f'{d["kind"]}/{d["name"]}' for d in json.loads(report.stdout)["differs"]]
    assert differs == [GREETING]  # the rule the webhook references; not the one nothing given references
