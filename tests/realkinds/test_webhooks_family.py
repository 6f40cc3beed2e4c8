"""Acceptance of the webhooks family's last two kinds (issue 15): ``Integration`` and ``DataAction``.

* The official SDK (``PureCloudPlatformClientV2``) creates and reads each on a served
  sandbox, into its own models: an integration by ``CreateIntegrationRequest``, then
  ``PATCH`` of its state and ``PUT .../config/current`` of its credential; a data action
  by ``PostActionInput``, read with ``includeConfig``/``expand=contract``, updated by
  ``PATCH`` with its version.
* What the SDK created is adopted without duplicates; ``apply`` of ``manifests-real/``
  twice writes nothing the second time; export -> plan of the export is clean; Markdown
  plans show a request template as text; the credential's secret appears nowhere.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

from reconciler.core.errors import ApiError
from reconciler.genesys import ClientLimits, GenesysClient, Target
from reconciler.kinds import REGISTRY
from reconciler.sandbox.store import Store

from ._support import CREDENTIAL_ENV, Project, changes_of, make_project
from .test_sdk import no_unknown_enums, sdk_client, served
from .test_validation import doc, errors_of

API = "http://127.0.0.1:8996"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name, value in CREDENTIAL_ENV.items():  # for ``served``, which sets only the target's variables
        monkeypatch.setenv(name, value)
    return make_project(tmp_path, files=("credentials.yaml", "integrations.yaml", "data-actions.yaml"))


def _credential(sdk: Any, integrations: Any, name: str, type_name: str, fields: dict[str, str]) -> Any:
    credential, credential_type = sdk.Credential(), sdk.CredentialType()
    credential_type.name = type_name
    credential.name, credential.type, credential.credential_fields = name, credential_type, fields
    return integrations.post_integrations_credentials(body=credential)


def _integration(sdk: Any, integrations: Any, name: str, credential_id: str | None, state: str = "DISABLED") -> Any:
    request, integration_type = sdk.CreateIntegrationRequest(), sdk.IntegrationType()
    integration_type.id = "custom-rest-actions"
    request.name, request.integration_type = name, integration_type
    made = integrations.post_integrations(body=request)
    if state != "DISABLED":
        patch = sdk.Integration()
        patch.intended_state = state
        integrations.patch_integration(made.id, body=patch)
    if credential_id is not None:
        current = integrations.get_integration_config_current(made.id)
        config, info = sdk.IntegrationConfiguration(), sdk.CredentialInfo()
        info.id = credential_id
        config.version, config.credentials = current.version, {"basicAuth": info}
        integrations.put_integration_config_current(made.id, body=config)
    return made


def _schema(sdk: Any, properties: dict[str, Any]) -> Any:
    schema = sdk.JsonSchemaDocument()
    schema.type, schema.properties = "object", properties
    return schema


def _open_ticket(sdk: Any, integration_id: str) -> Any:
    """The SDK's twin of manifests-real/data-actions.yaml's ``Open Ticket``."""
    action, config, request = sdk.PostActionInput(), sdk.ActionConfig(), sdk.RequestConfig()
    request.request_url_template, request.request_type = "https://tickets.example.com/api/tickets", "POST"
    request.headers = {"Authorization": "Bearer ${credentials.apiToken}"}
    config.request = request
    contract, contract_in, contract_out = sdk.ActionContractInput(), sdk.PostInputContract(), sdk.PostOutputContract()
    contract_in.input_schema = _schema(sdk, {"subject": {"type": "string"}})
    contract_out.success_schema = _schema(sdk, {"ticketId": {"type": "string"}})
    contract.input, contract.output = contract_in, contract_out
    action.name, action.category, action.integration_id, action.secure = "Open Ticket", "Ticketing Web Services", integration_id, True
    action.config, action.contract = config, contract
    return action


class TestIntegration:
    def test_the_sdk_creates_enables_configures_reads_and_pages_integrations(self, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        integrations = sdk.IntegrationsApi(sdk_client(sandbox))
        credential = _credential(sdk, integrations, "CRM Basic Auth", "basicAuth", {"userName": "u", "password": "p"})
        made = _integration(sdk, integrations, "CRM Web Services", credential.id, state="ENABLED")
        assert isinstance(made, sdk.Integration) and made.intended_state == "DISABLED"  # the create sets the type only
        read = integrations.get_integration(made.id, expand=["config.current"])
        no_unknown_enums(read)
        assert (read.intended_state, read.integration_type.id) == ("ENABLED", "custom-rest-actions")
        assert read.config.current.credentials["basicAuth"].id == credential.id
        assert integrations.get_integration(made.id).config is None  # shown only when asked for
        current = integrations.get_integration_config_current(made.id)
        assert isinstance(current, sdk.IntegrationConfiguration) and current.version == 2

        stale = sdk.IntegrationConfiguration()
        stale.version, stale.notes = 1, "late"
        with pytest.raises(sdk.rest.ApiException) as refused:
            integrations.put_integration_config_current(made.id, body=stale)
        assert refused.value.status == 409
        request = sdk.CreateIntegrationRequest()  # the create takes name and type only
        request.name = "No Type"
        with pytest.raises(sdk.rest.ApiException) as refused:
            integrations.post_integrations(body=request)
        assert refused.value.status == 400 and "integrationType" in refused.value.body

        for name in ("B", "C"):
            _integration(sdk, integrations, name, None)
        second = integrations.get_integrations(page_size=2, page_number=2)
        assert isinstance(second, sdk.IntegrationEntityListing) and (second.total, second.page_count) == (3, 2)
        assert len(second.entities) == 1 and second.previous_uri and second.next_uri is None
        integrations.delete_integration(second.entities[0].id)
        assert integrations.get_integrations().total == 2

    def test_the_configuration_name_is_the_integrations_own(self, tmp_path: Path) -> None:
        """SDK ``IntegrationConfiguration.name`` is "the name of the integration" (CX as Code's integration has
        no name but ``config.name``): the tool sends ``metadata.name`` there, compares reads without it, and a
        manifest cannot set another one (it would rename the integration away from its manifest)."""
        kind = REGISTRY["Integration"]
        spec = {"integrationType": {"id": "custom-rest-actions"}, "config": {"current": {"notes": "n"}}}
        body = kind.api_body("CRM Web Services", spec)
        assert kind.sub_body(body) == {"notes": "n", "credentials": {}, "name": "CRM Web Services"}
        live = {"id": "i", "name": "CRM Web Services", "integrationType": {"id": "custom-rest-actions"},
                "intendedState": "DISABLED",
                "config": {"current": {"id": "i", "name": "CRM Web Services", "notes": "n", "version": 2}}}
        desired = kind.desired_essence({"name": "CRM Web Services", **spec})
        assert kind.comparable(kind.essence(live), desired) == desired
        errors = errors_of(tmp_path, doc("Integration", "A", "integrationType: {id: t}\nconfig: {current: {name: B}}\n"))
        assert errors == [
            "objects.yaml:7:21: spec.config.current: name is not set here: the configuration's name is the integration's "
            "own, metadata.name"
        ]

    def test_a_configuration_named_otherwise_renames_the_integration(self, served_sandbox) -> None:
        """The sandbox shows the integration's name in its configuration, and a configuration ``PUT`` with
        another name renames the integration, as the platform's one name does."""
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        integrations = sdk.IntegrationsApi(sdk_client(sandbox))
        made = _integration(sdk, integrations, "CRM Web Services", None)
        current = integrations.get_integration_config_current(made.id)
        assert current.name == "CRM Web Services"
        config = sdk.IntegrationConfiguration()
        config.version, config.name = current.version, "CRM Renamed"
        integrations.put_integration_config_current(made.id, body=config)
        read = integrations.get_integration(made.id, expand=["config.current"])
        assert (read.name, read.config.current.name) == ("CRM Renamed", "CRM Renamed")

    def test_a_configuration_version_conflict_is_read_again_and_written_again(self) -> None:
        """As CX as Code's ``RetryWhen(IsVersionMismatch)`` around its GET and PUT of ``config/current``: the
        configuration is written whole, so a version passed between the read and the write is read again."""
        kind = REGISTRY["Integration"]
        item, config = "/api/v2/integrations/i1", "/api/v2/integrations/i1/config/current"
        versions = iter([1, 2])
        conflict = {"status": 409, "code": "version.mismatch", "message": "version 1 is not the current version 2"}
        live = {"id": "i1", "name": "CRM", "integrationType": {"id": "custom-rest-actions"}, "intendedState": "ENABLED"}
        target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="sec")
        body = kind.api_body("CRM", {"integrationType": {"id": "custom-rest-actions"}, "intendedState": "ENABLED",
                                     "config": {"current": {"notes": "n"}}})

        async def main() -> Any:
            async with GenesysClient(target, limits=ClientLimits(confirm_wait=0.0), rng=random.Random(1)) as client:
                return await client.update(kind, "i1", body, 0)

        with respx.mock(base_url=API) as router:
            router.post("/oauth/token").mock(
                return_value=httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 86400})
            )
            router.get(item).mock(return_value=httpx.Response(200, json=live))  # ENABLED already: no PATCH
            router.get(config).mock(side_effect=lambda _: httpx.Response(200, json={"id": "i1", "version": next(versions)}))
            put = router.put(config).mock(side_effect=[httpx.Response(409, json=conflict), httpx.Response(200, json={})])
            result = anyio.run(main)
        assert result.object["id"] == "i1"
        assert [json.loads(c.request.content)["version"] for c in put.calls] == [1, 2]
        assert json.loads(put.calls[-1].request.content) == {"notes": "n", "credentials": {}, "name": "CRM",
                                                             "version": 2}

    def test_integrations_and_credentials_may_share_a_name(self, served_sandbox) -> None:
        """Not assumed unique (CX as Code's look-ups by name take the first match): the sandbox lets them repeat,
        so the client never counts on a ``409 duplicate.name`` for them."""
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        integrations = sdk.IntegrationsApi(sdk_client(sandbox))
        made = [_integration(sdk, integrations, "Web Services Data Actions", None) for _ in range(2)]
        tokens = [_credential(sdk, integrations, "Token", "userDefined", {"apiToken": "x"}) for _ in range(2)]
        assert made[0].id != made[1].id and tokens[0].id != tokens[1].id
        assert [i.name for i in integrations.get_integrations().entities] == ["Web Services Data Actions"] * 2

    def test_sdk_integrations_and_actions_are_adopted_without_duplicates(self, project: Project, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        integrations = sdk.IntegrationsApi(sdk_client(sandbox))
        token = _credential(sdk, integrations, "Ticketing Token", "userDefined", {"apiToken": CREDENTIAL_ENV["TICKETING_API_TOKEN"]})
        ticketing = _integration(sdk, integrations, "Ticketing Web Services", token.id)
        action = integrations.post_integrations_actions(body=_open_ticket(sdk, ticketing.id))

        plan = json.loads(served(project, sandbox, "plan", "--format", "json").stdout)
        every = {f"{c['kind']}/{c['name']}": (c["action"], c.get("object_id")) for c in plan["changes"]}
        assert every["Integration/Ticketing Web Services"] == ("no-op", ticketing.id)
        assert every["DataAction/Open Ticket"] == ("no-op", action.id)
        assert sorted(changes_of(plan)) == ["DataAction/Notify CRM Of Call", "Integration/CRM Web Services",
                                            "IntegrationCredential/CRM Basic Auth"]
        served(project, sandbox, "apply", "--auto-approve")
        listed = integrations.get_integrations().entities
        assert sorted(i.name for i in listed) == ["CRM Web Services", "Ticketing Web Services"]
        assert sorted(a.name for a in integrations.get_integrations_actions().entities) == ["Notify CRM Of Call", "Open Ticket"]
        crm = next(i for i in listed if i.name == "CRM Web Services")
        read = integrations.get_integration(crm.id, expand=["config.current"])
        credentials = {c.name: c.id for c in integrations.get_integrations_credentials_listing().entities}
        assert read.intended_state == "ENABLED" and read.config.current.credentials["basicAuth"].id == credentials["CRM Basic Auth"]
        assert "No changes" in served(project, sandbox, "plan", "--detailed-exitcode").stdout


class TestDataAction:
    def test_the_sdk_creates_reads_patches_and_pages_actions(self, served_sandbox) -> None:
        import PureCloudPlatformClientV2 as sdk

        sandbox = served_sandbox(rate_limit=0)
        integrations = sdk.IntegrationsApi(sdk_client(sandbox))
        home = _integration(sdk, integrations, "Ticketing Web Services", None)
        made = integrations.post_integrations_actions(body=_open_ticket(sdk, home.id))
        assert isinstance(made, sdk.Action) and made.version == 1 and made.integration_id == home.id
        read = integrations.get_integrations_action(made.id, expand="contract", include_config=True)
        no_unknown_enums(read)
        assert read.config.request.request_template == "${input.rawRequest}"  # the platform's default
        assert read.contract.input.input_schema.properties == {"subject": {"type": "string"}}
        bare = integrations.get_integrations_action(made.id)
        assert bare.config is None and bare.contract is None  # shown only when asked for

        update, config = sdk.UpdateActionInput(), read.config
        config.request.request_type = "PUT"
        update.name, update.category, update.config, update.version = "Open Ticket", "Tickets", config, 1
        patched = integrations.patch_integrations_action(made.id, body=update)
        assert (patched.version, patched.category, patched.secure) == (2, "Tickets", True)
        with pytest.raises(sdk.rest.ApiException) as refused:  # version 1 was read before the update
            integrations.patch_integrations_action(made.id, body=update)
        assert refused.value.status == 409

        second = _open_ticket(sdk, home.id)
        second.name = "Close Ticket"
        integrations.post_integrations_actions(body=second)
        page = integrations.get_integrations_actions(page_size=1, page_number=2)
        assert isinstance(page, sdk.ActionEntityListing) and (page.total, page.page_count) == (2, 2)
        assert page.entities[0].contract is None  # the listing never shows contracts
        integrations.delete_integrations_action(made.id)
        assert integrations.get_integrations_actions().total == 1

    def test_actions_may_share_a_name_and_a_declared_shared_name_stops_the_plan(self, project: Project) -> None:
        """The platform lets data actions share a name (CX as Code's data source: "action names are
        non-unique"): the sandbox takes a second one, and the plan refuses to pick either."""
        project.run("apply", "--auto-approve")
        kind = REGISTRY["DataAction"]
        live = project.live("DataAction")["Open Ticket"]
        body = {"name": "Open Ticket", **{k: live[k] for k in kind.spec_fields if k in live}}
        twin = project.with_client(lambda client: client.create(kind, body)).object
        assert twin is not None and twin["id"] != live["id"]
        result = project.run("plan", expect=1)
        assert "Traceback" not in result.output and "data-actions.yaml:50" in result.output
        assert live["id"] in result.output and twin["id"] in result.output

    def test_a_live_function_action_is_neither_pruned_nor_exported(self, project: Project, tmp_path: Path) -> None:
        """A function data action (written by CX as Code through a draft and a zip upload) cannot be declared
        here; read as an ordinary action it would be deleted by a plan pruning data actions and exported as a
        manifest refused at load. It is left out of every read instead."""
        project.run("apply", "--auto-approve")
        # the sandbox refuses such a create as the tool would (the platform makes one through a draft):
        # stored as a draft's publish would leave it, a copy of a live action but for its name and category
        store = Store(project.db)
        try:
            with store.read() as conn:
                stored = json.loads(conn.execute("SELECT body FROM objects WHERE kind = 'DataAction'").fetchone()[0])
            store.create("DataAction", {**stored, "id": str(uuid.uuid4()), "name": "Lookup",
                                        "category": "Function Data Action"}, unique=False)
        finally:
            store.close()
        applied = project.run("apply", "--auto-approve", "--prune", "DataAction")
        assert "Lookup" not in applied.output and "No changes" in applied.output
        store = Store(project.db)
        try:
            with store.read() as conn:
                names = [row[0] for row in conn.execute("SELECT json_extract(body, '$.name') FROM objects "
                                                        "WHERE kind = 'DataAction'")]
        finally:
            store.close()
        assert sorted(names).count("Lookup") == 1, names
        exported = project.run("export", "--kind", "DataAction", "--out", str(tmp_path / "exported"))
        assert "Lookup" not in exported.output
        written = "".join(p.read_text() for p in (tmp_path / "exported").rglob("*.yaml"))
        assert "Open Ticket" in written and "Lookup" not in written

    def test_a_pin_to_a_built_in_action_says_it_is_the_platforms(self, project: Project) -> None:
        """A built-in action is left out of reads, so a ``metadata.id`` naming one found no live object and was told
        "remove metadata.id to create the object": a copy of the built-in one. It is named for what it is."""
        project.edit("data-actions.yaml", "  name: Notify CRM Of Call\n",
                     "  name: Notify CRM Of Call\n  id: static-get-user-1\n")
        result = project.run("plan", expect=1)
        assert "metadata.id: id 'static-get-user-1' is a built-in DataAction the platform owns" in result.output
        assert "remove metadata.id" not in result.output and "Traceback" not in result.output
        other = "0f3c2a1e-7b6d-4e5f-9a8b-1c2d3e4f5a6b"
        project.edit("data-actions.yaml", "id: static-get-user-1", f"id: {other}")
        result = project.run("plan", expect=1)
        assert f"no live DataAction has id '{other}': remove metadata.id to create the object" in result.output

    def test_the_platforms_static_actions_and_function_actions_are_left_out_of_reads(self) -> None:
        """Built-in actions (ids ``static…``) are listed but cannot be written (CX as Code's
        ``staticActionIDPrefix``), nor can function actions by this kind: never read as live objects,
        so never pruned, exported or matched by name."""
        actions = "/api/v2/integrations/actions"
        entities = [
            {"id": "static-get-user-1", "name": "Get User", "category": "Genesys Cloud Data Actions"},
            {"id": "0f3c2a1e-7b6d-4e5f-9a8b-1c2d3e4f5a6b", "name": "Open Ticket", "category": "Tickets"},
            {"id": "static-get-user-2", "name": "Get User", "category": "Genesys Cloud Data Actions"},
            # a function data action (CX as Code's containsFunctionDataAction): not writable by this kind
            {"id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "name": "Get User", "category": "My_Function-Data Action"},
        ]
        page = {"entities": entities, "pageSize": 100, "pageNumber": 1, "total": 4, "pageCount": 1}
        target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="sec")
        kind = REGISTRY["DataAction"]

        async def main() -> tuple[list[dict[str, Any]], Any]:
            async with GenesysClient(target, rng=random.Random(1)) as client:
                return await client.list_all(kind), await client.find_by_name(kind, "Get User")

        with respx.mock(base_url=API) as router:
            router.post("/oauth/token").mock(
                return_value=httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 86400})
            )
            router.get(actions).mock(return_value=httpx.Response(200, json=page))
            listed, found = anyio.run(main)
        assert [a["name"] for a in listed] == ["Open Ticket"] and found is None

    def test_a_create_refused_while_its_integration_lags_is_sent_again(self) -> None:
        """CX as Code wraps the create of an action in ``RetryWhen(IsStatus400)``: the integration just created
        may not show yet. A 400 created nothing, so the create is sent again within the confirm bound; a
        refusal that lasts is raised as it is."""
        kind = REGISTRY["DataAction"]
        refused = {"status": 400, "code": "bad.request", "message": "integration i1 not found"}
        made = {"id": "a1", "name": "Open Ticket", "version": 1}
        body = kind.api_body("Open Ticket", {
            "category": "c", "integrationId": "i1",
            "config": {"request": {"requestUrlTemplate": "https://x.example.com", "requestType": "GET"}},
            "contract": {"input": {"inputSchema": {}}, "output": {"successSchema": {}}},
        })
        target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="sec")

        async def main() -> Any:
            async with GenesysClient(target, limits=ClientLimits(confirm_wait=0.0), rng=random.Random(1)) as client:
                return await client.create(kind, body)

        def mocked(answers: list[httpx.Response]) -> tuple[Any, Any]:
            with respx.mock(base_url=API) as router:
                router.post("/oauth/token").mock(return_value=httpx.Response(
                    200, json={"access_token": "a-long-token-value", "token_type": "bearer", "expires_in": 86400}))
                post = router.post("/api/v2/integrations/actions").mock(side_effect=answers)
                try:
                    return anyio.run(main), post
                except ApiError as error:
                    return error, post

        result, post = mocked([httpx.Response(400, json=refused)] * 2 + [httpx.Response(200, json=made)])
        assert result.object["id"] == "a1" and post.call_count == 3
        lasting, post = mocked([httpx.Response(400, json=refused)] * 10)
        assert isinstance(lasting, ApiError) and lasting.status == 400
        assert post.call_count == ClientLimits().confirm_reads

    def test_after_a_lost_answer_a_retried_create_looks_the_name_up_first(self) -> None:
        """The first POST's answer is lost (it landed, but the listing lags), the second is refused with 400:
        the create sent again after that refusal finds the first one by name and adopts it."""
        kind = REGISTRY["DataAction"]
        body = kind.api_body("Open Ticket", {
            "category": "c", "integrationId": "i1",
            "config": {"request": {"requestUrlTemplate": "https://x.example.com", "requestType": "GET"}},
            "contract": {"input": {"inputSchema": {}}, "output": {"successSchema": {}}},
        })
        made = {"id": "a1", "version": 1, **body}
        lagging = iter([False] * 7 + [True] * 10)  # the listing shows it only from the eighth read on

        def listing(_: httpx.Request) -> httpx.Response:
            entities = [made] if next(lagging) else []
            return httpx.Response(200, json={"entities": entities, "pageSize": 100, "pageNumber": 1,
                                             "total": len(entities), "pageCount": 1})

        target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="sec")
        limits = ClientLimits(confirm_wait=0.0, backoff_initial=0.0, backoff_max=0.0)

        async def main() -> Any:
            async with GenesysClient(target, limits=limits, rng=random.Random(1),
                                     same_content=lambda kind, sent, live: True) as client:
                return await client.create(kind, body)

        with respx.mock(base_url=API) as router:
            router.post("/oauth/token").mock(return_value=httpx.Response(
                200, json={"access_token": "a-long-token-value", "token_type": "bearer", "expires_in": 86400}))
            post = router.post("/api/v2/integrations/actions").mock(side_effect=[
                httpx.Response(503, json={"status": 503, "code": "service.unavailable", "message": "lost"}),
                httpx.Response(400, json={"status": 400, "code": "bad.request", "message": "integration i1 not found"}),
                httpx.Response(200, json={**made, "id": "a2"}),  # what sending it blindly would make: a second one
            ])
            router.get("/api/v2/integrations/actions").mock(side_effect=listing)
            router.get("/api/v2/integrations/actions/a1").mock(return_value=httpx.Response(200, json=made))
            result = anyio.run(main)
        assert result.adopted and result.object["id"] == "a1" and post.call_count == 2

    def test_a_markdown_plan_shows_the_request_template_as_text(self, project: Project) -> None:
        project.run("apply", "--auto-approve")
        project.edit("data-actions.yaml", '"queue": "${input.queueName}"', '"queue": "${input.queueName}",\n          "agent": "${input.agentId}"')
        markdown = project.run("plan", "--format", "markdown").stdout
        lines = markdown.splitlines()
        assert "+ config.request.requestTemplate: |" in lines and "- config.request.requestTemplate: |" in lines
        assert '+     "agent": "${input.agentId}"' in lines and "\\n" not in markdown


class TestWebhooksCycle:
    def test_apply_twice_writes_nothing_and_export_plans_clean_without_secrets(self, project: Project) -> None:
        outputs = [project.run("apply", "--auto-approve")]
        actions = project.live("DataAction")
        integrations = project.live("Integration")
        credentials = project.live("IntegrationCredential")
        assert actions["Notify CRM Of Call"]["integrationId"] == integrations["CRM Web Services"]["id"]
        assert integrations["CRM Web Services"]["config"]["current"]["credentials"]["basicAuth"]["id"] == credentials["CRM Basic Auth"]["id"]
        intents = [(r["kind"], r["method"]) for r in project.audit_records() if r["type"] == "intent"]
        assert ("Integration", "POST") in intents and ("DataAction", "POST") in intents
        before = len(project.audit_records())
        outputs.append(project.run("apply", "--auto-approve"))
        assert "No changes" in outputs[-1].stdout and len(project.audit_records()) == before

        outputs.append(project.run("export", "--out", "out"))
        action = (project.root / "out/data-action/notify-crm-of-call.yaml").read_text()
        assert "${ref:Integration/CRM Web Services.id}" in action and "${input.contactId}" in action
        integration = (project.root / "out/integration/crm-web-services.yaml").read_text()
        assert "${ref:IntegrationCredential/CRM Basic Auth.id}" in integration
        outputs.append(project.run("plan", "out", "--detailed-exitcode"))
        assert "No changes" in outputs[-1].stdout
        files = [p for p in project.root.rglob("*") if p.is_file() and not p.name.startswith("sandbox.db")]  # the org's
        texts = {**{f"output {i}": o.output for i, o in enumerate(outputs)}, **{str(p): p.read_text(errors="replace") for p in files}}
        assert [(n, w) for n, v in CREDENTIAL_ENV.items() for w, t in texts.items() if v in t] == []
