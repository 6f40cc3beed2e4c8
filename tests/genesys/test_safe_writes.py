"""Writes that stay correct when answers are lost: adopt lost creates, never force an update, finish deletes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from reconciler.core.errors import (
    DuplicateNameError,
    InvalidRequestError,
    NotFoundError,
    ServerError,
    VersionMismatchError,
)
from reconciler.genesys import GenesysClient
from reconciler.genesys.errors import is_ambiguous
from reconciler.kinds import PostWriteHook, get_kind

from ._support import HOOK, VOICE, FakeSleep, envelope, error_body, stored, voice_body

pytestmark = pytest.mark.anyio

COLLECTION = "/api/v2/voice/profiles"


def listing(*items: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=envelope(list(items), page=1, size=100, total=len(items)))


def server_error(status: int = 503) -> httpx.Response:
    code = "service.unavailable" if status == 503 else "internal.server.error"
    return httpx.Response(status, json=error_body(status, code))


class TestCreate:
    async def test_plain_create(self, client: GenesysClient, router: respx.MockRouter) -> None:
        body = voice_body("Main")
        post = router.post(COLLECTION).mock(
            return_value=httpx.Response(200, json=stored(body), headers={"ININ-Correlation-Id": "c-1"})
        )
        lookup = router.get(COLLECTION)
        result = await client.create(VOICE, body)
        assert post.call_count == 1 and not lookup.called
        assert result.object == stored(body)
        assert (result.status, result.correlation_id, result.method, result.path) == (200, "c-1", "POST", COLLECTION)
        assert (result.adopted, result.attempts) == (False, 1)

    @pytest.mark.parametrize("answered", ["Main ", "Other", "Mai", None, 7])
    async def test_a_create_answered_under_another_name_is_refused_not_adopted_nor_sent_again(
        self, client: GenesysClient, router: respx.MockRouter, answered: Any
    ) -> None:
        """Adopted, an object the server named otherwise is not found by the next plan, which creates it again:
        the create is reported (HTTP status, code, correlation id, the object's id to clean up), never re-sent."""
        body = voice_body("Main")
        post = router.post(COLLECTION).mock(
            return_value=httpx.Response(
                200, json={**stored(body, id="made-1"), "name": answered}, headers={"ININ-Correlation-Id": "c-9"}
            )
        )
        lookup = router.get(COLLECTION)
        with pytest.raises(ServerError) as info:
            await client.create(VOICE, body)
        assert post.call_count == 1 and not lookup.called
        message = str(info.value)
        assert message.startswith(f"POST {COLLECTION} failed: HTTP 200 invalid.response: the created object (made-1) is named ")
        assert "not 'Main' as sent: not adopted" in message and message.endswith("[correlation id: c-9]")
        assert (repr(answered) if isinstance(answered, str) else "a number" if answered == 7 else "null") in message

    async def test_the_answered_name_is_judged_as_the_identity_is_case_insensitively(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        """The platform's own casing of the name is the same identity and is taken; a trimmed name is not."""
        body = voice_body("Main")
        router.post(COLLECTION).mock(
            side_effect=[
                httpx.Response(200, json={**stored(body), "name": "MAIN"}),
                httpx.Response(200, json={**stored(body), "name": "Main "}),
            ]
        )
        result = await client.create(VOICE, body)
        assert result.object is not None and result.object["name"] == "MAIN"
        with pytest.raises(ServerError, match="is named 'Main ' in the answer, not 'Main' as sent"):
            await client.create(VOICE, body)

    async def test_a_term_answered_otherwise_is_refused_for_a_kind_named_by_its_term(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        feedback = get_kind("DictionaryFeedback")
        body = {"term": "Genesys", "dialect": "en-US", "boostValue": 2.0}
        post = router.post(feedback.collection).mock(
            return_value=httpx.Response(200, json={**body, "term": "Genesis", "id": "f-1", "dateModified": "x"})
        )
        with pytest.raises(ServerError, match=r"\(f-1\) is named 'Genesis' in the answer, not 'Genesys' as sent"):
            await client.create(feedback, body)
        assert post.call_count == 1

    async def test_an_integration_is_judged_by_the_name_its_configuration_leaves(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        """CX as Code creates an integration with its type alone and names it by ``PUT …/config/current``: the
        ``POST``'s answer may carry a name the platform chose; the object the follow-up leaves must carry ours."""
        integration = get_kind("Integration")
        item = f"{integration.collection}/i1"
        body = integration.api_body("CRM", {"integrationType": {"id": "custom-rest-actions"}, "intendedState": "ENABLED",
                                            "config": {"current": {"notes": "n"}}})
        chosen = {"id": "i1", "name": "Web Services Data Actions", "integrationType": {"id": "custom-rest-actions"}}
        router.post(integration.collection).mock(
            return_value=httpx.Response(200, json=chosen, headers={"ININ-Correlation-Id": "c-4"})
        )
        router.patch(item).mock(return_value=httpx.Response(200, json={**chosen, "intendedState": "ENABLED"}))
        router.get(f"{item}/config/current").mock(return_value=httpx.Response(200, json={"name": "x", "version": 1}))
        router.put(f"{item}/config/current").mock(return_value=httpx.Response(200, json={}))
        router.get(item).mock(
            side_effect=[
                httpx.Response(200, json={**chosen, "name": "CRM", "intendedState": "ENABLED"}),  # no PATCH needed
                httpx.Response(200, json={**chosen, "name": "CRM (2)", "intendedState": "ENABLED"}),  # PATCHed: the name
                httpx.Response(200, json={**chosen, "name": "CRM (2)", "intendedState": "ENABLED"}),
            ]
        )
        result = await client.create(integration, body)
        assert result.object is not None and result.object["name"] == "CRM"
        with pytest.raises(ServerError) as info:
            await client.create(integration, body)
        assert str(info.value).startswith(f"POST {integration.collection} failed: HTTP 200 invalid.response: the created "
                                          "object (i1) is named 'CRM (2)' once its follow-up writes were done, not 'CRM'")
        assert str(info.value).endswith("[correlation id: c-4]")

    async def test_the_read_after_a_follow_up_waits_out_a_lagging_404(
        self, client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        """Right after the create, a real org's read by id may answer 404: the object exists (the POST said so),
        so the read is repeated; taken for a failure, the create had no id recorded and was made again."""
        integration = get_kind("Integration")
        item = f"{integration.collection}/i1"
        body = integration.api_body("CRM", {"integrationType": {"id": "custom-rest-actions"}, "intendedState": "ENABLED",
                                            "config": {"current": {"notes": "n"}}})
        made = {"id": "i1", "name": "CRM", "integrationType": {"id": "custom-rest-actions"}}
        post = router.post(integration.collection).mock(return_value=httpx.Response(200, json=made))
        router.get(f"{item}/config/current").mock(return_value=httpx.Response(200, json={"name": "CRM", "version": 1}))
        router.put(f"{item}/config/current").mock(return_value=httpx.Response(200, json={}))
        shown = httpx.Response(200, json={**made, "intendedState": "ENABLED"})
        lagging = httpx.Response(404, json=error_body(404, "not.found"))
        router.get(item).mock(side_effect=[lagging, lagging, shown])
        result = await client.create(integration, body)
        assert post.call_count == 1 and result.object is not None and result.object["id"] == "i1"
        assert fake_sleep.positive == [1.0, 2.0]

    async def test_dropped_answer_is_looked_up_and_adopted(self, client: GenesysClient,
                                                           router: respx.MockRouter) -> None:
        body = voice_body("Main")
        post = router.post(COLLECTION).mock(side_effect=httpx.RemoteProtocolError("closed mid-response"))
        lookup = router.get(COLLECTION).mock(return_value=listing(stored(body, id="made")))
        result = await client.create(VOICE, body)
        assert post.call_count == 1  # never created twice
        assert lookup.calls.last.request.url.params["name"] == "Main"
        assert result.adopted and result.object is not None and result.object["id"] == "made"
        assert result.attempts == 2
        assert client.stats.adopted == 1

    @pytest.mark.parametrize(
        "failure",
        [
            httpx.ReadTimeout("slow"), server_error(500), server_error(503),
            httpx.Response(408, json=error_body(408, "request.timeout")),  # CX as Code retries 408 (util_retries.go)
        ],
    )
    async def test_ambiguous_failure_that_created_nothing_is_retried(
        self, client: GenesysClient, router: respx.MockRouter, failure: Any
    ) -> None:
        body = voice_body("Main")
        post = router.post(COLLECTION).mock(side_effect=[failure, httpx.Response(200, json=stored(body))])
        lookup = router.get(COLLECTION).mock(return_value=listing())
        result = await client.create(VOICE, body)
        assert post.call_count == 2
        assert lookup.call_count == 1
        assert not result.adopted and result.attempts == 2

    async def test_refused_connection_is_retried_without_a_look_up(self, client: GenesysClient,
                                                                   router: respx.MockRouter) -> None:
        """The request never left: nothing can have been created."""
        body = voice_body("Main")
        router.post(COLLECTION).mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=stored(body))])
        lookup = router.get(COLLECTION).mock(return_value=listing())
        await client.create(VOICE, body)
        assert not lookup.called

    async def test_a_create_the_http_library_refuses_to_send_is_not_sent_again_nor_looked_up(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        """A request refused before sending (LocalProtocolError) created nothing: it is no lost answer to look for."""
        post = router.post(COLLECTION).mock(side_effect=[httpx.LocalProtocolError("Illegal header value b'x'"),
                                                         httpx.Response(200, json=stored(voice_body("Main")))])
        lookup = router.get(COLLECTION).mock(return_value=listing())
        with pytest.raises(InvalidRequestError) as info:
            await client.create(VOICE, voice_body("Main"))
        assert post.call_count == 1 and not lookup.called
        assert not is_ambiguous(info.value)

    async def test_lost_create_landing_after_the_look_up_is_adopted_on_duplicate_name(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        body = voice_body("Main")
        router.post(COLLECTION).mock(
            side_effect=[httpx.ReadTimeout("slow"), httpx.Response(409, json=error_body(409, "duplicate.name"))]
        )
        lookup = router.get(COLLECTION).mock(side_effect=[listing(), listing(stored(body, id="late"))])
        result = await client.create(VOICE, body)
        assert lookup.call_count == 2
        assert result.adopted and result.object is not None and result.object["id"] == "late"

    async def test_first_attempt_duplicate_name_is_a_real_conflict(self, client: GenesysClient,
                                                                   router: respx.MockRouter) -> None:
        router.post(COLLECTION).mock(
            return_value=httpx.Response(409, json=error_body(409, "duplicate.name", "name taken"),
                                        headers={"ININ-Correlation-Id": "c-409"})
        )
        lookup = router.get(COLLECTION)
        with pytest.raises(DuplicateNameError) as info:
            await client.create(VOICE, voice_body("Main"))
        assert not lookup.called
        assert (info.value.status, info.value.correlation_id) == (409, "c-409")

    async def test_same_name_with_other_content_is_not_adopted(self, client: GenesysClient,
                                                               router: respx.MockRouter) -> None:
        body = voice_body("Main")
        theirs = stored({**body, "voice": "polly-matthew"}, id="theirs")
        post = router.post(COLLECTION).mock(side_effect=httpx.RemoteProtocolError("closed"))
        router.get(COLLECTION).mock(return_value=listing(theirs))
        with pytest.raises(DuplicateNameError, match="not adopted"):
            await client.create(VOICE, body)
        assert post.call_count == 1

    async def test_write_only_values_do_not_prevent_adoption(self, client: GenesysClient,
                                                             router: respx.MockRouter) -> None:
        spec = {"requestUrl": "https://example.org/hook", "eventFilters": [{"event": "rules.updated"}],
                "authScheme": "bearer", "authSecret": "hook-secret-1"}
        body = HOOK.api_body("Hook", spec)
        read_back = stored({k: v for k, v in body.items() if k != "authSecret"} | {"authSecretSet": True})
        router.post("/api/v2/webhooks").mock(side_effect=httpx.ReadError("reset"))
        router.get("/api/v2/webhooks").mock(return_value=listing(read_back))
        result = await client.create(HOOK, body)
        assert result.adopted

    async def test_lost_every_time_gives_up_with_the_transport_error(self, client: GenesysClient,
                                                                     router: respx.MockRouter) -> None:
        router.post(COLLECTION).mock(return_value=server_error(500))
        router.get(COLLECTION).mock(return_value=listing())
        with pytest.raises(ServerError):
            await client.create(VOICE, voice_body("Main"))


class TestUpdate:
    async def test_sends_the_version_read(self, client: GenesysClient, router: respx.MockRouter) -> None:
        body = voice_body("Main")
        put = router.put(f"{COLLECTION}/id-1").mock(return_value=httpx.Response(200, json=stored(body, version=4)))
        result = await client.update(VOICE, "id-1", stored(body, version=99), version=3)
        payload = json.loads(put.calls.last.request.content)
        assert payload["version"] == 3
        assert "id" not in payload
        assert result.object is not None and result.object["version"] == 4
        assert client.stats.requests[("PUT", "/api/v2/voice/profiles/{id}")] == 1

    async def test_version_mismatch_is_reported_not_forced(self, client: GenesysClient,
                                                           router: respx.MockRouter) -> None:
        put = router.put(f"{COLLECTION}/id-1").mock(
            return_value=httpx.Response(409, json=error_body(409, "version.mismatch", "changed since it was read"))
        )
        get = router.get(f"{COLLECTION}/id-1")
        with pytest.raises(VersionMismatchError) as info:
            await client.update(VOICE, "id-1", voice_body("Main"), version=3)
        assert put.call_count == 1 and not get.called
        assert info.value.code == "version.mismatch"

    async def test_lost_update_that_landed_is_confirmed_by_reading(self, client: GenesysClient,
                                                                   router: respx.MockRouter) -> None:
        body = voice_body("Main")
        put = router.put(f"{COLLECTION}/id-1").mock(side_effect=httpx.RemoteProtocolError("closed"))
        router.get(f"{COLLECTION}/id-1").mock(return_value=httpx.Response(200, json=stored(body, version=4)))
        result = await client.update(VOICE, "id-1", body, version=3)
        assert put.call_count == 1
        assert result.adopted and result.object is not None and result.object["version"] == 4

    async def test_lost_update_that_did_not_land_is_sent_again(self, client: GenesysClient,
                                                               router: respx.MockRouter) -> None:
        body = voice_body("Main")
        put = router.put(f"{COLLECTION}/id-1").mock(
            side_effect=[server_error(503), httpx.Response(200, json=stored(body, version=4))]
        )
        router.get(f"{COLLECTION}/id-1").mock(return_value=httpx.Response(200, json=stored(body, version=3)))
        result = await client.update(VOICE, "id-1", body, version=3)
        assert put.call_count == 2 and not result.adopted

    async def test_a_lost_secret_rotation_without_versions_is_sent_again_not_adopted(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        """A credential has no version and its fields never read back: after a 5xx (which wrote nothing),
        a read that shows the same type proves nothing, so the rotation is sent again, never adopted."""
        credential = get_kind("IntegrationCredential")
        item = f"{credential.collection}/c-1"
        body = credential.api_body("CRM", {"type": {"name": "basicAuth"},
                                           "credentialFields": {"userName": "u", "password": "rotated-pw"}})
        put = router.put(item).mock(
            side_effect=[server_error(500), httpx.Response(200, json={"id": "c-1", "name": "CRM",
                                                                       "type": {"name": "basicAuth"}})]
        )
        router.get(item).mock(return_value=httpx.Response(200, json={"id": "c-1", "name": "CRM",
                                                                     "type": {"name": "basicAuth"}}))
        result = await client.update(credential, "c-1", body, version=0)
        assert put.call_count == 2 and not result.adopted
        assert json.loads(put.calls.last.request.content)["credentialFields"]["password"] == "rotated-pw"

    async def test_the_read_after_a_lost_update_waits_out_a_lagging_404(
        self, client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
    ) -> None:
        """A create's follow-up update whose answer was lost is read back while the org's reads lag the
        create: a 404 then is the lag, not a deleted object."""
        body = voice_body("Main")
        put = router.put(f"{COLLECTION}/id-1").mock(side_effect=httpx.RemoteProtocolError("closed"))
        router.get(f"{COLLECTION}/id-1").mock(side_effect=[httpx.Response(404, json=error_body(404, "not.found")),
                                                          httpx.Response(200, json=stored(body, version=4))])
        result = await client.update(VOICE, "id-1", body, version=3)
        assert put.call_count == 1 and result.adopted and fake_sleep.positive[-1:] == [1.0]

    async def test_someone_else_wrote_meanwhile_is_a_mismatch(self, client: GenesysClient,
                                                              router: respx.MockRouter) -> None:
        body = voice_body("Main")
        router.put(f"{COLLECTION}/id-1").mock(side_effect=httpx.ReadTimeout("slow"))
        other = stored({**body, "pitch": 2.0}, version=4)
        router.get(f"{COLLECTION}/id-1").mock(return_value=httpx.Response(200, json=other))
        with pytest.raises(VersionMismatchError, match="changed since read"):
            await client.update(VOICE, "id-1", body, version=3)

    async def test_an_update_answered_for_another_object_is_read_back_not_adopted(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        """A 200 carrying another object's id is a garbled answer: what landed on ours is read, its id kept."""
        body = voice_body("Main")
        put = router.put(f"{COLLECTION}/id-1").mock(
            return_value=httpx.Response(200, json=stored(body, id="id-2", version=4))
        )
        router.get(f"{COLLECTION}/id-1").mock(return_value=httpx.Response(200, json=stored(body, version=4)))
        result = await client.update(VOICE, "id-1", body, version=3)
        assert put.call_count == 1 and result.adopted
        assert result.object is not None and result.object["id"] == "id-1"

    async def test_a_read_back_answered_for_another_object_is_an_error(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        router.get(f"{COLLECTION}/id-1").mock(return_value=httpx.Response(200, json=stored(voice_body("M"), id="id-2")))
        with pytest.raises(ServerError, match="invalid.response: the answer is another object's: its id is not id-1"):
            await client.get(VOICE, "id-1")

    async def test_an_update_answered_with_a_version_that_is_no_revision_is_read_back(
        self, client: GenesysClient, router: respx.MockRouter
    ) -> None:
        """A version of NaN would be recorded as the outcome's: the answer is garbled, what landed is read instead."""
        body = voice_body("Main")
        garbled = b'{"id": "id-1", "version": NaN}'
        router.put(f"{COLLECTION}/id-1").mock(
            return_value=httpx.Response(200, content=garbled, headers={"Content-Type": "application/json"})
        )
        router.get(f"{COLLECTION}/id-1").mock(return_value=httpx.Response(200, json=stored(body, version=4)))
        result = await client.update(VOICE, "id-1", body, version=3)
        assert result.adopted and result.object is not None and result.object["version"] == 4


class TestDelete:
    async def test_plain_delete(self, client: GenesysClient, router: respx.MockRouter) -> None:
        router.delete(f"{COLLECTION}/id-1").mock(return_value=httpx.Response(204))
        result = await client.delete(VOICE, "id-1")
        assert (result.status, result.object, result.adopted) == (204, None, False)

    async def test_404_after_a_lost_answer_counts_as_done(self, client: GenesysClient,
                                                          router: respx.MockRouter) -> None:
        router.delete(f"{COLLECTION}/id-1").mock(
            side_effect=[httpx.RemoteProtocolError("closed"), httpx.Response(404, json=error_body(404, "not.found"))]
        )
        result = await client.delete(VOICE, "id-1")
        assert result.adopted and result.attempts == 2

    async def test_404_on_the_first_attempt_is_not_found(self, client: GenesysClient,
                                                         router: respx.MockRouter) -> None:
        router.delete(f"{COLLECTION}/id-1").mock(return_value=httpx.Response(404, json=error_body(404, "not.found")))
        with pytest.raises(NotFoundError):
            await client.delete(VOICE, "id-1")


class TestPostWriteHook:
    async def test_calls_the_hook_endpoint(self, client: GenesysClient, router: respx.MockRouter) -> None:
        hook = VOICE.after_write
        assert isinstance(hook, PostWriteHook)
        route = router.post(hook.path).mock(
            side_effect=[server_error(503), httpx.Response(202, json={"status": "refreshing"})]
        )
        result = await client.call_hook(hook)
        assert route.call_count == 2
        assert (result.status, result.object, result.attempts) == (202, {"status": "refreshing"}, 2)
