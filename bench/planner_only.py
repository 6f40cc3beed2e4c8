"""How long planning and rendering take for large estates (not a test: prints figures).

    .venv/bin/python bench/plan_bench.py [N]

Builds N declared objects (a third of each kind, webhooks referencing rules), a live
listing as the server would return it after apply (defaults filled, unordered lists
reversed, secrets replaced by their flag), then times: a no-change plan, a plan where
half the objects changed, and the Markdown rendering of the latter.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from reconciler.desired import DesiredObject, Location, ObjectKey, resolve
from reconciler.kinds import REGISTRY
from reconciler.planner import build_plan
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


def timed(label: str, func: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    value = func()
    print(f"{label:<40} {time.perf_counter() - start:8.3f} s")
    return value


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    objects = declared(n)
    live = live_after_apply(objects)
    common = {"env": ENV, "target": "bench", "target_description": "bench", "manifests_digest": "bench"}
    plan = timed(f"no-change plan, {len(objects)} objects", lambda: build_plan(objects, live, **common))
    assert not plan.has_changes, plan.summary
    changed = [o if o.kind != "VoiceProfile" else DesiredObject(o.kind, o.name, {**o.spec, "rate": 1.5}, o.source)
               for o in objects]
    plan = timed("plan with every voice profile changed", lambda: build_plan(changed, live, **common))
    print(f"{'':<40} {plan.summary}")
    markdown = timed("markdown rendering of that plan", lambda: render_plan(plan, "markdown"))
    print(f"{'':<40} {len(markdown)} characters")


if __name__ == "__main__":
    main()
