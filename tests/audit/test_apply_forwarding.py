"""Forwarding through real applies: an endpoint down for one apply and up for the next ends
up holding every record of the log exactly once, and the down apply still succeeds."""

from __future__ import annotations

import json
from pathlib import Path

from engine._support import SECRET, make_project

from .conftest import Receiver


def test_endpoint_down_for_one_apply_and_up_for_the_next_holds_every_record_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    project = make_project(tmp_path)

    first = project.run("apply", "--auto-approve", "--audit-url", receiver.url)  # endpoint down: exit 0 all the same
    assert "undelivered" in first.stderr
    assert receiver.bodies == []

    receiver.up()
    project.edit("voice-profiles.yaml", "rate: 1.05", "rate: 1.5")
    project.run("apply", "--auto-approve", "--audit-url", receiver.url)

    logged = [json.loads(line) for line in project.audit_log.read_text().splitlines()]
    delivered = receiver.records()
    assert [r["id"] for r in delivered] == [r["id"] for r in logged]  # all of both runs, in order, once each
    assert len({r["run_id"] for r in delivered}) == 2
    assert all(SECRET not in body.decode() for body in receiver.bodies)
