"""A singleton kind's endpoints: ``GET`` and ``PUT`` on its collection path, nothing else.

An org always has exactly one (its TTS settings, say): before any write it holds
``Singleton.initial``, ``PUT`` replaces it whole (omitted fields take their defaults,
every rule and live check applies), and there is no create, no delete, no id and no
version, as on the platform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.kinds import Kind
from reconciler.sandbox.present import present, unshown_fields
from reconciler.sandbox.resources import check_writable, json_object, now_iso, stored_spec
from reconciler.sandbox.responses import JSON, refuse_params

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxState
    from reconciler.sandbox.store import Store


def _stored(kind: Kind, store: Store) -> dict[str, Any]:
    assert kind.singleton is not None
    found = store.get(kind.name, kind.singleton.name)
    if found is not None:
        return found
    model, _ = kind.validate_spec(kind.singleton.initial)
    spec = stored_spec(kind, model) if model is not None else dict(kind.singleton.initial)
    return {
        "id": kind.singleton.name,
        "name": kind.singleton.name,
        **spec,
        "version": 0,
        "dateCreated": "",
        "dateModified": "",
    }


def _replace(kind: Kind, store: Store, spec: dict[str, Any]) -> dict[str, Any]:
    """Store ``spec`` as the singleton: created by the first write, replaced by later ones."""
    assert kind.singleton is not None
    stamp = now_iso()
    name = kind.singleton.name

    def build(current: dict[str, Any] | None) -> dict[str, Any]:
        version = current["version"] if current else 0
        created = current["dateCreated"] if current else stamp
        return {"id": name, "name": name, **spec, "version": version + 1, "dateCreated": created, "dateModified": stamp}

    return store.upsert(kind.name, name, build)


def singleton_routes(kind: Kind, state: SandboxState) -> list[Route]:
    store = state.store
    unshown = unshown_fields(kind, state.options.features_off)

    async def read(request: Request) -> Response:
        await state.guard(request, kind.permissions.read, write=False)
        refuse_params(request, kind.listing.read_params(), "read")
        return JSON(present(kind, await run_in_threadpool(_stored, kind, store), asked=request.query_params,
                            unshown=unshown))

    async def replace(request: Request) -> Response:
        await state.guard(request, kind.permissions.for_write("update"), write=True)
        refuse_params(request, (), "update")
        body = await json_object(request)
        model = check_writable(kind, *kind.validate_body(body))
        spec = stored_spec(kind, model)
        assert kind.singleton is not None
        for omitted in (f for f in kind.unmanaged_when_absent if f not in spec and f in kind.singleton.initial):
            spec[omitted] = kind.singleton.initial[omitted]  # replaced whole: what the body leaves out is emptied
        stored = await run_in_threadpool(_replace, kind, store, spec)
        return JSON(present(kind, stored, unshown=unshown))

    return [
        Route(kind.collection, read, methods=["GET"], name=f"{kind.name}.get"),
        Route(kind.collection, replace, methods=["PUT"], name=f"{kind.name}.put"),
    ]


__all__ = ["singleton_routes"]
