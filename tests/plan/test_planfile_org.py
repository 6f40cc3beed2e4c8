"""Saved plans name their org, and are read strictly: no org (an older file) or a key written twice is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.core.errors import PlanFileError
from reconciler.plan.builder import PrunePolicy
from reconciler.plan.model import Plan
from reconciler.plan.planfile import checksum, load_plan, save_plan

from ._support import ENV, ORG, TARGET, applied, live_hook, plan_of, sample


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    objects = sample()
    live = applied(objects[:2], env={**ENV, "TEAM_TOKEN": "old-team"}, extra=[live_hook("Stray")])
    plan: Plan = plan_of(objects, live, prune=PrunePolicy(kinds=frozenset({"Webhook"})))
    return save_plan(plan, tmp_path / "plan.json")


def sealed(path: Path, document: dict[str, object]) -> Path:
    document.pop("checksum", None)
    document["checksum"] = checksum(document)
    path.write_text(json.dumps(document, indent=2))
    return path


class TestOrg:
    def test_the_file_records_the_org_and_reads_it_back(self, saved: Path) -> None:
        assert json.loads(saved.read_text())["org"] == {"id": ORG.id, "name": ORG.name}
        assert load_plan(saved, expected_target=TARGET).org == ORG

    @pytest.mark.parametrize("how", ["absent", "null"])
    def test_a_file_without_an_org_is_refused_with_the_way_out(self, saved: Path, how: str) -> None:
        """A file saved before plans recorded their org, sealed as it was (its checksum holds)."""
        document = json.loads(saved.read_text())
        if how == "absent":
            del document["org"]
        else:
            document["org"] = None
        sealed(saved, document)
        with pytest.raises(PlanFileError, match=r"records no org .*make the plan again") as refused:
            load_plan(saved, expected_target=TARGET)
        assert str(saved) in str(refused.value)

    def test_an_org_without_an_id_is_no_valid_plan(self, saved: Path) -> None:
        document = json.loads(saved.read_text())
        document["org"] = {"name": "Example Corp Dev"}
        sealed(saved, document)
        with pytest.raises(PlanFileError, match=r"not a valid plan: .* first at org\.id"):
            load_plan(saved, expected_target=TARGET)


class TestDuplicateKeys:
    def test_a_top_level_key_written_twice_is_corruption_naming_it(self, saved: Path) -> None:
        """Sealed over the last value (what json keeps): the checksum alone would let it through."""
        document = json.loads(saved.read_text())
        text = json.dumps(document, indent=2)
        doubled = text.replace('  "target":', '  "target": "https://api.mypurecloud.de",\n  "target":', 1)
        assert json.loads(doubled) == document  # json.loads keeps the last: the checksum still matches
        saved.write_text(doubled)
        with pytest.raises(PlanFileError, match=r"is corrupted: the key 'target' appears twice in one object"):
            load_plan(saved, expected_target=TARGET)

    def test_a_key_written_twice_deep_in_a_change_is_refused_too(self, saved: Path) -> None:
        text = saved.read_text()
        doubled = text.replace('"action": "delete"', '"action": "no-op", "action": "delete"', 1)
        assert doubled != text
        saved.write_text(doubled)
        with pytest.raises(PlanFileError, match=r"corrupted: the key 'action' appears twice"):
            load_plan(saved, expected_target=TARGET)

    def test_the_same_key_in_sibling_objects_is_no_duplicate(self, saved: Path) -> None:
        # every change has "kind", "name"...: only a key repeated within one object is refused
        assert len(load_plan(saved, expected_target=TARGET).changes) > 1
