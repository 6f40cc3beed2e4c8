"""What a process's imports alone cost: the baseline beside its whole-process peak RSS and CPU.

    python bench/imports_probe.py record MODULES.json (-m MODULE | SCRIPT) [ARG...]
    python bench/imports_probe.py replay MODULES.json

``record`` runs a command in this interpreter (``runpy``, as ``python -m`` or ``python
SCRIPT`` would) and, at exit, writes the names of every module it had imported, and apart
those it had blocked (``None`` in ``sys.modules``). ``replay`` blocks the same ones, imports
exactly the others and nothing else, then exits: run through
``bench/spawn.py``, its CPU and peak RSS are what the command pays before touching any
data. The benchmark reports them beside the whole-process figures, so the data's share
(whole minus baseline) can be compared with the floor's; the whole-process ratio stays
the headline. Why not instrument the command itself: the reconciler's code is not ours to
change here, and the same probe must work for our plan, an older revision and the floor.
"""

from __future__ import annotations

import atexit
import importlib
import json
import runpy
import sys

#: never re-run a program's entry point while replaying its imports
_SKIP_SUFFIXES = ("__main__",)


def record(out_path: str, argv: list[str]) -> None:
    def dump() -> None:
        loaded = {n: m for n, m in list(sys.modules.items()) if not n.endswith(_SKIP_SUFFIXES) and n != "imports_probe"}
        # A ``None`` entry is a module the command blocked (the reconciler CLI blocks ``httpx._main``:
        # ``reconciler.cli.imports``), not one it imported: replayed as imported, it pulled in rich and
        # pygments and overstated our imports by about 0.08 s and 4 MiB (round 5 of bench/RESULTS.md).
        # It is blocked again on replay.
        names = sorted(n for n, m in loaded.items() if m is not None)
        blocked = sorted(n for n, m in loaded.items() if m is None)
        with open(out_path, "w") as out:
            json.dump({"modules": names, "blocked": blocked}, out)

    atexit.register(dump)
    if argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        sys.path.insert(0, str(__import__("pathlib").Path(argv[0]).resolve().parent))
        runpy.run_path(argv[0], run_name="__main__")


def replay(modules_path: str) -> None:
    with open(modules_path) as handle:
        recorded = json.load(handle)
    names, blocked = recorded["modules"], recorded["blocked"]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # blocked as the command blocked it
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module that only imports inside its package's context: counted, not fatal
            failed.append(name)
    print(json.dumps({"modules": len(names), "failed": len(failed)}))


def main() -> None:
    mode, path, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "record":
        record(path, rest)
    elif mode == "replay":
        replay(path)
    else:
        raise SystemExit(f"unknown mode {mode!r} (record or replay)")


if __name__ == "__main__":
    main()
