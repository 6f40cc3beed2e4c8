"""Settling what an earlier, interrupted run left open, from live state (issue 13).

An intent without an outcome is a write whose fate nobody saw. Listing the target now
tells most of them: a create landed if the object exists by name, a delete if the object
is gone, an update if live holds every value it sent. Each judged intent gets an outcome
record marked ``settled``. What cannot be judged (a hook, a publish job, an update whose
values are all masked) stays open, and ``audit verify`` reports it as unknown, until a later
successful write makes it moot (:mod:`reconciler.audit.supersede`): then it gets an outcome
``superseded`` naming that write, at the start of the next apply, or at the end of the apply
whose write it was (:func:`settle_superseded`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from reconciler.apply.earlier import RECENT_CREATE
from reconciler.apply.steps import HookStep
from reconciler.audit import AuditTrail
from reconciler.audit.backlog import Backlog, OpenIntent, read_backlog
from reconciler.core.live import LiveState
from reconciler.kinds import REGISTRY, Kind
from reconciler.manifests.desired import KNOWN_AFTER_APPLY, SENSITIVE


def due_hooks(backlog: Backlog, kinds: Mapping[str, Kind] = REGISTRY) -> list[HookStep]:
    """Hooks owed: a kind of theirs was written after they last succeeded."""
    owed: dict[tuple[str, str], HookStep] = {}
    for kind in kinds.values():
        hook = kind.after_write
        if hook is None:
            continue
        sharing = tuple(n for n, k in sorted(kinds.items()) if k.after_write == hook)
        if backlog.hook_due(hook.method, hook.path, sharing):
            owed.setdefault((hook.method, hook.path), HookStep(hook, sharing))
    return list(owed.values())


_MARKERS = (SENSITIVE, KNOWN_AFTER_APPLY)


def _find(live: LiveState, intent: OpenIntent, others: Collection[str] = ()) -> Mapping[str, Any] | None:
    """The live object ``intent`` wrote: by its id, or by its name among the objects not in ``others``."""
    for obj in live.get(str(intent.kind), ()):
        if intent.object_id and obj.get("id") == intent.object_id:
            return obj
        if (intent.name and str(obj.get("name", "")).casefold() == intent.name.casefold()
                and str(obj.get("id")) not in others):
            return obj
    return None


def made_later(intent: OpenIntent, backlog: Backlog) -> frozenset[str]:
    """Ids of the objects of ``intent``'s kind and name that later runs' creates made on its target.

    Why: a killed run's create that never landed is looked for by name before the next run
    creates that name again (:mod:`reconciler.apply.earlier`); once that create is listed, the
    object of the name is the later run's, and judged by name alone the killed create was
    recorded "found live after the interruption": the audit log credited the wrong run with it.
    Young or not, such an intent is judged at once: the later create was sent only after it was
    looked for by name within the lag bound since it was sent (or, for a unique name, the server
    took the name), so it did not land; left open, every apply started a run for 5 minutes.
    """
    if intent.action != "create" or not intent.name:
        return frozenset()
    name = intent.name.casefold()
    return frozenset(c.object_id for c in backlog.created
                     if c.seq > intent.seq and c.kind == intent.kind and c.name.casefold() == name
                     and (intent.target is None or c.target == intent.target))


def _sent(intent: OpenIntent) -> list[tuple[str, Any]]:
    """The plain top-level values an update intent sent (masked and nested ones cannot be compared)."""
    return [
        (str(c["path"]), c.get("after"))
        for c in intent.changes
        if isinstance(c.get("path"), str) and "." not in c["path"] and c.get("after") not in _MARKERS
    ]


def judgeable(intent: OpenIntent) -> bool:
    """Whether live state could ever tell what became of ``intent``.

    Why it matters: what no listing can judge (a hook call, a publish job, an update of masked
    values only) stays open for good, so it must not count as business for the next apply
    (:func:`reconciler.app.applying.pending_business`): an apply with nothing to do started a run
    for ever after such an intent, appending run.start and run.end each time. A hook still owed
    is business through :func:`due_hooks`, whether or not its call's intent is open.
    """
    if intent.kind is None or intent.action not in ("create", "delete", "update"):
        return False
    return intent.action != "update" or bool(_sent(intent))


def lagging_create(intent: OpenIntent, now: datetime | None, kinds: Mapping[str, Kind] = REGISTRY) -> bool:
    """Whether ``intent`` is a create of a kind whose names may repeat, younger than
    :data:`~reconciler.apply.earlier.RECENT_CREATE` at ``now``: a listing may not show it yet.

    Why: such a create killed before its answer was recorded may have landed; a re-run within the
    lag does not list it. Settled as "not found live", the knowledge was gone, and apply made it
    again (two integrations of one name: the chaos campaign). It stays open instead, so apply looks
    for it by name before a create of that name (:func:`reconciler.apply.earlier.created_earlier`).
    """
    kind = kinds.get(str(intent.kind))
    return (intent.action == "create" and kind is not None and not kind.unique_names and now is not None
            and intent.at is not None and now - RECENT_CREATE <= intent.at <= now + RECENT_CREATE)


def judge(intent: OpenIntent, live: LiveState, now: datetime | None = None,
          others: Collection[str] = ()) -> tuple[str, str] | None:
    """``(outcome, how)`` for an open intent as live state shows it, or ``None`` if it cannot tell
    (yet: a young create of a repeatable name not listed may lag, :func:`lagging_create` at ``now``).
    ``others``: ids of objects of the create's name that later creates made (:func:`made_later`), not its."""
    if not judgeable(intent) or intent.kind not in live:
        return None
    found = _find(live, intent, others)
    if intent.action == "create":
        if found is not None:
            return "success", "found live after the interruption"
        if others:  # that later create was sent only once this one had not shown by name (apply.earlier)
            return "failure", "not found live (the object of that name is a later run's create)"
        if lagging_create(intent, now):
            return None
        return "failure", "not found live"
    if intent.action == "delete":
        return ("failure", "still live") if found else ("success", "gone live")
    if intent.action == "update":
        if found is None:
            return ("failure", "not found live")
        if all(found.get(path) == after for path, after in _sent(intent)):
            return ("success", "live holds the values sent")
        return ("failure", "live does not hold the values sent")
    return None


def settle(trail: AuditTrail, backlog: Backlog, live: LiveState, now: datetime | None = None) -> int:
    """Record what became of each open intent that live state can judge at ``now``; how many were settled."""
    settled = 0
    for intent in backlog.open_intents:
        others = made_later(intent, backlog)
        verdict = judge(intent, live, now, others)
        if verdict is None:
            continue
        outcome, how = verdict
        found = _find(live, intent, others)
        object_id = (found or {}).get("id", intent.object_id) if outcome == "success" else intent.object_id
        trail.settle(intent, outcome=outcome, note=how, object_id=object_id)
        settled += 1
    return settled + _supersede(trail, backlog)


def _supersede(trail: AuditTrail, backlog: Backlog) -> int:
    """Close each open intent no listing can judge that a later successful write made moot; how many."""
    closed = 0
    for intent in backlog.open_intents:
        by = intent.superseded_by
        if by is not None and not judgeable(intent):
            trail.supersede(intent, by_seq=by.seq, by_run=by.run_id, how=by.how)
            closed += 1
    return closed


def unsettled(backlog: Backlog) -> bool:
    """Whether ``backlog`` holds an open intent no listing can judge and nothing made moot yet.

    Why: this run may make it moot (the owed TTS refresh it calls, the secret it re-sends), and
    then :func:`settle_superseded` closes it at the run's end instead of one run later.
    """
    return any(not judgeable(i) and i.superseded_by is None for i in backlog.open_intents)


def settle_superseded(trail: AuditTrail) -> int:
    """At the end of an apply: close what its own successful writes made moot (read back from the log).

    The scan reads only what this run appended (its checkpoint); this run's own open intents are
    left alone (a run still going is never settled).
    """
    return _supersede(trail, read_backlog(trail.log.path))


__all__ = [
    "due_hooks", "judge", "judgeable", "lagging_create", "made_later", "settle", "settle_superseded", "unsettled",
]
