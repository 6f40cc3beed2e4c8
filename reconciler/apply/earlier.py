"""Was this create already made by an earlier run, which the lagging listing does not show yet?

A platform's reads lag its writes (seconds). An apply run right after another may plan a
create for an object the first one created: its listing does not show it yet. For a kind
whose names must be unique the server refuses the second create (``409``); for one whose
names may repeat (``Kind.unique_names`` false: triggers, data actions, integrations and
their credentials) it accepts it, and the org then holds two objects of one name (a
trigger fires twice; every later plan stops on the shared name).

The audit log knows better than the listing: each successful create's outcome holds the
kind, name, target and id (:class:`~reconciler.audit.backlog.CreatedObject`, kept by the
backlog scan at the start of apply, so the log is not read again per change). Before such
a create is sent, an object of the same kind and name created on the same target within
:data:`RECENT_CREATE` (and not deleted by a run since) is read by its id, again while the
read says ``404`` (a lagging read, as a lost write is confirmed, within what is left of that
bound since the earlier write: :func:`reconciler.genesys.confirm.reads_within`). If it is there, nothing is
sent and the change is stale: plan again once the listing shows it. If it never shows, it
was deleted meanwhile, and the create goes ahead. When a run has since sent its delete and
never learned the outcome (killed, or the answer lost), a ``404`` is that delete's doing: it is
read once, without waiting (the wait cost every such create about 31 s).

A create sent by a run that is over (killed, or its outcome unrecorded) within the bound has no
id in the log, only its intent (:func:`reconciler.app.settling.lagging_create` keeps it open): it
is looked for by name, again while the listing does not show it, as a lost create's answer is
(:meth:`reconciler.genesys.GenesysClient.find_once_shown`). Found, nothing is sent (stale); never
shown within the bound, that create did not land and this one goes ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from reconciler.core.errors import ApiError, DuplicateNameError, NotFoundError
from reconciler.kinds import Kind

#: how old a create in the audit log may be and still be looked for. A real org's listings show a
#: write within seconds; the client waits about 31 s for a lost write to show, and CX as Code's
#: consistency checker allows 5 minutes. A create older than this is trusted to be listed (when the
#: listing lacks it, it was deleted); a younger one costs one read by id before its create.
RECENT_CREATE = timedelta(minutes=5)


@dataclass(frozen=True)
class EarlierCreate:
    """An object of this plan's kind and name that an earlier run created (as its audit log says)."""

    #: ``None`` for a create whose answer was never recorded: it is looked for by ``name``
    object_id: str | None
    #: when its create's outcome (or, without one, its intent) was recorded
    at: datetime
    #: a delete of it was sent since with no known fate (a killed run, a lost answer): a ``404`` is that delete
    delete_sent: bool = False
    name: str | None = None

    @property
    def when(self) -> str:
        return self.at.strftime("%Y-%m-%d %H:%M:%S UTC")


class Reader(Protocol):
    """What the check needs of the client (see :meth:`reconciler.genesys.GenesysClient.get_once_shown`)."""

    async def get(self, kind: Kind, object_id: str) -> dict[str, Any]: ...

    async def get_once_shown(self, kind: Kind, object_id: str, *, waited: float = 0.0) -> dict[str, Any] | None: ...

    async def find_once_shown(self, kind: Kind, name: str, *, waited: float = 0.0) -> dict[str, Any] | None: ...


async def created_earlier(kind: Kind, earlier: EarlierCreate | None, reader: Reader,
                          now: datetime | None = None) -> str | None:
    """Why a create of ``kind`` must not be sent (stale), or ``None`` to send it.

    The patient reads spend only what is left of the lag bound since the earlier write was
    recorded (``now`` less :attr:`EarlierCreate.at`): a re-run a minute after a stopped create
    reads once, where it waited 31 s whatever the time since.

    Only kinds whose names may repeat are checked: for the others the server refuses a
    second create itself (:func:`duplicate_reason` words that refusal). A read that fails
    otherwise than ``404`` raises (:class:`~reconciler.core.errors.ApiError`): nothing is sent.
    """
    if kind.unique_names or earlier is None:
        return None
    waited = ((now or datetime.now(UTC)) - earlier.at).total_seconds()
    if earlier.object_id is None:
        found = await reader.find_once_shown(kind, str(earlier.name), waited=waited)
        if found is None:
            return None
        return (f"an earlier run's create of this name landed without its answer recorded (sent at {earlier.when}, "
                f"id {found.get('id')}), which the listing does not show yet; nothing sent: run plan again shortly")
    if earlier.delete_sent:  # a 404 is that delete's doing, not a lagging read: one read, no wait
        try:
            await reader.get(kind, earlier.object_id)
        except NotFoundError:
            return None
    elif await reader.get_once_shown(kind, earlier.object_id, waited=waited) is None:
        return None
    return (f"created by an earlier run at {earlier.when} (id {earlier.object_id}), which the listing "
            "does not show yet; nothing sent: run plan again shortly")


def duplicate_reason(earlier: EarlierCreate | None, error: ApiError) -> str | None:
    """The words for a create refused because the name is taken, when an earlier run of ours took it."""
    if earlier is None or earlier.object_id is None or not isinstance(error, DuplicateNameError):
        return None
    return (f"created by an earlier run at {earlier.when} (id {earlier.object_id}), which the listing "
            f"did not show yet; run plan again shortly ({error})")


__all__ = ["RECENT_CREATE", "EarlierCreate", "Reader", "created_earlier", "duplicate_reason"]
