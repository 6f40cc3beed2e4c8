"""A kind's sub-resource endpoints: ``GET``/``PUT {item}{path}`` (an integration's ``config/current``).

The platform writes an integration's configuration apart from the integration
(``IntegrationsApi.get_integration_config_current``/``put_integration_config_current``,
``IntegrationConfiguration``), with a ``version`` of its own that every ``PUT`` must
send back (``409`` otherwise). The sandbox keeps the configuration inside the stored
object, where reads with ``expand=config.current`` show it, and its version beside it.
Rules come from the kind's model: the object with the new sub-resource must validate.

The configuration's ``name`` is the integration's (``SubResource.name_inner``; SDK
``IntegrationConfiguration.name``: "The name of the integration"): reads of the
configuration show the integration's name there, and a ``PUT`` naming it otherwise
renames the integration, as the platform's integrations page shows the configuration's
name as the integration's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.kinds import Kind, SubResource
from reconciler.sandbox.responses import JSON, ApiProblem, bad_request, refuse_params
from reconciler.sandbox.store import DuplicateName, Missing

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxState

#: where the stored object keeps the sub-resource's version (never shown as a field of the object)
VERSION_KEY = "_subResourceVersion"
_SHOWN_ONLY = ("id", "version", "selfUri")


def sub_resource_routes(kind: Kind, sub: SubResource, state: SandboxState) -> list[Route]:
    """The two endpoints of ``kind``'s sub-resource."""
    from reconciler.sandbox.resources import duplicate, json_object, stored_spec

    store = state.store
    template = kind.collection + "/{id}" + sub.path

    def shown(stored: dict[str, Any]) -> dict[str, Any]:
        inner = dict((stored.get(sub.field) or {}).get(sub.inner) or {})
        if sub.name_inner is not None:
            inner[sub.name_inner] = stored["name"]
        path = f"{kind.collection}/{stored['id']}{sub.path}"
        return {"id": stored["id"], **inner, "version": stored.get(VERSION_KEY, 1), "selfUri": path}

    async def read(request: Request) -> Response:
        await state.guard(request, kind.permissions.read, write=False)
        refuse_params(request, (), "read")
        stored = await run_in_threadpool(store.get, kind.name, request.path_params["id"])
        if stored is None:
            raise ApiProblem(404, f"No {kind.name} with id {request.path_params['id']!r}")
        return JSON(shown(stored))

    async def write(request: Request) -> Response:
        await state.guard(request, kind.permissions.for_write("update"), write=True)
        refuse_params(request, (), "write")
        body = await json_object(request)
        object_id = request.path_params["id"]
        version = body.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise bad_request([("version", "is required: the version of the configuration the write is based on")])
        inner = {k: v for k, v in body.items() if k not in _SHOWN_ONLY}
        renamed = inner.pop(sub.name_inner, None) if sub.name_inner is not None else None
        if renamed is not None and (not isinstance(renamed, str) or not renamed.strip()):
            raise bad_request([(sub.name_inner or "name", "must be a non-empty string: the integration's name")])

        def build(current: dict[str, Any]) -> dict[str, Any]:
            at = current.get(VERSION_KEY, 1)
            if version != at:
                raise ApiProblem(
                    409,
                    f"the configuration of {kind.name} {object_id} is at version {at}, not {version}",
                    code="version.mismatch",
                    error_code="version.mismatch",
                )
            spec = {k: current[k] for k in kind.spec_fields if k in current}
            whole = {kind.name_field: current["name"], **spec, sub.field: {sub.inner: inner}}
            model, issues = kind.validate_body(whole)
            if model is None:
                raise bad_request([(i.path, i.message) for i in issues], "object")
            name = current["name"] if renamed is None else renamed
            return {**current, **stored_spec(kind, model), VERSION_KEY: at + 1, "name": name, kind.name_field: name}

        try:
            stored = await run_in_threadpool(
                lambda: store.replace(kind.name, object_id, None, build, unique=kind.unique_names)
            )
        except Missing:
            raise ApiProblem(404, f"No {kind.name} with id {object_id!r}") from None
        except DuplicateName:
            raise duplicate(kind, str(renamed)) from None
        return JSON(shown(stored))

    return [
        Route(template, read, methods=["GET"], name=f"{kind.name}.{sub.field}.read"),
        Route(template, write, methods=[sub.method], name=f"{kind.name}.{sub.field}.write"),
    ]


__all__ = ["VERSION_KEY", "sub_resource_routes"]
