"""OAuth client credentials, bearer tokens, expiry and platform permissions."""

from __future__ import annotations

import base64
import dataclasses

import anyio
import httpx
import pytest
from sandbox_data import assert_error, valid

from reconciler.kinds import (
    CONTRACT_KINDS as KINDS,  # the seed contract's conventions; tests/realkinds covers the platform kinds
)
from reconciler.kinds import KINDS as ALL_KINDS
from reconciler.kinds import REGISTRY
from reconciler.sandbox import SandboxOptions, embedded_transport
from reconciler.sandbox.auth import all_permissions

pytestmark = pytest.mark.anyio

TOKEN = "/oauth/token"
GRANT = {"grant_type": "client_credentials"}


class TestTokenEndpoint:
    async def test_client_credentials_grant_answers_a_bearer_token(self, sandbox_client: httpx.AsyncClient) -> None:
        response = await sandbox_client.post(TOKEN, data=GRANT, auth=("sandbox", "sandbox-secret"))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 3600
        assert len(body["access_token"]) >= 32

    async def test_each_grant_is_a_new_token(self, sandbox_client: httpx.AsyncClient, token) -> None:
        assert await token(sandbox_client) != await token(sandbox_client)

    async def test_configured_credentials_are_honoured(self, tmp_path) -> None:
        options = SandboxOptions(db_path=tmp_path / "s.db", client_id="ci", client_secret="s3", token_ttl=60)
        async with httpx.AsyncClient(transport=embedded_transport(options), base_url="http://sandbox.local") as client:
            ok = await client.post(TOKEN, data=GRANT, auth=("ci", "s3"))
            default = await client.post(TOKEN, data=GRANT, auth=("sandbox", "sandbox-secret"))
        assert ok.status_code == 200 and ok.json()["expires_in"] == 60
        assert_error(default, 401, "authentication.required")

    @pytest.mark.parametrize(
        "authorization",
        [
            None,
            "Bearer abc",
            "Basic !!!not-base64!!!",
            "Basic " + base64.b64encode(b"no-colon").decode(),
            "Basic " + base64.b64encode(b"sandbox:wrong-secret").decode(),
            "Basic " + base64.b64encode(b"stranger:sandbox-secret").decode(),
        ],
        ids=["missing", "not-basic", "not-base64", "no-colon", "wrong-secret", "unknown-client"],
    )
    async def test_bad_client_credentials_are_401(self, sandbox_client: httpx.AsyncClient, authorization) -> None:
        headers = {"Authorization": authorization} if authorization else {}
        response = await sandbox_client.post(TOKEN, data=GRANT, headers=headers)
        assert_error(response, 401, "authentication.required")

    @pytest.mark.parametrize("data", [{}, {"grant_type": "password"}], ids=["missing", "other-grant"])
    async def test_grant_type_must_be_client_credentials(self, sandbox_client: httpx.AsyncClient, data) -> None:
        response = await sandbox_client.post(TOKEN, data=data, auth=("sandbox", "sandbox-secret"))
        assert_error(response, 400, "bad.request", "grant_type")

    async def test_token_endpoint_needs_post(self, sandbox_client: httpx.AsyncClient) -> None:
        assert_error(await sandbox_client.get(TOKEN), 405, "method.not.allowed")


class TestBearerTokens:
    @pytest.mark.parametrize(
        "headers",
        [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic c2FuZGJveDpzYW5kYm94LXNlY3JldA=="},
         {"Authorization": "Bearer not-a-token-we-issued"}],
        ids=["missing", "empty", "basic-instead", "unknown"],
    )
    @pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
    async def test_missing_or_unknown_token_is_401(self, sandbox_client: httpx.AsyncClient, headers, kind) -> None:
        response = await sandbox_client.get(kind.collection, headers=headers)
        assert_error(response, 401, "authentication.required")
        assert "Bearer" in response.headers["WWW-Authenticate"]

    async def test_expired_token_is_401(self, tmp_path, token) -> None:
        options = SandboxOptions(db_path=tmp_path / "s.db", token_ttl=1)
        async with httpx.AsyncClient(transport=embedded_transport(options), base_url="http://sandbox.local") as client:
            tok = await token(client)
            headers = {"Authorization": f"Bearer {tok}"}
            assert (await client.get("/api/v2/webhooks", headers=headers)).status_code == 200
            await anyio.sleep(1.1)
            response = await client.get("/api/v2/webhooks", headers=headers)
        assert_error(response, 401, "authentication.required")
        assert "expired" in response.json()["message"]

    async def test_admin_can_expire_every_token(self, api) -> None:
        assert (await api.get("/api/v2/webhooks")).status_code == 200
        expired = await api.client.post("/__sandbox__/expire-tokens")
        assert expired.status_code == 200 and expired.json()["expired"] >= 1
        assert_error(await api.get("/api/v2/webhooks"), 401, "authentication.required")

    async def test_a_token_is_honoured_by_another_app_on_the_same_file(self, api, sandbox_options) -> None:
        """Tokens live in SQLite: a second process sharing the file accepts them."""
        async with httpx.AsyncClient(transport=embedded_transport(sandbox_options), base_url="http://other") as other:
            response = await other.get("/api/v2/webhooks", headers=api.headers)
        assert response.status_code == 200


GUARDED = [k for k in KINDS if k.permissions.read]


def _crud(entity: str) -> set[str]:
    return {f"{entity}:{action}" for action in ("view", "add", "edit", "delete")}


class TestPermissions:
    """Client-credentials clients get rights from roles' permissions, never from scopes."""

    def test_every_permission_an_endpoint_needs(self) -> None:
        assert all_permissions() == {
            *_crud("voice:profile"), "tts:cache:edit", *_crud("speech:rule"), *_crud("webhook:webhook"),
            # the platform kinds' permissions (SDK api docs)
            *_crud("speechAndTextAnalytics:topic"), "speechAndTextAnalytics:topic:publish",
            *_crud("speechAndTextAnalytics:program"), "speechAndTextAnalytics:program:publish",
            # dictionary feedback's entity is "dictionaryterm" (SpeechTextAnalyticsApi docs, every operation)
            *_crud("speechAndTextAnalytics:dictionaryterm"), *_crud("processautomation:trigger"),
            *_crud("architect:userPrompt"), *_crud("integrations:integration"), *_crud("integrations:action"),
            # data actions are read with integrations:action:view or bridge:actions:view (IntegrationsApi docs)
            "bridge:actions:view",
            # the audit query service (drift says who changed an object)
            "audits:audit:view",
        }

    async def _client_with(self, api, permissions: list[str]) -> dict[str, str]:
        registered = await api.client.post(
            "/__sandbox__/clients", json={"clientId": "limited", "clientSecret": "pw", "permissions": permissions}
        )
        assert registered.status_code == 201
        response = await api.client.post(TOKEN, data=GRANT, auth=("limited", "pw"))
        assert response.status_code == 200
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    @pytest.mark.parametrize("kind", [k for k in GUARDED if not k.singleton], ids=lambda k: k.name)
    async def test_read_permission_allows_reads_only(self, api, kind) -> None:
        stored = await api.create(kind.collection, valid(kind))
        headers = await self._client_with(api, list(kind.permissions.read[:1]))  # a read-only role's: ``:view``
        client = api.client
        assert (await client.get(kind.collection, headers=headers)).status_code == 200
        assert (await client.get(f"{kind.collection}/{stored['id']}", headers=headers)).status_code == 200
        denied = await client.post(kind.collection, json=valid(kind, name="x"), headers=headers)
        assert_error(denied, 403, "missing.any.permissions")
        # the platform's message names the permission the create needs
        assert denied.json()["message"] == (
            "Unable to perform the requested action. You must have at least one of the following permissions "
            f"assigned: [{', '.join(kind.permissions.for_write('create'))}]"
        )
        assert_error(await client.put(f"{kind.collection}/{stored['id']}", json=stored, headers=headers),
                     403, "missing.any.permissions")
        assert_error(await client.delete(f"{kind.collection}/{stored['id']}", headers=headers),
                     403, "missing.any.permissions")

    @pytest.mark.parametrize(
        "kind", [k for k in GUARDED if not k.singleton and not set(k.permissions.read) & set(k.permissions.write)],
        ids=lambda k: k.name,
    )
    async def test_write_permissions_without_read_cannot_list(self, api, kind) -> None:
        headers = await self._client_with(api, list(kind.permissions.write))
        assert_error(await api.client.get(kind.collection, headers=headers), 403, "missing.any.permissions")
        created = await api.client.post(kind.collection, json=valid(kind), headers=headers)
        assert created.status_code == 200

    @pytest.mark.parametrize(
        "kind, permission",
        [("ProcessAutomationTrigger", "processautomation:trigger:edit"), ("DataAction", "bridge:actions:view")],
    )
    async def test_a_listing_the_platform_serves_without_view_is_served(self, api, kind: str, permission: str) -> None:
        """SDK api docs, "Requires ANY permissions": triggers are listed and read with ``:edit`` as well as ``:view``
        (ProcessAutomationApi), data actions with ``bridge:actions:view`` as well as ``integrations:action:view``
        (IntegrationsApi); an org whose roles hold the other one is served, so the tool must not refuse it."""
        bound = REGISTRY[kind]
        stored = await api.create(bound.collection, valid(bound))
        headers = await self._client_with(api, [permission])
        assert (await api.client.get(bound.collection, headers=headers)).status_code == 200
        assert (await api.client.get(f"{bound.collection}/{stored['id']}", headers=headers)).status_code == 200

    async def test_permissions_of_one_kind_do_not_open_another(self, api) -> None:
        first, second = GUARDED[0], GUARDED[1]
        headers = await self._client_with(api, [*first.permissions.read, *first.permissions.write])
        assert (await api.client.get(first.collection, headers=headers)).status_code == 200
        assert_error(await api.client.get(second.collection, headers=headers), 403, "missing.any.permissions")

    @pytest.mark.parametrize("hook", [k.after_write for k in KINDS if k.after_write], ids=lambda h: h.path)
    async def test_after_write_hook_needs_its_permission(self, api, hook) -> None:
        headers = await self._client_with(api, [p for k in KINDS for p in k.permissions.write])
        denied = await api.client.request(hook.method, hook.path, headers=headers)
        assert_error(denied, 403, "missing.any.permissions")
        assert all(p in denied.json()["message"] for p in hook.permissions)
        allowed = await api.request(hook.method, hook.path)
        assert allowed.status_code == 202
        assert allowed.json() == {"status": "refreshing"}

    async def test_registering_a_client_checks_its_body(self, api) -> None:
        response = await api.client.post("/__sandbox__/clients", json={"clientId": "", "scopes": "voice:read"})
        assert_error(response, 400, "bad.request")
        assert {d["fieldName"] for d in response.json()["details"]} == {"clientId", "clientSecret", "scopes"}
        response = await api.client.post("/__sandbox__/clients", json={"clientId": "c", "permissions": "x"})
        assert {d["fieldName"] for d in response.json()["details"]} == {"clientSecret", "permissions"}

    async def test_wildcards_grant_as_roles_do(self, api) -> None:
        topics = "/api/v2/speechandtextanalytics/topics"
        headers = await self._client_with(api, ["speechAndTextAnalytics:*:view"])
        assert (await api.client.get(topics, headers=headers)).status_code == 200
        assert (await api.client.get("/api/v2/speechandtextanalytics/programs", headers=headers)).status_code == 200
        assert_error(await api.client.get("/api/v2/webhooks", headers=headers), 403, "missing.any.permissions")

    async def test_credentials_need_the_integrations_permissions(self, api) -> None:
        """SDK IntegrationsApi docs from 237 on (earlier: "Requires NO permissions"); CX as Code lists the same."""
        assert [k.name for k in ALL_KINDS if not k.all_permissions()] == []  # every kind names its permissions
        listing = REGISTRY["IntegrationCredential"].listing_path
        nothing = await self._client_with(api, [])
        assert_error(await api.client.get(listing, headers=nothing), 403, "missing.any.permissions")
        viewer = await self._client_with(api, ["integrations:integration:view"])
        assert (await api.client.get(listing, headers=viewer)).status_code == 200


def test_options_reject_impossible_fault_rates(tmp_path) -> None:
    with pytest.raises(ValueError, match="fail_rate"):
        SandboxOptions(db_path=tmp_path / "x.db", fail_rate=1.5)
    with pytest.raises(ValueError, match="must not exceed 1"):
        dataclasses.replace(SandboxOptions(), fail_rate=0.6, drop_rate=0.6)
