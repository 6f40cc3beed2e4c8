"""The stale message names what moved: a revision, or, where none tells, the id."""

from __future__ import annotations

from reconciler.apply.stale import stale_reason
from reconciler.kinds import REGISTRY
from reconciler.plan.model import Action, ResourceChange

INTEGRATION = REGISTRY["Integration"]  # no version, no dates
WEBHOOK = REGISTRY["Webhook"]


def test_an_unversioned_object_made_again_since_the_plan_names_both_ids() -> None:
    # was "planned against absent, live is now absent": the plan did see it, by id
    change = ResourceChange(kind="Integration", name="T", action=Action.REPLACE, object_id="old-id")
    stale = stale_reason(change, {"id": "new-id", "name": "T"}, INTEGRATION)
    assert stale is not None and stale.detail == "planned against id old-id, live is now id new-id; run plan again"
    gone = stale_reason(change, None, INTEGRATION)
    assert gone is not None and gone.detail == "planned against id old-id, live is now absent; run plan again"


def test_a_versioned_object_made_again_at_the_same_version_names_both_ids() -> None:
    change = ResourceChange(kind="Webhook", name="W", action=Action.UPDATE, object_id="old-id", live_version=1)
    stale = stale_reason(change, {"id": "new-id", "name": "W", "version": 1}, WEBHOOK)
    assert stale is not None and stale.detail == "planned against id old-id, live is now id new-id; run plan again"
    moved = stale_reason(change, {"id": "old-id", "name": "W", "version": 2}, WEBHOOK)
    assert moved is not None and moved.detail == "planned against version 1, live is now version 2; run plan again"
