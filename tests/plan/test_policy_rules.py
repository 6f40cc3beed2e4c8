"""The pure guardrail rules: windows judged at a given moment (midnight, DST, several windows), protect, limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciler.manifests.policy import ChangeWindow, KindLimits, PolicySettings
from reconciler.plan.model import Action, Plan, PolicyRule, ResourceChange
from reconciler.plan.policy import is_open, limit_findings, protect_findings, window_finding


def window(**fields: object) -> ChangeWindow:
    return ChangeWindow.model_validate(fields)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class TestWindows:
    @pytest.mark.parametrize(
        ("moment", "open_"),
        [
            (utc(2024, 1, 5, 21, 59), False),  # Friday 21:59
            (utc(2024, 1, 5, 22, 0), True),  # Friday 22:00: opens
            (utc(2024, 1, 6, 2, 0), True),  # Saturday 02:00: Friday's window still open
            (utc(2024, 1, 6, 6, 0), False),  # Saturday 06:00: closed
            (utc(2024, 1, 6, 23, 0), False),  # Saturday night: no window opens on Saturday
            (utc(2024, 1, 4, 3, 0), False),  # Thursday 03:00: Wednesday opened none
        ],
    )
    def test_a_window_crossing_midnight_belongs_to_the_day_it_opens(self, moment: datetime, open_: bool) -> None:
        assert is_open(window(days=["thu", "fri"], **{"from": "22:00", "to": "06:00"}), moment) is open_

    def test_local_time_follows_daylight_saving(self) -> None:
        office = window(**{"from": "09:00", "to": "17:00", "timezone": "Europe/London"})
        assert is_open(office, utc(2024, 1, 10, 16, 30))  # GMT: 16:30 local
        assert not is_open(office, utc(2024, 7, 10, 16, 30))  # BST: 17:30 local
        assert is_open(office, utc(2024, 7, 10, 8, 0))  # BST: 09:00 local

    def test_to_24_00_is_the_end_of_the_day(self) -> None:
        day = window(days=["sun"], **{"from": "00:00", "to": "24:00"})
        assert is_open(day, utc(2024, 1, 7, 23, 59))
        assert not is_open(day, utc(2024, 1, 8, 0, 0))

    def test_several_windows_any_of_them_and_none_means_always(self) -> None:
        windows = (window(days=["mon"], **{"from": "01:00", "to": "02:00"}),
                   window(days=["tue"], **{"from": "03:00", "to": "04:00"}))
        assert window_finding(windows, utc(2024, 1, 9, 3, 30)) is None  # Tuesday 03:30
        finding = window_finding(windows, utc(2024, 1, 9, 1, 30))
        assert finding is not None and finding.rule == PolicyRule.WINDOW
        assert "mon 01:00-02:00 UTC; tue 03:00-04:00 UTC" in finding.text
        assert window_finding((), utc(2024, 1, 9, 1, 30)) is None

    def test_a_naive_moment_is_refused(self) -> None:
        with pytest.raises(ValueError, match="time-zone-aware"):
            is_open(window(**{"from": "01:00", "to": "02:00"}), datetime(2024, 1, 1))  # noqa: DTZ001 - the point

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"from": "10:00", "to": "10:00"}, "the window would be empty"),
            ({"from": "9:00", "to": "10:00"}, "not a time of day as HH:MM"),
            ({"from": "24:00", "to": "10:00"}, "end of the day"),
            ({"days": [], "from": "01:00", "to": "02:00"}, "never open"),
            ({"from": "01:00", "to": "02:00", "timezone": "../../etc/passwd"}, "unknown time zone"),
        ],
    )
    def test_malformed_windows_are_refused(self, fields: dict[str, object], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            window(**fields)


def change(kind: str, name: str, action: Action) -> ResourceChange:
    return ResourceChange(kind=kind, name=name, action=action)


class TestProtectAndLimits:
    def test_protect_spares_creates_and_names_the_pattern(self) -> None:
        changes = [change("Webhook", "Emergency close", a) for a in (Action.CREATE, Action.UPDATE, Action.DELETE)]
        found = protect_findings(changes, ["webhook/EMERGENCY*"])
        assert [f.text for f in found] == [
            "Webhook/Emergency close would be updated, but policy.protect 'webhook/EMERGENCY*' protects it",
            "Webhook/Emergency close would be deleted, but policy.protect 'webhook/EMERGENCY*' protects it",
        ]

    def test_renaming_a_pinned_object_does_not_take_it_out_of_protection(self) -> None:
        # metadata.id pins the live 'Emergency close'; its manifest renames it: still the protected object
        renamed = ResourceChange(kind="ProcessAutomationTrigger", name="Harmless", action=Action.UPDATE,
                                 object_id="t-1", before={"name": "Emergency close"})
        found = protect_findings([renamed], ["ProcessAutomationTrigger/emergency*"])
        assert [f.text for f in found] == [
            "ProcessAutomationTrigger/Harmless would be updated (renamed from 'Emergency close'), "
            "but policy.protect 'ProcessAutomationTrigger/emergency*' protects it"
        ]
        # a protected new name is matched as before
        assert protect_findings([renamed], ["ProcessAutomationTrigger/harmless"])[0].object == \
            "ProcessAutomationTrigger/Harmless"

    def test_a_replace_counts_as_a_change_and_a_delete(self) -> None:
        changes = [change("SpeechTopic", "a", Action.REPLACE), change("Webhook", "b", Action.CREATE)]
        limits = {"SpeechTopic": KindLimits(maxDeletes=0), "*": KindLimits(maxChanges=1)}
        assert [(f.object, f.text) for f in limit_findings(changes, limits)] == [
            ("SpeechTopic",
             "the plan's SpeechTopic objects: 1 delete, more than policy.limits.SpeechTopic.maxDeletes (0)"),
            ("*", "the plan: 2 changes, more than policy.limits.*.maxChanges (1)"),
        ]


class TestJudgedAtApply:
    """A saved plan meets this apply's --max-deletes and the policy as it is now (reconciler.app.guardrails)."""

    @staticmethod
    def saved(*changes: ResourceChange) -> Plan:
        return Plan(tool_version="t", created_at=datetime(2024, 5, 1, tzinfo=UTC), target="sandbox:x",
                    target_description="x", manifests_digest="sha256:" + "0" * 64, changes=changes)

    def test_max_deletes_counts_the_plans_deletes_and_replaces(self) -> None:
        from reconciler.app.guardrails import judged_at_apply

        plan = self.saved(change("Webhook", "a", Action.DELETE), change("SpeechTopic", "b", Action.REPLACE),
                          change("Webhook", "c", Action.UPDATE))
        assert judged_at_apply(plan, policy=None, max_deletes=2).errors == ()
        assert judged_at_apply(plan, policy=None, max_deletes=1).errors == (
            "the plan would delete 2 live objects (1 deleted, 1 replaced), more than --max-deletes 1",)

    def test_the_policy_now_adds_only_findings_the_plan_lacks(self) -> None:
        from reconciler.app.guardrails import judged_at_apply

        plan = self.saved(change("Webhook", "a", Action.DELETE))
        now = PolicySettings(protect=("Webhook/*",))
        judged = judged_at_apply(plan, policy=now, max_deletes=None)
        assert [f.text for f in judged.policy] == ["Webhook/a would be deleted, but policy.protect 'Webhook/*' protects it"]
        assert judged_at_apply(judged, policy=now, max_deletes=None).policy == judged.policy
