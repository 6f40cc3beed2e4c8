"""Intents no listing can judge, closed as ``superseded`` once a later successful write made them moot.

A run killed during the TTS refresh leaves its hook intent open; the next apply calls the owed
refresh and closes it. A killed ``--rotate-secret`` leaves an update of a masked field open; an
update of another field leaves it open, a later rotation closes it. ``Killed`` stands for the
kill: a ``BaseException`` raised where the request would go out, after its intent is on disk.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.audit.verify import verify_log
from reconciler.core.sending import going_out
from reconciler.genesys import GenesysClient

from ._support import SECRET, Project, applied_project

WEBHOOK = "Webhook/CRM Compliance Sync"


class Killed(BaseException):
    """The process dying mid-request: nothing after it runs, no outcome is written."""


def _killed_at(monkeypatch: pytest.MonkeyPatch, method: str, when: Callable[..., bool] = lambda *a: True) -> None:
    real = getattr(GenesysClient, method)

    async def dying(self: GenesysClient, *args: Any, **kwargs: Any) -> Any:
        if when(*args):
            await going_out()  # the intent is on disk as the request goes out: then the process dies
            raise Killed
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(GenesysClient, method, dying)


def _killed_run(project: Project, monkeypatch: pytest.MonkeyPatch, method: str, *args: str) -> dict[str, Any]:
    """``apply ARGS`` killed at its first ``method`` call: the one intent it leaves open."""
    with monkeypatch.context() as patch:
        _killed_at(patch, method)
        with pytest.raises(BaseException) as raised:
            project.run("apply", "--auto-approve", *args)
    assert raised.group_contains(Killed) if isinstance(raised.value, BaseExceptionGroup) else raised.type is Killed
    report = verify_log(project.audit_log)
    assert len(report.open_intents) == 1
    (intent,) = [r for r in project.audit_records() if r["seq"] == report.open_intents[0]]
    return intent


def _no_run_started(project: Project) -> None:
    """A no-change apply with nothing owed appends no record."""
    before = len(project.audit_records())
    project.run("apply", "--auto-approve")
    assert len(project.audit_records()) == before


def _closing(project: Project, intent: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in project.audit_records() if r["type"] == "outcome" and r["intent_seq"] == intent["seq"]]


def test_a_run_killed_in_the_tts_refresh_is_superseded_by_the_next_runs_refresh(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = applied_project(tmp_path)
    project.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.1")
    intent = _killed_run(project, monkeypatch, "call_hook")
    assert (intent["action"], intent["method"], intent["path"]) == ("hook", "POST", "/api/v2/tts/settings/refresh")

    result = project.run("apply", "--auto-approve")  # nothing to write: the refresh is owed all the same

    assert "settled 1 write(s)" in result.output
    run = project.last_run_records()
    (call,) = [r for r in run if r["type"] == "intent" and r["action"] == "hook"]
    (answer,) = [r for r in run if r["type"] == "outcome" and r["intent_seq"] == call["seq"]]
    assert answer["outcome"] == "success"
    (closed,) = _closing(project, intent)
    assert closed["run_id"] == answer["run_id"] and closed["seq"] > answer["seq"]  # closed by the run that made it moot
    assert closed["outcome"] == "superseded" and closed["error"] is None and closed["status"] is None
    assert closed["superseded_by"] == {"seq": answer["seq"], "run_id": answer["run_id"]}
    assert closed["settled"].startswith(f"superseded: a later call of the same hook succeeded (record {answer['seq']} "
                                        f"of run {answer['run_id']}; settled by run {answer['run_id']})")
    report = verify_log(project.audit_log)
    assert report.open_intents == []
    assert "without outcome" not in report.summary()
    _no_run_started(project)


def test_a_killed_rotation_is_superseded_by_a_later_rotation_not_by_an_update_of_another_field(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = applied_project(tmp_path)
    intent = _killed_run(project, monkeypatch, "update", "--rotate-secret", WEBHOOK)
    assert [(c["path"], c["after"]) for c in intent["changes"]] == [("authSecret", "(sensitive)")]

    project.edit("webhooks.yaml", "Tells the CRM when", "Tells the CRM whenever")
    project.run("apply", "--auto-approve")
    assert _closing(project, intent) == [], "the description's update says nothing of the secret"
    assert verify_log(project.audit_log).open_intents == [intent["seq"]]
    _no_run_started(project)  # an open intent nothing made moot is no business

    result = project.run("apply", "--auto-approve", "--rotate-secret", WEBHOOK)

    assert SECRET not in result.output
    run = project.last_run_records()
    (resent,) = [r for r in run if r["type"] == "intent" and r["action"] == "update"]
    (answer,) = [r for r in run if r["type"] == "outcome" and r["intent_seq"] == resent["seq"]]
    (closed,) = _closing(project, intent)
    assert closed["outcome"] == "superseded" and closed["superseded_by"] == {"seq": answer["seq"],
                                                                            "run_id": answer["run_id"]}
    assert "a later update sent authSecret again" in closed["settled"]
    assert closed["object_id"] == intent["object_id"]
    assert verify_log(project.audit_log).open_intents == []
    log_text = project.audit_log.read_text()
    assert SECRET not in log_text

    reverted = project.run("revert", intent["run_id"], "--format", "json", "--sandbox-db", str(project.db),
                           "--audit-log", str(project.audit_log))
    warnings = json.loads(reverted.stdout)["warnings"]
    assert [w for w in warnings if WEBHOOK in w] == [
        f"{WEBHOOK} (superseded by record {answer['seq']} of run {answer['run_id']}): the run stopped while writing "
        "it; whether that write happened is unknown, but the later write made it moot"]


def test_a_rotation_killed_then_the_object_deleted_is_superseded_by_the_delete(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = applied_project(tmp_path)
    intent = _killed_run(project, monkeypatch, "update", "--rotate-secret", WEBHOOK)
    text = (project.manifests / "webhooks.yaml").read_text()
    (project.manifests / "webhooks.yaml").write_text(text[text.index("---"):])  # CRM Compliance Sync is gone
    project.run("apply", "--auto-approve", "--prune", "Webhook")
    (closed,) = _closing(project, intent)
    assert closed["outcome"] == "superseded" and "a later delete of the object succeeded" in closed["settled"]
    assert verify_log(project.audit_log).open_intents == []
