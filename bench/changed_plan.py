"""A plan where every object changed, saved and rendered as JSON: CPU seconds of each step, in memory.

    python bench/changed_plan.py N

Run by ``bench/floor.py`` once per revision measured (the revision's code first on
``PYTHONPATH``), so both columns come from the same run. Prints one JSON object.

The plan is built the way ``reconciler plan`` builds it: inside the application's
``bulk_build`` (cyclic GC paused, what was built frozen afterwards; ``app/memory.py``),
so saving and rendering meet the heap the command leaves them.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import planner_only  # noqa: E402

try:
    from reconciler.app.memory import bulk_build
except ImportError:  # a revision before the GC pause (issue 17's "before"): measured as it ran, without one
    from contextlib import nullcontext as bulk_build  # type: ignore[assignment]  # same use: a context manager
from reconciler.manifests.desired import DesiredObject  # noqa: E402
from reconciler.plan.planfile import save_plan  # noqa: E402
from reconciler.render import render_plan  # noqa: E402

CHANGES: dict[str, dict[str, Any]] = {"VoiceProfile": {"rate": 1.5}, "SpeechRule": {"tags": ["changed"]},
           "Webhook": {"requestUrl": "https://example.com/changed"}}


def main() -> None:
    n = int(sys.argv[1])
    objects = planner_only.declared(n)
    live = planner_only.live_after_apply(objects)
    changed = [DesiredObject(o.kind, o.name, {**o.spec, **CHANGES[o.kind]}, o.source) for o in objects]
    started = time.process_time()
    with bulk_build():
        plan = planner_only.plan_of(changed, live)
    planned = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        save_plan(plan, Path(tmp) / "changed.plan")
    saved = time.process_time()
    text = render_plan(plan, "json")
    rendered = time.process_time()
    print(json.dumps({
        "objects": len(objects), "updates": dict(plan.summary).get("update"),
        "plan_cpu_s": round(planned - started, 3), "save_cpu_s": round(saved - planned, 3),
        "json_cpu_s": round(rendered - saved, 3), "json_chars": len(text),
    }))


if __name__ == "__main__":
    main()
