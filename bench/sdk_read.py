"""A per-object reader using the official SDK (``PureCloudPlatformClientV2``), 8 threads.

    python bench/sdk_read.py URL COLLECTION [COLLECTION...] [--threads 8] [--page-size 100]

How the Terraform provider refreshes: list the ids of each collection page by page, then
GET every object by its id, several at a time. Here the SDK's own ``ApiClient`` does every
request (its client-credentials login, its urllib3 client, its header and query handling,
its JSON deserialization into plain objects: these endpoints have no typed model in the
SDK, so ``response_type="object"``, which is if anything cheaper than a model), from
``--threads`` threads. The SDK's connection pool holds 4 connections by default; it is
given one per thread so that no thread opens and drops connections (fair to the SDK).

Its own process; prints one JSON line: objects read, requests sent, wall seconds from the
first request to the last answer (login excluded), and the import's cost (the SDK is large).
Talks to URL only (the benchmark passes the served sandbox on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

AUTH = ["PureCloud OAuth"]


def rss_now_mib() -> float:
    """This process's resident set now (``VmRSS``), MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("collections", nargs="+")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--client-id", default="sandbox")
    parser.add_argument("--client-secret", default="sandbox-secret")
    args = parser.parse_args()
    if not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        raise SystemExit("sdk_read.py talks to a local sandbox only")

    cpu0, wall0 = time.process_time(), time.perf_counter()
    # The SDK's import is part of what a user of it pays. It ships no type information (no py.typed).
    import PureCloudPlatformClientV2 as sdk  # type: ignore[import-untyped]
    from PureCloudPlatformClientV2.rest import RESTClientObject  # type: ignore[import-untyped]

    imported = {"import_cpu_s": round(time.process_time() - cpu0, 3),
                "import_wall_s": round(time.perf_counter() - wall0, 3), "rss_after_import_mib": round(rss_now_mib(), 1)}

    api = sdk.ApiClient(host=args.url)
    api.get_client_credentials_token(args.client_id, args.client_secret)
    api.get_http_client().rest_client = RESTClientObject(pools_size=4, max_size=args.threads)
    requests = 0

    def get(path: str, query: dict[str, Any] | None = None) -> Any:
        return api.call_api(path, "GET", query_params=query, response_type="object", auth_settings=AUTH)

    started = time.perf_counter()
    ids: list[tuple[str, str]] = []
    for collection in args.collections:
        number = 1
        while True:
            page = get(collection, {"pageSize": args.page_size, "pageNumber": number})
            requests += 1
            ids.extend((collection, str(obj["id"])) for obj in page.get("entities") or [])
            if number >= int(page.get("pageCount") or 0):
                break
            number += 1
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        objects = list(pool.map(lambda item: get(f"{item[0]}/{item[1]}"), ids))
    requests += len(objects)
    wall = time.perf_counter() - started
    print(json.dumps({"objects": len(objects), "requests": requests, "wall_s": round(wall, 3),
                      "threads": args.threads, "page_size": args.page_size, **imported,
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
