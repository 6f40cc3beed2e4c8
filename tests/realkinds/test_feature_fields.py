"""Fields a real org's reads leave out for a feature it lacks (``Kind.shown_with_feature``).

The SDK's ``DictionaryFeedback.transcription_engine``: "Only returned when GenesysExtended
feature is enabled". A manifest saying ``transcriptionEngine: Genesys`` planned an update
on every run against an org without that feature: the live term never shows the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from reconciler.app.connect import same_content
from reconciler.kinds import REGISTRY
from reconciler.plan.revert import Write, moved_since

from ._support import Project, changes_of, make_project
from .test_sdk import served

FEEDBACK = REGISTRY["DictionaryFeedback"]
PHRASES = [{"phrase": "I am calling about my Genesys invoice"}, {"phrase": "can Genesys call me back"},
           {"phrase": "the Genesys app keeps logging me out"}]
SPEC = {"dialect": "en-US", "boostValue": 5, "examplePhrases": PHRASES, "transcriptionEngine": "Genesys"}
#: a live term as an org without GenesysExtended reads it: no transcriptionEngine
LIVE = {"id": "t1", "term": "Genesys", "dialect": "en-US", "boostValue": 5.0, "source": "Manual",
        "examplePhrases": [{**p, "source": "Manual"} for p in PHRASES], "soundsLike": [],
        "dateModified": "2024-01-01T00:00:00.000Z"}


class TestTheKind:
    def test_a_live_term_without_the_engine_compares_equal(self) -> None:
        desired = FEEDBACK.desired_essence({"name": "Genesys", **SPEC})
        assert FEEDBACK.comparable(FEEDBACK.essence(LIVE), desired) == desired

    def test_a_live_term_showing_another_engine_still_differs(self) -> None:
        desired = FEEDBACK.desired_essence({"name": "Genesys", **SPEC})
        shown = FEEDBACK.comparable(FEEDBACK.essence({**LIVE, "transcriptionEngine": "GenesysExtended"}), desired)
        assert shown["transcriptionEngine"] == "GenesysExtended" and shown != desired

    def test_a_lost_create_is_recognised_though_the_read_lacks_the_engine(self) -> None:
        assert same_content(FEEDBACK, FEEDBACK.api_body("Genesys", SPEC), LIVE)

    def test_revert_does_not_take_the_absence_for_a_change_since_the_run(self) -> None:
        changes = ({"path": "transcriptionEngine", "before": None, "after": "Genesys"},)
        write = Write("DictionaryFeedback", "Genesys", "update", "t1", None, changes)
        assert moved_since(FEEDBACK, write, LIVE) is None
        moved = moved_since(FEEDBACK, write, {**LIVE, "transcriptionEngine": "GenesysExtended"})
        assert moved is not None and "transcriptionEngine" in moved

    def test_such_fields_have_no_default(self) -> None:
        """An essence fills defaults: a gated field with one would never be absent, so never be let go."""
        gated = [(k.name, f) for k in REGISTRY.values() for f in k.shown_with_feature]
        assert ("DictionaryFeedback", "transcriptionEngine") in gated
        for kind_name, fname in gated:
            model_field = REGISTRY[kind_name].spec_model.model_fields[fname]
            assert not model_field.is_required() and model_field.default is None, (kind_name, fname)


def test_an_org_without_genesys_extended_plans_no_changes_after_apply(tmp_path: Path, served_sandbox: Any) -> None:
    project: Project = make_project(tmp_path, files=("dictionary-feedback.yaml",))
    project.edit("dictionary-feedback.yaml", "  boostValue: 5\n", "  boostValue: 5\n  transcriptionEngine: Genesys\n")
    sandbox = served_sandbox(rate_limit=0, features_off=frozenset({"GenesysExtended"}))
    served(project, sandbox, "apply", "--auto-approve")
    token = httpx.post(f"{sandbox.url}/oauth/token", data={"grant_type": "client_credentials"},
                       auth=(sandbox.options.client_id, sandbox.options.client_secret)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    listed = httpx.get(f"{sandbox.url}{FEEDBACK.collection}", headers=headers).json()["entities"]
    genesys = next(e for e in listed if e["term"] == "Genesys")
    read = httpx.get(f"{sandbox.url}{FEEDBACK.collection}/{genesys['id']}", headers=headers).json()
    assert "transcriptionEngine" not in genesys and "transcriptionEngine" not in read  # the org's reads omit it
    assert "No changes" in served(project, sandbox, "plan", "--detailed-exitcode").stdout
    # with the feature on, the same term shows the engine and a changed one is planned
    shown = served_sandbox(rate_limit=0, db_path=sandbox.options.db_path)
    assert "No changes" in served(project, shown, "plan", "--detailed-exitcode").stdout
    project.edit("dictionary-feedback.yaml", "transcriptionEngine: Genesys", "transcriptionEngine: GenesysExtended")
    project.edit("dictionary-feedback.yaml", "  soundsLike: [genesis, jenesis]\n", "")


    plan = json.loads(served(project, shown, "plan", "--format", "json").stdout)
    fields = {fc["path"] for fc in changes_of(plan)["DictionaryFeedback/Genesys"]["field_changes"]}
    assert "transcriptionEngine" in fields
