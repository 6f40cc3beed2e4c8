"""The ``policy:`` section of ``reconciler.yaml``: guardrails a plan is checked against.

Why a section of its own: a contact centre needs rules that no single manifest can say
("never touch the emergency-closure trigger", "no changes during opening hours", "no
more than two topics deleted at once"), and Terraform's ``prevent_destroy`` cannot be
a variable (terraform#3116) while Argo CD's sync windows are cron-only. Example::

    policy:
      protect: ["ProcessAutomationTrigger/emergency-*", "*/legal-hold*"]
      windows:
        - {days: [mon, tue, wed, thu, fri], from: "20:00", to: "06:00", timezone: Europe/London}
        - {days: [sat, sun], from: "00:00", to: "24:00", timezone: Europe/London}
      limits:
        SpeechTopic: {maxChanges: 20, maxDeletes: 2}
        "*": {maxChanges: 200}

Only the syntax is checked here; :mod:`reconciler.plan.policy` evaluates the rules.
A :class:`ChangeWindow` also travels inside a saved plan, so that apply checks the
window of the plan it carries out; it therefore accepts JSON lists as well as tuples.
"""

from __future__ import annotations

from datetime import UTC, time, tzinfo
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from reconciler.core.suggest import closest
from reconciler.kinds import REGISTRY, unknown_kind_message

#: the day names a window accepts, Monday first (``datetime.weekday()`` order)
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: the ``limits`` key that bounds the whole plan, every kind together
ALL_KINDS = "*"
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GLOB = frozenset("*?[")
#: how much of an unknown time zone's name a message quotes (IANA names are far shorter)
_SHOWN = 60


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _day(value: str) -> str:
    folded = value.strip().casefold()
    if folded in DAYS:
        return folded
    if folded in _FULL_DAYS:
        return DAYS[_FULL_DAYS.index(folded)]
    close = closest(folded, DAYS + _FULL_DAYS)
    hint = f"; did you mean {close[:3]!r}?" if close else ""
    raise ValueError(f"unknown day {value!r} (days are {', '.join(DAYS)}){hint}")


def _clock_time(value: str) -> str:
    parts = value.split(":")
    if len(parts) == 2 and all(len(p) == 2 and p.isdigit() for p in parts):
        hours, minutes = int(parts[0]), int(parts[1])
        if (hours < 24 and minutes < 60) or (hours, minutes) == (24, 0):
            return value
    raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 24:00)")


def _protect_pattern(value: str) -> str:
    kind, slash, name = value.partition("/")
    if not slash or not kind or not name:
        raise ValueError(f"{value!r} is not a Kind/Name pattern (e.g. 'Webhook/billing-*' or '*/legal-hold*')")
    if not _GLOB & set(kind) and kind.casefold() not in {k.casefold() for k in REGISTRY}:
        raise ValueError(unknown_kind_message(kind))
    return value


def _limit_kind(value: str) -> str:
    if value != ALL_KINDS and value not in REGISTRY:
        raise ValueError(f"{unknown_kind_message(value)} ({ALL_KINDS!r} bounds the whole plan)")
    return value


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The time zone called ``name`` (an IANA name such as ``Europe/London``; ``UTC`` always works)."""
    if name.upper() == "UTC":
        return UTC
    return ZoneInfo(name)


@lru_cache(maxsize=1)
def iana_names() -> frozenset[str]:
    """The zone names of the tz database: what ``timezone`` may say.

    Why not whatever :class:`ZoneInfo` opens: it opens any file below the zone directory by
    its place, so ``localtime`` (the runner's own zone, a link the machine sets) and
    ``posix/Europe/London`` or ``right/UTC`` (copies under other rules) were accepted, and a
    window would open at another hour on each machine apply runs on.
    :func:`zoneinfo.available_timezones` leaves ``posix/``, ``right/`` and ``posixrules`` out
    but keeps the system's ``localtime``, which is no name of the tz database.
    """
    return frozenset(available_timezones() - {"localtime"})


class ChangeWindow(_Strict):
    """When apply may write: on ``days``, from ``from`` to ``to`` local time in ``timezone``.

    A window whose ``to`` is not after its ``from`` crosses midnight: it opens on each of
    its ``days`` and closes the next morning (``fri 22:00-06:00`` covers Saturday 02:00).
    ``to: "24:00"`` is the end of the day.
    """

    model_config = ConfigDict(validate_by_alias=True, validate_by_name=True, serialize_by_alias=True)

    days: tuple[Annotated[str, AfterValidator(_day)], ...] = Field(
        DAYS, description="Days the window opens on (mon ... sun); every day when omitted."
    )
    start: Annotated[str, AfterValidator(_clock_time)] = Field(alias="from", description="Opening time, HH:MM.")
    end: Annotated[str, AfterValidator(_clock_time)] = Field(alias="to", description="Closing time, HH:MM (24:00).")
    timezone: str = Field("UTC", description="IANA time zone the times are in, e.g. Europe/London.")

    @field_validator("days", mode="before")
    @classmethod
    def _list_to_tuple(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        known = value.upper() == "UTC" or value in iana_names()
        try:
            if known:
                zone(value)
        # OSError: a name the time zone database cannot even look up as a file (longer than a
        # file name may be: ENAMETOOLONG) was a traceback, not an unknown zone
        except (ZoneInfoNotFoundError, ValueError, OSError):
            known = False
        if not known:
            close = closest(value, iana_names())
            hint = f"; did you mean {close!r}?" if close else ""
            shown = repr(value) if len(value) <= _SHOWN else repr(value[:_SHOWN]) + f"... ({len(value)} characters)"
            why = ": the zone of whichever machine runs apply" if value.rsplit("/", 1)[-1] == "localtime" else ""
            raise ValueError(f"unknown time zone {shown}{why} (write 'UTC' or an IANA Area/City name such as "
                             f"'Europe/London'){hint}")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> ChangeWindow:
        if self.start == self.end:
            raise ValueError(
                f"from and to are both {self.start!r}: the window would be empty; "
                'for a whole day write from: "00:00", to: "24:00"'
            )
        if self.start == "24:00":
            raise ValueError('from "24:00" is the end of the day; write from: "00:00"')
        if not self.days:
            raise ValueError("days is empty: the window would never open")
        return self

    @property
    def opens(self) -> time:
        return _parse(self.start)

    @property
    def closes(self) -> time | None:
        """The closing time; ``None`` for ``24:00`` (the end of the day)."""
        return None if self.end == "24:00" else _parse(self.end)

    def describe(self) -> str:
        """``mon,tue 20:00-06:00 Europe/London`` for messages and renderings."""
        days = "every day" if tuple(self.days) == DAYS else ",".join(self.days)
        return f"{days} {self.start}-{self.end} {self.timezone}"


def _parse(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class KindLimits(_Strict):
    """At most this many changes (creates, updates, replaces, deletes) and deletes (replaces too)."""

    maxChanges: int | None = Field(None, ge=0, description="Most changes a plan may make.")
    maxDeletes: int | None = Field(None, ge=0, description="Most deletes a plan may make (a replace deletes).")


class PolicySettings(_Strict):
    """Guardrails: protected objects, change windows, bounds on changes (all off by default)."""

    protect: tuple[Annotated[str, AfterValidator(_protect_pattern)], ...] = Field(
        (), description="Kind/Name fnmatch patterns (case-insensitive) never updated, replaced or deleted."
    )
    windows: tuple[ChangeWindow, ...] = Field(
        (), description="Apply refuses outside every one of these windows (always allowed when none)."
    )
    limits: dict[Annotated[str, AfterValidator(_limit_kind)], KindLimits] = Field(
        default_factory=dict, description="Per kind (or '*' for the whole plan): maxChanges and maxDeletes."
    )

    @field_validator("protect", "windows", mode="before")
    @classmethod
    def _list_to_tuple(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value
