"""Drift: how the live estate differs from the manifests, read from a plan.

Drift is a plan seen from the other side: an update is a live object that *differs*,
a create is a declared object *missing* live, and a live object that no manifest
declares is *unmanaged* (whether the plan would prune it or not), but for a live object
equal to a missing one but for the name: that is one object renamed live, reported once.
Computing it from :func:`reconciler.plan.builder.build_plan` means the two can never
disagree about what counts as a difference (same essences, same masking).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from reconciler.core.keys import ObjectKey
from reconciler.core.live import LiveState
from reconciler.kinds import REGISTRY, kind_rank
from reconciler.manifests.desired import DesiredObject
from reconciler.plan.builder import build_plan
from reconciler.plan.model import (
    Action,
    FieldChange,
    LiveMatch,
    Org,
    Plan,
    Reason,
    ReasonCode,
    ResourceChange,
    reason_text,
)

DRIFT_FORMAT_VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DriftedObject(_Frozen):
    """A declared object whose live state differs, field by field (values masked)."""

    kind: str
    name: str
    object_id: str | None = None
    live_version: int | str | None = None
    field_changes: tuple[FieldChange, ...] = ()
    #: the plan change's reasons (see :class:`~reconciler.plan.model.ReasonCode`)
    reasons: tuple[Reason, ...] = ()
    source: str | None = None
    #: the live object its ``metadata.id`` matched has another name: it was renamed outside git (its id and new name)
    renamed_live: LiveMatch | None = None

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorator over @property; pydantic documents it
    @property
    def reason(self) -> str:
        """:attr:`reasons` as one sentence for people."""
        return reason_text(self.reasons)


class MissingObject(_Frozen):
    """A declared object with no live object of its kind and name."""

    kind: str
    name: str
    reasons: tuple[Reason, ...] = ()
    source: str | None = None
    #: the undeclared live object equal to it but for the name: it was renamed outside git (its id and new name)
    renamed_live: LiveMatch | None = None

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorator over @property; pydantic documents it
    @property
    def reason(self) -> str:
        """:attr:`reasons` as one sentence for people."""
        return reason_text(self.reasons)


class Attribution(_Frozen):
    """Who last changed a live object, as the target's audit service recorded it.

    Read by the app layer (:mod:`reconciler.app.attribution`) from the audit messages of
    the object's kind in a time window; the plan never reads it (it is about people, not
    about what to apply).
    """

    #: the OAuth client id, or the user's name (or id) when a person made the change
    by: str
    by_type: Literal["client", "user"] = "client"
    #: the audit action (``Create``, ``Update``, ``Delete``)
    action: str
    at: datetime
    #: the top-level properties that write changed (names only: values may be secret)
    fields: tuple[str, ...] = ()
    #: how many audited writes the object had in the window (this one included)
    writes: int = 1

    def describe(self) -> str:
        """``changed by client ci-bot at 2024-05-01 10:00:00 UTC: rate, voice (2 writes in the window)``.

        The fields of an update only: a create or a delete touches them all.
        """
        when = self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        verb = {"Create": "created", "Delete": "deleted", "Update": "changed"}.get(self.action, self.action)
        text = f"{verb} by {self.by_type} {self.by} at {when}"
        if self.action not in ("Create", "Delete") and self.fields:
            text += ": " + ", ".join(self.fields)
        return text + (f" ({self.writes} writes in the window)" if self.writes > 1 else "")


class DriftReport(_Frozen):
    """Everything that differs between the manifests and one target."""

    format_version: int = DRIFT_FORMAT_VERSION
    tool_version: str
    created_at: datetime
    target: str
    target_description: str
    #: the org the credentials reached (the plan's): a region's URL does not tell dev from prod
    org: Org | None = None
    manifests_digest: str
    differs: tuple[DriftedObject, ...] = ()
    missing: tuple[MissingObject, ...] = ()
    #: "Kind/Name" of live objects no manifest declares (a live rename's new name is its missing object's instead)
    unmanaged: tuple[str, ...] = ()
    #: problems found while comparing (none today: a plan's safety errors do not apply to drift)
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: "Kind/Name" of a drifted, missing or unmanaged object -> who last changed it (the audit service)
    changed_by: dict[str, Attribution] = Field(default_factory=dict)
    #: the start of the window the audit service was asked about (``None``: it was not asked)
    attributed_since: datetime | None = None
    #: kinds with drift that no audit service records (``Kind.audit`` is ``None``): never attributed
    unattributed_kinds: tuple[str, ...] = ()

    def attribution_note(self) -> str | None:
        """``Attribution: audit messages since 2024-05-01 10:00:00 UTC; no audit service for VoiceProfile (…)``.

        Why in the header, once: without it a missing ``@`` line could mean nobody changed the
        object in the window, a window too short, or a kind the audit service never records.
        ``None`` when the service was not asked and every kind with drift has one.
        """
        parts = []
        if self.attributed_since is not None:
            when = self.attributed_since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            parts.append(f"audit messages since {when}")
        if self.unattributed_kinds:
            parts.append(f"no audit service for {', '.join(self.unattributed_kinds)} (not attributed)")
        return "Attribution: " + "; ".join(parts) if parts else None

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorator over @property; pydantic documents it
    @property
    def summary(self) -> dict[str, int]:
        """The counts of each list, and how many declared objects were renamed live (counted in their list too).

        Why a rename counts once, in its list: a rename matched by content is one declared object
        the target no longer has under its name (missing; its new name is left out of
        ``unmanaged``), one matched by ``metadata.id`` an object that differs; ``renamed_live``
        tells the reader of "1 missing" that nothing was deleted, and of "1 differ" that the
        difference is a rename.
        """
        return {"differs": len(self.differs), "missing": len(self.missing), "unmanaged": len(self.unmanaged),
                "renamed_live": self._renamed(self.differs) + self._renamed(self.missing)}

    @staticmethod
    def _renamed(objects: tuple[DriftedObject, ...] | tuple[MissingObject, ...]) -> int:
        return sum(1 for declared in objects if declared.renamed_live is not None)

    def counts(self) -> str:
        """``2 differ (1 renamed live), 3 missing (1 renamed live), 1 unmanaged``: the summary as text and
        Markdown say it, each rename beside the count it is in."""
        def renamed(objects: tuple[DriftedObject, ...] | tuple[MissingObject, ...]) -> str:
            n = self._renamed(objects)
            return f" ({n} renamed live)" if n else ""

        return (f"{len(self.differs)} differ{renamed(self.differs)}, {len(self.missing)} missing"
                f"{renamed(self.missing)}, {len(self.unmanaged)} unmanaged")

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorator over @property; pydantic documents it
    @property
    def has_drift(self) -> bool:
        """True when anything differs (the ``drift`` command then exits 2)."""
        return bool(self.differs or self.missing or self.unmanaged)

    @classmethod
    def from_plan(cls, plan: Plan) -> DriftReport:
        """See :func:`drift_from_plan`."""
        return drift_from_plan(plan)


def drift_from_plan(plan: Plan) -> DriftReport:
    """Read a plan as drift: updates and replacements differ, creates are missing, the rest live is unmanaged.

    The plan may prune every kind (so that nothing undeclared is hidden); its errors
    are about *applying* it (prune bounds, deleting what is referenced) and do not
    carry over, since drift applies nothing.
    """
    differs = tuple(_differs(c) for c in plan.changes if c.action in (Action.UPDATE, Action.REPLACE))
    missing = tuple(_missing(c) for c in plan.changes if c.action == Action.CREATE)
    deleted = [c.address for c in plan.changes if c.action == Action.DELETE]
    unmanaged = _not_renamed(deleted + list(plan.unmanaged), missing)
    return DriftReport(
        tool_version=plan.tool_version,
        created_at=plan.created_at,
        target=plan.target,
        target_description=plan.target_description,
        org=plan.org,
        manifests_digest=plan.manifests_digest,
        differs=differs,
        missing=missing,
        unmanaged=tuple(sorted(unmanaged, key=_address_key)),
        warnings=tuple(str(w) for w in plan.warnings),
    )


def _differs(change: ResourceChange) -> DriftedObject:
    """An update or replacement read as drift; one whose ``metadata.id`` matched another name is a live rename.

    Why not the plan's reason: "renamed from 'LiveName' (matched by metadata.id)" reads the match
    from the manifests' side, where git holds the declared name and the live object is what moved.
    """
    renamed = change.rename_of
    reasons = change.reasons
    if renamed is not None:
        live_text = Reason(code=ReasonCode.RENAMED_LIVE, text=_renamed_live(change.name, renamed))
        reasons = tuple(live_text if r.code == ReasonCode.RENAMED_BY_ID else r for r in reasons)
    return DriftedObject(
        kind=change.kind,
        name=change.name,
        object_id=change.object_id,
        live_version=change.live_version,
        field_changes=change.field_changes,
        reasons=reasons,
        source=change.source,
        renamed_live=renamed,
    )


def _renamed_live(declared: str, renamed: LiveMatch) -> str:
    """``renamed live: 'Declared' → 'LiveName'``: the manifests' name first, as git holds it."""
    return f"renamed live: {declared!r} → {renamed.name!r}"


def _missing(change: ResourceChange) -> MissingObject:
    """A create read as drift; one that matches an undeclared live object but for its name is a live rename.

    Why not the plan's reasons: the plan reads the match from the manifests' side ("replaces 'New'
    (renamed in manifests)"), which drift, where the live object is what moved, printed backwards.
    """
    renamed = change.rename_of
    reasons = change.reasons
    if renamed is not None:
        reasons = (Reason(code=ReasonCode.RENAMED_LIVE, text=_renamed_live(change.name, renamed)),)
    return MissingObject(
        kind=change.kind, name=change.name, reasons=reasons, source=change.source, renamed_live=renamed
    )


def _not_renamed(addresses: Sequence[str], missing: Sequence[MissingObject]) -> list[str]:
    """``addresses`` without the new names of live renames, each rename taking out one (two live objects may
    share a name).

    Why: a live rename is one object, already reported as the missing object it was declared as
    (``renamed live: 'Old' → 'New'``); its new name listed as unmanaged too counted it twice.
    """
    renamed = Counter(ObjectKey(gone.kind, gone.renamed_live.name) for gone in missing if gone.renamed_live)
    kept = []
    for address in addresses:
        key = ObjectKey.parse(address)
        if renamed[key] > 0:
            renamed[key] -= 1
        else:
            kept.append(address)
    return kept


def unseen_secrets(desired: Sequence[DesiredObject]) -> list[str]:
    """One line naming the write-only fields the manifests set, which drift cannot compare; none when none are set.

    Why said at all: reads never return a write-only value (a webhook's ``authSecret``, a
    credential's ``credentialFields``; the SDK models it as write-only and reads show at most an
    ``...Set`` flag), so a secret changed outside git leaves no drift. Silent, "No drift" read as
    if the secret had been compared.
    """
    counts: dict[tuple[str, str], int] = {}
    for obj in desired:
        kind = REGISTRY.get(obj.kind)
        for name in kind.write_only if kind is not None else ():
            if obj.spec.get(name) is not None:
                counts[(obj.kind, name)] = counts.get((obj.kind, name), 0) + 1
    if not counts:
        return []
    fields = ", ".join(f"{kind} {name}, {n} object{'s' if n > 1 else ''}" for (kind, name), n in counts.items())
    return [f"drift does not compare write-only fields, which reads never show: a secret changed outside git is "
            f"not seen ({fields})"]


def _address_key(address: str) -> tuple[int, str]:
    key = ObjectKey.parse(address)
    return (kind_rank(key.kind), key.folded[1])


def compute_drift(
    desired: Sequence[DesiredObject],
    live: LiveState,
    *,
    env: Mapping[str, str],
    target: str,
    target_description: str,
    manifests_digest: str,
    created_at: datetime | None = None,
) -> DriftReport:
    """Drift straight from desired and live state (a plan without pruning, read as drift)."""
    plan = build_plan(
        desired,
        live,
        env=env,
        target=target,
        target_description=target_description,
        manifests_digest=manifests_digest,
        created_at=created_at,
    )
    return drift_from_plan(plan)
