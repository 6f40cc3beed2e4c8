"""The per-object-read baseline: list every id, then one GET per object.

This is how Genesys's Terraform provider refreshes state: a read per resource. It runs
as its own process (like the CLI it is compared with), through the same
:class:`~reconciler.genesys.GenesysClient` with the same pacing, and prints one JSON
line: objects read and wall seconds from the first request to the last answer.

    python bench/per_object_read.py URL [--requests-per-minute N]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import anyio

from reconciler.genesys import ClientLimits, GenesysClient, resolve_target
from reconciler.kinds import KINDS
from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


async def read_every_object(url: str, limits: ClientLimits) -> dict[str, Any]:
    target = resolve_target(api_url=url, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, env={})
    async with GenesysClient(target, limits=limits) as client:
        started = time.perf_counter()
        listings: dict[str, list[dict[str, Any]]] = {}
        objects: list[Any] = []

        async def list_kind(kind: Any) -> None:
            listings[kind.name] = list(await client.list_all(kind))

        async def read(kind: Any, object_id: str) -> None:
            objects.append(await client.get(kind, object_id))

        async with anyio.create_task_group() as group:
            for kind in KINDS:
                group.start_soon(list_kind, kind)
        # A singleton kind's listing already is its one GET; every other object gets its own
        # (the client's own limits bound how many are in flight).
        async with anyio.create_task_group() as group:
            for kind in KINDS:
                if getattr(kind, "singleton", None) is None:
                    for obj in listings[kind.name]:
                        group.start_soon(read, kind, obj["id"])
        wall = time.perf_counter() - started
    return {"objects": len(objects), "wall": wall, "client": client.stats.as_dict()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--requests-per-minute", type=float, default=None)
    args = parser.parse_args()
    rpm = args.requests_per_minute
    limits = ClientLimits() if rpm is None else ClientLimits(requests_per_minute=rpm)
    print(json.dumps(anyio.run(read_every_object, args.url, limits)))


if __name__ == "__main__":
    main()
