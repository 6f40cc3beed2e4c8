"""The collection endpoints of every kind, built from the kind's data alone.

For each kind: list (in the kind's paging convention, see :mod:`.listing`), create,
read, update (whole object; ``version`` checked for versioned kinds) and delete, plus
the kind's after-write hook endpoint. A singleton kind gets ``GET``/``PUT`` on its
collection path instead (:mod:`.singleton`). Nothing here names a kind: rules come from
``kind.validate_body`` and the kind's live checks, defaults from the model, write-only
fields from ``kind.write_only``, what a read shows from :mod:`.present`.

Stored form: the object as the server shows it, plus write-only values and whatever
the sandbox keeps for itself (an internal version and dates where the API shows none).
Unordered lists are stored in a deterministic order that is not the order sent
(reverse canonical order), so clients prove they do not diff on it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.core.canonical import canonical_json
from reconciler.kinds import Kind, PostWriteHook
from reconciler.kinds.spec import FieldIssue, SpecModel
from reconciler.sandbox.audits import record_write
from reconciler.sandbox.present import present, unshown_fields
from reconciler.sandbox.responses import JSON, ApiProblem, bad_request, refuse_params
from reconciler.sandbox.store import DuplicateName, Missing, Store, VersionMismatch

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxState

PAGE_SIZE_DEFAULT = 25
PAGE_SIZE_MAX = 100
#: a placeholder standing for "the stored secret" while validating an update
_KEPT = "kept-secret-placeholder"


def now_iso() -> str:
    """ISO 8601 UTC with milliseconds, as Genesys writes dates."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or 400 naming ``body``."""
    raw = await request.body()
    if not raw.strip():
        raise bad_request([("body", "is required (a JSON object)")])
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise bad_request([("body", "is not valid JSON")]) from None
    if not isinstance(body, dict):
        raise bad_request([("body", "must be a JSON object")])
    return body


def stored_spec(kind: Kind, model: SpecModel) -> dict[str, Any]:
    data = model.model_dump(mode="json", exclude_none=True)
    for field in kind.unordered:
        if isinstance(data.get(field), list):
            data[field] = sorted(data[field], key=canonical_json, reverse=True)
    return data


def _issues(issues: list[FieldIssue]) -> ApiProblem:
    return bad_request([(issue.path, issue.message) for issue in issues], "object")


def _live_issues(kind: Kind, model: SpecModel) -> list[tuple[str, str]]:
    from reconciler.sandbox.catalog import check_live

    return check_live(kind, model)


def check_writable(kind: Kind, model: SpecModel | None, issues: list[FieldIssue]) -> SpecModel:
    """The model of a valid body, or 400 naming every rule it breaks (the live checks too)."""
    if model is None:
        raise _issues(issues)
    live = _live_issues(kind, model)
    if live:
        raise bad_request(live, "object")
    return model


def _superseded_routes(kind: Kind, state: SandboxState) -> list[Route]:
    """The deprecated listing at the collection's own path, where the kind's listing replaced it."""
    from reconciler.sandbox.listing import list_page, superseded

    old = superseded(kind)
    if old is None:
        return []

    async def list_by_page(request: Request) -> Response:
        await state.guard(request, kind.permissions.read, write=False)
        return await list_page(old, state.store, request, state.lag)

    return [Route(old.listing_path, list_by_page, methods=["GET"], name=f"{kind.name}.list-superseded")]


def collection_routes(kind: Kind, state: SandboxState) -> list[Route]:
    """The endpoints of one kind's collection (a singleton's two, else the five)."""
    if kind.singleton is not None:
        from reconciler.sandbox.singleton import singleton_routes

        return singleton_routes(kind, state)
    store = state.store
    base = kind.collection
    unshown = unshown_fields(kind, state.options.features_off)

    def body_name(body: Mapping[str, Any]) -> str:
        return str(body[kind.name_field])

    async def list_objects(request: Request) -> Response:
        from reconciler.sandbox.listing import list_page

        await state.guard(request, kind.permissions.read, write=False)
        return await list_page(kind, store, request, state.lag, unshown)

    async def create_object(request: Request) -> Response:
        await state.guard(request, kind.permissions.for_write("create"), write=True)
        refuse_params(request, (), "create")
        body = without_children(kind, await json_object(request))
        refuse_fields(body, kind.create_fields, kind, "the create request")
        model = check_writable(kind, *kind.validate_body(body))
        stamp = now_iso()
        object_id = str(uuid.uuid4())
        stored = {
            "id": object_id,
            "name": body_name(body),  # the store's identity; shown as the kind's name field
            kind.name_field: body_name(body),
            **stored_spec(kind, model),
            **_unpublished(kind),
            "version": 1,
            "dateCreated": stamp,
            "dateModified": stamp,
            "selfUri": f"{base}/{object_id}",
        }
        try:
            await run_in_threadpool(lambda: store.create(kind.name, stored, unique=kind.unique_names))
        except DuplicateName:
            raise duplicate(kind, body_name(body)) from None
        state.lag.record(kind.name, object_id, None, stored)
        await record_write(state, request, kind, "Create", None, stored)
        return JSON(present(kind, stored, unshown=unshown))

    async def read_object(request: Request) -> Response:
        await state.guard(request, kind.permissions.read, write=False)
        refuse_params(request, kind.listing.read_params(), "read")
        stored = await run_in_threadpool(store.get, kind.name, request.path_params["id"])
        stored = state.lag.view(kind.name, request.path_params["id"], stored)
        if stored is None:
            raise _not_found(kind, request.path_params["id"])
        return JSON(present(kind, stored, asked=request.query_params, unshown=unshown))

    async def update_object(request: Request) -> Response:
        """Replace an object whole. ``version`` must be the stored one (versioned kinds).

        A write-only field (``authSecret``) that the body omits keeps its stored value,
        since a client can never read it back to resend it; ``null`` clears it. When
        keeping it would break a rule (e.g. the auth scheme changed to one without a
        secret), it is dropped instead. A field the kind cannot change (``replace_on``)
        must keep its stored value. A write leaves a publishable object unpublished.
        """
        await state.guard(request, kind.permissions.for_write("update"), write=True)
        refuse_params(request, (), "update", unimplemented=kind.update_unsupported_params)
        body = without_children(kind, await json_object(request))
        object_id = request.path_params["id"]
        if kind.update_method == "PATCH":
            body = await patched(kind, store, object_id, body)
        version = body.get("version")
        version_issues: list[FieldIssue] = []
        if kind.versioned and "version" not in body:
            version_issues.append(FieldIssue(("version",), "is required: the version the update is based on"))
        elif kind.versioned and (not isinstance(version, int) or isinstance(version, bool)):
            version_issues.append(FieldIssue(("version",), "expected an integer"))
        omitted = [f for f in kind.write_only if f not in body]
        plain_model, plain_issues = kind.validate_body(body)
        kept_model, kept_issues = (None, plain_issues)
        if omitted:
            kept_model, kept_issues = kind.validate_body({**body, **{f: _KEPT for f in omitted}})
        if plain_model is None and kept_model is None:
            raise _issues(version_issues + min(kept_issues, plain_issues, key=len))
        if version_issues:
            raise _issues(version_issues)
        live = _live_issues(kind, plain_model or kept_model)  # type: ignore[arg-type]
        if live:
            raise bad_request(live, "object")

        before: list[dict[str, Any]] = []  # the object as it was, for the read lag and the audit log

        def build(current: dict[str, Any]) -> dict[str, Any]:
            before.append(current)
            keep = {f: current[f] for f in omitted if current.get(f) is not None}
            model = None
            if keep:
                model, _ = kind.validate_body({**body, **keep})
            if model is None:
                keep = {}
                model = plain_model
            if model is None:
                raise _issues(plain_issues)
            spec = stored_spec(kind, model)
            fixed = [f for f in kind.replace_on if spec.get(f) != current.get(f)]
            if fixed:
                raise bad_request(
                    [(f, f"cannot be changed (it is {current.get(f)!r}); create a new object instead") for f in fixed],
                    "object",
                )
            spec.update(keep)
            # a field left out that the kind does not manage when absent keeps its value (a topic's programIds)
            spec.update({f: current[f] for f in kind.unmanaged_when_absent if f not in body and f in current})
            return {
                "id": current["id"],
                "name": body_name(body),
                kind.name_field: body_name(body),
                **spec,
                **_unpublished(kind),
                "version": current["version"] + 1,
                "dateCreated": current["dateCreated"],
                "dateModified": now_iso(),
                "selfUri": current["selfUri"],
            }

        try:
            stored = await run_in_threadpool(
                lambda: store.replace(
                    kind.name, object_id, version if kind.versioned else None, build, unique=kind.unique_names
                )
            )
        except Missing:
            raise _not_found(kind, object_id) from None
        except VersionMismatch as exc:
            if kind.version_conflict_status == 400:  # the platform's answer (CX as Code IsVersionMismatch)
                raise ApiProblem(
                    400,
                    f"The version {version} of {kind.name} {object_id} does not match the current version "
                    f"({exc.stored}): it changed since it was read",
                    details=[("version", "does not match the current version")],
                ) from None
            raise ApiProblem(
                409,
                f"{kind.name} {object_id} is at version {exc.stored}, not {version}: it changed since it was read",
                code="version.mismatch",
                details=[("version", "does not match the stored version")],
                error_code="version.mismatch",
            ) from None
        except DuplicateName:
            raise duplicate(kind, body_name(body)) from None
        state.lag.record(kind.name, object_id, before[-1] if before else None, stored)
        await record_write(state, request, kind, "Update", before[-1] if before else None, stored)
        return JSON(present(kind, stored, unshown=unshown))

    async def delete_object(request: Request) -> Response:
        await state.guard(request, kind.permissions.for_write("delete"), write=True)
        refuse_params(request, kind.delete_params, "delete")
        object_id = request.path_params["id"]
        current = await run_in_threadpool(store.get, kind.name, object_id)  # for the read lag and the audit log
        _check_children_go(kind, request, current)
        deleted = await run_in_threadpool(store.delete, kind.name, object_id)
        if not deleted:
            raise _not_found(kind, object_id)
        state.lag.record(kind.name, object_id, current, None)
        await record_write(state, request, kind, "Delete", current, None)
        return Response(status_code=204)

    item = base + "/{id}"
    routes = [
        # the listing first: ``/credentials/listing`` must not be read as the credential with id "listing"
        Route(kind.listing_path, list_objects, methods=["GET"], name=f"{kind.name}.list"),
        Route(base, create_object, methods=["POST"], name=f"{kind.name}.create"),
        *_superseded_routes(kind, state),
        Route(item, read_object, methods=["GET"], name=f"{kind.name}.read"),
        Route(item, update_object, methods=[kind.update_method], name=f"{kind.name}.update"),
        Route(item, delete_object, methods=["DELETE"], name=f"{kind.name}.delete"),
    ]
    if kind.sub_resource is not None:
        from reconciler.sandbox.subresources import sub_resource_routes

        routes.extend(sub_resource_routes(kind, kind.sub_resource, state))
    if kind.children is not None:
        from reconciler.sandbox.children import child_routes

        routes.extend(child_routes(kind, kind.children, state))
    if kind.publish is not None:
        from reconciler.sandbox.jobs import job_routes

        routes.extend(job_routes(kind, kind.publish, state))
    return routes


def _check_children_go(kind: Kind, request: Request, current: Mapping[str, Any] | None) -> None:
    """An object that still has children is deleted only with the parameter that deletes them too.

    Assumed of the platform (docs/real-org-kinds.md): ``DELETE /architect/prompts/{id}`` without
    ``allResources=true`` does not take a prompt's resources with it, so the sandbox refuses it
    (``409``) while resources remain, and a client that forgets the parameter is caught here.
    """
    children = kind.children
    if children is None or children.delete_param is None or current is None or not current.get(children.field):
        return
    name, value = children.delete_param
    if str(request.query_params.get(name, "")).lower() != value:
        raise ApiProblem(
            409, f"{kind.name} {current.get('id')} still has {children.field}: delete it with {name}={value}",
            code="conflict",
        )


def without_children(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """A body without the kind's child collection: the platform writes it at its own path only."""
    return {k: v for k, v in body.items() if kind.children is None or k != kind.children.field}


def refuse_fields(body: Mapping[str, Any], allowed: tuple[str, ...] | None, kind: Kind, what: str) -> None:
    """400 for spec fields ``what`` does not take (an integration's create takes its type alone)."""
    if allowed is None:
        return
    extra = [f for f in kind.spec_fields if f in body and f not in allowed]
    if extra:
        raise bad_request([(f, f"is not a field of {what}") for f in extra], "object")


async def patched(kind: Kind, store: Store, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A ``PATCH`` body over the stored fields: only ``update_fields`` may change (``UpdateActionInput``)."""
    refuse_fields(body, kind.update_fields, kind, "an update")
    current = await run_in_threadpool(store.get, kind.name, object_id)
    if current is None:
        raise _not_found(kind, object_id)
    kept = {k: current[k] for k in (kind.name_field, *kind.spec_fields) if k in current}
    return {**kept, **body}


def _unpublished(kind: Kind) -> dict[str, Any]:
    """The publish flag of a freshly written object: a write leaves it a draft."""
    return {kind.publish.flag: False} if kind.publish is not None else {}


def hook_route(hook: PostWriteHook, state: SandboxState) -> Route:
    """An after-write endpoint (e.g. the TTS cache refresh): accepted, nothing else."""

    async def run_hook(request: Request) -> Response:
        await state.guard(request, hook.permissions, write=False)
        refuse_params(request, (), "request")
        return JSON({"status": "refreshing"}, status_code=202)

    return Route(hook.path, run_hook, methods=[hook.method], name=f"hook:{hook.path}")


def _not_found(kind: Kind, object_id: str) -> ApiProblem:
    return ApiProblem(404, f"No {kind.name} with id {object_id!r}")


def duplicate(kind: Kind, name: str) -> ApiProblem:
    return ApiProblem(
        409,
        f"A {kind.name} named {name!r} already exists (names are compared case-insensitively)",
        code="duplicate.name",
        details=[("name", "is already used by another object of this kind")],
        error_code="duplicate.name",
    )


__all__ = ["check_writable", "collection_routes", "hook_route", "json_object", "now_iso", "present"]
