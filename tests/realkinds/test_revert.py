"""``reconciler revert`` of an update to a kind whose listing is a summary.

The revert of an update sends the live object back with the run's changes undone. A
topic's listing shows no phrases, a dictionary term's no example phrases, a data action's
no contract: the objects the run wrote must be read in full, or the revert plan lacks
those fields and ``apply FILE`` refuses it (or would send them empty).
"""

from __future__ import annotations

import json
from pathlib import Path

from ._support import Project, make_project

FILES = ("speech-topics.yaml", "dictionary-feedback.yaml", "credentials.yaml", "integrations.yaml",
         "data-actions.yaml")


def test_reverting_updates_of_summary_listed_kinds_restores_them_in_full(tmp_path: Path) -> None:
    project: Project = make_project(tmp_path, FILES)
    project.run("apply", "--auto-approve")
    earlier = {kind: project.live(kind) for kind in ("SpeechTopic", "DictionaryFeedback", "DataAction")}
    project.edit("speech-topics.yaml", "on the invoice", "on the bill")
    project.edit("dictionary-feedback.yaml", "boostValue: 5", "boostValue: 6")
    project.edit("data-actions.yaml", "callId: $.id", "callId: $.callId")
    project.run("apply", "--auto-approve")
    run = [r["run_id"] for r in project.audit_records() if r["type"] == "run.start"][-1]

    shown = project.run("revert", run, "--out", "revert.json", "--format", "json",
                        "--sandbox-db", str(project.db), "--audit-log", str(project.audit_log))
    specs = {c["kind"]: c["spec"] for c in json.loads(shown.stdout)["changes"]}
    assert specs["SpeechTopic"]["phrases"] and specs["DictionaryFeedback"]["examplePhrases"]
    assert sorted(specs["DictionaryFeedback"]["soundsLike"]) == ["genesis", "jenesis"]
    assert "contract" in specs["DataAction"]

    project.run("apply", "revert.json", "--auto-approve")
    for kind, objects in earlier.items():
        now = project.live(kind)
        for name, obj in objects.items():
            strip = ("version", "dateModified", "dateCreated", "datePublished", "selfUri")
            assert {k: v for k, v in now[name].items() if k not in strip} == {
                k: v for k, v in obj.items() if k not in strip}, f"{kind}/{name}"


def test_reverting_a_run_that_created_credentials_integrations_and_programs_deletes_them(tmp_path: Path) -> None:
    """The run recorded references to objects it created as "(known after apply)", and a credential's
    credentialFieldsSet is never shown by reads: neither means the object changed since the run."""
    project: Project = make_project(tmp_path, (*FILES, "speech-programs.yaml"))
    project.run("apply", "--auto-approve")
    run = [r["run_id"] for r in project.audit_records() if r["type"] == "run.start"][-1]
    shown = project.run("revert", run, "--out", "revert.json", "--format", "json",
                        "--sandbox-db", str(project.db), "--audit-log", str(project.audit_log))
    plan = json.loads(shown.stdout)
    assert plan["errors"] == []
    assert {c["action"] for c in plan["changes"]} == {"delete"}
    project.run("apply", "revert.json", "--auto-approve")
    for kind in ("IntegrationCredential", "Integration", "DataAction", "SpeechProgram", "SpeechTopic"):
        assert project.live(kind) == {}, kind
