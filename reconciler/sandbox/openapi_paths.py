"""The OpenAPI operations of one kind, from its data alone (the schemas they name: :mod:`.openapi_kinds`).

The five collection operations with the kind's listing parameters (the listing at its own
path where the kind has one, and a deprecated listing it replaced), a singleton's
``GET``/``PUT`` on the collection, the start and poll of a publish job, and a
sub-resource's ``GET``/``PUT`` (an integration's configuration).
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds import ChildCollection, Kind, SubResource
from reconciler.sandbox.listing import PAGE_NUMBER_MAX, superseded
from reconciler.sandbox.openapi_kinds import GUARDED, WRITTEN, body, errors, ok, query, ref


def kind_paths(kind: Kind) -> dict[str, Any]:
    """The operations of one kind."""
    if kind.singleton is not None:
        return _singleton_paths(kind)
    shown = ref(kind.name)
    read = [{"oauth": [kind.read_scope]}]
    write = [{"oauth": [kind.write_scope]}]
    item_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    update_summary = (
        "Replace the whole object; version must be the stored one. Omitted write-only fields keep their value."
    )
    if not kind.versioned:
        update_summary = "Replace the whole object (no version)."
    if kind.update_method == "PATCH":
        fields = ", ".join(kind.update_fields or kind.spec_fields)
        update_summary = f"Update {fields}; the other fields keep their value" + (
            "; version must be the stored one." if kind.versioned else "."
        )
    if kind.replace_on:
        update_summary += f" {', '.join(kind.replace_on)} cannot change."
    listing = _list_operation(kind, f"list{kind.name}s", f"List {kind.name} objects, a page at a time.", "Listing")
    create = {
        "operationId": f"create{kind.name}",
        "summary": f"Create a {kind.name}; omitted fields take their defaults.",
        "security": write,
        "requestBody": body(f"{kind.name}Create"),
        "responses": {**ok("The stored object.", shown), **errors(400, *GUARDED, 409, *WRITTEN)},
    }
    # the listing at its own path where it has one (credentials: ``…/credentials/listing``)
    paths: dict[str, Any] = {kind.listing_path: {"get": listing}}
    paths.setdefault(kind.collection, {})["post"] = create
    paths[kind.collection + "/{id}"] = {
        "parameters": [item_id],
        "get": {
            "operationId": f"get{kind.name}",
            "security": read,
            "responses": {**ok("The stored object.", shown), **errors(400, *GUARDED, 404)},
        },
        kind.update_method.lower(): {
            "operationId": f"update{kind.name}",
            "summary": update_summary,
            "security": write,
            "requestBody": body(f"{kind.name}Update"),
            "responses": {
                **ok("The stored object, version + 1." if kind.versioned else "The stored object.", shown),
                **errors(400, *GUARDED, 404, 409, *WRITTEN),
            },
        },
        "delete": {
            "operationId": f"delete{kind.name}",
            "security": write,
            **_delete_parameters(kind),
            "responses": {
                **ok("Deleted.", None, 204),
                **errors(400, *GUARDED, 404, *((409,) if kind.delete_params else ()), *WRITTEN),
            },
        },
    }
    old = superseded(kind)
    if old is not None:
        summary = f"List {kind.name} objects by page number (deprecated: see {kind.listing_path})."
        paths[kind.collection]["get"] = _list_operation(
            old, f"list{kind.name}sByPage", summary, "PageListing", deprecated=True
        )
    if kind.publish is not None:
        paths.update(_job_paths(kind))
    if kind.listing.expand:
        # the listing takes only the parameters of the fields it shows (Listing.list_params: the SDK's
        # get_integrations_actions has includeConfig but no expand; get_integrations_action has both)
        paths[kind.listing_path]["get"]["parameters"].extend(_asked(kind.listing.list_params()))
        paths[kind.collection + "/{id}"]["get"]["parameters"] = _asked(kind.listing.read_params())
    if kind.sub_resource is not None:
        paths.update(_sub_resource_paths(kind, kind.sub_resource, item_id, read, write))
    if kind.children is not None:
        paths.update(_child_paths(kind, kind.children, item_id, read, write))
    return paths


def _asked(params: dict[str, str]) -> list[dict[str, Any]]:
    """The query parameters that make a read show what it leaves out otherwise."""
    return [query(param, {"type": "string"}, f"{value}: show what reads leave out otherwise.")
            for param, value in params.items()]


def _child_paths(
    kind: Kind, children: ChildCollection, item_id: dict[str, Any], read: list[Any], write: list[Any]
) -> dict[str, Any]:
    """The child collection (a prompt's resources): list, create, and update/delete by key."""
    child = {"type": "object", "description": f"One of the object's {children.field}, keyed by {children.key}."}
    key = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}, "description": children.key}
    body = {"required": True, "content": {"application/json": {"schema": child}}}
    listing = {"type": "object", "description": f"A page of {children.field} (pageSize, pageNumber)."}
    base = kind.collection + "/{id}" + children.path
    title = children.field.title()
    return {
        base: {
            "parameters": [item_id],
            "get": {"operationId": f"list{kind.name}{title}", "security": read,
                    "responses": {**ok(f"A page of {children.field}.", listing), **errors(400, *GUARDED, 404)}},
            "post": {"operationId": f"create{kind.name}{title}", "security": write, "requestBody": body,
                     "responses": {**ok("The created child.", child), **errors(400, *GUARDED, 404, 409, *WRITTEN)}},
        },
        base + "/{key}": {
            "parameters": [item_id, key],
            "put": {"operationId": f"update{kind.name}{title}", "security": write, "requestBody": body,
                    "responses": {**ok("The updated child.", child), **errors(400, *GUARDED, 404, *WRITTEN)}},
            "delete": {"operationId": f"delete{kind.name}{title}", "security": write,
                       "responses": {**ok("Deleted.", None, 204), **errors(400, *GUARDED, 404, *WRITTEN)}},
        },
    }


def _delete_parameters(kind: Kind) -> dict[str, Any]:
    """A delete's query parameters: the one that takes the object's children with it (a prompt's ``allResources``)."""
    children = kind.children
    if children is None or children.delete_param is None:
        return {}
    name, value = children.delete_param
    described = f"{value}: the {children.field} go with the object; otherwise an object that has some is refused (409)."
    return {"parameters": [query(name, {"type": "string", "enum": [value]}, described)]}


def _sub_resource_paths(
    kind: Kind, sub: SubResource, item_id: dict[str, Any], read: list[Any], write: list[Any]
) -> dict[str, Any]:
    """``GET``/``PUT`` of a sub-resource (an integration's ``config/current``), with its own version."""
    shown = {"type": "object", "description": f"The {sub.field}.{sub.inner} of the object, with id and version."}
    return {
        kind.collection + "/{id}" + sub.path: {
            "parameters": [item_id],
            "get": {
                "operationId": f"get{kind.name}{sub.field.title()}",
                "security": read,
                "responses": {**ok(f"The {sub.field}.", shown), **errors(400, *GUARDED, 404)},
            },
            sub.method.lower(): {
                "operationId": f"update{kind.name}{sub.field.title()}",
                "summary": f"Replace the {sub.field}; version must be the {sub.field}'s current one.",
                "security": write,
                "requestBody": {"required": True, "content": {"application/json": {"schema": shown}}},
                "responses": {
                    **ok(f"The {sub.field}, version + 1.", shown),
                    **errors(400, *GUARDED, 404, 409, *WRITTEN),
                },
            },
        },
    }


def _list_operation(
    kind: Kind, operation_id: str, summary: str, envelope: str, *, deprecated: bool = False
) -> dict[str, Any]:
    """``GET`` of a listing in ``kind``'s convention, answered by the schema ``{kind.name}{envelope}``."""
    return {
        "operationId": operation_id,
        "summary": summary,
        **({"deprecated": True} if deprecated else {}),
        "security": [{"oauth": [kind.read_scope]}],
        "parameters": _list_parameters(kind),
        "responses": {**ok("One page.", ref(f"{kind.name}{envelope}")), **errors(400, *GUARDED)},
    }


def _list_parameters(kind: Kind) -> list[dict[str, Any]]:
    listing = kind.listing
    size = {"type": "integer", "minimum": 1, "maximum": listing.page_size_max, "default": listing.page_size_default}
    params = [query("pageSize", size)]
    if listing.style == "pages":
        params.append(query("pageNumber", {"type": "integer", "minimum": 1, "maximum": PAGE_NUMBER_MAX, "default": 1}))
    else:
        params.append(query(listing.cursor_param, {"type": "string"}, "Cursor of the next page (from nextUri)."))
        if listing.before_param:
            params.append(
                query(listing.before_param, {"type": "string"}, "Cursor of the previous page (from previousUri).")
            )
    if listing.name_filter:
        how = "Whole name" if listing.name_match == "exact" else "Part of the name"
        params.append(query(listing.name_filter, {"type": "string"}, f"{how}, case-insensitive."))
    return params


def _singleton_paths(kind: Kind) -> dict[str, Any]:
    shown = ref(kind.name)
    return {
        kind.collection: {
            "get": {
                "operationId": f"get{kind.name}",
                "summary": f"The org's {kind.name} (there is exactly one).",
                "security": [{"oauth": [kind.read_scope]}],
                "responses": {**ok("The settings.", shown), **errors(400, *GUARDED)},
            },
            kind.update_method.lower(): {
                "operationId": f"update{kind.name}",
                "summary": "Replace the settings whole; omitted fields take their defaults.",
                "security": [{"oauth": [kind.write_scope]}],
                "requestBody": body(f"{kind.name}Update"),
                "responses": {**ok("The stored settings.", shown), **errors(400, *GUARDED, *WRITTEN)},
            },
        }
    }


def _job_paths(kind: Kind) -> dict[str, Any]:
    publish = kind.publish
    assert publish is not None
    job = ref(f"{kind.name}PublishJob")
    return {
        publish.path: {
            "post": {
                "operationId": f"publish{kind.name}s",
                "summary": f"Start a job that publishes {kind.name} objects; poll it until it is done.",
                "security": [{"oauth": [publish.scope]}],
                "requestBody": body(f"{kind.name}PublishRequest"),
                "responses": {**ok("The job, running.", job), **errors(400, *GUARDED)},
            }
        },
        publish.path + "/{jobId}": {
            "parameters": [{"name": "jobId", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "operationId": f"get{kind.name}PublishJob",
                "security": [{"oauth": [kind.read_scope]}],
                "responses": {**ok("The job.", job), **errors(400, *GUARDED, 404)},
            },
        },
    }


__all__ = ["kind_paths"]
