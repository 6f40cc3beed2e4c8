"""Publish jobs: ``POST <publish path>`` starts one, ``GET <publish path>/{jobId}`` reports it.

Built from a kind's :class:`~reconciler.kinds.Publish` binding (topics publish through
``/topics/publishjobs``). Like the platform's, a job is asynchronous: it answers
``Running`` when created and completes on a later poll (the second by default, or
once ``SandboxOptions.publish_seconds`` have passed on the sandbox's clock: real jobs
run for minutes, CX as Code waits up to 10), at which point every object it names is
marked published. With ``publish_fail_rate`` a job may end ``Failed`` instead
(decided when it starts), publishing nothing. Jobs live in the SQLite file
like objects do, so a job started through one process can be polled through another.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.kinds import Kind, Publish
from reconciler.sandbox.resources import json_object, now_iso
from reconciler.sandbox.responses import JSON, ApiProblem, bad_request, refuse_params
from reconciler.sandbox.store import Missing

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxState
    from reconciler.sandbox.store import Store

#: polls a job answers ``Running`` before it completes
POLLS_TO_COMPLETE = 2
MAX_IDS = 100


def _job_kind(kind: Kind) -> str:
    """The store's name for the jobs of ``kind`` (apart from its objects)."""
    return f"{kind.name}#jobs"


def _shown(job: dict[str, Any]) -> dict[str, Any]:
    hidden = ("name", "polls", "version", "objectIds", "startedAt", "fails")
    return {k: v for k, v in job.items() if k not in hidden}


def job_routes(kind: Kind, publish: Publish, state: SandboxState) -> list[Route]:
    store: Store = state.store

    async def start(request: Request) -> Response:
        await state.guard(request, publish.permissions, write=False)
        refuse_params(request, (), "publish job request")
        body = await json_object(request)
        ids = body.get(publish.ids_field)
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            raise bad_request([(publish.ids_field, "must be a list of 1 or more ids")], "job request")
        if len(ids) > MAX_IDS:
            raise bad_request(
                [(publish.ids_field, f"has {len(ids)} ids, more than the maximum {MAX_IDS}")], "job request"
            )
        found = [await run_in_threadpool(store.get, kind.name, i) for i in ids]
        missing = [i for i, obj in zip(ids, found, strict=True) if obj is None]
        if missing:
            raise bad_request([(publish.ids_field, f"no {kind.name} with id {i!r}") for i in missing], "job request")
        job_id = str(uuid.uuid4())
        stamp = now_iso()
        fails = state.options.publish_fail_rate > 0 and state.publish_rng.random() < state.options.publish_fail_rate
        job = {
            "id": job_id,
            "name": job_id,
            publish.state_field: "Running",
            publish.job_items_field: [{"id": o["id"], "name": o["name"], "selfUri": o["selfUri"]} for o in found if o],
            "dateCreated": stamp,
            "dateModified": stamp,
            "selfUri": f"{publish.path}/{job_id}",
            "polls": 0,
            "version": 1,
            "objectIds": list(ids),
            "startedAt": state.clock(),
            "fails": fails,
        }
        await run_in_threadpool(store.create, _job_kind(kind), job)
        return JSON(_shown(job))

    async def poll(request: Request) -> Response:
        await state.guard(request, publish.permissions, write=False)
        refuse_params(request, (), "read")
        job_id = request.path_params["jobId"]
        current = await run_in_threadpool(store.get, _job_kind(kind), job_id)
        if current is None:
            raise ApiProblem(404, f"No publish job with id {job_id!r}")
        running = current[publish.state_field] == "Running"
        if state.options.publish_seconds > 0:
            due = state.clock() >= current.get("startedAt", 0.0) + state.options.publish_seconds
        else:
            due = current["polls"] + 1 >= POLLS_TO_COMPLETE
        finishing = running and due
        failing = finishing and bool(current.get("fails"))
        if finishing and not failing:  # publish first, so that a Completed job always means published objects
            await run_in_threadpool(_publish, store, kind, publish, current["objectIds"])

        def advance(job: dict[str, Any]) -> dict[str, Any]:
            job = {**job, "polls": job["polls"] + 1}
            if finishing and job[publish.state_field] == "Running":
                job[publish.state_field] = publish.failed_states[0] if failing else publish.done_states[0]
                job["dateModified"] = now_iso()
            return job

        job = await run_in_threadpool(store.replace, _job_kind(kind), job_id, None, advance)
        return JSON(_shown(job))

    return [
        Route(publish.path, start, methods=["POST"], name=f"{kind.name}.publish"),
        Route(publish.path + "/{jobId}", poll, methods=["GET"], name=f"{kind.name}.publishjob"),
    ]


def _publish(store: Store, kind: Kind, publish: Publish, ids: list[str]) -> None:
    """Mark each object that still exists published."""
    stamp = now_iso()
    for object_id in ids:
        try:
            store.replace(kind.name, object_id, None, lambda o: {**o, publish.flag: True, "datePublished": stamp})
        except Missing:
            continue


__all__ = ["POLLS_TO_COMPLETE", "job_routes"]
