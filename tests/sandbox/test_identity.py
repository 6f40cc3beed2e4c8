"""``GET /api/v2/tokens/me``: each sandbox database is an org of its own, with an id that never changes.

A saved plan records the org it was made for (``TokenInfo.organization``) and apply refuses
another org's: the sandbox must tell two databases apart behind one address, and keep one
database's answer across restarts, older files (made before the org was recorded) included.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import ClientGrant, SandboxOptions, create_app, embedded_transport
from reconciler.sandbox.store import Store

ME = "/api/v2/tokens/me"
BASE = "http://sandbox.local"

#: the schema of a sandbox database before the org was recorded (the file an older reconciler made)
OLD_SCHEMA = """
CREATE TABLE objects (kind TEXT NOT NULL, id TEXT NOT NULL, name_folded TEXT NOT NULL, date_created TEXT NOT NULL,
                      body TEXT NOT NULL, PRIMARY KEY (kind, id), UNIQUE (kind, name_folded));
CREATE TABLE clients (client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, scopes TEXT NOT NULL);
CREATE TABLE tokens (token TEXT PRIMARY KEY, client_id TEXT NOT NULL, scopes TEXT NOT NULL, expires_at REAL NOT NULL);
"""


async def token_info(options: SandboxOptions, client_id: str | None = None, secret: str | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=embedded_transport(options), base_url=BASE) as client:
        login = await client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                  auth=(client_id or options.client_id, secret or options.client_secret))
        assert login.status_code == 200, login.text
        return await client.get(ME, headers={"Authorization": f"Bearer {login.json()['access_token']}"})


async def org_of(db: Path) -> dict[str, str]:
    response = await token_info(SandboxOptions(db_path=db))
    assert response.status_code == 200, response.text
    return dict(response.json()["organization"])


@pytest.mark.anyio
async def test_each_database_is_an_org_of_its_own_and_keeps_it(tmp_path: Path) -> None:
    dev = await org_of(tmp_path / "dev.db")
    prod = await org_of(tmp_path / "prod.db")
    assert dev["id"] and prod["id"] and dev["id"] != prod["id"]
    assert dev["name"] == "Sandbox org dev" and prod["name"] == "Sandbox org prod"
    # opened again (a restarted server, the next CLI run): the same org
    assert await org_of(tmp_path / "dev.db") == dev
    assert await org_of(tmp_path / "prod.db") == prod


@pytest.mark.anyio
async def test_it_answers_any_token_without_a_permission_and_names_its_client(tmp_path: Path) -> None:
    options = SandboxOptions(db_path=tmp_path / "s.db", clients=(ClientGrant("nobody", "nobody-secret", ()),))
    response = await token_info(options, "nobody", "nobody-secret")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["OAuthClient"]["id"] == "nobody"
    assert body["homeOrganization"] == body["organization"]
    assert body["OAuthClient"]["organization"]["id"] == body["organization"]["id"]


@pytest.mark.anyio
async def test_without_a_token_it_is_refused(tmp_path: Path) -> None:
    async with httpx.AsyncClient(transport=embedded_transport(SandboxOptions(db_path=tmp_path / "s.db")),
                                 base_url=BASE) as client:
        response = await client.get(ME)
    assert response.status_code == 401


@pytest.mark.anyio
async def test_an_older_database_gets_an_org_on_first_open_and_keeps_its_objects(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute("INSERT INTO objects VALUES ('Webhook', 'w1', 'kept', '2024-01-01T00:00:00Z', "
                     "'{\"id\": \"w1\", \"name\": \"kept\"}')")
    conn.close()
    first = await org_of(db)
    assert first["id"] and await org_of(db) == first
    store = Store(db)
    try:
        assert store.get("Webhook", "w1") == {"id": "w1", "name": "kept"}
    finally:
        store.close()


def test_two_processes_opening_a_new_file_agree_on_its_org(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    apps = [create_app(SandboxOptions(db_path=db)) for _ in range(2)]
    try:
        from reconciler.sandbox.identity import sandbox_org

        assert sandbox_org(apps[0].sandbox.store) == sandbox_org(apps[1].sandbox.store)
    finally:
        for app in apps:
            app.close()


def test_the_sdk_reads_the_org_of_a_served_sandbox(served_sandbox) -> None:
    import PureCloudPlatformClientV2

    sandbox = served_sandbox()
    api = PureCloudPlatformClientV2.ApiClient(host=sandbox.url)
    api.get_client_credentials_token(sandbox.options.client_id, sandbox.options.client_secret)
    info = PureCloudPlatformClientV2.TokensApi(api).get_tokens_me()
    served = httpx.get(f"{sandbox.url}{ME}", headers={"Authorization": f"Bearer {api.access_token}"}).json()
    assert info.organization.id == served["organization"]["id"]
    assert info.organization.name == served["organization"]["name"]
