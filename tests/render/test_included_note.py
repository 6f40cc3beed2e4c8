"""The note on a change pulled in from a file not given: who references it, kept to one line however many do."""

from __future__ import annotations

from plan._support import plan_of, rule

from reconciler.core.keys import ObjectKey
from reconciler.plan.model import Plan
from reconciler.render import render_plan

NOTE = "included: referenced by {} (declared only in a file not given)"


def planned(referrers: int) -> Plan:
    """A rule to create, pulled in by ``referrers`` webhooks (none: a rule of the files given)."""
    by = tuple(ObjectKey("Webhook", f"Hook {i}") for i in range(referrers))
    return plan_of([rule()], {}, included={ObjectKey("SpeechRule", "Billing"): by} if by else None)


def test_text_names_three_referrers_and_counts_the_rest() -> None:
    lines = render_plan(planned(5), "text").splitlines()
    assert "    " + NOTE.format("Webhook/Hook 0, Webhook/Hook 1, Webhook/Hook 2 and 2 more") in lines
    assert "    " + NOTE.format("Webhook/Hook 0") in render_plan(planned(1), "text").splitlines()


def test_markdown_and_json_say_the_same() -> None:
    markdown = render_plan(planned(5), "markdown")
    assert NOTE.format("`Webhook/Hook 0`, `Webhook/Hook 1`, `Webhook/Hook 2` and 2 more") in markdown
    assert '"included_by": [\n        "Webhook/Hook 0",' in render_plan(planned(5), "json")


def test_a_change_not_pulled_in_has_no_note() -> None:
    plan = planned(0)
    assert plan.changes[0].included_by == ()
    assert "included:" not in render_plan(plan, "text") and "included:" not in render_plan(plan, "markdown")
