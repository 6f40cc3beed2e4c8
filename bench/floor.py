"""Our plan against the parsing floor, and against a revision before the fixes, side by side in one run.

    .venv/bin/python bench/floor.py --before /tmp/bench-before --sizes 1000,10000 [--changed 1000,10000,50000]

For each size: the estate is written and applied once (this checkout, served sandbox on
127.0.0.1, no latency, limits lifted); the listing bytes the plan reads are saved. Then,
``--repeats`` times and interleaved (so both sides share the machine's moments of load),
three processes run: our no-change ``reconciler plan``, the same plan by the ``--before``
revision (an export of it: its ``reconciler/`` first on ``PYTHONPATH``), and
``bench/floor_proc.py`` (the floor: libyaml compose + json.loads of the same listing
bytes + a dict compare). CPU (user + system) and peak RSS come from ``wait4``; the medians
and ratios are written as JSON. ``--changed`` sizes run ``bench/changed_plan.py`` for
both revisions (a plan with every object changed, saved and rendered as JSON).
Counts, not assertions: nothing here fails on a slow figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import httpx  # noqa: E402
from harness import UNPACED_RPM, cli_command, cli_env, median, sandbox, workdir  # noqa: E402

from reconciler.kinds import KINDS  # noqa: E402
from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET  # noqa: E402
from tests.resilience._estate import write_estate  # noqa: E402


def run_measured(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """One process through ``bench/spawn.py`` (its own peak RSS, see there): CPU, peak RSS (MiB), wall, stdout."""
    usage_file = cwd / ".usage.json"
    with open(cwd / ".out", "w+b") as out, open(cwd / ".err", "w+b") as err:
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(BENCH / "spawn.py"), str(usage_file), *args],
                              env=env, cwd=cwd, stdout=out, stderr=err, check=False).returncode
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if code != 0:
        raise SystemExit(f"benchmark aborted: {' '.join(args)} exited {code}\n{stderr[-2000:]}")
    usage = json.loads(usage_file.read_text())
    return {"cpu_s": usage["cpu_s"], "rss_mib": usage["rss_mib"], "wall_s": wall, "stdout": stdout}


def save_listing(url: str, into: Path) -> int:
    """Every kind's listing as our plan reads it, at each endpoint's largest page: the floor reads these bytes.

    Page-numbered listings page by ``pageNumber``; cursor listings follow ``nextUri`` on the kind's listing
    path with the kind's listing parameters, as ``reconciler.genesys.listing`` does. Singletons are not listed.
    """
    into.mkdir(parents=True, exist_ok=True)
    token = httpx.post(url + "/oauth/token", data={"grant_type": "client_credentials"},
                       auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), timeout=30).json()["access_token"]
    pages = 0
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        for kind in KINDS:
            if kind.singleton is not None:
                continue
            number = 1
            params: dict[str, str | int] = {"pageSize": kind.listing.page_size_max, **kind.listing.list_params()}
            if kind.listing.style == "pages":
                params["pageNumber"] = number
            while True:
                answer = http.get(kind.listing_path, params=params)
                answer.raise_for_status()
                (into / f"{kind.name}.{number:05d}.json").write_bytes(answer.content)
                pages += 1
                next_uri = answer.json().get("nextUri")
                if not next_uri:
                    break
                number += 1
                if kind.listing.style == "pages":
                    params["pageNumber"] = number
                else:
                    params = {**kind.listing.list_params(), **httpx.URL(next_uri).params}
    return pages


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cpu_s": round(median([r["cpu_s"] for r in runs]), 3),
        "cpu_s_runs": [round(r["cpu_s"], 3) for r in runs],
        "rss_mib": round(median([r["rss_mib"] for r in runs]), 1),
        "wall_s": round(median([r["wall_s"] for r in runs]), 3),
    }


def size(n: int, work: Path, before: Path | None, repeats: int) -> dict[str, Any]:
    estate = write_estate(work / f"estate{n}", n)
    listing = work / f"listing{n}"
    unpaced = ["--requests-per-minute", str(UNPACED_RPM)]
    with sandbox(work / f"estate{n}.db", latency_ms=0, rate_limit=0) as served:
        env = {**cli_env(served.url), "PYTHONPATH": str(REPO)}
        print(f"[{time.strftime('%H:%M:%S')}] {n}: seeding (apply)", file=sys.stderr, flush=True)
        run_measured([*cli_command(), "apply", str(estate.root), "--auto-approve", "--target", "genesys",
                      "--audit-log", str(work / f"audit{n}.jsonl"), "--concurrency", "16", *unpaced], env, work)
        pages = save_listing(served.url, listing)
        plan = [*cli_command(), "plan", str(estate.root), "--detailed-exitcode", "--target", "genesys", *unpaced]
        floor = [sys.executable, str(BENCH / "floor_proc.py"), str(estate.root), str(listing)]
        sides: dict[str, list[dict[str, Any]]] = {"ours": [], "floor": []}
        if before is not None:
            sides["before"] = []
        for i in range(repeats):
            print(f"[{time.strftime('%H:%M:%S')}] {n}: round {i + 1}/{repeats}", file=sys.stderr, flush=True)
            sides["ours"].append(run_measured(plan, env, work))
            if before is not None:
                sides["before"].append(run_measured(plan, {**env, "PYTHONPATH": str(before)}, work))
            sides["floor"].append(run_measured(floor, env, work))
    out: dict[str, Any] = {"objects": n, "listing_pages": pages, **{k: summary(v) for k, v in sides.items()}}
    for side in ("ours", "before"):
        if side in out:
            out[side]["cpu_ratio_to_floor"] = round(out[side]["cpu_s"] / out["floor"]["cpu_s"], 2)
            out[side]["rss_ratio_to_floor"] = round(out[side]["rss_mib"] / out["floor"]["rss_mib"], 2)
    return out


def changed(n: int, work: Path, before: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {"objects": n}
    for side, path in (("ours", REPO), ("before", before)):
        if path is None:
            continue
        print(f"[{time.strftime('%H:%M:%S')}] changed plan {n}: {side}", file=sys.stderr, flush=True)
        env = {**cli_env(None), "PYTHONPATH": str(path)}
        run = run_measured([sys.executable, str(BENCH / "changed_plan.py"), str(n)], env, work)
        out[side] = {**json.loads(run["stdout"]), "process_rss_mib": round(run["rss_mib"], 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--changed", default="")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", type=Path, default=None, help="an export of the revision to compare with")
    parser.add_argument("--json", type=Path, default=BENCH / "results-floor.json")
    args = parser.parse_args()
    results: dict[str, Any] = {"started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                               "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    with workdir() as work:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            results[f"plan_{n}"] = size(n, work, args.before, args.repeats)
            args.json.write_text(json.dumps(results, indent=2) + "\n")
        for n in [int(s) for s in args.changed.split(",") if s]:
            results[f"changed_{n}"] = changed(n, work, args.before)
            args.json.write_text(json.dumps(results, indent=2) + "\n")
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
