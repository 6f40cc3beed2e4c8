"""Benchmarks: the reconciler against a served sandbox on 127.0.0.1, figures to JSON and Markdown.

    .venv/bin/python bench/run.py            # full run, about 15 minutes: bench/results.json, bench/results-run.md
    .venv/bin/python bench/run.py --quick    # 100 and 1,000 objects, shorter throughput run; a smoke check

The code measured is the checkout this file lives in (its ``reconciler/`` goes first on
every process's path), so an export of any revision with this ``bench/`` copied in
measures that revision: that is how the "before" figures were taken (see README.md).

Not a test: nothing here asserts a speed. Every figure comes from a command that did
what it should (an apply that applied everything, a plan that found nothing to change);
otherwise the run stops rather than record it. See bench/README.md for what is measured how.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

from harness import (  # noqa: E402
    TOKEN_ENDPOINT,
    UNPACED_RPM,
    Requests,
    Run,
    check,
    cli_env,
    counting,
    median,
    run_cli,
    sandbox,
    workdir,
)

from tests.resilience._estate import Estate, write_estate  # noqa: E402

WRITE_METHODS = ("POST", "PUT", "DELETE")


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...]
    repeats: int
    #: largest estate whose per-object-read baseline is also run at the real rate limit
    paced_baseline_max: int
    throughput_objects: int
    startup_runs: int
    #: only start-up, apply and plan at each size: no baselines, no throughput run
    plan_only: bool
    label: str
    keep: bool

    @property
    def full(self) -> bool:
        return not self.plan_only


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- running the CLI ----------------------------------------------------------------


def env_for(cfg: Config, url: str | None) -> dict[str, str]:
    """The CLI's environment; this checkout's code first on the path, whatever is installed."""
    env = cli_env(url)
    env["PYTHONPATH"] = str(REPO)
    return env


def reconciler(cfg: Config, work: Path, url: str | None, *args: str, codes: tuple[int, ...] = (0,)) -> Run:
    target = ["--target", "genesys"] if url is not None else []
    return check(run_cli([*args, *target], env=env_for(cfg, url), cwd=work), *codes)


def counted(cfg: Config, work: Path, url: str, *args: str, codes: tuple[int, ...] = (0,)) -> tuple[Run, Requests]:
    with counting(url) as seen:
        run = reconciler(cfg, work, url, *args, codes=codes)
    return run, seen[0]


def plan_figures(runs: list[tuple[Run, Requests]]) -> dict[str, Any]:
    """Median wall and CPU over repeated no-change plans, with what each one asked of the API."""
    requests = {r.api for _, r in runs}
    if len(requests) != 1:
        raise SystemExit(f"benchmark aborted: repeated plans made different numbers of requests: {requests}")
    _, first = runs[0]
    return {
        "wall_s": round(median([run.wall for run, _ in runs]), 3),
        "wall_s_runs": [round(run.wall, 3) for run, _ in runs],
        "cpu_s": round(median([run.cpu for run, _ in runs]), 3),
        "cpu_s_runs": [round(run.cpu, 3) for run, _ in runs],
        "api_requests": first.api,
        "token_requests": first.token,
        "rate_limited": sum(r.rate_limited for _, r in runs),
        "by_endpoint": first.by_endpoint,
    }


def no_change_plan(cfg: Config, work: Path, url: str, estate: Estate, *extra: str) -> tuple[Run, Requests]:
    """``reconciler plan --detailed-exitcode``: exit 0 proves the estate is there and unchanged."""
    return counted(cfg, work, url, "plan", str(estate.root), "--detailed-exitcode", *extra)


def per_object_read(cfg: Config, url: str, rpm: float | None) -> dict[str, Any]:
    """The Terraform-style refresh in its own process; requests counted by the sandbox."""
    args = [sys.executable, str(BENCH / "per_object_read.py"), url]
    if rpm is not None:
        args += ["--requests-per-minute", str(rpm)]
    env = env_for(cfg, url)
    with counting(url) as seen:
        started = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"benchmark aborted: per-object-read baseline failed:\n{done.stderr[-3000:]}")
    inner = json.loads(done.stdout)
    return {
        "objects_read": inner["objects"],
        "wall_s": round(inner["wall"], 3),
        "process_wall_s": round(wall, 3),
        "api_requests": seen[0].api,
        "token_requests": seen[0].token,
        "rate_limited": seen[0].rate_limited,
    }


def ratio(baseline: dict[str, Any], ours: dict[str, Any]) -> dict[str, float]:
    return {
        "requests": round(baseline["api_requests"] / max(1, ours["api_requests"]), 1),
        "wall": round(baseline["wall_s"] / ours["wall_s"], 1),
    }


# ---- sections -------------------------------------------------------------------------


def startup(cfg: Config, work: Path) -> dict[str, Any]:
    """``reconciler --help``: process start to exit, median of many runs."""
    runs = [reconciler(cfg, work, None, "--help") for _ in range(cfg.startup_runs)]
    walls = sorted(run.wall for run in runs)
    return {
        "command": "reconciler --help",
        "runs": len(runs),
        "wall_s_median": round(median(walls), 3),
        "wall_s_max": round(walls[-1], 3),
        "cpu_s_median": round(median([run.cpu for run in runs]), 3),
    }


def size_section(cfg: Config, work: Path, n: int) -> dict[str, Any]:
    estate = write_estate(work / f"estate{n}", n)
    db = work / f"estate{n}.db"
    out: dict[str, Any] = {"objects": n, "counts": estate.counts}
    unpaced = ("--requests-per-minute", str(UNPACED_RPM))

    with sandbox(db, latency_ms=50, rate_limit=0) as served:
        log(f"{n}: apply (rate limit lifted, 50 ms latency)")
        audit = work / f"estate{n}.audit.jsonl"
        run, seen = counted(cfg, work, served.url, "apply", str(estate.root), "--auto-approve",
                            "--format", "json", "--audit-log", str(audit), *unpaced)
        result = json.loads(run.stdout)
        if result["counts"]["success"] != n or result["failed"]:
            raise SystemExit(f"benchmark aborted: apply of {n} did not apply everything: {result['counts']}")
        out["apply_lifted"] = {
            "wall_s": round(run.wall, 3),
            "cpu_s": round(run.cpu, 3),
            "api_requests": seen.api,
            "writes": writes_in(seen),
            "token_requests": seen.token,
            "rate_limited": seen.rate_limited,
            "outcomes": result["counts"],
        }
        if cfg.full:
            log(f"{n}: plan and per-object reads (rate limit lifted)")
            ours = plan_figures([no_change_plan(cfg, work, served.url, estate, *unpaced) for _ in range(cfg.repeats)])
            baseline = per_object_read(cfg, served.url, UNPACED_RPM)
            out["lifted"] = {"plan": ours, "per_object_read": baseline, "ratio": ratio(baseline, ours)}

    with sandbox(db, latency_ms=50) as served:  # the default rate limit: 300 a minute per token
        log(f"{n}: plan as shipped (50 ms latency, rate limit 300/min, default client pacing)")
        ours = plan_figures([no_change_plan(cfg, work, served.url, estate) for _ in range(cfg.repeats)])
        out["plan"] = ours
        if cfg.full and n <= cfg.paced_baseline_max:
            log(f"{n}: per-object reads at the same pacing ({n} GETs at 280/min)")
            baseline = per_object_read(cfg, served.url, None)
            out["paced"] = {"per_object_read": baseline, "ratio": ratio(baseline, ours)}

    with sandbox(db, latency_ms=0) as served:
        log(f"{n}: plan CPU (no latency)")
        runs = [no_change_plan(cfg, work, served.url, estate) for _ in range(cfg.repeats)]
        out["plan_no_latency"] = plan_figures(runs)
    return out


def throughput(cfg: Config, work: Path) -> dict[str, Any]:
    """Creates under the real limit: sandbox at 300/min and 50 ms, the CLI's default pacing."""
    n = cfg.throughput_objects
    estate = write_estate(work / f"throughput{n}", n)
    audit = work / "throughput.audit.jsonl"
    with sandbox(work / "throughput.db", latency_ms=50, rate_limit=300) as served:
        log(f"throughput: apply of {n} objects at --rate-limit 300 (about {n / 280:.1f} min)")
        run, seen = counted(cfg, work, served.url, "apply", str(estate.root), "--auto-approve", "--format", "json",
                            "--audit-log", str(audit), codes=(0, 1))
    result = json.loads(run.stdout)
    records = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
    writes = [r for r in records if r["type"] == "intent" and r["action"] in ("create", "update", "delete")]
    seqs = {r["seq"] for r in writes}
    outcomes = [r for r in records if r["type"] == "outcome" and r["intent_seq"] in seqs]
    first = min(_at(r) for r in writes)
    last = max(_at(r) for r in outcomes)
    span = last - first
    per_minute = len(writes) / span * 60
    server_writes = writes_in(seen)
    return {
        "objects": n,
        "sandbox_rate_limit_per_min": 300,
        "client_pacing_per_min": 280,
        "wall_s": round(run.wall, 3),
        "write_phase_s": round(span, 3),
        "writes": len(writes),
        "writes_per_min": round(per_minute, 1),
        "percent_of_limit": round(per_minute / 300 * 100, 1),
        "writes_per_min_whole_run": round(len(writes) / run.wall * 60, 1),
        "server_write_requests": server_writes,
        "api_requests": seen.api,
        "rate_limited": seen.rate_limited,
        "outcomes": result["counts"],
        "exit_code": run.code,
    }


def writes_in(seen: Requests) -> int:
    """Write requests the sandbox answered (POST, PUT, DELETE to the API; token requests are not writes)."""
    return sum(
        n
        for endpoint, n in seen.by_endpoint.items()
        if endpoint.split()[0] in WRITE_METHODS and endpoint != TOKEN_ENDPOINT
    )


def _at(record: dict[str, Any]) -> float:
    return datetime.fromisoformat(record["timestamp"]).timestamp()


def planner_only(cfg: Config) -> dict[str, Any]:
    import planner_only as engine_alone

    return engine_alone.measure(max(cfg.sizes))


# ---- the machine ----------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import yaml

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpu": cpu,
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def git_revision() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "reconciler"))}


# ---- main -------------------------------------------------------------------------------


def parse_args() -> tuple[Config, Path, Path | None, str | None]:
    parser = argparse.ArgumentParser(description="Benchmarks of the reconciler against a served sandbox.")
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 objects, a shorter throughput run")
    parser.add_argument("--sizes", default=None, help="comma-separated estate sizes (default 100,1000,10000)")
    parser.add_argument("--plan-only", action="store_true", help="start-up, apply and plan only (for before/after)")
    parser.add_argument("--label", default="current", help="what this run measures, e.g. 'before: <commit>'")
    parser.add_argument("--revision", default=None, help="the revision measured (default: git, if this is a checkout)")
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the figures (default bench/results.json for a full run, "
                             "a file in the temporary directory otherwise, so the committed figures stay)")
    parser.add_argument("--markdown", type=Path, default=None,
                        help="default bench/results-run.md for a full run: the section to paste into RESULTS.md, "
                             "which holds other runs' sections too")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (estates, databases, audit logs)")
    args = parser.parse_args()
    default_sizes = (100, 1000) if args.quick else (100, 1000, 10_000)
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else default_sizes
    cfg = Config(
        sizes=sizes,
        repeats=3,
        paced_baseline_max=100 if args.quick else 1000,
        throughput_objects=150 if args.quick else 600,
        startup_runs=20,
        plan_only=args.plan_only,
        label=args.label,
        keep=args.keep,
    )
    complete = cfg.full and not args.quick and args.sizes is None
    markdown = args.markdown
    if markdown is None and complete:
        markdown = BENCH / "results-run.md"
    scratch = Path(tempfile.gettempdir()) / "reconciler-bench.json"
    json_path = args.json or (BENCH / "results.json" if complete else scratch)
    return cfg, json_path, markdown, args.revision


def main() -> None:
    cfg, json_path, markdown_path, revision = parse_args()
    started = time.perf_counter()
    results: dict[str, Any] = {
        "label": cfg.label,
        "quick": cfg.sizes != (100, 1000, 10_000),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "code": {"commit": revision, "dirty": False} if revision else git_revision(),
    }
    with workdir(cfg.keep) as work:
        log(f"work directory {work}")
        sections: list[tuple[str, Callable[[], Any]]] = [("startup", lambda: startup(cfg, work))]
        sections += [(f"size_{n}", functools.partial(size_section, cfg, work, n)) for n in cfg.sizes]
        if cfg.full:
            sections += [("throughput", lambda: throughput(cfg, work)), ("planner_only", lambda: planner_only(cfg))]
        for name, section in sections:
            results[name] = section()
            json_path.write_text(json.dumps(results, indent=2) + "\n")  # partial results survive a failure
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["duration_s"] = round(time.perf_counter() - started, 1)
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    log(f"figures in {json_path}")
    if markdown_path is not None:
        import report

        before_path = BENCH / "results-before.json"
        before = json.loads(before_path.read_text()) if before_path.exists() else None
        markdown_path.write_text(report.render(results, before))
        log(f"table in {markdown_path}")


if __name__ == "__main__":
    main()
