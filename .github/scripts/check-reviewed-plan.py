"""apply.yml: may the plan reviewed on the pull request be applied as it is?

    python .github/scripts/check-reviewed-plan.py REVIEWED_PLAN FRESH_PLAN

Both are saved plans (``reconciler plan --out``): the one uploaded when the pull
request's head commit was planned, and the one just made from the merged manifests.
Exit 0: the same plan (same manifests digest, nothing it touches moved live), apply the
reviewed file. Exit 3: diverged, the reasons on stdout as a Markdown list. Exit 1: a
file is missing or not a plan (its checksum is checked as ``apply FILE`` checks it).
The rules are ``reconciler.plan.reviewed.divergence``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from reconciler.core.errors import ReconcilerError
from reconciler.plan.model import Plan
from reconciler.plan.planfile import parse_plan
from reconciler.plan.reviewed import divergence

DIVERGED = 3
#: The most the reasons take: apply.yml shows them in a pull-request comment next to the plan
#: (at most 60,000 characters, reconciler.render.MAX_CHARS) and GitHub refuses a comment over
#: 65,536. Thousands of objects moved live made a list GitHub refused, so no comment at all.
MAX_CHARS = 4_000


def listing(reasons: tuple[str, ...]) -> str:
    """The reasons as a Markdown list of at most ``MAX_CHARS``, saying how many more there are."""
    shown: list[str] = []
    used = 0
    for index, reason in enumerate(reasons):
        line, rest = f"- {reason}\n", len(reasons) - index - 1
        if rest == 0 and used + len(line) <= MAX_CHARS:
            shown.append(line)
            break
        room = MAX_CHARS - used - len(more_line(rest + 1))  # room for the closing line, whatever follows
        if len(line) <= room:
            shown.append(line)
            used += len(line)
            continue
        if room > 200:  # one huge reason (the fresh plan's errors, say): shortened, not dropped
            shown.append(line[: room - 2] + "…\n")
        else:
            rest += 1
        if rest:
            shown.append(more_line(rest))
        break
    return "".join(shown)


def more_line(count: int) -> str:
    return f"- … and {count} more (the fresh plan is in the job's plan artifact)\n"


def load(path: str) -> Plan:
    """A saved plan for whatever target it names: the targets are compared by ``divergence``."""
    try:
        raw = Path(path).read_bytes()
        named = json.loads(raw)
    except OSError as exc:
        raise ReconcilerError(f"cannot read plan file {path}: {exc.strerror or exc}") from None
    except ValueError:
        named = {}
    target = named.get("target") if isinstance(named, dict) else None
    return parse_plan(raw, expected_target=str(target), name=path)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check-reviewed-plan.py REVIEWED_PLAN FRESH_PLAN", file=sys.stderr)
        return 1
    try:
        reviewed, fresh = load(argv[0]), load(argv[1])
    except ReconcilerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    reasons = divergence(reviewed, fresh)
    sys.stdout.write(listing(reasons))
    return DIVERGED if reasons else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
