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
    for reason in reasons:
        print(f"- {reason}")
    return DIVERGED if reasons else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
