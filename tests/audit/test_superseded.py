"""Open intents no listing can judge, made moot by a later successful write: found by the backlog scan,
closed with an outcome ``superseded`` that names that write, accepted by ``audit verify``; what does
not make them moot (an earlier call, another target, other ids, other fields, a failed write) leaves
them open. Records are real ones, sealed by :class:`AuditTrail`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.app.applying import pending_business
from reconciler.app.settling import settle
from reconciler.audit import checkpoint
from reconciler.audit.backlog import OpenIntent, read_backlog
from reconciler.audit.log import AuditLog
from reconciler.audit.query import Filters, render_text, select
from reconciler.audit.records import encode_line, seal
from reconciler.audit.redact import Redactor
from reconciler.audit.trail import AuditTrail
from reconciler.audit.verify import AuditChainError, verify_log
from reconciler.plan.revert import run_writes

from .conftest import SOURCE

TTS = ("POST", "/api/v2/tts/settings/refresh")
PUBLISH = ("POST", "/api/v2/speechandtextanalytics/topics/publishjobs")
HOOK = "/api/v2/webhooks/w1"


class _Run(AuditTrail):
    """An apply's trail with no run lock: these runs are over (their process gone, its lock with it)."""

    def _hold_run_lock(self) -> None:
        return None


def _run(log: Path, run_id: str, target: str = "sandbox:test") -> AuditTrail:
    trail = _Run(AuditLog(log), target=target, source=SOURCE, redactor=Redactor())
    trail.run_started(run_id, {})
    return trail


def _hook(trail: AuditTrail, call: tuple[str, str] = TTS, ids: list[str] | None = None) -> int:
    changes = [] if ids is None else [{"path": "topicIds", "before": None, "after": ids}]
    return trail.intent(kind=None if ids is None else "SpeechTopic", name=None, object_id=None, action="hook",
                        changes=changes, method=call[0], path=call[1])


def _write(trail: AuditTrail, action: str, *paths: str, object_id: str = "w1", masked: bool = True) -> int:
    changes = [{"path": p, "before": None, "after": "(sensitive)" if masked else "plain"} for p in paths]
    return trail.intent(kind="Webhook", name="CRM", object_id=object_id, action=action, changes=changes,
                        method="PUT" if action == "update" else "DELETE", path=HOOK)


def _records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def _superseded(log: Path) -> dict[int, tuple[int, str] | None]:
    return {i.seq: None if i.superseded_by is None else (i.superseded_by.seq, i.superseded_by.run_id)
            for i in read_backlog(log).open_intents}


def test_a_later_successful_call_of_the_hook_supersedes_the_open_one_and_the_next_run_closes_it(log_path: Path) -> None:
    killed = _run(log_path, "killed")
    open_seq = _hook(killed)
    killed.close()
    assert _superseded(log_path) == {open_seq: None}

    later = _run(log_path, "later")
    later.outcome(intent_seq=_hook(later), outcome="success")
    later.run_finished({}, 0)
    later.close()
    answer = _records(log_path)[-2]
    assert _superseded(log_path) == {open_seq: (answer["seq"], "later")}
    assert pending_business(log_path), "a run killed after the call, before closing what it made moot: the next closes it"

    closer = _run(log_path, "closer")
    assert settle(closer, read_backlog(log_path), {}) == 1
    closer.run_finished({}, 0)
    closer.close()
    closed = _records(log_path)[-2]
    assert (closed["type"], closed["intent_seq"], closed["outcome"]) == ("outcome", open_seq, "superseded")
    assert closed["superseded_by"] == {"seq": answer["seq"], "run_id": "later"}
    assert closed["settled"] == (f"superseded: a later call of the same hook succeeded (record {answer['seq']} of run "
                                 "later; settled by run closer)")
    assert closed["error"] is None and closed["status"] is None
    report = verify_log(log_path)
    assert report.open_intents == [] and report.records == len(_records(log_path))
    assert read_backlog(log_path).open_intents == [] and not pending_business(log_path)
    shown = render_text(select(log_path, Filters(run="closer")))
    assert f"superseded  intent {open_seq}; superseded by {answer['seq']} of run later" in shown


def test_a_call_announced_before_the_open_one_or_failed_or_elsewhere_does_not_supersede_it(log_path: Path) -> None:
    early = _run(log_path, "early")
    early_seq = _hook(early)  # sent before the killed run's call: its answer may predate what made that one due
    killed = _run(log_path, "killed")
    open_seq = _hook(killed)
    killed.close()
    early.outcome(intent_seq=early_seq, outcome="success")
    failed = _run(log_path, "failed")
    failed.outcome(intent_seq=_hook(failed), outcome="failure")
    other_path = _run(log_path, "other-path")
    other_path.outcome(intent_seq=_hook(other_path, ("POST", "/api/v2/other/refresh")), outcome="success")
    other_org = _run(log_path, "other-org", target="https://api.other.example")
    other_org.outcome(intent_seq=_hook(other_org), outcome="success")
    for trail in (early, failed, other_path, other_org):
        trail.run_finished({}, 0)
        trail.close()
    assert _superseded(log_path) == {open_seq: None}


def test_a_publish_job_is_superseded_only_by_one_that_published_all_its_ids(log_path: Path) -> None:
    killed = _run(log_path, "killed")
    open_seq = _hook(killed, PUBLISH, ["t1", "t2"])
    killed.close()
    fewer = _run(log_path, "fewer")
    fewer.outcome(intent_seq=_hook(fewer, PUBLISH, ["t1"]), outcome="success")
    fewer.run_finished({}, 0)
    assert _superseded(log_path) == {open_seq: None}
    more = _run(log_path, "more")
    more.outcome(intent_seq=_hook(more, PUBLISH, ["t2", "t1", "t3"]), outcome="success")
    more.run_finished({}, 0)
    (intent,) = read_backlog(log_path).open_intents
    assert intent.superseded_by is not None and intent.superseded_by.run_id == "more"
    assert intent.superseded_by.how == "a later job published the same ids"


@pytest.mark.parametrize(("later", "moot"), [
    (lambda t: _write(t, "update", "authSecret"), "a later update sent authSecret again"),
    (lambda t: _write(t, "update", "authSecret", "description", masked=False), "a later update sent authSecret again"),
    (lambda t: _write(t, "delete"), "a later delete of the object succeeded"),
    (lambda t: _write(t, "update", "description", masked=False), None),  # another field: the secret is unknown still
    (lambda t: _write(t, "update", "authSecret", object_id="w2"), None),  # another object
])
def test_a_masked_update_is_superseded_by_a_resend_of_its_fields_or_a_delete_of_its_object(
    log_path: Path, later: Any, moot: str | None
) -> None:
    killed = _run(log_path, "killed")
    open_seq = _write(killed, "update", "authSecret")
    killed.close()
    after = _run(log_path, "after")
    after.outcome(intent_seq=later(after), outcome="success")
    after.run_finished({}, 0)
    after.close()
    (intent,) = read_backlog(log_path).open_intents
    assert intent.seq == open_seq
    assert (intent.superseded_by.how if intent.superseded_by else None) == moot


def test_a_failed_resend_does_not_supersede_and_an_update_with_a_plain_value_is_judged_not_superseded(
    log_path: Path,
) -> None:
    killed = _run(log_path, "killed")
    masked = _write(killed, "update", "authSecret")
    plain = _write(killed, "update", "description", masked=False)  # live can judge it: settling's business
    killed.close()
    after = _run(log_path, "after")
    after.outcome(intent_seq=_write(after, "update", "authSecret"), outcome="failure")
    after.outcome(intent_seq=_write(after, "update", "description", masked=False), outcome="success")
    after.run_finished({}, 0)
    after.close()
    assert _superseded(log_path) == {masked: None, plain: None}


def test_what_supersedes_is_found_across_checkpoints_and_a_format_4_checkpoint_is_rescanned(log_path: Path) -> None:
    killed = _run(log_path, "killed")
    open_seq = _hook(killed)
    killed.close()
    read_backlog(log_path)  # the checkpoint holds the open intent
    later = _run(log_path, "later")
    later.outcome(intent_seq=_hook(later), outcome="success")
    later.close()
    read_backlog(log_path)
    saved = json.loads(checkpoint.path_of(log_path).read_text())
    assert saved["format"] == 5 and saved["superseded"][str(open_seq)]["run_id"] == "later"
    expected = _superseded(log_path)
    assert expected[open_seq] is not None
    old = {**saved, "format": 4}
    del old["superseded"]
    checkpoint.path_of(log_path).write_text(json.dumps(old))  # what an older version left: lacks what supersedes
    assert _superseded(log_path) == expected


def test_only_a_later_run_may_write_superseded(log_path: Path) -> None:
    trail = _run(log_path, "run")
    seq = _hook(trail)
    with pytest.raises(ValueError, match="outcome must be one of"):
        trail.outcome(intent_seq=seq, outcome="superseded")
    with pytest.raises(ValueError, match="outcome must be one of"):
        trail.settle(OpenIntent(seq=seq, id="i", run_id="run", kind=None, name=None, object_id=None, action="hook",
                                method="POST", path="/x"), outcome="superseded", note="n")
    trail.close()


def _closed_log(log_path: Path) -> tuple[list[dict[str, Any]], int]:
    """A killed run's hook, a later successful call, and the closing ``superseded`` outcome last; its index."""
    killed = _run(log_path, "killed")
    _hook(killed)
    killed.close()
    later = _run(log_path, "later")
    later.outcome(intent_seq=_hook(later), outcome="success")
    settle(later, read_backlog(log_path), {})
    later.close()
    records = _records(log_path)
    assert records[-1]["outcome"] == "superseded"
    return records, len(records) - 1


def _resealed(log_path: Path, records: list[dict[str, Any]], index: int, **fields: Any) -> None:
    """Record ``index`` (the last) edited and sealed again, as someone covering their tracks would."""
    record = {k: v for k, v in records[index].items() if k != "hash"}
    record.update(fields)
    log_path.write_bytes(b"".join(encode_line(r) for r in records[:index]) + encode_line(seal(record)))


@pytest.mark.parametrize(("fields", "reason"), [
    ({"superseded_by": {"seq": 4, "run_id": "later"}}, "superseded_by names record 4 of run 'later', which is not an "
                                                        "earlier successful outcome of that run"),
    ({"superseded_by": {"seq": 5, "run_id": "killed"}}, "which is not an earlier successful outcome of that run"),
    ({"superseded_by": None}, "a superseded outcome without superseded_by {seq, run_id}"),
    ({"outcome": "maybe"}, "unknown outcome 'maybe'"),
])
def test_verify_refuses_a_superseded_outcome_naming_no_earlier_success(
    log_path: Path, fields: dict[str, Any], reason: str
) -> None:
    records, index = _closed_log(log_path)
    assert records[index - 1]["seq"] == 5 and records[index - 1]["outcome"] == "success"  # what it names
    _resealed(log_path, records, index, **fields)
    with pytest.raises(AuditChainError, match="record 6") as raised:
        verify_log(log_path)
    assert reason in str(raised.value)


def test_revert_names_a_superseded_write_apart_from_the_open_ones(log_path: Path) -> None:
    killed = _run(log_path, "killed")
    _write(killed, "update", "authSecret")
    killed.intent(kind="Webhook", name="Other", object_id="w9", action="update",
                  changes=[{"path": "authSecret", "after": "(sensitive)"}], method="PUT", path="/w9")
    killed.close()
    later = _run(log_path, "later")
    later.outcome(intent_seq=_write(later, "delete"), outcome="success")
    settle(later, read_backlog(log_path), {})
    later.close()
    records = _records(log_path)
    writes = run_writes([r for r in records if r["run_id"] == "killed"] + [records[-1]], "killed")
    assert writes.writes == () and writes.unsettled == ("Webhook/Other",)
    assert writes.superseded == ("Webhook/CRM (superseded by record 6 of run later)",)


def _forgeable_log(log_path: Path) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """An early successful call; a killed run's open call, create and masked update; a later run closing the call.

    Returns the records and the seqs a forger could name: the early success, the killed create,
    the later run's unrelated successful update, and the success that truly made the call moot.
    """
    early = _run(log_path, "early")
    early.outcome(intent_seq=_hook(early), outcome="success")
    early.close()
    killed = _run(log_path, "killed")
    _hook(killed)
    create = killed.intent(kind="Webhook", name="New", object_id=None, action="create", changes=[],
                           method="POST", path="/api/v2/webhooks")
    _write(killed, "update", "authSecret", object_id="w2")
    killed.close()
    later = _run(log_path, "later")
    later.outcome(intent_seq=_write(later, "update", "description", object_id="w9", masked=False), outcome="success")
    later.outcome(intent_seq=_hook(later), outcome="success")
    settle(later, read_backlog(log_path), {})
    later.close()
    records = _records(log_path)
    assert records[-1]["outcome"] == "superseded"
    outcomes = [r for r in records if r["type"] == "outcome"]
    return records, {"early": outcomes[0]["seq"], "create": create, "unrelated": outcomes[1]["seq"],
                     "true": outcomes[2]["seq"]}


@pytest.mark.parametrize(("forged", "reason"), [
    # a killed create closed as superseded: nothing can make a create moot, its fate must stay open
    (lambda seqs: {"intent_seq": seqs["create"]}, "intent {create} (create) is not one a later write can make moot"),
    # the success named is real, but of another object's update: it made nothing moot
    (lambda seqs: {"superseded_by": {"seq": seqs["unrelated"], "run_id": "later"}},
     "record {unrelated} of run 'later' is the outcome of a write that does not make intent {hook} moot"),
    # the success named is real and of the same hook, but the call was announced before the open one
    (lambda seqs: {"superseded_by": {"seq": seqs["early"], "run_id": "early"}},
     "record {early} of run 'early' is the outcome of a write that does not make intent {hook} moot"),
])
def test_verify_refuses_a_superseded_outcome_whose_named_success_made_nothing_moot(
    log_path: Path, forged: Any, reason: str
) -> None:
    """A hand-edited log, resealed: the named record is a real earlier success, but not one that makes the intent moot."""
    records, seqs = _forgeable_log(log_path)
    assert verify_log(log_path).open_intents == [seqs["create"], seqs["create"] + 1]  # the untouched log verifies
    seqs["hook"] = records[-1]["intent_seq"]
    _resealed(log_path, records, len(records) - 1, **forged(seqs))
    with pytest.raises(AuditChainError, match=f"record {records[-1]['seq']}") as raised:
        verify_log(log_path)
    assert reason.format(**seqs) in str(raised.value)
