"""``bench/RESULTS.md`` from the figures of a run (and of a "before" run, if there is one).

Only figures present in the JSON are printed; a section whose run did not happen says
so instead of showing a number. ``run.py`` calls :func:`render`; running this file
prints the section again from ``results.json`` (and ``results-before.json``) without
measuring anything. It prints rather than writes ``RESULTS.md``: that file holds the
sections of other runs (``issue17.py``'s) too, pasted by hand, and rewriting it whole
would lose them.

    .venv/bin/python bench/report.py > bench/results-run.md
"""

from __future__ import annotations

from typing import Any

Results = dict[str, Any]

#: the client's default pacing (reconciler.genesys.limits.ClientLimits), for the notes
PACE = 280
BURST = 16


def render(results: Results, before: Results | None = None) -> str:
    parts = [
        _header(results),
        _targets(results),
        _sizes(results),
        _baseline(results),
        _throughput(results),
        _planner_only(results),
        _before_after(before, results) if before else "",
        METHOD,
    ]
    return "\n".join(p for p in parts if p).rstrip() + "\n"


# ---- pieces ------------------------------------------------------------------------


def _header(r: Results) -> str:
    m = r["machine"]
    code = r["code"]
    dirty = " plus uncommitted changes under `reconciler/`" if code.get("dirty") else ""
    revision = f"`{code['commit'][:12]}`" + dirty
    return "\n".join([
        "# Benchmark results",
        "",
        f"Measured by `python bench/run.py` on {r['started_at'][:10]} "
        f"(run took {r.get('duration_s', 0) / 60:.0f} min), "
        f"code at {revision}. Figures are in `bench/results.json`; `bench/README.md` says how to run it.",
        "",
        f"Machine: {m['cpu']}, {m['cpus_usable']} usable CPUs, {m['memory_gib']} GiB RAM, {m['os']}, "
        f"Python {m['python']} (PyYAML with libyaml: {'yes' if m['libyaml'] else 'no'}). Load average "
        f"{_load(m['load_average_at_start'])} at the start and {_load(m.get('load_average_at_end'))} at the end "
        "(the machine was shared with other work; wall times carry that noise, request counts do not).",
        "",
        "Everything runs on 127.0.0.1: the sandbox is served by uvicorn (`reconciler.sandbox.server.serve_in_thread`) "
        "and every measured command is a separate process. \"API requests\" are counted by the sandbox itself "
        "(`/__sandbox__/stats`) and exclude the OAuth token request(s), listed apart.",
        "",
    ])


def _load(values: list[float] | None) -> str:
    return "/".join(f"{v:.1f}" for v in values) if values else "n/a"


def _targets(r: Results) -> str:
    rows = []
    s1k = r.get("size_1000", {})
    s10k = r.get("size_10000", {})
    if "plan" in s1k:
        p = s1k["plan"]
        rows.append(("Plan of 1,000 objects: at most 15 API requests",
                     f"{p['api_requests']} (+{p['token_requests']} token)",
                     p["api_requests"] <= 15))
        rows.append(("Plan of 1,000 objects: under 3 s wall at 50 ms latency",
                     f"{p['wall_s']:.2f} s (median of {len(p['wall_s_runs'])})",
                     p["wall_s"] < 3))
    if "plan_no_latency" in s10k:
        p = s10k["plan_no_latency"]
        rows.append(("Plan of 10,000 objects: under 10 s CPU", f"{p['cpu_s']:.2f} s (median of {len(p['cpu_s_runs'])})",
                     p["cpu_s"] < 10))
    if "throughput" in r:
        t = r["throughput"]
        failed = t["outcomes"]["failed"] + t["outcomes"]["skipped"] + t["outcomes"]["stale"]
        rows.append((
            "Apply under `--rate-limit 300`: at least 90% of the limit, no failed change",
            f"{t['writes_per_min']:.0f} writes/min = {t['percent_of_limit']:.1f}% of 300; {failed} not applied; "
            f"{t['rate_limited']} answered 429",
            t["percent_of_limit"] >= 90 and failed == 0,
        ))
    if "startup" in r:
        s = r["startup"]
        rows.append(("Start-up of `reconciler --help` under 0.5 s",
                     f"{s['wall_s_median']:.3f} s (median of {s['runs']}, "
                     f"slowest {s['wall_s_max']:.3f} s)", s["wall_s_median"] < 0.5))
    lines = ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in rows]
    return "\n".join(lines) + "\n"


def _sizes(r: Results) -> str:
    sizes = _size_keys(r)
    lines = [
        "## Plan and apply at 50 ms latency",
        "",
        "Plan: a no-change `reconciler plan --detailed-exitcode` (exit 0) of an estate already applied, as shipped: "
        "sandbox `--latency-ms 50` with its default `--rate-limit 300`, "
        "the CLI's default pacing (280/min, bursts of 16). "
        "Wall and CPU are medians of 3 runs of the whole process (start-up, YAML, requests, planning, output). "
        "Apply: `reconciler apply --auto-approve` creating the whole estate on an empty sandbox at `--latency-ms 50` "
        "with the rate limit lifted on both sides (`--rate-limit 0`, `--requests-per-minute 1000000`), "
        "8 writes in flight, every write audited (fsync). At 300/min the same creates would take "
        "at least N/300 minutes; the throughput section measures that regime.",
        "",
        "| objects | plan wall | plan CPU | plan API requests | plan CPU, no latency | apply wall (limit lifted) "
        "| apply API requests | of which writes |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in sizes:
        s = r[key]
        plan, nolat, apply = s.get("plan"), s.get("plan_no_latency"), s.get("apply_lifted")
        lines.append(
            f"| {s['objects']:,} | {_secs(plan, 'wall_s')} | {_secs(plan, 'cpu_s')} | "
            f"{plan['api_requests'] if plan else '-'} | {_secs(nolat, 'cpu_s')} | {_secs(apply, 'wall_s')} | "
            f"{apply['api_requests'] if apply else 'not measured'} | {apply['writes'] if apply else '-'} |"
        )
    for key in sizes:
        plan = r[key].get("plan")
        if plan and plan["api_requests"] > BURST:
            waited = (plan["api_requests"] - BURST) / PACE * 60
            lines += ["", f"At {r[key]['objects']:,} objects the plan's {plan['api_requests']} requests exceed the "
                          f"client's burst of {BURST}: the rest go out at {PACE}/min, so about {waited:.0f} s of its "
                          f"{plan['wall_s']:.1f} s wall time is waiting on purpose to stay under the rate limit (the "
                          "CPU columns show the work; the lifted-limit row of the next table shows the same plan "
                          "unpaced)."]
    startup = r.get("startup")
    if startup:
        lines += ["", f"Start-up: `reconciler --help` takes {startup['wall_s_median'] * 1000:.0f} ms "
                      f"(median of {startup['runs']} runs; {startup['cpu_s_median'] * 1000:.0f} ms CPU)."]
    return "\n".join(lines) + "\n"


def _baseline(r: Results) -> str:
    lines = [
        "## Against one GET per object (how the Terraform provider refreshes)",
        "",
        "The baseline lists the ids and then reads every object with its own GET, through the same client "
        "(`bench/per_object_read.py`, its own process, same pacing, 8 requests in flight). Its wall time counts "
        "from the first request to the last answer only; ours is the whole `reconciler plan` process, start-up "
        "and YAML parsing included, so the wall ratio is, if anything, unfavourable to us.",
        "",
        "| objects | setting | our plan: requests | our plan: wall "
        "| per-object reads: requests | per-object reads: wall "
        "| ratio, requests | ratio, wall |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key in _size_keys(r):
        s = r[key]
        if "paced" in s:
            lines.append(_baseline_row(s["objects"], "rate limit 300/min, default pacing", s["plan"], s["paced"]))
        if "lifted" in s:
            lines.append(_baseline_row(s["objects"], "rate limit lifted", s["lifted"]["plan"], s["lifted"]))
    missing = [r[k]["objects"] for k in _size_keys(r) if "paced" not in r[k]]
    if missing:
        lines += ["", "Not measured at the real rate limit for " + ", ".join(f"{n:,}" for n in missing) + " objects: "
                  "one GET per object at 300 requests a minute cannot take less than "
                  + ", ".join(f"{n / 300:.0f} min for {n:,}" for n in missing)
                  + " (arithmetic, not a measurement); the same estate's plan figures are in the table above."]
    return "\n".join(lines) + "\n"


def _baseline_row(n: int, setting: str, ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    base = theirs["per_object_read"]
    ratio = theirs["ratio"]
    return (f"| {n:,} | {setting} | {ours['api_requests']} | {ours['wall_s']:.2f} s | {base['api_requests']:,} | "
            f"{base['wall_s']:.2f} s | {ratio['requests']:.0f}x | {ratio['wall']:.1f}x |")


def _throughput(r: Results) -> str:
    t = r.get("throughput")
    if not t:
        return ""
    return "\n".join([
        "## Apply throughput under the rate limit",
        "",
        f"`reconciler apply --auto-approve` of {t['objects']} new objects against a sandbox at `--rate-limit 300 "
        f"--latency-ms 50`, with the CLI's default pacing ({t['client_pacing_per_min']}/min). "
        "The write phase runs from "
        "the first write's intent record to the last write's outcome record in the audit log.",
        "",
        "| writes | write phase | writes/min | % of 300/min | whole run "
        "| writes/min over the whole run | 429 answers | outcomes |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {t['writes']} | {t['write_phase_s']:.1f} s | {t['writes_per_min']:.1f} | {t['percent_of_limit']:.1f}% | "
        f"{t['wall_s']:.1f} s | {t['writes_per_min_whole_run']:.1f} | {t['rate_limited']} | "
        + ", ".join(f"{k} {v}" for k, v in t["outcomes"].items()) + " |",
        "",
    ])


def _planner_only(r: Results) -> str:
    p = r.get("planner_only")
    if not p:
        return ""
    return "\n".join([
        "## The engine alone (in memory)",
        "",
        f"`bench/planner_only.py`: {p['objects']:,} declared objects against a synthetic live listing, "
        "no YAML, no HTTP "
        "(CPU seconds, one run).",
        "",
        "| no-change plan | plan with every voice profile changed | Markdown rendering of that plan |",
        "|---:|---:|---:|",
        f"| {p['no_change_plan_cpu_s']:.2f} s | {p['changed_plan_cpu_s']:.2f} s "
        f"({p['changed_plan_summary']['update']:,} updates) "
        f"| {p['markdown_render_cpu_s']:.3f} s ({p['markdown_chars']:,} characters) |",
        "",
    ])


def _before_after(before: Results, after: Results) -> str:
    lines = [
        "## Before and after",
        "",
        f"Before: revision `{before['code']['commit']}` ({before['label']}), measured by "
        "`bench/run.py --plan-only` run from an export of that revision with this `bench/` copied in: the same "
        f"estates, sandbox settings and machine, on {before['started_at'][:10]}.",
        "",
        "| figure | before | after |",
        "|---|---:|---:|",
    ]
    for key in _size_keys(after):
        if key not in before:
            continue
        n = after[key]["objects"]
        for section, field, what in (
            ("plan", "wall_s", "plan wall at 50 ms"),
            ("plan", "api_requests", "plan API requests"),
            ("plan_no_latency", "cpu_s", "plan CPU, no latency"),
            ("apply_lifted", "wall_s", "apply wall, limit lifted"),
        ):
            b, a = before[key].get(section, {}).get(field), after[key].get(section, {}).get(field)
            if b is not None and a is not None:
                unit = " s" if field.endswith("_s") else ""
                lines.append(f"| {what}, {n:,} objects | {b}{unit} | {a}{unit} |")
    if "startup" in before and "startup" in after:
        was, now = before["startup"]["wall_s_median"], after["startup"]["wall_s_median"]
        lines.append(f"| `reconciler --help` | {was} s | {now} s |")
    lines += ["", FIXES]
    keys = [k for k in _size_keys(after) if k in before and "plan" in before[k] and "plan" in after[k]]
    if keys:
        was, now = set(before[keys[0]]["plan"]["by_endpoint"]), set(after[keys[0]]["plan"]["by_endpoint"])
        if now - was:
            lines.append("Requests differ between the two columns for another reason too: the later revision "
                         "supports more kinds, and a plan lists every kind, so it also reads "
                         + ", ".join(f"`{e}`" for e in sorted(now - was)) + " (one request each, the sandbox "
                         "holding none of them).")
    return "\n".join(lines) + "\n"


FIXES = """What changed, and why (found with cProfile on a 10,000-object plan and the client's `--verbose` counters):

- **Manifest parsing** (`reconciler/yamlsource.py`): composing YAML with PyYAML's pure-Python parser took about
  6 of the 7 CPU seconds of loading 10,000 objects. It now composes with libyaml (`CSafeLoader`) when PyYAML has
  it; the node trees are the same (tags, values, line and column marks; only a plain scalar's `style` reads `""`
  instead of `None`, which the builder now accepts). A stream libyaml rejects is parsed again by the Python parser,
  so syntax errors keep their exact messages and positions (the manifest corpus tests pass unchanged).
- **Client pacing burst** (`reconciler/genesys/limits.py`, `rate_burst` 4 -> 16): a 1,000-object plan makes 12
  listing requests; with a burst of 4 the last 8 were spaced 0.21 s apart by the limiter (1.7 s of waiting, which
  `--verbose` showed as `pacing 8x`). 280/min + 16 still stays under 300 in any 60-second window, so the client
  still never provokes a 429 at the default limit.
"""


def _secs(section: dict[str, Any] | None, field: str) -> str:
    return f"{section[field]:.2f} s" if section and field in section else "-"


def _size_keys(r: Results) -> list[str]:
    return sorted((k for k in r if k.startswith("size_")), key=lambda k: int(k.split("_")[1]))


METHOD = """## How each figure was measured

- Estates are generated by `tests/resilience/_estate.py`: a third of each kind; voice profiles of all three
  engines; speech rules with phrases, scoring and tags in non-canonical order; every other webhook references a
  speech rule's id (`${ref:…}`), every third carries a bearer secret from the environment (`${env:…}`). They are
  written as YAML files of 250 documents.
- Every measured command is the `reconciler` console script in its own process, with the measured checkout first on
  `PYTHONPATH`, pointed at the served sandbox with `--target genesys` and
  `GENESYSCLOUD_API_URL=http://127.0.0.1:PORT`. Wall time runs from spawn to exit; CPU time is the process's
  user + system time from `wait4`.
- The plan benchmarks run on estates created by the measured apply (so the live state is exactly what the tool
  wrote), each plan a fresh process with a fresh token.
- Nothing is extrapolated: a figure missing from a table was not measured, and the text says why.
"""


def main() -> None:
    import json
    from pathlib import Path

    bench = Path(__file__).resolve().parent
    before_path = bench / "results-before.json"
    results = json.loads((bench / "results.json").read_text())
    before = json.loads(before_path.read_text()) if before_path.exists() else None
    print(render(results, before), end="")


if __name__ == "__main__":
    main()
