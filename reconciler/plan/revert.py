"""Revert plans: what restores the objects one apply run changed, from its audit records and live state now.

Pure: the caller reads the audit log and the live listing; this module only compares.
The audit trail's intent records carry the before and after of every write (masked by
the planner and again by the trail, ``docs/audit.md``), and a successful outcome record
says the write happened. So, per object the run wrote, in the order it wrote them:

- created (first write a create, last not a delete) → delete it;
- deleted (first write not a create, last a delete) → create it with its before state;
- replaced (a delete then a create) → replace it with its before state;
- updated → update it back: the live object now, with each changed field set to its before.

Stale-safe: the run's *after* must still be what is live (the version its outcome
recorded, or, for a kind without versions, the recorded values), else someone changed
the object since and the revert refuses it, naming it, unless ``force``. The plan
carries the live revision read now, so apply's own stale check guards the rest.

Secrets are never recorded, so they cannot be restored: a write-only field
(``authSecret``) or a value the run took from the environment (recorded as
``(sensitive)``) is named in the plan's warnings, and where the restored object needs
the value its spec reads an ``${env:…}`` variable the user sets (apply resolves it;
the plan file never holds the value).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler import __version__
from reconciler.core.jsonpath import JsonPath, format_path
from reconciler.core.live import LiveState
from reconciler.kinds import REGISTRY, Kind, kind_rank
from reconciler.manifests.desired import KNOWN_AFTER_APPLY, SENSITIVE
from reconciler.plan.fielddiff import field_changes, mask, sensitive_patterns
from reconciler.plan.model import Action, Org, Plan, Reason, ReasonCode, ResourceChange
from reconciler.plan.warning import whole_plan

#: object writes (hooks and publish jobs write no object of ours)
_OBJECT_ACTIONS = frozenset({"create", "update", "delete"})
_PATH_TOKEN = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")
#: names the environment variable that stands for a secret the trail never recorded
SecretVariable = Callable[[str, str, str], str]


@dataclass(frozen=True)
class Write:
    """One object write of the run that succeeded: its intent's changes and its outcome's id and version."""

    kind: str
    name: str
    action: str
    object_id: str | None
    version: Any
    changes: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class RunWrites:
    """What a run wrote: successful object writes in order, and writes whose end is unknown."""

    writes: tuple[Write, ...]
    #: ``Kind/Name`` of intents without an outcome (the run stopped while they were in flight)
    unsettled: tuple[str, ...]
    #: ``Kind/Name`` of such intents a later run closed as ``superseded``: their fate is just as unknown, but a later
    #: successful write of the object (the record named) made it moot
    superseded: tuple[str, ...] = ()


def run_writes(records: Iterable[Mapping[str, Any]], run_id: str) -> RunWrites:
    """The run's successful object writes, each intent paired with its outcome by ``intent_seq``."""
    intents: dict[int, Mapping[str, Any]] = {}
    settled: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
    superseded: list[str] = []
    for record in records:
        if record.get("run_id") != run_id and record.get("outcome") != "superseded":
            continue  # a later run's superseded outcome closes an intent of this run
        if record.get("action") not in _OBJECT_ACTIONS:
            continue
        if record.get("type") == "intent" and isinstance(record.get("seq"), int):
            intents[record["seq"]] = record
        elif record.get("type") == "outcome":
            intent = intents.pop(record.get("intent_seq"), None)  # type: ignore[arg-type]  # None finds nothing
            if intent is not None and record.get("outcome") == "success":
                settled.append((intent, record))
            elif intent is not None and record.get("outcome") == "superseded":
                by = record.get("superseded_by") or {}
                superseded.append(f"{intent.get('kind')}/{intent.get('name')} (superseded by record {by.get('seq')} "
                                  f"of run {by.get('run_id')})")
    writes = tuple(
        Write(
            kind=str(intent.get("kind")),
            name=str(intent.get("name")),
            action=str(intent.get("action")),
            object_id=outcome.get("object_id") or intent.get("object_id"),
            version=outcome.get("version"),
            changes=tuple(c for c in intent.get("changes") or () if isinstance(c, Mapping)),
        )
        for intent, outcome in sorted(settled, key=lambda pair: int(pair[0]["seq"]))
    )
    unsettled = tuple(sorted(f"{i.get('kind')}/{i.get('name')}" for i in intents.values()))
    return RunWrites(writes=writes, unsettled=unsettled, superseded=tuple(sorted(superseded)))


def parse_display_path(text: str) -> JsonPath:
    """``phrases[1].phrase`` -> ``("phrases", 1, "phrase")``: the inverse of :func:`format_path`."""
    return tuple(int(index) if index else str(key) for index, key in _PATH_TOKEN.findall(text))


def _has_sensitive(value: Any, marker: str = SENSITIVE) -> bool:
    if isinstance(value, Mapping):
        return any(_has_sensitive(v, marker) for v in value.values())
    if isinstance(value, list):
        return any(_has_sensitive(v, marker) for v in value)
    return bool(value == marker)


def _get(value: Any, path: JsonPath) -> Any:
    for part in path:
        if isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        elif isinstance(part, str) and isinstance(value, Mapping):
            value = value.get(part)
        else:
            return None
    return value


def _set(target: dict[str, Any], path: JsonPath, value: Any) -> bool:
    """Set (``value`` not ``None``) or remove the value at ``path``; ``False`` when the path does not fit."""
    node: Any = target
    for index, part in enumerate(path[:-1]):
        following: Any = [] if isinstance(path[index + 1], int) else {}
        if isinstance(part, str) and isinstance(node, dict):
            node = node.setdefault(part, following)
        elif isinstance(part, int) and isinstance(node, list) and part <= len(node):
            if part == len(node):
                node.append(following)
            node = node[part]
        else:
            return False
    last = path[-1] if path else None
    if isinstance(last, str) and isinstance(node, dict):
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
        return True
    if isinstance(last, int) and isinstance(node, list) and last <= len(node):
        if value is None:
            if last < len(node):
                del node[last]
        elif last == len(node):
            node.append(value)
        else:
            node[last] = value
        return True
    return False


@dataclass
class _Restore:
    """One object being restored: what the revert writes and what it must say about it."""

    kind: Kind
    name: str
    variable: SecretVariable
    warnings: list[str]

    @property
    def address(self) -> str:
        return f"{self.kind.name}/{self.name}"

    def spec_of(self, essence: Mapping[str, Any], *, send_secrets: bool) -> dict[str, Any]:
        """A spec from a restored essence: read-only flags out, masked values as variables to set."""
        spec = {k: copy.deepcopy(v) for k, v in essence.items() if k != "name" and k not in self.kind.read_only}
        for secret, flag in self.kind.write_only.items():
            if send_secrets and essence.get(flag) is True:
                spec[secret] = self._variable(secret, "a write-only value")
        for path in _sensitive_paths(spec):
            _set(spec, path, self._variable(format_path(path), "a value from the environment"))
        return spec

    def _variable(self, field: str, what: str) -> str:
        name = self.variable(self.kind.name, self.name, field)
        self.warnings.append(
            f"{self.address}: {field} cannot be restored ({what}; secrets are never recorded): "
            f"set {name} to it before apply"
        )
        return "${env:" + name + "}"


def _sensitive_paths(value: Any, path: JsonPath = ()) -> list[JsonPath]:
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _sensitive_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _sensitive_paths(v, (*path, i))]
    return [path] if value == SENSITIVE else []


def _top_level(changes: Sequence[Mapping[str, Any]], side: str) -> dict[str, Any]:
    """A whole essence from a create's or delete's recorded changes (one per top-level field)."""
    return {str(c.get("path")): c.get(side) for c in changes if c.get(side) is not None}


def moved_since(kind: Kind, last: Write, live: Mapping[str, Any] | None) -> str | None:
    """Why the live object is no longer what the run left, or ``None`` when it still is."""
    if last.action == "delete":
        return None if live is None else "created again since the run"
    if live is None:
        return "deleted since the run"
    if last.object_id is not None and live.get("id") not in (None, last.object_id):
        return f"replaced since the run (id {live.get('id')}, the run left {last.object_id})"
    if kind.revision_field == "version" and last.version is not None:
        now = live.get("version")
        return None if now == last.version else f"changed since the run (version {now}, the run left {last.version})"
    essence = kind.essence(live)
    # not comparable: a reference to an object the run created (recorded before its id was known), a
    # write-only flag that reads never show (a credential's credentialFieldsSet), and a field the org's
    # reads leave out for a feature it lacks (Kind.shown_with_feature)
    unread = set() if kind.write_only_flagged else set(kind.write_only.values())
    unread |= {f for f in kind.shown_with_feature if f not in live}
    for change in last.changes:
        after = change.get("after")
        if after is None or _has_sensitive(after) or _has_sensitive(after, KNOWN_AFTER_APPLY) or change.get(
                "path") in unread:
            continue
        path = parse_display_path(str(change.get("path")))
        if _get(essence, path) != after:
            return f"changed since the run ({change.get('path')} is no longer what the run wrote)"
    return None


def _change(restore: _Restore, writes: Sequence[Write], live: Mapping[str, Any] | None) -> ResourceChange | None:
    kind, first, last = restore.kind, writes[0], writes[-1]
    existed, exists = first.action != "create", last.action != "delete"
    reason = (Reason(code=ReasonCode.REVERTED, text=f"reverts the run's {'/'.join(w.action for w in writes)}"),)
    common: dict[str, Any] = {
        "kind": kind.name, "name": restore.name, "reasons": reason,
        "object_id": None if live is None else live.get("id"), "live_version": kind.revision(live),
    }
    now = None if live is None else kind.essence(live)
    sensitive = sensitive_patterns(
        parse_display_path(str(c.get("path"))) for w in writes for c in w.changes
        if _has_sensitive(c.get("before")) or _has_sensitive(c.get("after"))
    )
    shown_now = None if now is None else mask(now, sensitive)
    if not existed and exists:
        return ResourceChange(action=Action.DELETE, before=shown_now, **common)
    if not existed:
        return None
    if not exists or last is not first:
        before = {**_top_level(first.changes, "before"), "name": restore.name}
        action = Action.CREATE if not exists else Action.REPLACE
        spec = restore.spec_of(before, send_secrets=True)
        return ResourceChange(action=action, before=shown_now if exists else None, after=before, spec=spec,
                              field_changes=field_changes(now or {}, before, sensitive=sensitive) if exists else (),
                              **common)
    if now is None:  # an update of an object gone now: reported as moved before we get here
        return None
    restored = copy.deepcopy(now)
    for change in first.changes:
        path = parse_display_path(str(change.get("path")))
        if change.get("path") in kind.read_only or (path and path[0] in kind.read_only):
            restore.warnings.append(f"{restore.address}: {change.get('path')} records a write-only value the "
                                    f"run changed; it cannot be restored: re-send it (apply --rotate-secret "
                                    f"{restore.address} with the old value in its variable)")
            continue
        if not path or not _set(restored, path, copy.deepcopy(change.get("before"))):
            restore.warnings.append(f"{restore.address}: {change.get('path')} could not be put back; check it")
    changes = field_changes(now, restored, unordered=kind.unordered, sensitive=sensitive)
    if not changes:
        return None
    return ResourceChange(action=Action.UPDATE, before=shown_now, after=mask(restored, sensitive),
                          field_changes=changes, spec=restore.spec_of(restored, send_secrets=False), **common)


def build_revert_plan(
    run: RunWrites,
    run_id: str,
    live: LiveState,
    *,
    target: str,
    target_description: str,
    variable: SecretVariable,
    org: Org | None = None,
    force: bool = False,
    created_at: datetime | None = None,
) -> Plan:
    """The plan that restores what run ``run_id`` changed, refusing objects changed since unless ``force``."""
    by_object: dict[tuple[str, str], list[Write]] = {}
    for write in run.writes:
        by_object.setdefault((write.kind, write.name.casefold()), []).append(write)
    live_index = {(k, str(o.get("name", "")).casefold()): o for k, objs in live.items() for o in objs}
    errors: list[str] = []
    warnings = [f"{a}: the run stopped while writing it; whether that write happened is unknown, check it"
                for a in run.unsettled]
    warnings += [f"{a}: the run stopped while writing it; whether that write happened is unknown, but the later write "
                 "made it moot" for a in run.superseded]
    changes: list[ResourceChange] = []
    for key in sorted(by_object, key=lambda k: (kind_rank(k[0]), k[1])):
        writes = by_object[key]
        kind = REGISTRY.get(writes[0].kind)
        if kind is None:
            errors.append(f"{writes[0].kind}/{writes[0].name}: unknown kind; cannot revert it")
            continue
        current = live_index.get((kind.name, key[1]))
        restore = _Restore(kind, writes[-1].name if current is None else str(current["name"]), variable, [])
        moved = moved_since(kind, writes[-1], current)
        if moved and not force:
            errors.append(f"{restore.address}: {moved}; revert refuses to overwrite it (--force restores it anyway)")
            continue
        if moved:
            warnings.append(f"{restore.address}: {moved}; --force restores it anyway")
        change = _change(restore, writes, current)
        warnings.extend(restore.warnings)
        if change is not None:
            changes.append(change)
    deletes = [c for c in changes if c.action == Action.DELETE]
    return Plan(
        tool_version=__version__,
        created_at=created_at or datetime.now(UTC),
        target=target,
        target_description=target_description,
        org=org,
        manifests_digest=f"revert:{run_id}",
        changes=(*(c for c in changes if c.action != Action.DELETE), *deletes),
        errors=tuple(errors),
        warnings=whole_plan(warnings),
    )


__all__ = ["RunWrites", "Write", "build_revert_plan", "moved_since", "parse_display_path", "run_writes"]
