"""docs/json-format.md's key tables are exactly the keys emitted, table by table.

``test_json.test_every_key_is_documented`` finds each emitted key somewhere in the page; a
key documented under the wrong object, or documented and no longer emitted, passed it.
Here each table's first column (``key``) is compared both ways with the object it
describes in the real documents.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reconciler.plan.planfile import save_plan
from reconciler.render import render_apply, render_drift, render_plan

from ._scenarios import apply_result, drift_report, full_plan

DOCS = Path(__file__).resolve().parents[2] / "docs" / "json-format.md"
#: every document's first two keys (the page's first table)
COMMON = {"type", "format_version"}


def tables() -> dict[str, set[str]]:
    """Heading → the keys of the tables under it (a key cell may name several: `kind`, `name`)."""
    out: dict[str, set[str]] = {}
    heading, in_key_table = "", False
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("| key |"):  # not the table of reason codes, say
            in_key_table = True
        elif not line.startswith("|"):
            in_key_table = False
        elif in_key_table and line.startswith("| `"):
            first = line.split("|")[1]
            out.setdefault(heading, set()).update(re.findall(r"`([A-Za-z_]+)`", first))
    return out


def union(items: list[dict[str, Any]]) -> set[str]:
    return {key for item in items for key in item}


def test_each_table_lists_exactly_the_keys_of_its_object(tmp_path: Path) -> None:
    documented = tables()
    plan = json.loads(render_plan(full_plan(), "json"))
    saved = json.loads(save_plan(full_plan(), tmp_path / "plan.json").read_text(encoding="utf-8"))
    drift = json.loads(render_drift(drift_report(), "json"))
    result = json.loads(render_apply(apply_result(), "json"))
    changes = plan["changes"]
    emitted = {
        'Plan (`"type": "plan"`)': set(plan) - COMMON,
        "Policy finding": union(plan["policy"]) or documented["Policy finding"],  # the scenario has none
        "Change": union(changes),
        "Reason": union([r for c in changes for r in c["reasons"]]),
        "Field change": union([f for c in changes for f in c["field_changes"]]),
        'Apply result (`"type": "apply_result"`, `format_version` 2)': set(result) - COMMON,
        "Outcome": union(result["changes"]),
        'Drift report (`"type": "drift_report"`)': set(drift) - COMMON,
        "Attribution": union(list(drift["changed_by"].values())),
        "Drifted object": union(drift["differs"]),
        "Missing object": union(drift["missing"]),
    }
    # the saved file's one extra key has a table of its own under the plan's heading
    assert set(saved) - set(plan) == {"checksum"} and set(plan) - set(saved) == {"type"}
    emitted['Plan (`"type": "plan"`)'] |= {"checksum"}
    for heading, keys in emitted.items():
        assert heading in documented, f"no table under {heading!r}"
        assert documented[heading] == keys, (
            f"{heading}: documented, not emitted {sorted(documented[heading] - keys)}; "
            f"emitted, not documented {sorted(keys - documented[heading])}"
        )
