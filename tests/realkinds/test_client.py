"""The API client on the platform kinds: cursor listings, summaries and details, the
singleton, updates without versions, publish jobs, and safe writes on kinds without a
name filter or with a summary listing. Request counts come from the client's own stats.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest

from reconciler.app import RunOptions, client_for
from reconciler.genesys import ClientLimits, GenesysClient, resolve_target
from reconciler.genesys.listing import next_params
from reconciler.kinds import REGISTRY
from reconciler.sandbox import SandboxOptions
from reconciler.sandbox import jobs as sandbox_jobs

from ._support import PUBLISH_JOBS, SETTINGS, TOPIC, TOPICS, TRIGGER, TRIGGERS, TTS, topic_body, trigger_body

T = TypeVar("T")
QUICK = ClientLimits(requests_per_minute=60_000, rate_burst=100, backoff_initial=0.01, backoff_max=0.05)


def with_client(
    tmp_path: Path, action: Callable[[GenesysClient], Awaitable[T]], *, limits: ClientLimits = QUICK,
    options: SandboxOptions | None = None,
) -> tuple[T, GenesysClient]:
    async def go() -> tuple[T, GenesysClient]:
        target = resolve_target(target="sandbox", sandbox_db=str(tmp_path / "sandbox.db"), env={})
        async with client_for(RunOptions(target, limits, options)) as client:
            return await action(client), client

    return anyio.run(go)


def count(client: GenesysClient, method: str, template: str) -> int:
    return client.stats.requests[(method, template)]


class TestCursorListing:
    def test_every_trigger_page_by_page_following_next_uri(self, tmp_path: Path) -> None:
        async def act(client: GenesysClient) -> list[dict[str, Any]]:
            for i in range(7):
                await client.create(TRIGGER, trigger_body(f"T{i}"))
            client.stats.requests.clear()
            return await client.list_all(TRIGGER)

        listed, client = with_client(tmp_path, act, limits=ClientLimits(page_size=3, requests_per_minute=60_000))
        assert [o["name"] for o in listed] == [f"T{i}" for i in range(7)]
        assert count(client, "GET", TRIGGERS) == 3  # 3 + 3 + 1, the last page has no nextUri

    def test_credentials_are_read_at_their_listing_path_and_paged_there(self, tmp_path: Path) -> None:
        """``/credentials/listing`` (the SDK's cursor listing): its nextUri is followed, not refused."""
        credential = REGISTRY["IntegrationCredential"]

        async def act(client: GenesysClient) -> list[dict[str, Any]]:
            for i in range(5):
                body = {"name": f"C{i}", "type": {"name": "basicAuth"}, "credentialFields": {"userName": "u", "password": "p"}}
                await client.create(credential, body)
            client.stats.requests.clear()
            return await client.list_all(credential)

        listed, client = with_client(tmp_path, act, limits=ClientLimits(page_size=2, requests_per_minute=60_000))
        assert [o["name"] for o in listed] == [f"C{i}" for i in range(5)]
        assert count(client, "GET", credential.listing_path) == 3  # 2 + 2 + 1
        assert count(client, "GET", credential.collection) == 0  # the deprecated page listing is never read

    def test_topics_list_as_summaries_and_details_read_only_what_is_asked(self, tmp_path: Path) -> None:
        async def act(client: GenesysClient) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            for i in range(4):
                await client.create(TOPIC, topic_body(f"Topic {i}", phrases=[{"text": f"phrase {i}"}]))
            client.stats.requests.clear()
            summaries = await client.list_all(TOPIC)
            return summaries, await client.details(TOPIC, summaries[1:3])

        (summaries, details), client = with_client(tmp_path, act)
        assert all("phrases" not in s and s["phrasesCount"] == 1 for s in summaries)
        assert [d["phrases"][0]["text"] for d in details] == ["phrase 1", "phrase 2"]
        assert count(client, "GET", TOPICS) == 1 and count(client, "GET", TOPICS + "/{id}") == 2

    def test_a_next_uri_leaving_the_collection_is_refused(self) -> None:
        from reconciler.core.errors import ServerError

        response = type("R", (), {"status_code": 200, "headers": {}})()
        with pytest.raises(ServerError, match="leaves the collection"):
            next_params(TRIGGER, "https://elsewhere.example.com/steal?after=x", response)  # type: ignore[arg-type]
        assert next_params(TRIGGER, f"{TRIGGERS}?pageSize=2&after=abc", response) == {  # type: ignore[arg-type]
            "pageSize": "2", "after": "abc"}


    def test_a_next_uri_spelling_the_path_in_another_case_stays_on_the_collection(self) -> None:
        """Platform paths are case-insensitive: CX as Code lists triggers at ``/api/v2/processAutomation/triggers``
        (process_automation_triggers_proxy.go) where the SDK says ``processautomation``, and follows each nextUri as
        given. A nextUri so spelled was refused as leaving the collection, ending the listing of a real org."""
        from reconciler.genesys.paging import next_query

        response = type("R", (), {"status_code": 200, "headers": {}})()
        shouted = "/api/v2/processAutomation/triggers?after=abc&pageSize=200"
        assert next_params(TRIGGER, shouted, response) == {"after": "abc", "pageSize": "200"}  # type: ignore[arg-type]
        topics = "https://api.example.com/api/v2/processAutomation/triggers/Topics?after=t"
        assert next_query(topics, "/api/v2/processautomation/triggers/topics", response) == {  # type: ignore[arg-type]
            "after": "t"}


class TestFindByName:
    def test_a_kind_without_a_name_filter_is_searched_in_its_listing(self, tmp_path: Path) -> None:
        async def act(client: GenesysClient) -> dict[str, Any] | None:
            await client.create(TRIGGER, trigger_body("Alpha"))
            await client.create(TRIGGER, trigger_body("Beta"))
            client.stats.requests.clear()
            return await client.find_by_name(TRIGGER, "BETA")

        found, client = with_client(tmp_path, act)
        assert found is not None and found["name"] == "Beta"
        assert count(client, "GET", TRIGGERS) == 1

    def test_a_partial_name_filter_is_matched_on_the_whole_name_and_read_in_full(self, tmp_path: Path) -> None:
        async def act(client: GenesysClient) -> dict[str, Any] | None:
            await client.create(TOPIC, topic_body("Billing Dispute"))
            await client.create(TOPIC, topic_body("billing", phrases=[{"text": "invoice"}]))
            return await client.find_by_name(TOPIC, "Billing")

        found, _ = with_client(tmp_path, act)
        assert found is not None and found["name"] == "billing" and found["phrases"][0]["text"] == "invoice"


class TestSingleton:
    def test_it_lists_as_one_object_named_org_and_updates_at_the_collection(self, tmp_path: Path) -> None:
        async def act(client: GenesysClient) -> tuple[list[dict[str, Any]], Any]:
            result = await client.update(TTS, "org", {"defaultEngine": "google-cloud", "languageOverrides": []}, 0)
            return await client.list_all(TTS), result

        (listed, result), client = with_client(tmp_path, act)
        assert listed == [{"defaultEngine": "google-cloud", "languageOverrides": [], "name": "org"}]
        assert (result.method, result.path) == ("PUT", SETTINGS)
        assert count(client, "PUT", SETTINGS) == 1 and count(client, "GET", SETTINGS) == 1

    def test_it_is_never_deleted(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="singleton"):
            with_client(tmp_path, lambda client: client.delete(TTS, "org"))


class TestWritesWithoutVersions:
    def test_a_topic_update_sends_no_version(self, tmp_path: Path) -> None:
        async def act(client: GenesysClient) -> Any:
            created = (await client.create(TOPIC, topic_body())).object
            return await client.update(TOPIC, created["id"], topic_body(description="new"), 7)

        result, _ = with_client(tmp_path, act)
        assert result.object["description"] == "new" and "version" not in result.object

    def test_lost_answers_never_duplicate_topics_or_triggers(self, tmp_path: Path) -> None:
        """Every write's answer is lost: the client finds what it made (by listing, with
        details for topics), adopts it, and never creates twice."""
        options = SandboxOptions(drop_rate=1.0, seed=3)

        async def act(client: GenesysClient) -> tuple[Any, Any]:
            return await client.create(TOPIC, topic_body()), await client.create(TRIGGER, trigger_body())

        (topic, trigger), client = with_client(tmp_path, act, options=options)
        assert topic.adopted and trigger.adopted
        assert count(client, "POST", TOPICS) == 1 and count(client, "POST", TRIGGERS) == 1

        async def both(c: GenesysClient) -> list[list[dict[str, Any]]]:
            return [await c.list_all(TOPIC), await c.list_all(TRIGGER)]

        listed, _ = with_client(tmp_path, both)
        assert [len(objects) for objects in listed] == [1, 1]


    def test_lost_answers_of_updates_without_versions_are_settled_by_reading_back(self, tmp_path: Path) -> None:
        created, _ = with_client(tmp_path, lambda c: c.create(TOPIC, topic_body()))
        options = SandboxOptions(drop_rate=1.0, seed=5)

        async def act(client: GenesysClient) -> tuple[Any, Any]:
            topic = await client.update(TOPIC, created.object["id"], topic_body(description="new"), 0)
            settings = await client.update(TTS, "org", {"defaultEngine": "google-cloud", "languageOverrides": []}, 0)
            return topic, settings

        (topic, settings), client = with_client(tmp_path, act, options=options)
        assert topic.adopted and topic.object["description"] == "new"
        assert settings.adopted and settings.object["defaultEngine"] == "google-cloud"
        assert count(client, "PUT", TOPICS + "/{id}") == 1 and count(client, "PUT", SETTINGS) == 1


class TestPublishJob:
    def test_apply_waits_for_the_job_to_complete(self, tmp_path: Path) -> None:
        async def act(client: GenesysClient) -> Any:
            created = (await client.create(TOPIC, topic_body())).object
            assert TOPIC.publish is not None
            return await client.publish(TOPIC.publish, [created["id"]])

        result, client = with_client(tmp_path, act)
        assert result.object["state"] == "Completed"
        assert count(client, "POST", PUBLISH_JOBS) == 1
        assert count(client, "GET", PUBLISH_JOBS + "/{jobId}") == sandbox_jobs.POLLS_TO_COMPLETE

    def test_a_job_that_never_ends_is_given_up_after_the_timeout(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sandbox_jobs, "POLLS_TO_COMPLETE", 10**6)

        async def act(client: GenesysClient) -> Any:
            created = (await client.create(TOPIC, topic_body())).object
            assert TOPIC.publish is not None
            return await client.publish(TOPIC.publish, [created["id"]], timeout=0.15)  # polled from 10 ms, doubling

        result, client = with_client(tmp_path, act)
        assert result.object["state"] == "Running"
        assert 2 <= count(client, "GET", PUBLISH_JOBS + "/{jobId}") <= 5  # polled with growing waits, then given up
