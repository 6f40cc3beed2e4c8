"""The Markdown section ``bench/issue17.py`` writes: the machine, then one table per measurement, ratios first.

Kept apart from the runner so the runner stays about measuring; the tables follow round 2's
in ``bench/RESULTS.md`` (before and after side by side, each divided by the floor of the
same run). A figure absent from the results is left out, never estimated.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    """CPU model, usable cores, memory, OS, Python, and whether PyYAML has libyaml."""
    import yaml

    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {"cpu_model": model, "cpus_online": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
            "memory_gib": round(mem_kib / 1024 / 1024, 1), "platform": platform.platform(),
            "python": platform.python_version(), "libyaml": bool(getattr(yaml, "__with_libyaml__", False))}


def revision(repo: Path) -> str:
    done = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return (done.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty else "")


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def _mib(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} MiB"


def _x(a: float | None, b: float | None) -> str:
    return "–" if a is None or b is None or b <= 0 else f"{a / b:.2f}×"


def _get(side: dict[str, Any] | None, key: str) -> float | None:
    return None if not side or key not in side else float(side[key])


def _plans(results: dict[str, Any]) -> list[str]:
    rows = [r for k, r in results.items() if k.startswith("plan_")]
    if not rows:
        return []
    lines = ["No-change `reconciler plan` of an applied estate (served sandbox, no latency, limits lifted), "
             "whole process, medians:", "",
             "| objects | plan CPU before (÷ floor) | plan CPU after (÷ floor) | floor CPU | peak RSS before (÷ floor) "
             "| peak RSS after (÷ floor) | floor RSS | listing pages |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        floor, ours, before = r["floor"], r["ours"], r.get("before")
        cpu_b = f"{_s(_get(before, 'cpu_s'))} ({_x(_get(before, 'cpu_s'), floor['cpu_s'])})" if before else "–"
        rss_b = f"{_mib(_get(before, 'rss_mib'))} ({_x(_get(before, 'rss_mib'), floor['rss_mib'])})" if before else "–"
        lines.append(f"| {r['objects']:,} | {cpu_b} | {_s(ours['cpu_s'])} ({_x(ours['cpu_s'], floor['cpu_s'])}) "
                     f"| {_s(floor['cpu_s'])} | {rss_b} "
                     f"| {_mib(ours['rss_mib'])} ({_x(ours['rss_mib'], floor['rss_mib'])}) "
                     f"| {_mib(floor['rss_mib'])} | {r['listing_pages']} |")
    lines.append("")
    lines += ["Estates and sandbox databases: " + "; ".join(f"{r['objects']:,} {_origin(r)}" for r in rows)
              + ". Every plan measured exited 0 (no changes): the live state matched the manifests.", ""]
    for r in rows:
        runs = "; ".join(f"{side} {' / '.join(f'{c:.2f}' for c in r[side]['cpu_s_runs'])} s"
                         for side in ("before", "ours", "floor") if side in r)
        lines.append(f"CPU of each run at {r['objects']:,}: {runs}.")
    if all("imports_alone" in r["floor"] for r in rows):
        lines += _baseline(rows, results.get("imports_modules", {}))
    return [*lines, ""]


def _baseline(rows: list[dict[str, Any]], modules: dict[str, int]) -> list[str]:
    """Each side's imports alone beside what it spends beyond them: the data's share, against the floor's."""
    lines = ["", "Memory and CPU of the imports alone (a process importing exactly the modules the side's command "
             "imported, nothing else, run in every round; `bench/imports_probe.py`), and what each side spends "
             "beyond them, divided by what the floor spends beyond its own. The whole-process ratios above are the "
             f"headline; this shows how much of them is the fixed cost of imports. Modules imported: "
             f"{', '.join(f'{side} {count}' for side, count in modules.items())}.", "",
             "| objects | side | imports alone: CPU | imports alone: RSS | CPU beyond imports (÷ floor's) "
             "| RSS beyond imports (÷ floor's) |", "|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        floor = r["floor"]
        fc = floor["cpu_s"] - floor["imports_alone"]["cpu_s"]
        fr = floor["rss_mib"] - floor["imports_alone"]["rss_mib"]
        for side in ("before", "ours", "floor"):
            if side not in r:
                continue
            base = r[side]["imports_alone"]
            c, m = r[side]["cpu_s"] - base["cpu_s"], r[side]["rss_mib"] - base["rss_mib"]
            ratio_c, ratio_m = ("", "") if side == "floor" else (f" ({_x(c, fc)})", f" ({_x(m, fr)})")
            lines.append(f"| {r['objects']:,} | {side} | {_s(base['cpu_s'])} | {_mib(base['rss_mib'])} "
                         f"| {_s(c)}{ratio_c} | {_mib(m)}{ratio_m} |")
    return lines


def _origin(row: dict[str, Any]) -> str:
    source = str(row.get("seeded_from", ""))
    if "reconciler-bench-" in Path(source).name:
        return "seeded in this run (`bench/seed.py`, in-process)"
    return f"prebuilt in `{source}` (copied)"


def _changed(results: dict[str, Any]) -> list[str]:
    rows = [r for k, r in results.items() if k.startswith("changed_")]
    if not rows:
        return []
    lines = ["Plan where every object changed (`bench/changed_plan.py`, in memory, CPU seconds, before / after):", "",
             "| changes | build | save (plan file) | JSON rendering | JSON size |", "|---:|---:|---:|---:|---:|"]
    for r in rows:
        ours, before = r.get("ours", {}), r.get("before", {})

        def pair(key: str, ours: dict[str, Any] = ours, before: dict[str, Any] = before) -> str:
            return f"{_s(_get(before, key))} / {_s(_get(ours, key))}"

        size = f"{ours['json_chars'] / 1e6:.1f} M" if "json_chars" in ours else "–"
        lines.append(f"| {ours.get('updates', r['objects'])} | {pair('plan_cpu_s')} | {pair('save_cpu_s')} "
                     f"| {pair('json_cpu_s')} | {size} |")
        for side in ("before", "ours"):
            if "error" in r.get(side, {}):
                lines.append(f"\n{side} failed at {r['objects']:,}: `{r[side]['error'].splitlines()[0][:200]}`")
    return [*lines, ""]


def _sdk(results: dict[str, Any]) -> list[str]:
    rows = [r for k, r in results.items() if k.startswith("sdk_")]
    if not rows:
        return []
    r0 = rows[0]
    lines = [f"Reads against a per-object reader using the official SDK (`bench/sdk_read.py`: "
             f"`PureCloudPlatformClientV2` lists the ids at 100 a page, then GETs every object by id from "
             f"{r0['sdk_threads']} threads, as the Terraform provider refreshes), served sandbox at "
             f"{r0['latency_ms']} ms latency, rate limit lifted. Wall and CPU of the whole process (the SDK's "
             "import included, and shown apart); requests counted by the sandbox, tokens excluded:", "",
             "| objects | our plan: requests | wall | CPU | peak RSS | SDK reader: requests | wall | of which reads "
             "| CPU | peak RSS | SDK import | ratio, requests | ratio, wall | ratio, wall (SDK reads only) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        o, s = r["ours"], r["sdk"]
        lines.append(f"| {r['objects']:,} | {o['requests']} | {_s(o['wall_s'])} | {_s(o['cpu_s'])} "
                     f"| {_mib(o['rss_mib'])} "
                     f"| {s['requests']} | {_s(s['wall_s'])} | {_s(s['read_wall_s'])} | {_s(s['cpu_s'])} "
                     f"| {_mib(s['rss_mib'])} | {_s(s['import_wall_s'])} | {r['ratio_requests']}× | {r['ratio_wall']}× "
                     f"| {r.get('ratio_wall_reads_only', '–')}× |")
    return [*lines, ""]


def _apply(results: dict[str, Any]) -> list[str]:
    apply = results.get("apply")
    if apply is None:
        return ["Apply: `bench/apply_rate.py` was not present or not run.", ""]
    if "markdown" in apply:
        return [str(apply["markdown"]), ""]
    if "lifted" in apply and "paced" in apply:
        return _apply_tables(apply, results.get("apply_before"))
    lines = ["Apply (`bench/apply_rate.py`, its own figures):", "", "| figure | value |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in _flat(apply)]
    return [*lines, ""]


def _apply_tables(after: dict[str, Any], before: dict[str, Any] | None) -> list[str]:
    """``apply_rate.py``'s figures as two tables, the before revision's beside ours where it ran."""
    latency = after["single_request"]["request_s_mean"] * 1000
    old = {row["concurrency"]: row for row in (before or {}).get("lifted", [])}
    clis = "this checkout's CLI and the before revision's" if before else "this checkout's CLI"
    lines = [f"Apply (`bench/apply_rate.py`, {clis}, each against this checkout's sandbox at "
             f"{after['latency_ms']} ms latency; writes/s between the first intent and the last outcome in the "
             "audit log; \"ideal\" is `--concurrency` ÷ the mean latency of one "
             f"plain httpx request alone, {latency:.1f} ms; fsync of a record on the audit log's disk "
             f"{after['fsync_ms']} ms{_median_of(after)}):", "",
             "| `--concurrency` | ideal | before: writes/s (÷ ideal) | after: writes/s (÷ ideal) "
             "| plain httpx, same run (÷ ideal) | after ÷ plain httpx | CLI CPU before / after "
             "| tokens before / after |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in after["lifted"]:
        ideal, plain, b = row["ideal_measured_per_s"], row["plain_httpx"]["writes_per_s"], old.get(row["concurrency"])
        was = f"{b['writes_per_s']:.1f} ({b['ratio_to_measured']:.3f})" if b else "–"
        cpu = f"{_s(b['cli_cpu_s']) if b else '–'} / {_s(row['cli_cpu_s'])}"
        tokens = f"{b['token_requests'] if b else '–'} / {row['token_requests']}"
        lines.append(f"| {row['concurrency']} | {ideal:.0f}/s | {was} | {row['writes_per_s']:.1f} "
                     f"({row['ratio_to_measured']:.3f}{_spread(row, 'ratio_to_measured_range')}) "
                     f"| {plain:.1f} ({plain / ideal:.2f}{_spread(row, 'plain_ratio_to_measured_range')}) "
                     f"| {row['ratio_to_plain_httpx']:.2f} | {cpu} | {tokens} |")
    paced = [("before", before["paced"])] if before and "paced" in before else []
    paced.append(("after", after["paced"]))
    lines += ["", f"| under the sandbox's {after['paced']['sandbox_rate_limit_per_min']}/min limit, default pacing, "
              f"{after['paced']['objects']} creates | writes/min (÷ limit) | answered 429 | failed changes | tokens |",
              "|---|---:|---:|---:|---:|"]
    lines += [f"| {side} | {p['writes_per_min']} ({p['ratio_to_limit']:.3f}) | {p['rate_limited']} "
              f"| {p['failed_changes']} | {p['token_requests']} |" for side, p in paced]
    return [*lines, "", f"Load average {after['load_average_at_start']} at the start of the apply runs.", ""]


def _median_of(apply: dict[str, Any]) -> str:
    rounds = apply.get("rounds", 1)
    return f"; each lifted-limit figure the median of {rounds} rounds, the spread beside it" if rounds > 1 else ""


def _spread(row: dict[str, Any], key: str) -> str:
    """``; 3 rounds 0.930–0.950``, the spread behind a median of rounds (``apply_rate.py --rounds``); "" for one run."""
    low_high, rounds = row.get(key), row.get("rounds", 1)
    return f"; {rounds} rounds {low_high[0]:.3f}–{low_high[1]:.3f}" if low_high and rounds > 1 else ""


def _flat(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested figures as ``a.b`` rows (lists stay JSON), so nothing another script reports is dropped."""
    if not isinstance(value, dict):
        return [(prefix, json.dumps(value) if isinstance(value, list) else value)]
    return [row for k, v in value.items() for row in _flat(v, f"{prefix}.{k}" if prefix else str(k))]


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    end = results.get("load_average_at_end", "(run not finished)")
    head = [f"## Issue 17: one run of `bench/issue17.py`{' (--quick: a smoke check)' if results.get('quick') else ''}",
            "", f"Measured {results['started_at']} – {results.get('finished_at', '(unfinished)')} on {m['cpu_model']}, "
            f"{m['cpus_usable']} usable CPUs ({m['cpus_online']} online), {m['memory_gib']} GiB, {m['platform']}, "
            f"Python {m['python']}, PyYAML with libyaml: {'yes' if m['libyaml'] else 'no'}. Load average "
            f"{results['load_average_at_start']} at the start, {end} at the end. \"After\" is `{results['revision']}`; "
            f"\"before\" is `{results.get('before') or '(none)'}`. Medians of {results['repeats']}; "
            "CPU = user + system of the process and peak RSS of the process itself, both from `wait4` "
            "(`bench/spawn.py`). Raw numbers: `bench/results-issue17.json`. Ratios from this run are the figures; "
            "absolute times are context.", ""]
    return "\n".join([*head, *_plans(results), *_changed(results), *_sdk(results), *_apply(results)])
