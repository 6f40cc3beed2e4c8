"""The sandbox serves the platform kinds with the real API's conventions.

Cursor paging (``after``/``before``, ``nextPage``), summary listings (topics without
phrases), entity references, the TTS settings singleton, publish jobs, fields that
cannot change, versions where the API has them, and the Genesys ``ErrorBody``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ._support import PUBLISH_JOBS, SETTINGS, TOPICS, TRIGGERS, topic_body, trigger_body

pytestmark = pytest.mark.anyio
ENGINES = "/api/v2/integrations/speech/tts/engines"


def assert_error(response: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "code", "status", "messageParams", "contextId", "details", "errors"}
    assert (body["code"], body["status"]) == (code, status)
    assert body["contextId"] == response.headers["ININ-Correlation-Id"]
    if field is not None:
        assert field in [d["fieldName"] for d in body["details"]], body


async def walk(api: Any, uri: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page from ``uri`` following nextUri: (entities, pages)."""
    entities: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    next_uri: str | None = uri
    while next_uri:
        page = (await api.get(next_uri)).json()
        pages.append(page)
        entities += page["entities"]
        next_uri = page.get("nextUri")
    return entities, pages


class TestTriggerCursorPaging:
    async def test_envelope_is_the_sdks_trigger_listing(self, api) -> None:
        for i in range(5):
            await api.create(TRIGGERS, trigger_body(f"T{i}"))
        first = (await api.get(TRIGGERS, params={"pageSize": 2})).json()
        assert set(first) == {"entities", "selfUri", "nextUri"}  # no previousUri on the first page, no page numbers
        assert first["nextUri"].startswith(f"{TRIGGERS}?pageSize=2&after=")
        second = (await api.get(first["nextUri"])).json()
        assert set(second) == {"entities", "selfUri", "nextUri", "previousUri"}
        back = (await api.get(second["previousUri"])).json()
        assert [e["name"] for e in back["entities"]] == ["T0", "T1"]

    async def test_walking_next_uris_yields_every_trigger_once_in_creation_order(self, api) -> None:
        created = [await api.create(TRIGGERS, trigger_body(f"T{i:02d}")) for i in range(7)]
        entities, pages = await walk(api, f"{TRIGGERS}?pageSize=3")
        assert entities == created and len(pages) == 3
        assert "nextUri" not in pages[-1]

    async def test_default_page_size_is_25_and_the_maximum_200(self, api) -> None:
        for i in range(26):
            await api.create(TRIGGERS, trigger_body(f"T{i:02d}"))
        assert len((await api.get(TRIGGERS)).json()["entities"]) == 25
        assert (await api.get(TRIGGERS, params={"pageSize": 200})).status_code == 200
        assert_error(await api.get(TRIGGERS, params={"pageSize": 201}), 400, "bad.request", "pageSize")

    @pytest.mark.parametrize("cursor", ["not-ours", "eyJvIjogLTF9", "a" * 65, "x y"])
    async def test_a_cursor_it_did_not_issue_is_400(self, api, cursor: str) -> None:
        assert_error(await api.get(TRIGGERS, params={"after": cursor}), 400, "bad.request", "after")

    async def test_after_and_before_together_are_400(self, api) -> None:
        await api.create(TRIGGERS, trigger_body())
        page = (await api.get(TRIGGERS, params={"pageSize": 1})).json()
        cursor = page.get("nextUri", "after=eyJvIjogMX0").split("after=")[1]
        assert_error(await api.get(TRIGGERS, params={"after": cursor, "before": cursor}), 400, "bad.request", "before")

    async def test_there_is_no_name_filter(self, api) -> None:
        await api.create(TRIGGERS, trigger_body("One"))
        await api.create(TRIGGERS, trigger_body("Two"))
        # the real listing has no name parameter: refused, never silently ignored
        assert_error(await api.get(TRIGGERS, params={"name": "One"}), 400, "bad.request", "name")
        listed = (await api.get(TRIGGERS)).json()["entities"]
        assert sorted(e["name"] for e in listed) == ["One", "Two"]


class TestTriggerWrites:
    async def test_a_stored_trigger_shows_the_sdk_fields_only(self, api) -> None:
        created = await api.create(TRIGGERS, trigger_body())
        assert set(created) == {"id", "name", "topicName", "target", "matchCriteria", "enabled", "version", "selfUri"}
        assert created["version"] == 1 and created["enabled"] is True and created["matchCriteria"] == []

    async def test_update_needs_the_stored_version(self, api) -> None:
        created = await api.create(TRIGGERS, trigger_body())
        missing = {k: v for k, v in created.items() if k != "version"}
        assert_error(await api.put(created["selfUri"], json=missing), 400, "bad.request", "version")
        updated = await api.put(created["selfUri"], json={**created, "enabled": False})
        assert updated.status_code == 200 and updated.json()["version"] == 2
        # the platform answers an old trigger version 400 "does not match the current version" (CX as Code)
        stale = await api.put(created["selfUri"], json={**created, "enabled": True})
        assert_error(stale, 400, "bad.request", "version")
        assert "does not match the current version" in stale.json()["message"]

    async def test_topic_name_cannot_change(self, api) -> None:
        created = await api.create(TRIGGERS, trigger_body())
        other = "v2.detail.events.conversation.{id}.acd.end"
        response = await api.put(created["selfUri"], json={**created, "topicName": other})
        assert_error(response, 400, "bad.request", "topicName")
        assert (await api.get(created["selfUri"])).json() == created  # nothing changed

    async def test_ttl_and_delay_together_are_refused(self, api) -> None:
        response = await api.post(TRIGGERS, json=trigger_body(eventTTLSeconds=30, delayBySeconds=60))
        assert_error(response, 400, "bad.request", "delayBySeconds")


class TestTopicSummaryListing:
    async def test_the_listing_counts_phrases_and_programs_instead_of_listing_them(self, api) -> None:
        created = await api.create(TOPICS, topic_body(programIds=["p1", "p2"], phrases=[{"text": "a"}, {"text": "b"}]))
        (listed,) = (await api.get(TOPICS)).json()["entities"]
        assert "phrases" not in listed and "programs" not in listed
        assert (listed["phrasesCount"], listed["programsCount"]) == (2, 2)
        assert {k: v for k, v in created.items() if k not in ("phrases", "programs")} == {
            k: v for k, v in listed.items() if k not in ("phrasesCount", "programsCount")
        }

    async def test_read_by_id_has_phrases_and_programs_as_entity_references(self, api) -> None:
        created = await api.create(TOPICS, topic_body(programIds=["p1"]))
        read = (await api.get(f"{TOPICS}/{created['id']}")).json()
        assert read["phrases"] == [{"text": "refund my order", "sentiment": "Unspecified", "isAIGenerated": False}]
        assert read["programs"] == [{"id": "p1", "selfUri": "/api/v2/speechandtextanalytics/programs/p1"}]
        assert "programIds" not in read and "version" not in read and "dateCreated" not in read
        assert read["published"] is False and read["dateModified"]

    async def test_next_page_cursor_and_envelope(self, api) -> None:
        for i in range(5):
            await api.create(TOPICS, topic_body(f"Topic {i}"))
        entities, pages = await walk(api, f"{TOPICS}?pageSize=2")
        assert [e["name"] for e in entities] == [f"Topic {i}" for i in range(5)]
        assert set(pages[0]) == {"entities", "pageSize", "total", "pageCount", "selfUri", "nextUri"}
        assert "nextPage=" in pages[0]["nextUri"] and pages[0]["total"] == 5 and pages[0]["pageCount"] == 3
        assert (await api.get(TOPICS, params={"pageSize": 500})).status_code == 200

    async def test_the_name_filter_matches_part_of_a_name_case_insensitively(self, api) -> None:
        for name in ("Billing Dispute", "Billing", "Cancellation"):
            await api.create(TOPICS, topic_body(name))
        listed = (await api.get(TOPICS, params={"name": "BILLING"})).json()["entities"]
        assert sorted(e["name"] for e in listed) == ["Billing", "Billing Dispute"]

    async def test_updates_carry_no_version_and_names_stay_unique(self, api) -> None:
        created = await api.create(TOPICS, topic_body("One"))
        await api.create(TOPICS, topic_body("Two"))
        updated = await api.put(created["selfUri"], json=topic_body("One", description="changed"))
        assert updated.status_code == 200 and updated.json()["description"] == "changed"
        with_version = await api.put(created["selfUri"], json={**topic_body("One"), "version": 1})
        assert_error(with_version, 400, "bad.request", "version")  # TopicRequest has no version
        assert_error(await api.put(created["selfUri"], json=topic_body("two")), 409, "duplicate.name")


class TestPublishJobs:
    async def test_a_job_runs_then_completes_on_a_later_poll_and_publishes(self, api) -> None:
        topic = await api.create(TOPICS, topic_body())
        started = await api.post(PUBLISH_JOBS, json={"topicIds": [topic["id"]]})
        job = started.json()
        assert started.status_code == 200 and job["state"] == "Running"
        assert job["topics"] == [{"id": topic["id"], "name": "Billing", "selfUri": topic["selfUri"]}]
        states = [(await api.get(job["selfUri"])).json()["state"] for _ in range(3)]
        assert states == ["Running", "Completed", "Completed"]
        published = (await api.get(topic["selfUri"])).json()
        assert published["published"] is True and published["datePublished"]

    async def test_a_write_leaves_a_published_topic_a_draft(self, api) -> None:
        topic = await api.create(TOPICS, topic_body())
        job = (await api.post(PUBLISH_JOBS, json={"topicIds": [topic["id"]]})).json()
        for _ in range(2):
            await api.get(job["selfUri"])
        rewritten = await api.put(topic["selfUri"], json=topic_body(description="new"))
        assert rewritten.json()["published"] is False

    async def test_unknown_topics_and_jobs(self, api) -> None:
        assert_error(await api.post(PUBLISH_JOBS, json={"topicIds": ["nope"]}), 400, "bad.request", "topicIds")
        assert_error(await api.post(PUBLISH_JOBS, json={"topicIds": []}), 400, "bad.request", "topicIds")
        assert_error(await api.get(f"{PUBLISH_JOBS}/nope"), 404, "not.found")


class TestTtsSettingsSingleton:
    async def test_a_new_org_has_settings_without_id_name_or_version(self, api) -> None:
        response = await api.get(SETTINGS)
        assert response.status_code == 200
        assert response.json() == {"defaultEngine": "amazon-polly", "languageOverrides": []}

    async def test_it_is_replaced_whole_by_put(self, api) -> None:
        body = {"defaultEngine": "google-cloud", "languageOverrides": [
            {"language": "de-DE", "engine": "microsoft-azure", "voice": "de-DE-KatjaNeural"}]}
        assert (await api.put(SETTINGS, json=body)).json() == body
        assert (await api.put(SETTINGS, json={"defaultEngine": "amazon-polly"})).json() == {
            "defaultEngine": "amazon-polly", "languageOverrides": []}
        assert (await api.get(SETTINGS)).json()["languageOverrides"] == []

    @pytest.mark.parametrize("method", ["POST", "DELETE"])
    async def test_it_is_never_created_or_deleted(self, api, method: str) -> None:
        assert_error(await api.request(method, SETTINGS, json={}), 405, "method.not.allowed")
        assert_error(await api.request(method, SETTINGS + "/org", json={}), 404, "not.found")

    async def test_engines_and_voices_are_checked_on_write(self, api) -> None:
        bad = {"defaultEngine": "nuance", "languageOverrides": [
            {"language": "ja-JP", "engine": "amazon-polly", "voice": "Amy"},
            {"language": "en-GB", "engine": "google-cloud", "voice": "en-US-Wavenet-F"},
        ]}
        response = await api.put(SETTINGS, json=bad)
        assert_error(response, 400, "bad.request")
        assert [d["fieldName"] for d in response.json()["details"]] == [
            "defaultEngine", "languageOverrides[0].language", "languageOverrides[0].voice",
            "languageOverrides[1].voice"]
        assert (await api.get(SETTINGS)).json()["defaultEngine"] == "amazon-polly"

    async def test_permissions_guard_it(self, api, sandbox_client) -> None:
        await sandbox_client.post("/__sandbox__/clients", json={
            "clientId": "reader", "clientSecret": "pw", "permissions": ["integrations:integration:view"]})
        token = (await sandbox_client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                           auth=("reader", "pw"))).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert (await sandbox_client.get(SETTINGS, headers=headers)).status_code == 200
        denied = await sandbox_client.put(SETTINGS, json={"defaultEngine": "amazon-polly"}, headers=headers)
        assert_error(denied, 403, "missing.any.permissions")


class TestTtsEngines:
    async def test_engines_list_with_or_without_voices(self, api) -> None:
        plain = (await api.get(ENGINES)).json()
        assert [e["id"] for e in plain["entities"]] == ["amazon-polly", "microsoft-azure", "google-cloud"]
        assert all("voices" not in e for e in plain["entities"]) and plain["total"] == 3
        full = (await api.get(ENGINES, params={"includeVoices": "true", "language": "en-GB"})).json()
        assert {v["language"] for e in full["entities"] for v in e["voices"]} == {"en-GB"}

    async def test_one_engine_and_its_voices(self, api) -> None:
        voices = (await api.get(f"{ENGINES}/amazon-polly/voices", params={"pageSize": 2})).json()
        assert voices["total"] == 6 and len(voices["entities"]) == 2 and "nextUri" in voices
        voice = (await api.get(f"{ENGINES}/amazon-polly/voices/Amy")).json()
        assert voice["language"] == "en-GB" and voice["engine"]["id"] == "amazon-polly"
        assert_error(await api.get(f"{ENGINES}/nuance"), 404, "not.found")
        assert_error(await api.get(f"{ENGINES}/amazon-polly/voices/Nobody"), 404, "not.found")
        assert_error(await api.get(ENGINES, params={"includeVoices": "maybe"}), 400, "bad.request", "includeVoices")


class TestReferencePermissions:
    async def test_the_topic_dialects_need_no_permission(self, api) -> None:
        """SDK API docs: ``GET /topics/dialects`` "Requires no permissions"; the topics themselves do."""
        registered = await api.client.post(
            "/__sandbox__/clients", json={"clientId": "nobody", "clientSecret": "pw", "permissions": []}
        )
        assert registered.status_code == 201
        token = await api.client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", "pw")
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        dialects = await api.client.get(TOPICS + "/dialects", headers=headers)
        assert dialects.status_code == 200 and "en-US" in dialects.json()["entities"]
        assert_error(await api.client.get(TOPICS, headers=headers), 403, "missing.any.permissions")


def test_the_openapi_document_says_which_names_may_repeat() -> None:
    """Names the platform lets repeat (triggers, data actions, integrations, credentials) are not documented unique."""
    from reconciler.kinds import REGISTRY
    from reconciler.sandbox.openapi import document

    schemas = document()["components"]["schemas"]
    described = {k.name: schemas[f"{k.name}Create"]["properties"][k.name_field]["description"]
                 for k in REGISTRY.values() if k.singleton is None}
    shared = sorted(name for name, text in described.items() if "may share" in text)
    assert shared == ["DataAction", "Integration", "IntegrationCredential", "ProcessAutomationTrigger"]
    assert all("unique per kind" in text for name, text in described.items() if name not in shared)
