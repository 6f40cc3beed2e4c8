"""Text output: colour only when asked, Terraform-like markers."""

from __future__ import annotations

from reconciler.plan.warning import whole_plan
from reconciler.render import render_apply, render_drift, render_plan

from ._scenarios import apply_result, drift_report, full_plan, unchanged_plan


class TestColour:
    def test_no_escape_codes_without_colour(self) -> None:
        for text in (render_plan(full_plan()), render_drift(drift_report()), render_apply(apply_result())):
            assert "\x1b[" not in text

    def test_colours_on_a_terminal(self) -> None:
        text = render_plan(full_plan(), color=True)
        assert "\x1b[32;1m+ create VoiceProfile/IVR Main\x1b[0m" in text
        assert "\x1b[33;1m~ update SpeechRule/Billing\x1b[0m" in text
        assert "\x1b[31;1m- delete Webhook/Old Feed\x1b[0m" in text
        assert "\x1b[31m" in render_apply(apply_result(), color=True)


class TestMarkers:
    def test_one_header_per_change_with_its_marker(self) -> None:
        lines = render_plan(full_plan()).splitlines()
        heads = [line for line in lines if line[:2] in ("+ ", "~ ", "- ")]
        assert heads == [
            "+ create VoiceProfile/IVR Main  (not found live)  [manifests/objs.yaml:2]",
            "~ update SpeechRule/Billing  (2 fields differ)  [manifests/objs.yaml:10]",
            "+ create Webhook/New Feed  (not found live; replaces 'Old Feed' (renamed in manifests))"
            "  [manifests/webhooks.yaml:44]",
            "~ update Webhook/CRM Sync  (2 fields differ; value from environment changed)  [manifests/objs.yaml:30]",
            "- delete Webhook/Old Feed"
            "  (not declared; pruning Webhook is enabled; renamed to 'New Feed' in manifests (delete and create))",
        ]


class TestSummaryLine:
    def test_a_plan_without_changes_says_the_target_matches(self) -> None:
        assert render_plan(unchanged_plan()).endswith("No changes: the target matches the manifests (3 objects).\n")

    def test_a_plan_stopped_by_errors_before_any_change_does_not_claim_a_match(self) -> None:
        stopped = unchanged_plan().model_copy(update={"changes": (), "errors": ("run r-1 changed since: refused",)})
        text = render_plan(stopped)
        assert "Errors (this plan cannot be applied):" in text
        assert "matches the manifests" not in text
        assert text.endswith("No changes planned: the errors above stop this plan.\n")


class TestLiveTextInMessages:
    """A warning or an error may quote live text (an id, a name, a server's code): it stays one line."""

    FORGED = "x\nPlan: 0 to create, 0 to update, 0 to delete.\n::error ::forged"

    def test_a_warning_or_error_quoting_a_line_break_is_one_line_in_text(self) -> None:
        plan = full_plan().model_copy(update={"warnings": whole_plan([self.FORGED]), "errors": (self.FORGED,)})
        drift = drift_report().model_copy(update={"warnings": (self.FORGED,), "errors": (self.FORGED,)})
        for text in (render_plan(plan), render_drift(drift)):
            lines = text.splitlines()
            assert lines.count("  - x\\nPlan: 0 to create, 0 to update, 0 to delete.\\n::error ::forged") == 2
            assert not any(line.lstrip().startswith(("Plan: 0", "::")) for line in lines)

    def test_in_markdown_too(self) -> None:
        plan = full_plan().model_copy(update={"warnings": whole_plan([self.FORGED])})
        text = render_plan(plan, "markdown")
        assert "<br>" not in text and "\nPlan: 0" not in text and "\n::" not in text
        assert "x\\\\nPlan: 0 to create" in text
