"""Markdown comments: under GitHub's limit whatever the plan size, saying what was cut."""

from __future__ import annotations

import re

import pytest
from plan._support import applied, desired, plan_of, voice

from reconciler.apply.result import ApplyResult, ChangeOutcome, Outcome
from reconciler.plan.model import Plan
from reconciler.render import MAX_CHARS, render_apply, render_plan
from reconciler.render.markdown import code

from ._scenarios import full_plan

GITHUB_LIMIT = 65_536


def big_plan(creates: int, updates: int = 0, unmanaged: int = 0) -> Plan:
    params = {"neural": True, "sampleRate": 8000}
    new = [voice(f"New voice {i:05d}", pitch=-1.5, customParams=params) for i in range(creates)]
    old = [voice(f"Old voice {i:05d}") for i in range(updates)]
    stray = [voice(f"Stray voice {i:05d}") for i in range(unmanaged)]
    live = applied(old + stray)
    return plan_of(new + [voice(o.name, rate=1.25) for o in old], live)


def assert_well_formed(md: str) -> None:
    assert md.count("<details") == md.count("</details>")
    fences = [line for line in md.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0


class TestLimit:
    def test_5000_change_plan_stays_under_the_limit_and_says_what_it_cut(self) -> None:
        plan = big_plan(creates=2500, updates=2500)
        assert plan.summary["create"] + plan.summary["update"] == 5000
        md = render_plan(plan, "markdown", artifact_hint="plan-123.json")
        assert len(md) <= MAX_CHARS < GITHUB_LIMIT
        shown = md.count("**+ create**") + md.count("**~ update**")
        match = re.search(r"… (\d+) more changes not shown\*\* \((\d+) to create, 2500 to update\)", md)
        assert match, md[-500:]
        assert shown > 0 and shown + int(match.group(1)) == 5000
        assert int(match.group(2)) == 2500 - md.count("**+ create**")
        assert "see the plan artifact `plan-123.json`" in md
        assert md.startswith("### Reconciler plan") and "**Plan:** 2500 to create, 2500 to update." in md
        assert_well_formed(md)

    def test_unmanaged_objects_are_counted_separately(self) -> None:
        md = render_plan(big_plan(creates=400, unmanaged=3000), "markdown")
        assert len(md) <= MAX_CHARS
        cut = re.search(r"… (?:(\d+) more changes and )?(\d+) more unmanaged objects not shown", md)
        assert cut, md[-400:]
        assert "see the full plan artifact" in md

    @pytest.mark.parametrize("limit", [1_500, 2_000, 3_333, 8_000, 20_000])
    def test_any_limit_is_respected_with_whole_objects(self, limit: int) -> None:
        md = render_plan(big_plan(creates=300), "markdown", max_chars=limit, artifact_hint="a")
        assert len(md) <= limit
        assert_well_formed(md)

    def test_a_cut_apply_points_to_the_audit_log_not_a_plan_artifact(self) -> None:
        """An apply's outcomes are recorded in the audit log; 'see the full plan artifact' sent readers astray."""
        plan = big_plan(creates=2000)
        outcomes = [ChangeOutcome.of(c, Outcome.SUCCESS) for c in plan.changes]
        md = render_apply(ApplyResult.from_outcomes(outcomes, target="t"), "markdown", max_chars=5_000)
        assert len(md) <= 5_000 and "more changes not shown" in md
        assert "reconciler audit show" in md and "plan artifact" not in md
        assert_well_formed(md)

    def test_small_plan_is_not_cut(self) -> None:
        md = render_plan(full_plan(), "markdown")
        assert "not shown" not in md
        assert md.count("<details>") == 4  # three kinds and the unmanaged list


class TestEscaping:
    def test_names_with_backticks_and_html_stay_literal(self) -> None:
        name = "we`ird <img src=x onerror=alert(1)> name"
        plan = plan_of([desired("VoiceProfile", name, voice().spec)], {})
        md = render_plan(plan, "markdown")
        assert code(name) in md
        assert code(name) == "``we`ird <img src=x onerror=alert(1)> name``"
        outside_code = re.sub(r"``.*?``|`[^`]*`", "", md)
        assert "<img" not in outside_code

    def test_code_fence_survives_backticks_in_values(self) -> None:
        plan = plan_of([voice(customParams={"note": "```\n# not a heading"})], {})
        md = render_plan(plan, "markdown")
        assert "````diff" in md
        assert_well_formed(md)


@pytest.mark.parametrize("text", ["www.evil.example/login", "see https://evil.example/x now", "HTTP://EVIL.example",
                                  "WWW.evil.example", "mail bob@evil.example", "xmpp:bob@evil.example"])
def test_live_text_makes_no_autolink(text: str) -> None:
    """GitHub links a bare ``www.`` or ``https://`` (GFM's extended autolinks) in a comment's text.

    A drift issue's "created by client …" line (the audit service's client or user name) and an
    apply comment's server error are live text: ``www.evil.example/login`` there was a link to click.
    """
    from reconciler.render.escape import ZWJ, md_text

    shown = md_text(text)
    assert not re.search(r"(?i)(https?://|\bwww\.|@[a-z])", shown), shown
    assert shown.replace(ZWJ, "") == text  # reads the same
