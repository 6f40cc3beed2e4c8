"""Writing an object's child collection after the object itself (a prompt's per-language resources).

The platform writes an Architect user prompt's resources apart from the prompt:
``GET``/``POST /prompts/{id}/resources`` and ``PUT``/``DELETE
/prompts/{id}/resources/{languageCode}`` (``ArchitectApi.get_architect_prompt_resources``,
``post_architect_prompt_resources``, ``put_architect_prompt_resource``,
``delete_architect_prompt_resource``). CX as Code's ``genesyscloud_architect_user_prompt``
does the same after creating or updating the prompt. Here the live children are read page by
page (``PromptAssetEntityListing``), :func:`~reconciler.kinds.children.child_writes` says what
differs, and only that is sent: an unchanged child is never written.

A child write whose answer is lost is retried like any other call. The retry of a create
that landed answers ``409`` (the child is there), and of a delete that landed ``404``: a
create is then read back and taken when the child holds what was sent, and a delete is done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.core.errors import ConflictError, NotFoundError
from reconciler.core.urls import path_segment
from reconciler.genesys.answers import describe, invalid
from reconciler.genesys.listing import envelope
from reconciler.genesys.paging import PageGuard
from reconciler.genesys.session import Session
from reconciler.kinds import Kind
from reconciler.kinds.children import child_fields, child_writes


async def read_children(session: Session, kind: Kind, object_id: str) -> list[dict[str, Any]]:
    """Every live child of one object, all pages (``pageNumber``/``pageSize``)."""
    assert kind.children is not None
    path = kind.item_path(object_id) + kind.children.path
    template = kind.item_template + kind.children.path
    size = kind.children.page_size
    guard = PageGuard(session.limits, path, size)

    key = kind.children.key

    async def page(number: int) -> tuple[Any, dict[str, Any]]:
        params = {"pageSize": str(size), "pageNumber": str(number)}
        response, _ = await session.call("GET", path, template, params=params)
        # Refused, not skipped: a page of "entities": null read as no children had every desired
        # child POSTed again, and a child without its key was left out of the comparison.
        body = envelope(response, path, identified=False)
        for index, child in enumerate(body["entities"]):
            value = child.get(key)
            if not isinstance(value, str) or not value.strip():
                shown = f"no {key}" if value is None else f"a {key} that is {describe(value)}"
                shown = f"an empty {key}" if isinstance(value, str) else shown
                raise invalid(response, "GET", path, f"entities[{index}] has {shown}")
        guard.arrived(response, body, page=number, asked=number)
        return response, body

    number = 1
    response, current = await page(number)
    count = guard.first(response, current)
    out: list[dict[str, Any]] = []
    while True:
        listed = current["entities"]
        out.extend(listed)
        if not listed or (number >= count and not current.get("nextUri")):
            return out
        number += 1
        response, current = await page(number)
        guard.check(response, current)


async def write_children(session: Session, kind: Kind, object_id: str, desired: Sequence[Mapping[str, Any]]) -> None:
    """Create the missing children, update the changed ones, delete those ``desired`` no longer lists."""
    children = kind.children
    assert children is not None
    path = kind.item_path(object_id) + children.path
    template = kind.item_template + children.path
    child_template = template + "/{" + children.key + "}"
    writes = child_writes(children, desired, await read_children(session, kind, object_id))
    for body in writes.create:
        try:
            await session.call("POST", path, template, json=body)
        except ConflictError:
            # a lost answer's retry: taken only when the child there holds what was sent
            live = await read_children(session, kind, object_id)
            key = str(body[children.key])
            if not any(str(c.get(children.key)) == key and child_fields(children, c) == body for c in live):
                raise
    for key, body in writes.update:
        await session.call("PUT", f"{path}/{path_segment(key)}", child_template, json=body)
    for key in writes.delete:
        try:
            await session.call("DELETE", f"{path}/{path_segment(key)}", child_template)
        except NotFoundError:
            pass  # gone: what a delete is for (a lost answer's retry, or another writer)


__all__ = ["read_children", "write_children"]
