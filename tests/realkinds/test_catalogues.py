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


CREDENTIAL_TYPES = "/api/v2/integrations/credentials/types"


class TestCredentialTypes:
    """CX as Code: credential fields missing for the type "will result API request failure"; the org lists its
    types and their ``required`` fields at ``GET /api/v2/integrations/credentials/types`` (SDK ``CredentialType``)."""

    @pytest.fixture
    def credentials(self, tmp_path: Path) -> Project:
        return make_project(tmp_path, files=("credentials.yaml",))

    def test_a_type_the_org_lacks_is_an_error_at_its_line(self, credentials: Project) -> None:
        credentials.edit("credentials.yaml", "name: basicAuth", "name: basicAuthh")
        output = credentials.run("plan", expect=1).output
        assert "credentials.yaml:14" in output and "spec.type.name" in output
        assert "'basicAuthh' is not a credential type of this org" in output and "basicAuth," in output

    def test_a_required_field_left_out_is_an_error_at_its_line_without_values(self, credentials: Project) -> None:
        credentials.edit("credentials.yaml", "    password: ${env:CRM_API_PASSWORD}\n", "")
        output = credentials.run("plan", expect=1).output
        assert "credentials.yaml:16" in output and "spec.credentialFields" in output
        assert "lacks password, required by credential type 'basicAuth'" in output
        assert "crm-integration-user-7f3a" not in output

    def test_declared_types_and_fields_plan_and_the_types_are_read_once(self, credentials: Project) -> None:
        counts = request_counts(credentials.run("plan", "--verbose").stderr)
        assert counts[f"GET {CREDENTIAL_TYPES}"] == 1

    def test_the_sandbox_refuses_a_write_lacking_a_required_field(self) -> None:
        from reconciler.sandbox.catalog import check_live

        kind = REGISTRY["IntegrationCredential"]
        model, _ = kind.validate_spec({"type": {"name": "basicAuth"}, "credentialFields": {"userName": "u"}})
        assert check_live(kind, model) == [("credentialFields", "lacks password, required by credential type 'basicAuth'")]


def test_a_bare_array_answer_is_a_reference_listing_of_one_page() -> None:
    """The Python SDK reads ``get_integrations_credentials_types`` as ``list[CredentialType]`` (a bare array);
    the Go and Swift SDKs name a ``CredentialTypeListing``: both are read, and nothing else is."""
    read = next(r for c in REGISTRY["IntegrationCredential"].live_checks for r in c.reads)
    assert (read.path, read.paging, read.permissions) == (CREDENTIAL_TYPES, "none", ("integrations:integration:view",))
    target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="sec")
    answers = iter([[{"id": "b", "name": "basicAuth", "required": ["userName"]}],
                    {"entities": [{"id": "u", "name": "userDefined", "required": []}]}, "basicAuth"])

    async def main() -> list[list[dict[str, object]]]:
        async with GenesysClient(target, limits=ClientLimits(page_size=2), rng=random.Random(1)) as client:
            return [await client.list_reference(read), await client.list_reference(read)]

    async def refused() -> None:
        async with GenesysClient(target, limits=ClientLimits(page_size=2), rng=random.Random(1)) as client:
            await client.list_reference(read)

    from reconciler.core.errors import ServerError

    with respx.mock(base_url=API) as router:
        router.post("/oauth/token").mock(
            return_value=httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 86400})
        )
        route = router.get(CREDENTIAL_TYPES).mock(side_effect=lambda request: httpx.Response(200, json=next(answers)))
        bare, enveloped = anyio.run(main)
        with pytest.raises(ServerError, match="not a JSON object or array"):
            anyio.run(refused)
    assert [t["name"] for t in bare] == ["basicAuth"] and [t["name"] for t in enveloped] == ["userDefined"]
    assert all(dict(c.request.url.params) == {} for c in route.calls)
