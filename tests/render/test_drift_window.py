"""The drift report's header says what window attribution looked at, and which kinds it could not ask about.

Neither text nor Markdown showed it: a missing ``@`` line could mean "nobody changed it in the
window", "the window was too short" or "this kind has no audit service", and nothing said which.
"""

from __future__ import annotations

import anyio
import pytest

from reconciler.app.attribution import attribute
from reconciler.plan.drift import DriftReport, MissingObject
from reconciler.render import render_drift

from ._scenarios import drift_report

NOTE = "Attribution: audit messages since 2024-04-23 09:15:00 UTC; no audit service for VoiceProfile (not attributed)"


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_the_header_names_the_window_in_utc_and_the_kinds_without_an_audit_service(fmt: str) -> None:
    report = drift_report().model_copy(update={"unattributed_kinds": ("VoiceProfile",)})
    rendered = render_drift(report, fmt)
    assert NOTE in rendered
    assert rendered.index(NOTE) < rendered.index("VoiceProfile/IVR Main")  # once, in the header
    assert rendered.count("Attribution:") == 1


def test_no_note_when_nothing_was_asked_and_every_kind_is_audited() -> None:
    report = drift_report().model_copy(update={"attributed_since": None, "unattributed_kinds": ()})
    assert "Attribution:" not in render_drift(report, "text")


def test_attribute_names_the_kinds_with_drift_but_no_audit_service() -> None:
    """Only drift in kinds without an audit service: nothing is queried (no client needed), the kind is named."""
    report = DriftReport(
        tool_version="t", created_at="2024-05-01T00:00:00Z", target="genesys", target_description="d",
        manifests_digest="x", missing=(MissingObject(kind="VoiceProfile", name="IVR"),),
    )
    since = report.created_at
    done = anyio.run(lambda: attribute(report, {}, None, since=since, now=since))  # type: ignore[arg-type]  # never used
    assert done.unattributed_kinds == ("VoiceProfile",)
    assert done.attributed_since is None
