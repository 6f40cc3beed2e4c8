"""Run a command and write its CPU seconds and peak RSS (from ``wait4``) to a JSON file.

    python bench/spawn.py USAGE.json COMMAND [ARG...]

Why a separate launcher: Linux keeps a process's peak RSS across ``exec``, so a command
forked straight from the benchmark (which holds the sandbox, 60 MB and more) would report
the benchmark's memory as its own. Forked from this small process instead, its peak is its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def main() -> None:
    out_path, command = sys.argv[1], sys.argv[2:]
    proc = subprocess.Popen(command)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(out_path, "w") as out:
        json.dump({"code": code, "cpu_s": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024}, out)
    sys.exit(code)


if __name__ == "__main__":
    main()
