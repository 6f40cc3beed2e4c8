"""Safe writes: creates, updates and deletes that stay correct when an answer is lost.

Writes are not idempotent. After an *ambiguous* failure (no answer, or a ``5xx``: the
server may have done it, see :func:`~reconciler.genesys.errors.is_ambiguous`), the next
attempt first finds out what happened:

* a create looks the name up and adopts what the lost answer created; nothing found,
  it is sent again; found with other content, it is a real name conflict;
* an update reads the object back: at ``version + 1`` with our content it landed;
  still at ``version`` it is sent again; anywhere else, someone else wrote meanwhile
  (:class:`~reconciler.core.errors.VersionMismatchError`, never forced);
* a delete that then finds nothing is done.

A real org's reads lag its writes, so "not there yet" is not taken for "never
happened" where that would create twice or report a false "stale" (see :mod:`.confirm`,
bounded to about 30 s): a kind whose names the platform does not keep unique
(``Kind.unique_names`` false: triggers) looks a lost create up until it shows or the
reads are spent before sending it again; a kind with unique names is sent again at once
(the server's ``409 duplicate.name`` then says it landed, and the look-up waits for it);
an update refused for its version after a lost attempt reads until the object moves.

Nothing is ever created twice. Whether a live object "holds what was sent" is the
caller's rule (the planner's notion of the same content), passed in as
:data:`SameContent`; this module never interprets a kind's fields. Without one, nothing
is confirmed: a lost write is re-sent only where that is provably safe, never adopted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from time import perf_counter
from typing import Any

from reconciler.core.errors import (
    ApiError,
    ConflictError,
    DuplicateNameError,
    NotFoundError,
    ServerError,
    VersionMismatchError,
)
from reconciler.genesys.answers import check_identity, correlation_id, invalid, json_object, unretried
from reconciler.genesys.children import write_children
from reconciler.genesys.confirm import find_shown, read_shown, read_until
from reconciler.genesys.errors import is_ambiguous
from reconciler.genesys.listing import check_same_object, renamed
from reconciler.genesys.lookup import find_by_name
from reconciler.genesys.result import WriteResult, adopted, answered
from reconciler.genesys.session import Session
from reconciler.kinds import Kind

SameContent = Callable[[Kind, Mapping[str, Any], Mapping[str, Any]], bool]
"""``(kind, sent, live)``: whether the live object holds what the write sent."""


def nothing_confirmed(kind: Kind, sent: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """The comparison of a client given none: no live object is ever taken for ours."""
    return False


class SafeWrites:
    """The three writes of a kind's objects, each one logical call with its own retry loop."""

    def __init__(self, session: Session, same_content: SameContent = nothing_confirmed) -> None:
        self._session = session
        self._same = same_content

    async def create(self, kind: Kind, body: Mapping[str, Any]) -> WriteResult:
        """``POST`` a new object; a ``409 duplicate.name`` on the first attempt is a real conflict.

        A kind whose create takes only some fields (``Kind.create_fields``) or that has a
        sub-resource gets the rest written by :meth:`update` right after: one logical write.
        An object created under another name than the one sent is refused, never adopted
        (:func:`~.listing.renamed`): judged on the ``POST``'s answer, or on the object the
        follow-up leaves where that names it (:func:`names_after_create`).
        """
        posted = await self._post_through_lag(kind, kind.create_body(body) if kind.writes_apart else body)
        if posted.object is None:
            return posted
        last = posted
        if kind.needs_follow_up(body):
            version = posted.object.get("version")
            object_id = str(posted.object["id"])
            last = await self.update(kind, object_id, body, version if isinstance(version, int) else 0)
        sent, where = body.get(kind.name_field), "once its follow-up writes were done"
        problem = renamed(kind, last.object, sent, where=where) if names_after_create(kind) else None
        if problem is not None:  # reported as the create's: the object is the one the POST made
            raise unretried(ServerError(
                posted.status, "invalid.response", problem,
                method=posted.method, path=posted.path, correlation_id=posted.correlation_id,
            ))  # fmt: skip
        return posted if last is posted else replace(posted, object=last.object)

    async def _post_through_lag(self, kind: Kind, body: Mapping[str, Any]) -> WriteResult:
        """:meth:`_post`, sent again after a ``400`` for a kind whose creates the platform refuses while its
        reads lag (``Kind.create_retries_400``), within the confirm bound; the last refusal is raised.

        A ``400`` created nothing, so sending again never duplicates; but an earlier attempt whose
        answer was lost may have, so once one was, every later attempt looks the name up before
        it sends. A refusal that lasts (a real validation error) costs the bound (about 30 s)
        before it is reported.
        """
        if not kind.create_retries_400:
            return await self._post(kind, body)
        lost = [False]  # whether an attempt so far lost its answer (it may have created the object)

        async def attempt() -> WriteResult | ApiError:
            try:
                return await self._post(kind, body, lost=lost)
            except ApiError as error:
                if error.status != 400:
                    raise
                return error

        outcome = await read_until(self._session, attempt, lambda answer: not isinstance(answer, ApiError))
        if isinstance(outcome, ApiError):
            raise outcome
        return outcome

    async def _post(self, kind: Kind, body: Mapping[str, Any], *, lost: list[bool] | None = None) -> WriteResult:
        """``POST`` with its retries; ``lost`` (shared by the calls of one create) carries over whether an
        earlier call lost an answer, so this one looks the name up before it sends."""
        path = kind.collection
        secrets = body_secrets(kind, body)
        started = perf_counter()
        ambiguous = bool(lost and lost[0])
        async for attempt in self._session.retrying():
            with attempt:
                number = attempt.retry_state.attempt_number
                if ambiguous:
                    found = await self._adopt_lost_create(kind, body, patient=not kind.unique_names)
                    if found is not None:
                        return adopted(self._session.stats, found, "POST", path, started, number)
                try:
                    response = await self._session.exchange("POST", path, path, json=dict(body), secrets=secrets)
                    created = json_object(response, "POST", path)
                    check_identity(
                        created, response, "POST", path, where="the created object", named=False,
                        revision_field=kind.revision_field,
                    )
                    problem = None if names_after_create(kind) else renamed(kind, created, body.get(kind.name_field))
                    if problem is not None:
                        raise unretried(invalid(response, "POST", path, problem))
                except ApiError as error:
                    if is_ambiguous(error):
                        ambiguous = True
                        if lost is not None:
                            lost[0] = True
                    elif isinstance(error, DuplicateNameError) and ambiguous:
                        # The lost attempt landed (maybe not yet listed): it is ours.
                        found = await self._adopt_lost_create(kind, body, patient=True)
                        if found is not None:
                            return adopted(self._session.stats, found, "POST", path, started, number)
                    raise
                return answered(response, created, "POST", path, started, number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def update(self, kind: Kind, object_id: str, body: Mapping[str, Any], version: int) -> WriteResult:
        """``PUT`` the whole object (or ``PATCH`` the kind's ``update_fields``) with the ``version`` read,
        its sub-resource and its children if it has them; ``409 version.mismatch`` is raised, never forced.

        The sub-resource goes first: CX as Code's ``createIntegration`` and ``updateIntegration``
        (``genesyscloud/integration/resource_genesyscloud_integration.go``) call
        ``updateIntegrationConfigFromResourceData`` before the ``PATCH`` of ``intendedState``, so an
        integration is never enabled before its credentials are in place; and the ``PATCH`` is sent
        only when it changes something (CX as Code: ``if d.HasChange("intended_state")``), judged on the
        object read after the configuration (:func:`changes_nothing`). The result then describes
        that first write request (``PUT …/config/current``), as the audit's intent does
        (``Kind.first_update_request``); a failure of the ``PATCH`` after it is raised as the ``PATCH``'s
        own, and a re-run writes the configuration (unchanged) and the ``PATCH`` again. Children
        (a prompt's resources) follow the object, as before. The ``PATCH`` never carries the name
        (``Kind.update_body``): a body without a configuration renames the integration through the
        configuration's ``PUT``, the rest of it sent back as read, when the name read there differs.
        """
        sub, children = kind.sub_body(body), kind.child_body(body)
        rename = kind.rename_sub(body)
        first: WriteResult | None = None
        if sub is not None:
            first = await self._write_sub(kind, object_id, sub, body_secrets(kind, body))
        elif rename is not None:  # renamed through the configuration, sent only when its name differs
            first = await self._write_sub(kind, object_id, rename, body_secrets(kind, body), as_read=True)
        if first is None:
            updated = await self._put(kind, object_id, body, version)
            if children is None:
                return updated
        else:
            updated = first
            live = await read_shown(self._session, kind, object_id)
            if not changes_nothing(kind, body, live):
                await self._put(kind, object_id, body, version)
            elif children is None:
                return replace(updated, object=live)
        if children is not None:
            await write_children(self._session, kind, object_id, children)
        return replace(updated, object=await read_shown(self._session, kind, object_id))

    async def _write_sub(
        self, kind: Kind, object_id: str, sub: dict[str, Any], secrets: tuple[str, ...], *, as_read: bool = False
    ) -> WriteResult | None:
        """Write a sub-resource (an integration's ``config/current``) with the version it is at now.

        ``as_read``: ``sub`` (the name alone, ``Kind.rename_sub``) goes over the sub-resource as read
        (``Kind.sub_as_read``), and nothing is written (``None``) when it changes nothing there: a body
        without a configuration renames the integration through it, never through the ``PATCH``.

        A version conflict (any ``409``, or the ``400`` "does not match the current version") reads
        the version again and writes again, as CX as Code's ``genesyscloud_integration`` does
        (``util.RetryWhen(util.IsVersionMismatch, …)`` around its GET and PUT of the configuration):
        the sub-resource is written whole, so the version only guards the moment between the two,
        and right after a create a lagging read may show a version already passed. Bounded like
        every confirmation (:func:`~.confirm.read_until`); the last conflict is raised.
        """
        assert kind.sub_resource is not None
        path = kind.item_path(object_id) + kind.sub_resource.path
        template = kind.item_template + kind.sub_resource.path
        method = kind.sub_resource.method
        started = perf_counter()

        async def attempt() -> ConflictError | WriteResult | None:
            response, _ = await self._session.call("GET", path, template)
            current = json_object(response, "GET", path)
            version = current.get("version")
            if as_read and all(current.get(k) == v for k, v in sub.items()):
                return None
            # fields the manifest leaves unmanaged go back as read: the PUT replaces the whole sub-resource
            kept = {**kind.sub_as_read(current), **sub} if as_read else kind.sub_keeping_live(sub, current)
            payload = {**kept, "version": version if isinstance(version, int) else 1}
            try:
                written, attempts = await self._session.call(method, path, template, json=payload, secrets=secrets)
            except DuplicateNameError:
                raise  # not a version: reading again changes nothing
            except ConflictError as conflict:  # VersionMismatchError included (409 or 400 with the text)
                return conflict
            return answered(written, None, method, path, started, attempts)

        outcome = await read_until(self._session, attempt, lambda outcome: not isinstance(outcome, ConflictError))
        if isinstance(outcome, ConflictError):
            raise outcome
        return outcome

    async def _put(self, kind: Kind, object_id: str, body: Mapping[str, Any], version: int) -> WriteResult:
        path = kind.item_path(object_id)
        template = kind.item_template
        method = kind.update_method
        if kind.update_fields is not None or kind.writes_apart:
            body = kind.update_body(body)
        payload = {k: v for k, v in body.items() if k not in ("id", "version")}
        if kind.versioned:
            payload["version"] = version
        secrets = body_secrets(kind, body)
        started = perf_counter()
        ambiguous = False
        async for attempt in self._session.retrying():
            with attempt:
                number = attempt.retry_state.attempt_number
                if ambiguous:
                    landed = await self._settle_lost_update(kind, object_id, body, version, path)
                    if landed is not None:
                        return adopted(self._session.stats, landed, method, path, started, number)
                try:
                    response = await self._session.exchange(method, path, template, json=payload, secrets=secrets)
                    updated = json_object(response, method, path)
                    if kind.singleton is None:  # a singleton's id is not the path's (which is the collection)
                        # refused as a garbled answer: ambiguous, so the next attempt reads back what landed
                        check_same_object(updated, object_id, response, method, path)
                        check_identity(
                            {"id": object_id, **updated}, response, method, path, where="the updated object",
                            named=False, revision_field=kind.revision_field,
                        )
                except ApiError as error:
                    if is_ambiguous(error):
                        ambiguous = True
                    elif isinstance(error, VersionMismatchError) and ambiguous:
                        # the lost attempt may have landed while reads still show the old version
                        landed = await self._settle_lost_update(kind, object_id, body, version, path, patient=True)
                        if landed is not None:
                            return adopted(self._session.stats, landed, method, path, started, number)
                    raise
                return answered(response, updated, method, path, started, number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def delete(self, kind: Kind, object_id: str) -> WriteResult:
        """``DELETE`` one object; a ``404`` after a lost answer means the lost attempt did it."""
        if kind.singleton is not None:
            raise ValueError(f"{kind.name} is a singleton: it is never deleted")
        path = kind.item_path(object_id)
        started = perf_counter()
        ambiguous = False
        async for attempt in self._session.retrying():
            with attempt:
                number = attempt.retry_state.attempt_number
                try:
                    params = kind.delete_params or None  # a prompt's allResources=true
                    response = await self._session.exchange("DELETE", path, kind.item_template, params=params)
                except NotFoundError as error:
                    if not ambiguous:
                        raise
                    return adopted(
                        self._session.stats, None, "DELETE", path, started, number,
                        status=error.status, correlation=error.correlation_id,
                    )
                except ApiError as error:
                    ambiguous = ambiguous or is_ambiguous(error)
                    raise
                return answered(response, None, "DELETE", path, started, number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _adopt_lost_create(
        self, kind: Kind, body: Mapping[str, Any], *, patient: bool = False
    ) -> dict[str, Any] | None:
        """The object a lost create made, or None if it made nothing.

        ``patient``: look again while the (lagging) listing does not show it, within the
        bound of :mod:`.confirm`. An object with the name but other content was not made
        by us: that is a real name conflict, never adopted.
        """
        name = str(body[kind.name_field])
        look = find_shown if patient else find_by_name
        found, response = await look(self._session, kind, name)
        if found is None:
            return None
        # a create that takes some fields only is compared on those (its follow-up writes the rest)
        shown = kind.create_body(found) if kind.create_fields is not None else found
        if not self._same(kind, body, shown):
            raise DuplicateNameError(
                409,
                "duplicate.name",
                "an object with this name exists with other content; it was not adopted",
                method="POST",
                path=kind.collection,
                correlation_id=correlation_id(response) if response is not None else None,
            )
        return found

    async def _settle_lost_update(
        self, kind: Kind, object_id: str, body: Mapping[str, Any], version: int, path: str, *, patient: bool = False
    ) -> dict[str, Any] | None:
        """Read back after a lost update: the object if it landed, None to send again, else a mismatch.

        Without versions, an object that reads as what we sent is taken as landed, and anything
        else is sent again (a whole-object ``PUT`` can be repeated), as is a write-only value. ``patient``
        (the server refused the version): read again while reads still show ``version``.
        """

        async def look() -> dict[str, Any]:
            return await read_shown(self._session, kind, object_id)  # a create's follow-up: the read may lag it

        if patient and kind.versioned:
            live = await read_until(self._session, look, lambda obj: obj.get("version") != version)
        else:
            live = await look()
        if not kind.versioned:
            # a write-only value (a rotated secret) never reads back: the whole-object write is sent again
            unseen = any(body.get(field) is not None for field in kind.write_only)
            return live if not unseen and self._same(kind, body, live) else None
        live_version = live.get("version")
        if live_version == version + 1 and self._same(kind, body, live):
            return live
        if live_version == version:
            return None
        raise VersionMismatchError(
            409,
            "version.mismatch",
            f"changed since read: version {version} was read, the live object is at version {live_version}",
            method=kind.update_method,
            path=path,
        )


def changes_nothing(kind: Kind, body: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """Whether the object's own update would send only what ``live`` shows already (an integration's
    ``PATCH`` of the ``intendedState`` it has). Plain JSON equality: any doubt sends the update."""
    sent = kind.update_body(body) if kind.update_fields is not None or kind.writes_apart else dict(body)
    return all(live.get(k) == v for k, v in sent.items() if k not in ("id", "version"))


def names_after_create(kind: Kind) -> bool:
    """Whether the name a create sends is written again right after, by a sub-resource that carries it.

    An integration's configuration ``name`` is the integration's (``SubResource.name_inner``), and CX as
    Code creates an integration with its type alone and names it by that ``PUT``: the ``POST``'s answer
    may show a name the platform chose, so the name is judged on the object the follow-up leaves.
    """
    return kind.sub_resource is not None and kind.sub_resource.name_inner is not None


def body_secrets(kind: Kind, body: Mapping[str, Any]) -> tuple[str, ...]:
    """Values of write-only fields: never allowed to surface in an error message."""
    values = [body.get(f) for f in kind.write_only]
    texts = [v for value in values for v in (value.values() if isinstance(value, Mapping) else [value])]
    return tuple(str(v) for v in texts if isinstance(v, str) and v)
