"""A kind's child collection endpoints: list, create, update and delete children by key.

The platform writes an Architect user prompt's resources apart from the prompt
(``ArchitectApi``: ``get_architect_prompt_resources`` paged by ``pageNumber``,
``post_architect_prompt_resources`` with ``PromptAssetCreate``,
``put_architect_prompt_resource`` and ``delete_architect_prompt_resource`` by
``languageCode``). The sandbox keeps the children inside the stored object, where reads
with ``includeResources=true`` show them; a child is validated by the kind's own model (the
object with the new children must validate, so a language is unique and well formed).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.kinds import ChildCollection, Kind
from reconciler.sandbox.responses import JSON, ApiProblem, bad_request, refuse_params
from reconciler.sandbox.store import Missing

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxState

_PAGE_MAX = 100


def child_routes(kind: Kind, children: ChildCollection, state: SandboxState) -> list[Route]:
    """The four endpoints of ``kind``'s child collection."""
    from reconciler.sandbox.listing import int_param
    from reconciler.sandbox.resources import json_object, stored_spec

    store = state.store
    template = kind.collection + "/{id}" + children.path
    one = template + "/{key}"

    def shown(stored: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
        path = f"{kind.collection}/{stored['id']}{children.path}/{child[children.key]}"
        return {**child, "selfUri": path}

    def body_of(raw: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in raw.items() if k in children.fields and v is not None}

    async def change(request: Request, edit: Callable[[list[dict[str, Any]]], dict[str, Any] | None]) -> Any:
        """Apply ``edit`` to the stored children; the object with them must still validate."""
        object_id = request.path_params["id"]
        touched: list[dict[str, Any] | None] = []

        def build(current: dict[str, Any]) -> dict[str, Any]:
            listed = [dict(c) for c in current.get(children.field) or []]
            touched.append(edit(listed))
            spec = {k: current[k] for k in kind.spec_fields if k in current}
            whole = {kind.name_field: current["name"], **spec, children.field: [body_of(c) for c in listed]}
            model, issues = kind.validate_body(whole)
            if model is None:
                raise bad_request([(i.path, i.message) for i in issues], "object")
            kept = {str(c[children.key]): c for c in listed}
            ordered = stored_spec(kind, model).get(children.field, [])
            return {**current, children.field: [{**kept[str(c[children.key])], **c} for c in ordered]}

        try:
            stored = await run_in_threadpool(store.replace, kind.name, object_id, None, build)
        except Missing:
            raise ApiProblem(404, f"No {kind.name} with id {object_id!r}") from None
        return stored, touched[-1]

    def find(listed: list[dict[str, Any]], key: str) -> int:
        for index, child in enumerate(listed):
            if str(child.get(children.key, "")).lower() == key.lower():
                return index
        raise ApiProblem(404, f"No {children.field} {key!r} in this {kind.name}")

    async def list_children(request: Request) -> Response:
        await state.guard(request, kind.permissions.read, write=False)
        refuse_params(request, ("pageSize", "pageNumber"), "listing")
        stored = await run_in_threadpool(store.get, kind.name, request.path_params["id"])
        if stored is None:
            raise ApiProblem(404, f"No {kind.name} with id {request.path_params['id']!r}")
        size = int_param(request, "pageSize", 25, 1, _PAGE_MAX)
        number = int_param(request, "pageNumber", 1, 1, None)
        listed = [shown(stored, c) for c in stored.get(children.field) or []]
        count = max(math.ceil(len(listed) / size), 1)
        base = f"{kind.collection}/{stored['id']}{children.path}"
        page = {
            "entities": listed[(number - 1) * size : number * size],
            "pageSize": size,
            "pageNumber": number,
            "total": len(listed),
            "pageCount": count,
            "firstUri": f"{base}?pageSize={size}&pageNumber=1",
            "lastUri": f"{base}?pageSize={size}&pageNumber={count}",
            "selfUri": f"{base}?pageSize={size}&pageNumber={number}",
        }
        if number < count:
            page["nextUri"] = f"{base}?pageSize={size}&pageNumber={number + 1}"
        return JSON(page)

    async def create_child(request: Request) -> Response:
        await state.guard(request, kind.permissions.for_write("update"), write=True)
        refuse_params(request, (), "create")
        body = body_of(await json_object(request))
        if not isinstance(body.get(children.key), str):
            raise bad_request([(children.key, "is required")], "object")

        def add(listed: list[dict[str, Any]]) -> dict[str, Any]:
            if any(str(c.get(children.key, "")).lower() == body[children.key].lower() for c in listed):
                raise ApiProblem(409, f"{children.key} {body[children.key]!r} already exists", code="conflict")
            child = {"id": str(uuid.uuid4()), "promptId": request.path_params["id"], **body}
            listed.append(child)
            return child

        stored, child = await change(request, add)
        return JSON(shown(stored, child))

    async def update_child(request: Request) -> Response:
        await state.guard(request, kind.permissions.for_write("update"), write=True)
        refuse_params(request, (), "update")
        body = body_of(await json_object(request))
        key = request.path_params["key"]

        def edit(listed: list[dict[str, Any]]) -> dict[str, Any]:
            index = find(listed, key)
            kept = {k: v for k, v in listed[index].items() if k not in children.fields}
            listed[index] = {**kept, **body, children.key: listed[index][children.key]}
            return listed[index]

        stored, child = await change(request, edit)
        return JSON(shown(stored, child))

    async def delete_child(request: Request) -> Response:
        await state.guard(request, kind.permissions.for_write("update"), write=True)
        refuse_params(request, (), "delete")
        key = request.path_params["key"]
        await change(request, lambda listed: listed.pop(find(listed, key)))
        return Response(status_code=204)

    name = f"{kind.name}.{children.field}"
    return [
        Route(template, list_children, methods=["GET"], name=f"{name}.list"),
        Route(template, create_child, methods=["POST"], name=f"{name}.create"),
        Route(one, update_child, methods=["PUT"], name=f"{name}.update"),
        Route(one, delete_child, methods=["DELETE"], name=f"{name}.delete"),
    ]


__all__ = ["child_routes"]
