"""Plan-time checks against the org's catalogues (issue 14): topic dialects, trigger topics,
TTS engines and voices, each reported at the manifest's file, line and field, each
catalogue read once per plan.
"""

from __future__ import annotations

import random
from pathlib import Path

import anyio
import httpx
import pytest
import respx

from reconciler.genesys import ClientLimits, GenesysClient, Target
from reconciler.kinds import REGISTRY, ReferenceRead

from ._support import Project, make_project
from .test_cli_cycle import request_counts

DIALECTS = "/api/v2/speechandtextanalytics/topics/dialects"
TOPICS = "/api/v2/processautomation/triggers/topics"
API = "http://127.0.0.1:8997"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)


def test_a_dialect_the_org_lacks_is_an_error_at_its_line(project: Project) -> None:
    project.edit("speech-topics.yaml", "dialect: en-US", "dialect: sv-SE")
    output = project.run("plan", expect=1).output
    assert "speech-topics.yaml:12" in output and "spec.dialect" in output
    assert "'sv-SE' is not a topic dialect of this org" in output


def test_a_trigger_topic_the_org_lacks_is_an_error_at_its_line(project: Project) -> None:
    project.edit("triggers.yaml", "customer.end", "customer.ended")
    output = project.run("plan", expect=1).output
    assert "triggers.yaml:12" in output and "spec.topicName" in output
    assert "is not a trigger topic of this org" in output


def test_each_catalogue_costs_one_request_per_plan(project: Project) -> None:
    counts = request_counts(project.run("plan", "--verbose").stderr)
    assert counts[f"GET {DIALECTS}"] == 1
    assert counts[f"GET {TOPICS}"] == 1
    assert counts["GET /api/v2/integrations/speech/tts/engines"] == 1


def test_the_trigger_topics_are_read_by_cursor_and_names_become_objects() -> None:
    read = next(r for c in REGISTRY["ProcessAutomationTrigger"].live_checks for r in c.reads)
    pages = {
        None: {"entities": ["a", "b"], "nextUri": f"{TOPICS}?pageSize=2&after=c2", "selfUri": TOPICS},
        "c2": {"entities": [{"id": "c", "name": "c"}], "selfUri": TOPICS},
    }
    target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="sec")

    async def main() -> list[dict[str, object]]:
        async with GenesysClient(target, limits=ClientLimits(page_size=2), rng=random.Random(1)) as client:
            return await client.list_reference(read)

    with respx.mock(base_url=API) as router:
        router.post("/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 86400})
        )
        route = router.get(TOPICS).mock(
            side_effect=lambda request: httpx.Response(200, json=pages[request.url.params.get("after")])
        )
        found = anyio.run(main)
    assert found == [{"id": "a", "name": "a"}, {"id": "b", "name": "b"}, {"id": "c", "name": "c"}]
    assert [dict(c.request.url.params) for c in route.calls] == [{"pageSize": "2"}, {"pageSize": "2", "after": "c2"}]


def test_a_cursor_reference_read_keeps_its_own_parameters_after_page_one() -> None:
    """A reference read's ``params`` were sent on page 1 only: the query of page 2 was the ``nextUri``'s alone,
    so a ``nextUri`` that does not repeat a filter read the later pages unfiltered. Kind listings keep theirs
    (``paging.next_query``, one helper for both); the ``nextUri``'s own values still win."""
    read = ReferenceRead(key="topics", path=TOPICS, scope="x", params={"filter": "mine", "after": "stale"},
                         paging="cursor", page_size_max=2)
    pages = {
        "stale": {"entities": ["a", "b"], "nextUri": f"{TOPICS}?pageSize=2&after=c2", "selfUri": TOPICS},
        "c2": {"entities": ["c"], "selfUri": TOPICS},
    }
    target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="sec")

    async def main() -> list[dict[str, object]]:
        async with GenesysClient(target, limits=ClientLimits(page_size=2), rng=random.Random(1)) as client:
            return await client.list_reference(read)

    with respx.mock(base_url=API) as router:
        router.post("/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 86400})
        )
        route = router.get(TOPICS).mock(
            side_effect=lambda request: httpx.Response(200, json=pages[request.url.params["after"]])
        )
        found = anyio.run(main)
    assert [e["id"] for e in found] == ["a", "b", "c"]
    assert [dict(c.request.url.params) for c in route.calls] == [
        {"filter": "mine", "after": "stale", "pageSize": "2"},
        {"filter": "mine", "after": "c2", "pageSize": "2"},
    ]


def test_the_dialects_are_read_without_paging_parameters() -> None:
    read = next(r for c in REGISTRY["SpeechTopic"].live_checks for r in c.reads)
    assert read.paging == "none" and read.path == DIALECTS
