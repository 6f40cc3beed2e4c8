"""Issue 17 in one run: plans against the floor and an older revision, changed plans, reads against the SDK, apply.

    .venv/bin/python bench/issue17.py --before REV_OR_EXPORT_DIR [--seeded /work/perf] \
        [--sizes 1000,10000,50000] [--repeats 3] [--changed 50000] [--sdk-sizes 1000,10000] [--skip-sdk] [--quick]

Per size: the estate and its sandbox database come from ``--seeded DIR`` (``estateN/`` and
``sN.db``, copied before serving) or are seeded in-process by ``bench/seed.py``; the first
plan of each size must exit 0 (no changes), which checks the seeding. Then, interleaved
round by round, three processes through ``bench/spawn.py``: our no-change plan, the
``--before`` revision's, and ``bench/floor_proc.py``. Each side's imports alone are measured
too (``bench/imports_probe.py``), so the data's share shows beside the whole-process ratio.
``--changed`` sizes run ``bench/changed_plan.py`` for both revisions; the SDK comparison
serves the estate at ``--latency-ms`` (rate limit lifted) and runs our plan and
``bench/sdk_read.py`` alternately; ``bench/apply_rate.py`` runs if present. Writes
``--json`` (raw) and ``--markdown`` (the section to paste into ``bench/RESULTS.md``) after
every section, so an interrupted run keeps what it measured. Nothing asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import issue17_report  # noqa: E402
from floor import run_measured, save_listing, summary  # noqa: E402
from harness import UNPACED_RPM, cli_command, cli_env, counting, median, sandbox, workdir  # noqa: E402

from reconciler.kinds import KINDS  # noqa: E402

#: the collections the generated estates fill (what a per-object reader has to walk)
ESTATE_KINDS = ("VoiceProfile", "SpeechRule", "Webhook")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def export_before(before: str, work: Path) -> Path:
    """An export directory as given, or ``git archive`` of a revision of this repository."""
    if Path(before).is_dir():
        return Path(before).resolve()
    into = work / f"before-{before_label(before)}"
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", before], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def before_label(before: str) -> str:
    """A revision as its short hash (``HEAD~3`` says nothing once the branch moves); a directory as given."""
    if Path(before).is_dir():
        return before
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=12", before], capture_output=True, text=True)
    return done.stdout.strip() or before


def prepare(n: int, work: Path, seeded: Path | None) -> tuple[Path, Path]:
    """``(estate dir, pristine db)`` for ``n`` objects: seeded here earlier in this run, else from ``--seeded``
    if it has them and its ``seed.log`` (if any) says ``N seeded`` and no ``apply N failed``, else seeded here."""
    if seeded is not None and not (work / f"s{n}.db").exists() and (seeded / f"estate{n}").is_dir() \
            and (seeded / f"s{n}.db").is_file():
        seed_log = (seeded / "seed.log").read_text() if (seeded / "seed.log").exists() else f"{n} seeded"
        # A database still being seeded, or whose apply failed, would plan creates.
        if f"{n} seeded" in seed_log and f"apply {n} failed" not in seed_log:
            return seeded / f"estate{n}", seeded / f"s{n}.db"
        log(f"{n}: {seeded / 'seed.log'} does not say '{n} seeded' (or says 'apply {n} failed'): seeding here")
    return seed_here(n, work)


def seed_here(n: int, work: Path) -> tuple[Path, Path]:
    if not (work / f"s{n}.db").exists():
        log(f"{n}: seeding in-process (bench/seed.py)")
        subprocess.run([sys.executable, str(BENCH / "seed.py"), str(n), str(work)], check=True,
                       env={**cli_env(None), "PYTHONPATH": str(REPO)})
    return work / f"estate{n}", work / f"s{n}.db"


def copy_db(db: Path, into: Path) -> Path:
    """A private copy of a sandbox database (with its WAL and shared-memory files): the original stays untouched."""
    into.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        src = db.with_name(db.name + suffix)
        dst = into / (db.name + suffix)
        dst.unlink(missing_ok=True)
        if src.exists():
            shutil.copyfile(src, dst)
    return into / db.name


def record_imports(commands: dict[str, list[str]], envs: dict[str, dict[str, str]], work: Path) -> dict[str, Any]:
    """Run each side's command once, noting every module it imported (``imports_probe.py record``)."""
    for side, command in commands.items():
        run_measured([sys.executable, str(BENCH / "imports_probe.py"), "record", str(imports_of(side, work)),
                      *command], envs[side], work)
    return {side: len(json.loads(imports_of(side, work).read_text())["modules"]) for side in commands}


def imports_of(side: str, work: Path) -> Path:
    return work / f"modules-{side}.json"


def plan_size(n: int, work: Path, seeded: Path | None, before: Path | None, repeats: int,
              results: dict[str, Any]) -> dict[str, Any]:
    try:
        return _plan_size(n, work, seeded, before, repeats, results)
    except SystemExit as failed:
        if seeded is None or (work / f"s{n}.db").exists():
            raise
        # A prebuilt database that does not match its estate (a plan found changes): seed one here and redo.
        log(f"{n}: the plan of {seeded}/s{n}.db did not exit 0 ({str(failed).splitlines()[0][:200]}): seeding here")
        seed_here(n, work)
        return _plan_size(n, work, seeded, before, repeats, results)


def _plan_size(n: int, work: Path, seeded: Path | None, before: Path | None, repeats: int,
               results: dict[str, Any]) -> dict[str, Any]:
    estate, pristine = prepare(n, work, seeded)
    db = copy_db(pristine, work / f"serve{n}")
    listing = work / f"listing{n}"
    shutil.rmtree(listing, ignore_errors=True)
    with sandbox(db, latency_ms=0, rate_limit=0) as served:
        env = {**cli_env(served.url), "PYTHONPATH": str(REPO)}
        pages = save_listing(served.url, listing)
        plan_args = ["plan", str(estate), "--detailed-exitcode", "--target", "genesys",
                     "--requests-per-minute", str(UNPACED_RPM), "-q"]
        commands = {"ours": [*cli_command(), *plan_args],
                    "floor": [sys.executable, str(BENCH / "floor_proc.py"), str(estate), str(listing)]}
        envs = {"ours": env, "floor": env}
        if before is not None:
            commands["before"] = commands["ours"]
            envs["before"] = {**env, "PYTHONPATH": str(before)}
        if "imports_modules" not in results:  # the modules a command imports do not depend on the size
            log(f"{n}: noting each side's imports")
            probe = {side: ["-m", "reconciler", *plan_args] if side != "floor" else cmd[1:]
                     for side, cmd in commands.items()}
            results["imports_modules"] = record_imports(probe, envs, work)
        sides: dict[str, list[dict[str, Any]]] = {side: [] for side in commands}
        alone: dict[str, list[dict[str, Any]]] = {side: [] for side in commands}
        for i in range(repeats):
            log(f"{n}: round {i + 1}/{repeats}")
            for side in ("ours", "before", "floor"):
                if side in commands:
                    sides[side].append(run_measured(commands[side], envs[side], work))
                    replay = [sys.executable, str(BENCH / "imports_probe.py"), "replay", str(imports_of(side, work))]
                    alone[side].append(run_measured(replay, envs[side], work))
    out: dict[str, Any] = {"objects": n, "listing_pages": pages, "seeded_from": str(pristine.parent),
                           **{side: {**summary(runs), "imports_alone": summary(alone[side])}
                              for side, runs in sides.items()}}
    for side in ("ours", "before"):
        if side in out:
            out[side]["cpu_ratio_to_floor"] = round(out[side]["cpu_s"] / out["floor"]["cpu_s"], 2)
            out[side]["rss_ratio_to_floor"] = round(out[side]["rss_mib"] / out["floor"]["rss_mib"], 2)
    return out


def changed_size(n: int, work: Path, before: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {"objects": n}
    for side, path in (("ours", REPO), ("before", before)):
        if path is None:
            continue
        log(f"changed plan {n}: {side}")
        env = {**cli_env(None), "PYTHONPATH": str(path)}
        try:
            run = run_measured([sys.executable, str(BENCH / "changed_plan.py"), str(n)], env, work)
        except SystemExit as failed:  # an older revision may lack what changed_plan.py builds with
            out[side] = {"error": str(failed)[:500]}
            continue
        out[side] = {**json.loads(run["stdout"]), "process_rss_mib": round(run["rss_mib"], 1)}
    return out


def sdk_size(n: int, work: Path, seeded: Path | None, latency_ms: int, repeats: int) -> dict[str, Any]:
    """Our no-change plan and the SDK's per-object reads of the same estate, same latency, alternately."""
    estate, pristine = prepare(n, work, seeded)
    db = copy_db(pristine, work / f"sdk{n}")
    collections = [k.collection for k in KINDS if k.name in ESTATE_KINDS]
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "sdk": []}
    with sandbox(db, latency_ms=latency_ms, rate_limit=0) as served:
        env = {**cli_env(served.url), "PYTHONPATH": str(REPO)}
        plan = [*cli_command(), "plan", str(estate), "--detailed-exitcode", "--target", "genesys",
                "--requests-per-minute", str(UNPACED_RPM), "-q"]
        sdk = [sys.executable, str(BENCH / "sdk_read.py"), served.url, *collections, "--threads", "8"]
        for i in range(repeats):
            log(f"sdk {n}: round {i + 1}/{repeats}")
            for side, command in (("ours", plan), ("sdk", sdk)):
                with counting(served.url) as seen:
                    run = run_measured(command, env, work)
                runs[side].append({**run, "requests": seen[0].api, "tokens": seen[0].token})
    out: dict[str, Any] = {"objects": n, "latency_ms": latency_ms, "sdk_threads": 8}
    for side, side_runs in runs.items():
        out[side] = {**summary(side_runs), "requests": side_runs[0]["requests"], "tokens": side_runs[0]["tokens"]}
    reader = json.loads(runs["sdk"][-1]["stdout"])
    out["sdk"].update({k: reader[k] for k in ("objects", "import_cpu_s", "import_wall_s", "rss_after_import_mib")})
    out["sdk"]["read_wall_s"] = round(median([json.loads(r["stdout"])["wall_s"] for r in runs["sdk"]]), 3)
    out["ratio_requests"] = round(out["sdk"]["requests"] / out["ours"]["requests"], 1)
    out["ratio_wall"] = round(out["sdk"]["wall_s"] / out["ours"]["wall_s"], 2)
    # the SDK's reads alone (its import and login left out) against our whole process: the ratio least kind to us
    out["ratio_wall_reads_only"] = round(out["sdk"]["read_wall_s"] / out["ours"]["wall_s"], 2)
    return out


def apply_rate(work: Path, quick: bool, cli_code: Path | None = None) -> dict[str, Any] | None:
    """``bench/apply_rate.py``'s figures for this checkout's CLI, or for ``cli_code``'s (the before revision)."""
    script = BENCH / "apply_rate.py"
    if not script.exists():
        return None
    log(f"apply: bench/apply_rate.py ({'this checkout' if cli_code is None else cli_code})")
    env = {**cli_env(None), "PYTHONPATH": str(REPO)}
    out = work / ("apply.json" if cli_code is None else "apply-before.json")
    command = [sys.executable, str(script), "--json", str(out)]
    if cli_code is not None:
        command += ["--cli-code", str(cli_code)]
    helptext = subprocess.run([*command[:2], "--help"], env=env, capture_output=True, text=True).stdout
    if quick and "--quick" in helptext:
        command.append("--quick")
    done = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True)
    if done.returncode != 0 or not out.exists():
        return {"error": f"exit {done.returncode}: {done.stderr[-1500:]}"}
    return dict(json.loads(out.read_text()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=None, help="default 1000,10000,50000 (--quick: 300,1000)")
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (--quick: 1)")
    parser.add_argument("--before", default=None, help="an export directory, or a revision of this repository")
    parser.add_argument("--seeded", type=Path, default=None, help="a directory holding estateN/ and sN.db")
    parser.add_argument("--changed", default=None, help="sizes of the every-object-changed plan (default 50000)")
    parser.add_argument("--sdk-sizes", default=None, help="default 1000,10000 (--quick: 1000)")
    parser.add_argument("--sdk-repeats", type=int, default=1)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--skip-sdk", action="store_true")
    parser.add_argument("--skip-apply", action="store_true")
    parser.add_argument("--quick", action="store_true", help="300 and 1,000 objects, 1 repeat: a smoke check")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (estates, databases, listings)")
    parser.add_argument("--json", type=Path, default=BENCH / "results-issue17.json")
    parser.add_argument("--markdown", type=Path, default=BENCH / "results-issue17.md")
    args = parser.parse_args()
    quick = {"sizes": "300,1000", "changed": "1000", "sdk_sizes": "1000", "repeats": 1}
    full = {"sizes": "1000,10000,50000", "changed": "50000", "sdk_sizes": "1000,10000", "repeats": 3}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:  # what the command line says wins over either set of defaults
            setattr(args, name, value)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results: dict[str, Any] = {"started_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": issue17_report.machine(),
                               "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                               "revision": issue17_report.revision(REPO),
                               "before": before_label(args.before) if args.before else None,
                               "repeats": args.repeats, "quick": args.quick}

    def save() -> None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        args.markdown.write_text(issue17_report.markdown(results))

    with workdir(args.keep) as work:
        log(f"work directory {work}")
        before = export_before(args.before, work) if args.before else None
        for n in sizes:
            results[f"plan_{n}"] = plan_size(n, work, args.seeded, before, args.repeats, results)
            save()
        for n in [int(s) for s in args.changed.split(",") if s]:
            results[f"changed_{n}"] = changed_size(n, work, before)
            save()
        if not args.skip_sdk:
            for n in [int(s) for s in args.sdk_sizes.split(",") if s]:
                results[f"sdk_{n}"] = sdk_size(n, work, args.seeded, args.latency_ms, args.sdk_repeats)
                save()
        if not args.skip_apply:
            results["apply"] = apply_rate(work, args.quick)
            save()
            if before is not None:
                results["apply_before"] = apply_rate(work, args.quick, before)
    results["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    save()
    log(f"wrote {args.json} and {args.markdown}")


if __name__ == "__main__":
    main()
