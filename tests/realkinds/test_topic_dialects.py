"""Topics of one name in different dialects: identity is the name alone, so plan refuses to mix them.

The platform tells topics of one name apart by dialect (the SDK lists them by ``dialects``; CX as
Code's data source selects a topic by name *and* dialect, its exporter labels ``<name>_<dialect>``).
A declared topic that its name matches to a live topic of another dialect may be another team's,
so plan refuses it at ``spec.dialect`` unless ``metadata.id`` pins the live one; a name two live
topics share names each one's dialect. The sandbox (as this tool assumes, docs/real-org-kinds.md)
keeps topic names unique, so a second dialect's twin is added to what ``read_live`` returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import reconciler.app.planning as planning
from reconciler.core.keys import Location
from reconciler.manifests.desired import DesiredObject
from reconciler.plan.identity import ambiguous_identities, duplicate_names, duplicate_warnings, scope_issues

from ._support import CANCELLATION, TOPIC, Project, changes_of, make_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = make_project(tmp_path, files=("speech-topics.yaml",))
    made.run("apply", "--auto-approve")
    return made


def _move_to_spanish(project: Project) -> None:
    """The first topic of the file (Cancellation Intent) is declared in es-US; the live one is en-US."""
    project.edit("speech-topics.yaml", "  dialect: en-US\n  strictness", "  dialect: es-US\n  strictness")


def test_a_topic_its_name_matches_to_another_dialect_exits_1_at_spec_dialect_until_pinned(project: Project) -> None:
    """Refused at ``spec.dialect`` (the live topic may be another dialect's); pinned by ``metadata.id``, the live
    topic is the declared one and its dialect changes."""
    live_id = project.live("SpeechTopic")[CANCELLATION]["id"]
    _move_to_spanish(project)
    result = project.run("plan", expect=1)
    assert "Traceback" not in result.output
    assert "speech-topics.yaml:12:" in result.output and "spec.dialect" in result.output
    assert f"(id {live_id}) has dialect 'en-US', not 'es-US'" in result.output
    assert "pin the live one with metadata.id" in result.output
    project.edit("speech-topics.yaml", f"  name: {CANCELLATION}\n", f"  name: {CANCELLATION}\n  id: {live_id}\n")
    change = changes_of(project.plan_json())[f"SpeechTopic/{CANCELLATION}"]
    assert (change["action"], change["object_id"]) == ("update", live_id)
    assert {fc["path"] for fc in change["field_changes"]} == {"dialect"}


def test_a_name_two_live_topics_share_names_each_ones_dialect(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    live_id = project.live("SpeechTopic")[CANCELLATION]["id"]
    real = planning.read_live

    async def twinned(*args: Any, **kwargs: Any) -> Any:
        live = await real(*args, **kwargs)
        original = next(t for t in live[TOPIC.name] if t["name"] == CANCELLATION)
        live[TOPIC.name] = [*live[TOPIC.name], {**original, "id": "twin-es", "dialect": "es-US"}]
        return live

    monkeypatch.setattr(planning, "read_live", twinned)
    result = project.run("plan", expect=1)
    assert "Traceback" not in result.output and "speech-topics.yaml:9:" in result.output
    assert f"(ids {live_id} (dialect 'en-US'), twin-es (dialect 'es-US'))" in result.output


def test_undeclared_topics_sharing_a_name_are_listed_with_their_dialects() -> None:
    live = {TOPIC.name: [{"id": "a", "name": "Refund", "dialect": "en-US"}, {"id": "b", "name": "Refund",
                                                                               "dialect": "es-US"}]}
    duplicates = duplicate_names(live)
    assert duplicate_warnings([], duplicates) == [
        f"{TOPIC.name}: 2 live objects are named 'Refund' (ids a (dialect 'en-US'), b (dialect 'es-US'))"
    ]
    declared = DesiredObject(kind=TOPIC.name, name="refund", spec={"dialect": "en-US"}, source=Location("t.yaml", 3, 9))
    (issue,) = ambiguous_identities([declared], duplicates)
    assert "(ids a (dialect 'en-US'), b (dialect 'es-US'))" in str(issue)


def test_dictionary_feedback_of_one_term_in_another_dialect_is_refused_at_spec_dialect() -> None:
    """A term's vocabulary is its dialect's (SDK ``get_speechandtextanalytics_dictionaryfeedback``: a ``dialect``
    filter, "up to 1000 dictionary terms per dialect"): a declared term matched by name to a live term of another
    dialect is refused, as for topics, rather than turning that dialect's term into this one."""
    declared = DesiredObject(
        kind="DictionaryFeedback", name="Genesys", spec={"dialect": "en-AU"}, source=Location("d.yaml", 3, 9)
    )
    live = {"DictionaryFeedback": [{"id": "t1", "name": "Genesys", "term": "Genesys", "dialect": "en-US"}]}
    (issue,) = scope_issues([declared], live, duplicate_names(live))
    assert "(id t1) has dialect 'en-US', not 'en-AU'" in str(issue)


def test_an_escaped_dialect_is_compared_as_the_text_it_reads_not_skipped_as_a_placeholder() -> None:
    """``$${`` is the literal ``${``: a scoping value holding one is known now, so it is judged; only a
    placeholder's value waits for apply. It was skipped for holding ``${``, as if it were a placeholder."""
    live = {"DictionaryFeedback": [{"id": "t1", "name": "Genesys", "term": "Genesys", "dialect": "${x}"}]}

    def declared(dialect: str) -> DesiredObject:
        return DesiredObject(kind="DictionaryFeedback", name="Genesys", spec={"dialect": dialect},
                             source=Location("d.yaml", 3, 9))

    (issue,) = scope_issues([declared("$${y}")], live, duplicate_names(live))
    assert "(id t1) has dialect '${x}', not '${y}'" in str(issue)  # the text each reads as
    assert scope_issues([declared("$${x}")], live, duplicate_names(live)) == []  # reads as the live text
    assert scope_issues([declared("${env:D}")], live, duplicate_names(live)) == []  # known at apply only
