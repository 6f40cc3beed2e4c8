"""Is the plan reviewed on a pull request still the plan of what was merged? (apply.yml, issue 18)

After a merge, ``apply.yml`` plans the merged manifests against live state again and
compares that fresh plan with the one saved when the pull request's head commit was
planned. Only when both agree is the reviewed plan applied unattended:

- the manifests are the reviewed ones: the same ``manifests_digest`` (a later push, or
  a merge that brought other changes in, gives another digest);
- the same target, and the same org (the target is a region's API URL, which orgs share);
- nothing the plan touches moved live: every change the reviewed plan would write is
  planned identically now (same action, object id, live revision, fields and spec), and
  no other change appeared. A live edit in the admin UI between review and merge shows
  up here as a different revision or a different change, before anything is written.

Otherwise the pull request's reviewers did not see what would happen, so the workflow
shows the new plan and waits for an approval instead of applying silently.
"""

from __future__ import annotations

from typing import Any

from reconciler.plan.model import Plan, ResourceChange


def _pending(plan: Plan) -> dict[str, ResourceChange]:
    return {change.address.casefold(): change for change in plan.pending()}


def _shape(change: ResourceChange) -> dict[str, Any]:
    """What must agree for two planned writes to be the same write."""
    return change.model_dump(mode="json", include={"action", "object_id", "live_version", "field_changes", "spec"})


def divergence(reviewed: Plan, fresh: Plan) -> tuple[str, ...]:
    """Why ``fresh`` (planned now) is not the ``reviewed`` plan; empty when applying ``reviewed`` is safe."""
    reasons: list[str] = []
    if reviewed.target != fresh.target:
        reasons.append(f"the reviewed plan was made for {reviewed.target}, not {fresh.target}")
    if (reviewed.org and reviewed.org.id) != (fresh.org and fresh.org.id):
        made_for, made_now = (org.described if org else "no recorded org" for org in (reviewed.org, fresh.org))
        reasons.append(f"the reviewed plan was made for org {made_for}, not {made_now}")
    if reviewed.manifests_digest != fresh.manifests_digest:
        reasons.append(
            f"the merged manifests are not the reviewed ones (digest {fresh.manifests_digest[:12]}, "
            f"reviewed {reviewed.manifests_digest[:12]})"
        )
    if not fresh.applyable:
        reasons.append("the plan of the merged manifests is not applyable: " + "; ".join(fresh.errors))
    before, now = _pending(reviewed), _pending(fresh)
    for key in sorted(before.keys() | now.keys()):
        old, new = before.get(key), now.get(key)
        if new is None:
            assert old is not None
            reasons.append(f"{old.address}: reviewed as {old.action.verb}, now nothing to do (changed live since)")
        elif old is None:
            reasons.append(f"{new.address}: now {new.action.verb}, not in the reviewed plan (changed live since)")
        elif old.live_version != new.live_version or old.object_id != new.object_id:
            reasons.append(
                f"{new.address}: moved live since the review (revision {old.live_version} -> {new.live_version})"
            )
        elif _shape(old) != _shape(new):
            reasons.append(f"{new.address}: planned differently now ({old.action.verb} as reviewed, {new.action.verb})")
    return tuple(reasons)


__all__ = ["divergence"]
