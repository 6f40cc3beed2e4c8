"""The planner and the Markdown renderer alone, in memory: no YAML, no HTTP, no process.

    .venv/bin/python bench/planner_only.py [N]

Builds N declared objects (a third of each kind, webhooks referencing rules and
carrying a secret), a live listing as the server would return it after apply
(defaults filled, unordered lists reversed, secrets replaced by their flag), then
times (CPU seconds): a no-change plan, a plan where every voice profile changed, and
the Markdown rendering of the latter. ``bench/run.py`` includes these figures; they
isolate the engine's own cost from parsing and the network.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from reconciler.core.keys import Location, ObjectKey
from reconciler.kinds import REGISTRY
from reconciler.manifests.desired import DesiredObject, resolve
from reconciler.plan.builder import build_plan
from reconciler.plan.model import Plan
from reconciler.render import render_plan

ENV = {"HOOK_TOKEN": "bench-secret"}


def declared(n: int, rate: float = 1.0) -> list[DesiredObject]:
    third = max(1, n // 3)
    loc = Location("bench.yaml", 1, 1)
    out = []
    for i in range(third):
        out.append(DesiredObject("VoiceProfile", f"Voice {i}", {"language": "en-US", "voice": "polly-Joanna",
                                                             "engine": "amazon_polly", "rate": rate}, loc))
        out.append(DesiredObject("SpeechRule", f"Rule {i}", {"phrases": [{"phrase": "refund"}, {"phrase": "cancel"}],
                                                           "tags": ["b", "a"]}, loc))
        out.append(DesiredObject("Webhook", f"Hook {i}", {
            "requestUrl": "https://example.com/h",
            "eventFilters": [{"event": "rules.updated", "filter": f"ruleId eq ${{ref:SpeechRule/Rule {i}.id}}"}],
            "authScheme": "bearer", "authSecret": "${env:HOOK_TOKEN}"}, loc))
    return out


def live_after_apply(objects: list[DesiredObject]) -> dict[str, list[dict[str, Any]]]:
    ids = {o.key: f"id-{o.kind}-{o.name}" for o in objects}

    def lookup(key: ObjectKey, field: str) -> Any:
        return ids.get(key) if field == "id" else None

    live: dict[str, list[dict[str, Any]]] = {k: [] for k in REGISTRY}
    for obj in objects:
        kind = REGISTRY[obj.kind]
        body = kind.api_body(obj.name, resolve(dict(obj.spec), ENV, lookup).value)
        for secret, flag in kind.write_only.items():
            body[flag] = body.pop(secret, None) is not None
        for name in kind.unordered:
            if isinstance(body.get(name), list):
                body[name].reverse()
        live[obj.kind].append({"id": ids[obj.key], "version": 1, **body})
    return live


def plan_of(objects: list[DesiredObject], live: dict[str, list[dict[str, Any]]]) -> Plan:
    """The plan ``reconciler plan`` would build, with the bench's fixed target and environment."""
    return build_plan(objects, live, env=ENV, target="bench", target_description="bench", manifests_digest="bench")


def cpu_seconds(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    value = func()
    return time.process_time() - start, value


def measure(n: int) -> dict[str, Any]:
    """CPU seconds of the three steps for ``n`` objects (rounded to 3 places)."""
    objects = declared(n)
    live = live_after_apply(objects)
    no_change_s, plan = cpu_seconds(lambda: plan_of(objects, live))
    assert not plan.has_changes, plan.summary
    changed = [o if o.kind != "VoiceProfile" else DesiredObject(o.kind, o.name, {**o.spec, "rate": 1.5}, o.source)
               for o in objects]
    changed_s, plan = cpu_seconds(lambda: plan_of(changed, live))
    markdown_s, markdown = cpu_seconds(lambda: render_plan(plan, "markdown"))
    return {
        "objects": len(objects),
        "no_change_plan_cpu_s": round(no_change_s, 3),
        "changed_plan_cpu_s": round(changed_s, 3),
        "changed_plan_summary": dict(plan.summary),
        "markdown_render_cpu_s": round(markdown_s, 3),
        "markdown_chars": len(markdown),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    for key, value in measure(n).items():
        print(f"{key:<28} {value}")


if __name__ == "__main__":
    main()
