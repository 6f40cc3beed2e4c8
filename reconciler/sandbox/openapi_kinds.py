"""The OpenAPI schemas and paths of one kind, from its data alone (see :mod:`.openapi`).

A contract kind gets ``<Kind>``, ``<Kind>Create``, ``<Kind>Update`` and
``<Kind>Listing`` and the five collection operations. The same code describes the
platform kinds' differences: a cursor listing and its envelope, a summary listing
(``<Kind>Summary``), a singleton (``GET``/``PUT`` on the collection), updates without
``version``, entity references shown for id lists, and publish jobs.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.kinds import Kind
from reconciler.kinds.spec import NAME_MAX
from reconciler.sandbox.listing import superseded
from reconciler.sandbox.responses import CORRELATION_HEADER

REF = "#/components/schemas/{model}"
JSON_MEDIA = "application/json"

NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": NAME_MAX,
    "pattern": r"\S",
    "description": f"1 to {NAME_MAX} characters, not only spaces; unique per kind, compared case-insensitively.",
}


def name_schema(kind: Kind) -> dict[str, Any]:
    """The name of ``kind``'s objects: :data:`NAME` at the kind's own cap (``Kind.name_max``: the
    platform's differ by kind), said to be shared where the platform lets names repeat."""
    if kind.unique_names and kind.name_max == NAME_MAX:
        return NAME
    rule = "unique per kind, compared case-insensitively" if kind.unique_names else (
        "several objects may share one (the platform allows it)"
    )
    described = f"1 to {kind.name_max} characters, not only spaces; {rule}."
    return {**NAME, "maxLength": kind.name_max, "description": described}


_ENTITY_REF = {"type": "object", "properties": {"id": {"type": "string"}, "selfUri": {"type": "string"}}}
SERVER_FIELDS: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "format": "uuid", "description": "Server-assigned id."},
    "version": {"type": "integer", "minimum": 1, "description": "Starts at 1, +1 on every update."},
    "dateCreated": {"type": "string", "format": "date-time", "description": "ISO 8601 UTC."},
    "dateModified": {"type": "string", "format": "date-time", "description": "ISO 8601 UTC."},
    "selfUri": {"type": "string", "description": "Path of this object."},
    "modifiedBy": {**_ENTITY_REF, "description": "Who last modified it."},
    "publishedBy": {**_ENTITY_REF, "description": "Who last published it."},
    "datePublished": {"type": "string", "format": "date-time", "description": "When it was last published."},
}
#: server fields every stored object shows (the others appear only once they apply)
ALWAYS_SHOWN = ("id", "version", "dateCreated", "dateModified", "selfUri")
_CORRELATION = {CORRELATION_HEADER: {"$ref": "#/components/headers/CorrelationId"}}
RESPONSE_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}
GUARDED = (401, 403, 429)
WRITTEN = (500, 503)


def ok(description: str, schema: dict[str, Any] | None, status: int = 200) -> dict[str, dict[str, Any]]:
    answer: dict[str, Any] = {"description": description, "headers": dict(_CORRELATION)}
    if schema is not None:
        answer["content"] = {JSON_MEDIA: {"schema": schema}}
    return {str(status): answer}


def errors(*statuses: int) -> dict[str, dict[str, Any]]:
    return {str(s): {"$ref": f"#/components/responses/{RESPONSE_NAMES[s]}"} for s in statuses}


def ref(model: str) -> dict[str, str]:
    return {"$ref": REF.format(model=model)}


def body(model: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON_MEDIA: {"schema": ref(model)}}}


def query(name: str, schema: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


# ---- schemas ------------------------------------------------------------------------


def _restrict(schema: dict[str, Any], fields: tuple[str, ...] | None, *, keep: tuple[str, ...]) -> None:
    """Leave only ``fields`` (and ``keep``) in a request schema; ``None``: every field stays."""
    if fields is None:
        return
    wanted = {*fields, *keep}
    schema["properties"] = {k: v for k, v in schema["properties"].items() if k in wanted}
    schema["required"] = [r for r in schema["required"] if r in wanted]


def kind_schemas(kind: Kind, components: dict[str, Any]) -> None:
    """Add the kind's object, request bodies and listing schemas to ``components``."""
    spec = kind.spec_model.model_json_schema(ref_template=REF)
    for def_name, definition in spec.pop("$defs", {}).items():
        if components.get(def_name, definition) != definition:
            raise ValueError(f"two kinds define different schemas named {def_name}")
        components[def_name] = definition
    spec_props: dict[str, Any] = spec["properties"]
    _named_sub_schema(kind, spec_props, components)
    required_spec: list[str] = list(spec.get("required", []))
    flag = kind.publish.flag if kind.publish else None
    # Any value is accepted and ignored, as the platform does when a client echoes a read. Not ``readOnly``:
    # a request validator takes that as "must not be sent".
    ignored = {
        name: {"description": "Ignored in requests (server-managed)."}
        for name in sorted(kind.server_managed, key=_server_order)
    }
    ignored.update(
        {f: {"description": "Ignored in requests (read-only flag)."} for f in kind.read_only}
    )
    ignored.update(
        {r.shown_as: {"description": f"Ignored in requests (send {r.field})."} for r in kind.id_refs}
    )
    ignored.update(
        {
            c: {"description": "Ignored in requests (listing count)."}
            for c in kind.listing.counted.values()
        }
    )
    request_props = copy.deepcopy(spec_props)
    if flag is not None:
        request_props[flag] = {"description": "Ignored in requests: publishing is a job of its own."}
    if kind.children is not None:  # written through its own collection after the object
        children = kind.children
        request_props[children.field] = {"description": f"Ignored in requests: written at {{id}}{children.path}."}
    named = {kind.name_field: name_schema(kind)} if kind.singleton is None else {}
    create: dict[str, Any] = {
        "type": "object",
        "description": f"Body of a {kind.name} create. {spec.get('description', '')}".strip(),
        "additionalProperties": False,
        "required": [*named, *(r for r in required_spec if r != flag)],
        "properties": {**named, **request_props, **ignored},
    }
    update = copy.deepcopy(create)
    if kind.versioned:
        update["description"] = f"Body of a {kind.name} update: the whole object and the version it is based on."
        update["required"] = [kind.name_field, "version", *create["required"][1:]]
        update["properties"]["version"] = {
            "type": "integer",
            "description": "The stored version this update is based on.",
        }
    else:
        update["description"] = f"Body of a {kind.name} update: the whole object (no version)."
    # a kind written by several requests takes only some fields in each (an integration's create: its type)
    _restrict(create, kind.create_fields, keep=(kind.name_field,))
    _restrict(update, kind.update_fields, keep=(kind.name_field, "version"))
    if kind.sub_resource is not None and kind.sub_resource.name_inner is not None:
        # named by its sub-resource: the update may leave the name out and keeps it then (SDK ``Integration``:
        # ``name`` optional; CX as Code's updateIntegration PATCHes ``IntendedState`` alone)
        update["required"] = [r for r in update["required"] if r != kind.name_field]
    components[kind.name] = _shown_object(kind, spec_props)
    if kind.singleton is None:
        components[f"{kind.name}Create"] = create
        components[f"{kind.name}Listing"] = _listing(kind)
        old = superseded(kind)
        if old is not None:
            components[f"{kind.name}PageListing"] = _listing(old)
    components[f"{kind.name}Update"] = update
    if kind.listing.is_summary:
        summary = copy.deepcopy(components[kind.name])
        summary["description"] = f"A {kind.name} as the listing shows it: counts instead of detail lists."
        for detail, count in kind.listing.counted.items():
            shown = next((r.shown_as for r in kind.id_refs if r.field == detail), detail)
            summary["properties"].pop(shown, None)
            summary["properties"][count] = {"type": "integer", "minimum": 0, "description": f"How many {shown}."}
            summary["required"] = [count if r == shown else r for r in summary["required"]]
        for detail in kind.listing.omitted:
            summary["properties"].pop(detail, None)
            summary["required"] = [r for r in summary["required"] if r != detail]
        components[f"{kind.name}Summary"] = summary
    if kind.publish is not None:
        _job_schemas(kind, components)


def _named_sub_schema(kind: Kind, spec_props: dict[str, Any], components: dict[str, Any]) -> None:
    """Reads of a sub-resource that carries the object's name (``SubResource.name_inner``) show it: documented
    read-only in the sub-resource's schema (never a field a manifest sets)."""
    sub = kind.sub_resource
    if sub is None or sub.name_inner is None:
        return

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        schema = next((b for b in schema.get("anyOf", ()) if "$ref" in b), schema)
        return components[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema

    inner = resolved(resolved(spec_props[sub.field])["properties"][sub.inner])
    inner["properties"][sub.name_inner] = {
        "type": "string",
        "readOnly": True,
        "description": f"The {kind.name}'s own name: every write of the {sub.field} sends it.",
    }


def _server_order(name: str) -> tuple[int, str]:
    """Known server fields in their documented order, then the others by name (never by set order)."""
    order = list(SERVER_FIELDS)
    return (order.index(name) if name in order else len(order)), name


def _shown_object(kind: Kind, spec_props: dict[str, Any]) -> dict[str, Any]:
    shown = {k: copy.deepcopy(v) for k, v in spec_props.items() if k not in kind.write_only}
    for value in shown.values():
        value.pop("default", None)
    for r in kind.id_refs:
        if r.field in shown:
            shown.pop(r.field)
            shown[r.shown_as] = {"type": "array", "items": _ENTITY_REF, "description": f"The entities of {r.field}."}
    refs = {r.field: r.shown_as for r in kind.id_refs}
    always = [
        refs.get(k, k)
        for k, v in kind.spec_model.model_fields.items()
        if k not in kind.write_only and (v.is_required() or v.get_default(call_default_factory=True) is not None)
    ]
    flags = {
        flag: {"type": "boolean", "readOnly": True, "description": f"Whether {secret} is set (never shown)."}
        for secret, flag in (kind.write_only.items() if kind.write_only_flagged else ())
    }
    server = {k: v for k, v in SERVER_FIELDS.items() if k in kind.server_managed}
    identity = {"id": SERVER_FIELDS["id"], kind.name_field: name_schema(kind)} if kind.singleton is None else {}
    if kind.singleton is None and "id" not in kind.server_managed:  # pragma: no cover - every collection kind has ids
        identity.pop("id")
    obj: dict[str, Any] = {
        "type": "object",
        "description": f"A stored {kind.name}: defaults filled, write-only fields replaced by their flags.",
        "additionalProperties": False,
        "required": [*identity, *always, *flags, *(k for k in server if k in ALWAYS_SHOWN and k != "id")],
        "properties": {**identity, **shown, **flags, **{k: v for k, v in server.items() if k != "id"}},
    }
    # fields a read shows only when asked (``expand``, ``includeConfig``) are never required
    asked_only = set(kind.listing.expand)
    obj["required"] = sorted(set(obj["required"]) - asked_only, key=list(obj["properties"]).index)
    return obj


def _listing(kind: Kind) -> dict[str, Any]:
    uri = {"type": "string"}
    item = f"{kind.name}Summary" if kind.listing.is_summary else kind.name
    props: dict[str, Any] = {
        "entities": {"type": "array", "items": ref(item)},
        "pageSize": {"type": "integer"},
        "pageNumber": {"type": "integer"},
        "total": {"type": "integer"},
        "pageCount": {"type": "integer"},
        "firstUri": uri,
        "lastUri": uri,
        "selfUri": uri,
        "nextUri": {"type": "string", "description": "Absent on the last page."},
        "previousUri": {"type": "string", "description": "Absent on the first page."},
    }
    envelope = kind.listing.envelope
    return {
        "type": "object",
        "required": [k for k in envelope if k not in ("nextUri", "previousUri")],
        "properties": {k: v for k, v in props.items() if k in envelope},
    }


def _job_schemas(kind: Kind, components: dict[str, Any]) -> None:
    publish = kind.publish
    assert publish is not None
    components[f"{kind.name}PublishRequest"] = {
        "type": "object",
        "required": [publish.ids_field],
        "properties": {
            publish.ids_field: {
                "type": "array",
                "minItems": 1,
                "maxItems": 100,
                "items": {"type": "string", "minLength": 1},
            }
        },
    }
    components[f"{kind.name}PublishJob"] = {
        "type": "object",
        "required": ["id", publish.state_field, publish.job_items_field, "dateCreated", "dateModified", "selfUri"],
        "properties": {
            "id": {"type": "string"},
            publish.state_field: {"type": "string", "enum": ["Running", *publish.done_states, *publish.failed_states]},
            publish.job_items_field: {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "selfUri": {"type": "string"}},
                },
            },
            "dateCreated": {"type": "string", "format": "date-time"},
            "dateModified": {"type": "string", "format": "date-time"},
            "selfUri": {"type": "string"},
        },
    }


__all__ = [
    "GUARDED",
    "JSON_MEDIA",
    "NAME",
    "REF",
    "RESPONSE_NAMES",
    "SERVER_FIELDS",
    "body",
    "errors",
    "kind_schemas",
    "ok",
    "query",
    "ref",
]
