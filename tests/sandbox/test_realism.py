"""A real org's rules in the sandbox: permissions per client, lagging reads, duplicate names
where the platform allows them, refused query parameters, publish jobs that take time and fail."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from click.testing import CliRunner
from sandbox_data import assert_error, valid

from reconciler.core.errors import ConfigError
from reconciler.kinds import REGISTRY
from reconciler.sandbox import ClientGrant, SandboxOptions, embedded_transport
from reconciler.sandbox.clients import load_clients

pytestmark = pytest.mark.anyio
GRANT = {"grant_type": "client_credentials"}
TOPICS = REGISTRY["SpeechTopic"].collection
TRIGGERS = REGISTRY["ProcessAutomationTrigger"].collection
WEBHOOKS = REGISTRY["Webhook"].collection
TOPIC = {"name": "Billing", "dialect": "en-US", "phrases": [{"text": "refund"}]}
TRIGGER = {"name": "On end", "topicName": "v2.detail.events.conversation.{id}.customer.end",
           "target": {"type": "Workflow", "id": "wf-1"}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _headers(client: httpx.AsyncClient, auth: tuple[str, str] = ("sandbox", "sandbox-secret")) -> dict[str, str]:
    token = (await client.post("/oauth/token", data=GRANT, auth=auth)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _open(options: SandboxOptions) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=embedded_transport(options), base_url="http://sandbox")


@pytest.fixture
async def lagging(tmp_path) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], Clock]]:
    clock = Clock()
    async with _open(SandboxOptions(db_path=tmp_path / "s.db", read_lag_ms=1500, clock=clock)) as client:
        yield client, await _headers(client), clock


def test_served_with_clients_a_view_only_client_is_refused_the_create(served_sandbox, tmp_path) -> None:
    clients = tmp_path / "clients.yaml"
    clients.write_text("viewer:\n  secret: v-secret\n  permissions: [speechAndTextAnalytics:topic:view]\n"
                       "deployer:\n  secret: d-secret\n  permissions: ['*']\n", encoding="utf-8")
    sandbox = served_sandbox(clients=load_clients(clients))
    with httpx.Client(base_url=sandbox.url) as client:
        def headers(auth: tuple[str, str]) -> dict[str, str]:
            token = client.post("/oauth/token", data=GRANT, auth=auth).json()["access_token"]
            return {"Authorization": f"Bearer {token}"}
        viewer = headers(("viewer", "v-secret"))
        assert client.get(TOPICS, headers=viewer).status_code == 200
        denied = client.post(TOPICS, json=TOPIC, headers=viewer)
        assert_error(denied, 403, "missing.any.permissions")
        assert "speechAndTextAnalytics:topic:add" in denied.json()["message"]
        assert client.post(TOPICS, json=TOPIC, headers=headers(("deployer", "d-secret"))).status_code == 200
        assert client.post(TOPICS, json={**TOPIC, "name": "x"}, headers=headers(("sandbox", "sandbox-secret"))
                           ).status_code == 200  # the single client pair keeps every permission
        assert client.post("/oauth/token", data=GRANT, auth=("viewer", "wrong")).status_code == 401


def test_a_broken_clients_file_is_one_line_naming_the_client(tmp_path) -> None:
    bad = tmp_path / "clients.yaml"
    bad.write_text("ci:\n  secret: top-secret\n  permissions: view\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="client 'ci': permissions must be a list") as caught:
        load_clients(bad)
    assert "top-secret" not in str(caught.value)
    from reconciler.cli.main import main

    result = CliRunner().invoke(main, ["sandbox", "serve", "--clients", str(bad)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    with pytest.raises(ConfigError, match="cannot read"):
        load_clients(tmp_path / "none.yaml")


async def test_listings_and_reads_show_writes_late(lagging) -> None:
    client, headers, clock = lagging
    created = (await client.post(TOPICS, json=TOPIC, headers=headers)).json()
    assert (await client.get(TOPICS, headers=headers)).json()["total"] == 0
    assert (await client.get(f"{TOPICS}/{created['id']}", headers=headers)).status_code == 404
    clock.now += 1.0
    assert (await client.get(TOPICS, params={"name": "bill"}, headers=headers)).json()["total"] == 0
    clock.now += 0.6
    assert [e["id"] for e in (await client.get(TOPICS, headers=headers)).json()["entities"]] == [created["id"]]
    updated = (await client.put(f"{TOPICS}/{created['id']}", json={**TOPIC, "description": "new"},
                                headers=headers)).json()
    assert "description" not in (await client.get(f"{TOPICS}/{created['id']}", headers=headers)).json()
    assert (await client.delete(f"{TOPICS}/{created['id']}", headers=headers)).status_code == 204
    assert (await client.get(TOPICS, headers=headers)).json()["total"] == 1  # deleted, still listed
    clock.now += 1.6
    assert (await client.get(TOPICS, headers=headers)).json()["total"] == 0
    assert (await client.get(f"{TOPICS}/{created['id']}", headers=headers)).status_code == 404
    assert updated["description"] == "new"


async def test_triggers_may_share_a_name_the_contract_kinds_may_not(api) -> None:
    first = await api.create(TRIGGERS, TRIGGER)
    second = await api.create(TRIGGERS, {**TRIGGER, "name": "ON END"})
    assert first["id"] != second["id"]
    listed = (await api.get(TRIGGERS)).json()["entities"]
    assert sorted(e["id"] for e in listed) == sorted([first["id"], second["id"]])
    renamed = await api.put(second["selfUri"], json={**second, "name": "On end"})
    assert renamed.status_code == 200
    hook = {"name": "Hook", **valid(REGISTRY["Webhook"], name="Hook")}
    await api.create(WEBHOOKS, hook)
    duplicate = await api.post(WEBHOOKS, json={**hook, "name": "HOOK"})
    assert_error(duplicate, 409, "duplicate.name")


async def test_listing_parameters_are_honoured_or_refused(api) -> None:
    await api.create(TOPICS, TOPIC)
    for param in ("pageNumber", "dialects", "sortBy", "state", "ids"):
        assert_error(await api.get(TOPICS, params={param: "x"}), 400, "bad.request", param)
    assert_error(await api.get(TOPICS, params={"bogus": "1"}), 400, "bad.request", "bogus")
    assert (await api.get(TOPICS, params={"name": "bill", "pageSize": "5"})).json()["total"] == 1


async def _publish(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, str]:
    topic = (await client.post(TOPICS, json=TOPIC, headers=headers)).json()
    job = (await client.post(f"{TOPICS}/publishjobs", json={"topicIds": [topic["id"]]}, headers=headers)).json()
    return topic["id"], job["id"]


async def test_publish_jobs_run_for_their_duration(tmp_path) -> None:
    clock = Clock()
    async with _open(SandboxOptions(db_path=tmp_path / "s.db", publish_seconds=120, clock=clock)) as client:
        headers = await _headers(client)
        topic_id, job_id = await _publish(client, headers)
        for _ in range(3):
            assert (await client.get(f"{TOPICS}/publishjobs/{job_id}", headers=headers)).json()["state"] == "Running"
        clock.now += 120
        assert (await client.get(f"{TOPICS}/publishjobs/{job_id}", headers=headers)).json()["state"] == "Completed"
        assert (await client.get(f"{TOPICS}/{topic_id}", headers=headers)).json()["published"] is True


async def test_publish_jobs_can_fail_and_publish_nothing(tmp_path) -> None:
    async with _open(SandboxOptions(db_path=tmp_path / "s.db", publish_fail_rate=1.0)) as client:
        headers = await _headers(client)
        topic_id, job_id = await _publish(client, headers)
        states = [(await client.get(f"{TOPICS}/publishjobs/{job_id}", headers=headers)).json()["state"]
                  for _ in range(2)]
        assert states == ["Running", "Failed"]
        assert (await client.get(f"{TOPICS}/{topic_id}", headers=headers)).json()["published"] is False


def test_options_refuse_bad_realism_values(tmp_path) -> None:
    with pytest.raises(ValueError, match="publish_fail_rate"):
        SandboxOptions(db_path=tmp_path / "x.db", publish_fail_rate=2)
    with pytest.raises(ValueError, match="read_lag_ms"):
        SandboxOptions(db_path=tmp_path / "x.db", read_lag_ms=-1)
    assert ClientGrant("a", "b").permissions == ()
