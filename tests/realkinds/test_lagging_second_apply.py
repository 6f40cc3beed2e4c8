"""A second apply within the platform's read lag does not create again what the first created.

The reviewer's reproduction: apply, apply again at once, against an org whose reads lag its
writes by 3 s. The second plan's listing does not show the first's objects yet, so it plans
them as creates. A trigger's name may repeat on the platform (``Kind.unique_names`` false):
sent, the second create made a second trigger of the same name, and every later plan
stopped on the shared name. A topic's name may not: the server refuses it (409), which was
reported as "created by someone else". The audit log says the first run created them: the
trigger's create is not sent, and both are reported stale as the earlier run's.

Time is virtual and shared by the client's sleeps and the sandbox's lag; one sandbox serves
both runs (as one served sandbox would), so its lag history spans them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import yaml
from genesys._support import FakeSleep

from reconciler.app import RunOptions, apply, plan_paths, same_content
from reconciler.app.applying import ApplyRun
from reconciler.apply.result import Outcome
from reconciler.audit.reader import read_records
from reconciler.genesys import ClientLimits, GenesysClient, resolve_target
from reconciler.kinds import REGISTRY
from reconciler.sandbox import SandboxOptions, embedded_transport

TRIGGER = REGISTRY["ProcessAutomationTrigger"]
TOPIC = REGISTRY["SpeechTopic"]
DOCUMENTS: list[dict[str, Any]] = [
    {"apiVersion": "reconciler/v1", "kind": "ProcessAutomationTrigger", "metadata": {"name": f"Callback {i}"},
     "spec": {"topicName": "v2.detail.events.conversation.{id}.acd.end",
              "target": {"type": "Workflow", "id": f"1d7e4b2a-5c3f-4a8e-b6d9-2e0f7c1a9b4{i}"}}}
    for i in range(2)
] + [
    {"apiVersion": "reconciler/v1", "kind": "SpeechTopic", "metadata": {"name": "Lag topic"},
     "spec": {"dialect": "en-US", "phrases": [{"text": "cancel my order"}]}},
]


def _run(tmp_path: Path) -> tuple[list[ApplyRun], dict[str, int], dict[str, Counter[str]], Path]:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "estate.yaml").write_text(yaml.safe_dump_all(DOCUMENTS, sort_keys=False))
    fake = FakeSleep()
    options = SandboxOptions(db_path=tmp_path / "sandbox.db", read_lag_ms=3000, rate_limit=0, clock=fake.clock)
    target = resolve_target(target="sandbox", sandbox_db=str(options.db_path), env={})
    run_options = RunOptions(target, ClientLimits(requests_per_minute=1_000_000), sandbox_options=options)
    audit_log = tmp_path / "audit.jsonl"

    async def main() -> tuple[list[ApplyRun], dict[str, int], dict[str, Counter[str]]]:
        transport = embedded_transport(options)
        runs = []
        async with GenesysClient(target, transport=transport, same_content=same_content, limits=run_options.limits,
                                 sleep=fake, clock=fake.clock) as client:
            for _ in range(2):  # apply, apply again at once: within the lag
                planned = await plan_paths([str(manifests)], run_options, env={}, client=client)
                assert planned.plan.summary["create"] == 3  # the second plan does not see the first's objects
                runs.append(await apply(planned.plan, run_options, env={}, audit_log=audit_log, client=client,
                                        live=planned.live))
            fake.now += 60  # the lag is over
            planned = await plan_paths([str(manifests)], run_options, env={}, client=client)
            truth = {kind.name: Counter(o["name"] for o in await client.list_all(kind)) for kind in (TRIGGER, TOPIC)}
        return runs, dict(planned.plan.summary), truth

    runs, summary, truth = anyio.run(main)
    return runs, summary, truth, audit_log


def test_a_second_apply_within_the_lag_creates_nothing_twice(tmp_path: Path) -> None:
    runs, summary, truth, audit_log = _run(tmp_path)

    first, second = runs
    assert [c.outcome for c in first.result.changes] == [Outcome.SUCCESS] * 3
    assert truth[TRIGGER.name] == Counter({"Callback 0": 1, "Callback 1": 1})
    assert truth[TOPIC.name] == Counter({"Lag topic": 1})
    assert summary["create"] == 0 and summary["update"] == 0  # the next plan goes through and has nothing to do
    made = {c.name: c.object_id for c in first.result.changes}
    assert second.result.failed == 3  # exit 1
    for change in second.result.changes:
        assert change.outcome == Outcome.STALE, change
        assert change.error is not None and "created by an earlier run at" in change.error, change.error
        assert f"(id {made[change.name]})" in change.error, change.error
        assert "someone else" not in change.error


def test_the_refused_trigger_creates_are_not_sent_and_leave_no_audit_record(tmp_path: Path) -> None:
    _, _, _, audit_log = _run(tmp_path)

    records = list(read_records(audit_log))
    runs_seen = [r["run_id"] for r in records if r["type"] == "run.start"]
    assert len(runs_seen) == 2
    intents = [(r["kind"], r["action"]) for r in records if r["type"] == "intent" and r["run_id"] == runs_seen[1]]
    # the second run sent the topic's create (the server refused it: its name is taken), no trigger's
    assert intents == [("SpeechTopic", "create")]
