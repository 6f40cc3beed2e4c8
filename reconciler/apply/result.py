"""What an apply did: one :class:`ChangeOutcome` per planned change, plus the hooks called.

The executor fills it; the renderers show it (text, Markdown, JSON ``format_version`` 1).
Like the plan, it holds nothing secret: error texts come from
:class:`~reconciler.core.errors.ReconcilerError` messages, which never carry secret values.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from reconciler import __version__
from reconciler.plan.model import Action, ResourceChange

#: 2: ``target`` is the target's identity and ``target_description`` its description, as in the plan
APPLY_FORMAT_VERSION = 2


class Outcome(StrEnum):
    """The fate of one change."""

    SUCCESS = "success"
    FAILED = "failed"
    #: not attempted: something it depends on did not succeed
    SKIPPED = "skipped"
    #: not attempted (or refused with 409): the object moved live since the plan
    STALE = "stale"


OUTCOME_ORDER: tuple[Outcome, ...] = (Outcome.SUCCESS, Outcome.FAILED, Outcome.SKIPPED, Outcome.STALE)
#: how an outcome reads in text output (failures shout)
OUTCOME_LABELS = {Outcome.SUCCESS: "ok", Outcome.FAILED: "FAILED", Outcome.SKIPPED: "SKIPPED", Outcome.STALE: "STALE"}
_LABEL_WIDTH = max(len(label) for label in OUTCOME_LABELS.values())


class ChangeOutcome(BaseModel):
    """One change of the plan and what became of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    name: str
    action: Action
    outcome: Outcome
    #: why it failed / was skipped / is stale; ``None`` on success
    error: str | None = None
    object_id: str | None = None
    #: the object's version after the write (``None`` for deletes and failures)
    version: int | None = None
    #: a create whose lost answer was recovered by finding the object by name
    adopted: bool = False

    @classmethod
    def of(cls, change: ResourceChange, outcome: Outcome, **fields: Any) -> ChangeOutcome:
        """The outcome of ``change``; ``object_id`` defaults to the plan's."""
        fields.setdefault("object_id", change.object_id)
        return cls(kind=change.kind, name=change.name, action=change.action, outcome=outcome, **fields)

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"

    def line(self) -> str:
        """One plain line for progress output: ``ok       + create Kind/Name  (id …, version 1)``."""
        label = OUTCOME_LABELS[self.outcome].ljust(_LABEL_WIDTH)
        text = f"{label}  {self.action.symbol} {self.action.verb} {self.address}"
        if self.outcome == Outcome.SUCCESS:
            facts = []
            if self.object_id and self.action != Action.DELETE:
                facts.append(f"id {self.object_id}")
            if self.version is not None:
                facts.append(f"version {self.version}")
            if self.adopted:
                facts.append("adopted after a lost answer")
            return text + (f"  ({', '.join(facts)})" if facts else "")
        return text + (f": {self.error}" if self.error else "")


class ApplyResult(BaseModel):
    """Everything an apply did, in plan order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int = APPLY_FORMAT_VERSION
    tool_version: str = __version__
    #: the target's identity and description, as the plan has them (``Plan.target``, ``Plan.target_description``)
    target: str = ""
    target_description: str = ""
    #: set by :meth:`from_outcomes` (``None`` only on a result built by hand)
    finished_at: datetime | None = None
    changes: tuple[ChangeOutcome, ...] = ()
    #: each post-write hook called, e.g. "refresh the TTS cache" (or "...: failed: ...")
    hooks_called: tuple[str, ...] = ()
    #: why the apply stopped part-way ("SIGINT", "SIGTERM"); ``None`` when it ran to the end
    interrupted: str | None = None
    #: writes that were sent and answered but whose outcome record could not be written
    #: (e.g. the disk is full): the next run settles them from live state
    unrecorded: tuple[str, ...] = ()

    @classmethod
    def from_outcomes(
        cls,
        outcomes: Iterable[ChangeOutcome],
        *,
        hooks: Iterable[str] = (),
        target: str = "",
        target_description: str = "",
        finished_at: datetime | None = None,
        interrupted: str | None = None,
    ) -> ApplyResult:
        """The result of a run that ends now, unless ``finished_at`` says when (tests pin it)."""
        return cls(
            changes=tuple(outcomes),
            hooks_called=tuple(hooks),
            target=target,
            target_description=target_description,
            finished_at=finished_at or datetime.now(UTC),
            interrupted=interrupted,
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[str, int]:
        """Changes per outcome, every outcome present."""
        out = {o.value: 0 for o in OUTCOME_ORDER}
        for change in self.changes:
            out[change.outcome.value] += 1
        return out

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> int:
        """How many changes did not succeed (failed, skipped or stale); 0 means all done."""
        return sum(1 for c in self.changes if c.outcome != Outcome.SUCCESS)

    def failure_lines(self) -> list[str]:
        """One line per change that did not succeed: ``Kind/Name (update): stale: …``."""
        return [
            f"{c.address} ({c.action.value}): {c.outcome.value}: {c.error or 'no detail'}"
            for c in self.changes
            if c.outcome != Outcome.SUCCESS
        ]


COMPUTED_APPLY_FIELDS: tuple[str, ...] = ("counts", "failed")
