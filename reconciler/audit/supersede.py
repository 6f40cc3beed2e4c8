"""When a later successful write makes an open intent's question moot: the ``superseded`` outcome.

Why: live state cannot tell what became of some writes (:func:`reconciler.app.settling.judgeable`):
a post-write hook call (the TTS-cache refresh), a topic publish job, an update that sent only
masked values (secret fields). Such an intent, left open by a killed run, stayed open for ever:
``audit verify`` listed it on every run, revert named it, the backlog carried it. Its fate is
still unknown, and no later record can tell it; but a later write that succeeded can make it
no longer matter:

- a ``hook`` intent, by a later successful call of the same hook (same method and path) sent
  after it; for a publish job, one that published every id the open one listed (its
  ``changes``: ``[{path: <ids field>, after: [ids]}]``, :mod:`reconciler.apply.publishing`);
- an ``update`` that sent masked values only, by a later successful ``delete`` of the same
  object (kind and object id), or a later successful ``update`` of it that sent every one of
  those masked paths again (a ``--rotate-secret`` re-send). An update of other fields does not:
  the secret it sent may or may not be the one live.

"success" or "failure" would each claim a knowledge nobody has, so the closing outcome is a
third value, ``superseded``, naming the record that made it moot (``superseded_by``).
Pure functions over records as the log stores them: the backlog scan (:mod:`.backlog`) asks
them of each successful outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.manifests.desired import KNOWN_AFTER_APPLY, SENSITIVE

HOOK = "hook"
#: what an intent's ``after`` holds where the value was not recorded
_MASKED = (SENSITIVE, KNOWN_AFTER_APPLY)


def _changes(intent: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in intent.get("changes") or () if isinstance(c, Mapping)]


def masked_paths(intent: Mapping[str, Any]) -> frozenset[str] | None:
    """The paths of an ``update`` of an identified object that sent masked values only; ``None`` for another intent."""
    if intent.get("action") != "update" or not intent.get("kind") or not intent.get("object_id"):
        return None
    changes = _changes(intent)
    if not changes or any(c.get("after") not in _MASKED for c in changes):
        return None
    return frozenset(str(c.get("path")) for c in changes)


def published_ids(intent: Mapping[str, Any]) -> frozenset[str]:
    """The ids a publish job's intent lists (none for a plain hook such as the TTS refresh)."""
    return frozenset(str(i) for c in _changes(intent) if isinstance(c.get("after"), list) for i in c["after"])


def supersedable(intent: Mapping[str, Any]) -> bool:
    """Whether a later write could ever make ``intent`` moot (a hook, or an update of masked values only)."""
    return intent.get("action") == HOOK or masked_paths(intent) is not None


def moot_key(intent: Mapping[str, Any]) -> tuple[str, ...] | None:
    """What a superseding write and the intents it may make moot share: the hook, or the object, on one target.

    Why: the backlog scan indexes its open candidates by it (:mod:`.backlog`), so a successful
    outcome is matched against the few that share its key, not against every open intent (with
    a few hundred open, the scan of a long log took fifteen times as long).
    """
    target, action = str(intent.get("target")), intent.get("action")
    if action == HOOK:
        return ("hook", target, str(intent.get("method")), str(intent.get("path")))
    if action in ("update", "delete") and intent.get("kind") and intent.get("object_id"):
        return ("object", target, str(intent["kind"]), str(intent["object_id"]))
    return None


def supersedes(later: Mapping[str, Any], earlier: Mapping[str, Any]) -> str | None:
    """How ``later`` (the intent of a write that succeeded) makes the open intent ``earlier`` moot; ``None`` if not.

    ``later`` must have been announced after ``earlier`` (a greater ``seq``), to the same target:
    a call sent before it may have been answered before the writes that made ``earlier`` due.
    """
    seqs = (later.get("seq"), earlier.get("seq"))
    if not isinstance(seqs[0], int) or not isinstance(seqs[1], int) or seqs[0] <= seqs[1]:
        return None
    if later.get("target") != earlier.get("target"):
        return None  # another org's hook or object
    if earlier.get("action") == HOOK:
        if (later.get("action") != HOOK or later.get("method") != earlier.get("method")
                or later.get("path") != earlier.get("path")):
            return None
        ids = published_ids(earlier)
        if not ids <= published_ids(later):
            return None
        return "a later job published the same ids" if ids else "a later call of the same hook succeeded"
    masked = masked_paths(earlier)
    if masked is None or later.get("kind") != earlier.get("kind") or later.get("object_id") != earlier.get("object_id"):
        return None
    if later.get("action") == "delete":
        return "a later delete of the object succeeded"
    if later.get("action") == "update" and masked <= {str(c.get("path")) for c in _changes(later)}:
        return f"a later update sent {', '.join(sorted(masked))} again"
    return None


def essentials(intent: Mapping[str, Any]) -> dict[str, Any]:
    """What :func:`supersedes` reads of ``intent``, and no more: a value sent is kept only as a publish job's ids or
    the masked marker (an update's plain values, phrases and all, are not held for a whole log)."""
    hook = intent.get("action") == HOOK

    def after(value: Any) -> Any:
        return value if (hook and isinstance(value, list)) or (not hook and value in _MASKED) else None

    out = {k: intent.get(k) for k in ("seq", "target", "action", "method", "path", "kind", "object_id")}
    out["changes"] = [{"path": c.get("path"), "after": after(c.get("after"))} for c in _changes(intent)]
    return out


class MootCheck:
    """Whether each ``superseded`` outcome of a log names a success that truly made its intent moot (``audit verify``).

    Why: verify checked only that ``superseded_by`` names an earlier successful outcome, so a
    hand-edited, resealed log could close a killed run's create as ``superseded`` by any success,
    or name the success of another object's update, and verify passed it. Fed every intent and
    outcome in log order, it holds what :func:`supersedes` reads of the intents still unanswered
    that have a :func:`moot_key`, and keeps a success's intent only while an open intent that it
    could make moot shares its key (the few a later ``superseded`` may name), not every success.
    """

    def __init__(self) -> None:
        self._unanswered: dict[int, dict[str, Any]] = {}  # intent seq -> essentials, while it has no outcome
        self._open: dict[tuple[str, ...], set[int]] = {}  # moot_key -> unanswered supersedable intents
        self._later: dict[int, dict[str, Any]] = {}  # successful outcome seq -> its intent's essentials

    def intent(self, record: Mapping[str, Any]) -> None:
        self._unanswered[record["seq"]] = essentials(record)  # answered within its run, most often: a few held
        key = moot_key(record)
        if key is not None and supersedable(record):
            self._open.setdefault(key, set()).add(record["seq"])

    def outcome(self, record: Mapping[str, Any]) -> str | None:
        """Why this outcome's ``superseded`` is false (``None`` when it is not one, or is true); notes a success."""
        intent = self._unanswered.pop(record["intent_seq"], None)
        if intent is None:
            return None  # no earlier intent: verify says so itself
        key = moot_key(intent)
        if key is not None and key in self._open:
            self._open[key].discard(intent["seq"])
            if not self._open[key]:
                del self._open[key]
        if record.get("outcome") == "success" and key is not None and key in self._open:
            self._later[record["seq"]] = intent
        if record.get("outcome") != "superseded":
            return None
        if not supersedable(intent):
            return f"intent {intent['seq']} ({intent['action']}) is not one a later write can make moot"
        by = record["superseded_by"]
        later = self._later.get(by["seq"])
        if later is None or supersedes(later, intent) is None:
            return (f"record {by['seq']} of run {by['run_id']!r} is the outcome of a write that does not make "
                    f"intent {intent['seq']} moot")
        return None


__all__ = ["MootCheck", "essentials", "masked_paths", "moot_key", "published_ids", "supersedable", "supersedes"]
