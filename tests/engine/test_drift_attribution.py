"""``drift`` says who changed each drifted object, from the sandbox's audit query service.

The example manifests are applied by the reconciler's own client; then another OAuth
client (``ui-editor``, registered through the sandbox admin) edits a webhook, deletes
another and creates one no manifest declares, through the sandbox's HTTP API. Drift in
every format names that client, when, and the fields it changed. A target whose client
may not query the audit service reports the same drift with one warning line.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from click.testing import CliRunner

from reconciler.app.attribution import _attribution, _match, audit_warnings
from reconciler.cli import main
from reconciler.core.errors import ServerError, TransportError
from reconciler.genesys.audits import AuditAnswer
from reconciler.kinds import AUDIT_READ_PERMISSION, KINDS, REGISTRY
from reconciler.sandbox import SandboxOptions, embedded_transport
from reconciler.sandbox.auth import all_permissions

from ._support import Project, applied_project

EDITED, DELETED, CREATED = "CRM Compliance Sync", "Voice Profile Audit Feed", "Shadow IT Hook"
WEBHOOKS = REGISTRY["Webhook"].collection


async def _as_client(db: Path, client_id: str, permissions: frozenset[str]) -> httpx.AsyncClient:
    """An httpx client on the sandbox's file, logged in as a newly registered OAuth client."""
    client = httpx.AsyncClient(transport=embedded_transport(SandboxOptions(db_path=db)), base_url="http://sandbox")
    registered = await client.post(
        "/__sandbox__/clients", json={"clientId": client_id, "clientSecret": "pw", "permissions": sorted(permissions)}
    )
    assert registered.status_code == 201
    token = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "pw"))
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return client


def edit_as_another_client(project: Project) -> None:
    async def go() -> None:
        ui = await _as_client(project.db, "ui-editor", all_permissions())
        try:
            listed = {w["name"]: w for w in (await ui.get(WEBHOOKS)).json()["entities"]}
            edited = {**listed[EDITED], "description": "Edited by hand in the UI."}
            assert (await ui.put(f"{WEBHOOKS}/{edited['id']}", json=edited)).status_code == 200
            assert (await ui.delete(f"{WEBHOOKS}/{listed[DELETED]['id']}")).status_code == 204
            created = {"name": CREATED, "requestUrl": "https://shadow.example.com/hook",
                       "eventFilters": [{"event": "rules.updated"}]}
            answer = await ui.post(WEBHOOKS, json=created)
            assert answer.status_code == 200, answer.text
        finally:
            await ui.aclose()

    anyio.run(go)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = applied_project(tmp_path)
    edit_as_another_client(project)
    return project


def drift_json(project: Project, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    return json.loads(project.run("drift", "--format", "json", *args, expect=2, env=env).stdout)


def test_drift_names_the_client_that_changed_each_object(project: Project) -> None:
    report = drift_json(project)
    assert [d["name"] for d in report["differs"]] == [EDITED]
    by = report["changed_by"]
    assert set(by) == {f"Webhook/{EDITED}", f"Webhook/{DELETED}", f"Webhook/{CREATED}"}
    edited = by[f"Webhook/{EDITED}"]
    assert (edited["by"], edited["by_type"], edited["action"]) == ("ui-editor", "client", "Update")
    assert edited["fields"] == ["description"]
    assert edited["writes"] == 2  # in the window: the apply's create, then the UI's update
    assert by[f"Webhook/{DELETED}"]["action"] == "Delete"
    assert by[f"Webhook/{CREATED}"]["action"] == "Create"
    assert all(a["by"] == "ui-editor" for a in by.values())
    assert report["attributed_since"] is not None
    assert not any("audit" in w for w in report["warnings"])

    text = project.run("drift", expect=2).stdout
    assert f"~ differs Webhook/{EDITED}" in text
    since = datetime.fromisoformat(report["attributed_since"]).strftime("%Y-%m-%d %H:%M")
    assert f"Attribution: audit messages since {since}" in text.splitlines()[1]  # the window, in the header
    assert "@ changed by client ui-editor at " in text and " UTC: description (2 writes in the window)" in text
    assert "@ deleted by client ui-editor" in text and "@ created by client ui-editor" in text

    markdown = project.run("drift", "--format", "markdown", expect=2).stdout
    assert "_changed by client ui-editor at " in markdown and " UTC: description (2 writes in the window)_" in markdown


def test_since_bounds_the_window_and_is_checked(project: Project) -> None:
    report = drift_json(project, "--since", "90m")
    assert report["changed_by"][f"Webhook/{EDITED}"]["by"] == "ui-editor"
    # a time with an offset is the same instant in UTC, as every other time of the report is written
    # (it was kept as given: "attributed_since": "...+05:00" beside "created_at": "...Z")
    east = (datetime.now(UTC) - timedelta(hours=1)).astimezone(timezone(timedelta(hours=5)))
    since = drift_json(project, "--since", east.isoformat(timespec="seconds"))["attributed_since"]
    assert since == east.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for bad, message in (("last tuesday", "neither a duration"), ("2999-01-01", "is not in the past")):
        result = project.run("drift", "--since", bad, expect=None)
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output  # a usage error


def test_without_audit_permission_drift_warns_once_and_is_otherwise_the_same(
    project: Project, served_sandbox: Any
) -> None:
    before = drift_json(project)
    sandbox = served_sandbox(db_path=project.db)  # the same file, served over HTTP
    kind_permissions = frozenset(p for kind in KINDS for p in kind.all_permissions())
    assert AUDIT_READ_PERMISSION not in kind_permissions
    registered = httpx.post(f"{sandbox.url}/__sandbox__/clients",
                            json={"clientId": "no-audits", "clientSecret": "pw", "permissions": sorted(kind_permissions)})
    assert registered.status_code == 201
    env = {**project.env(), "GENESYSCLOUD_API_URL": sandbox.url, "GENESYSCLOUD_OAUTHCLIENT_ID": "no-audits",
           "GENESYSCLOUD_OAUTHCLIENT_SECRET": "pw"}
    with contextlib.chdir(project.root):
        result = CliRunner().invoke(main, ["drift", "--format", "json", "--target", "genesys"], env=env,
                                    catch_exceptions=False)
    assert result.exit_code == 2, result.output
    after = json.loads(result.stdout)
    assert after["changed_by"] == {}
    for key in ("differs", "missing", "unmanaged", "summary"):
        assert after[key] == before[key]
    extra = [w for w in after["warnings"] if w not in before["warnings"]]
    assert len(extra) == 1 and AUDIT_READ_PERMISSION in extra[0] and "HTTP 403" in extra[0]


def test_an_audit_read_stopped_by_refused_paging_says_so_and_the_page_cap_says_its_own() -> None:
    refused = AuditAnswer("Webhooks", "Succeeded", complete=False, refused="GET /x failed: the cursor repeats")
    capped = AuditAnswer("Voice", "Succeeded", complete=False)
    assert audit_warnings({"Webhook": refused, "VoiceProfile": capped}, {}) == [
        "the audit query of Voice has more pages than are read: older changes are not attributed",
        "the audit query of Webhooks stopped at a page its paging was refused for (GET /x failed: the cursor "
        "repeats): older changes are not attributed",
    ]


@pytest.mark.parametrize(
    ("event_date", "shown"),
    [
        ("0001-01-01T00:00:00+14:00", None),  # before year 1 in UTC: OverflowError when printed
        ("9999-12-31T23:00:00-05:00", None),  # after year 9999 in UTC
        ("2024-05-01T10:00:00", "changed by user Mallory at 2024-05-01 10:00:00 UTC"),  # no offset: the platform's UTC
        ("2024-05-01T12:00:00+02:00", "changed by user Mallory at 2024-05-01 10:00:00 UTC"),
    ],
    ids=["before-year-1", "after-year-9999", "naive", "offset"],
)
def test_an_audit_date_is_read_as_utc_or_not_at_all(
    event_date: str, shown: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server's eventDate cannot end drift in a traceback, nor be read in the runner's time zone.

    ``describe`` printed ``at.astimezone(UTC)``: a date that leaves the calendar there raised
    OverflowError, and a date without an offset was taken as the machine's local time.
    """
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        found = _attribution({"user": {"name": "Mallory"}, "eventDate": event_date, "action": "Update"})
        assert (found.describe() if found is not None else None) == shown
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_newest_change_unreadable_leaves_the_object_unattributed_not_blamed_on_an_older_one() -> None:
    """An object whose newest audit message names no one (or has no readable date) is not attributed.

    Why: ``_match`` skipped such a message and took the next one, so drift said "changed by
    client ci-bot at <older time>: description" of an object whose newest write (its url) was
    made by someone the audit message does not name: a confident answer, and a wrong one.
    """
    objects = {"Webhook/a": ("id1", "a"), "Webhook/b": ("id2", "b")}
    older = {"client": {"id": "ci-bot"}, "action": "Update", "eventDate": "2024-05-01T00:00:00Z",
             "propertyChanges": [{"property": "description"}]}
    messages = [
        {"entity": {"id": "id1"}, "action": "Update", "eventDate": "2024-05-02T00:00:00Z",
         "propertyChanges": [{"property": "url"}]},  # no user, no client
        {**older, "entity": {"id": "id1"}},
        {"entity": {"id": "id2"}, "user": {"name": "Mallory"}, "action": "Update", "eventDate": "not a date"},
        {**older, "entity": {"id": "id2"}},
    ]
    found, unknown = _match(objects, messages)
    assert found == {}
    assert unknown == ["Webhook/a", "Webhook/b"]
    assert audit_warnings({}, {}, unknown=unknown) == [
        "drift does not say who changed 2 object(s) (Webhook/a, Webhook/b): the newest audit message about "
        "each names no user or client, or has no readable date"
    ]


def test_a_failed_audit_query_names_the_kinds_left_unattributed_and_the_error_in_full() -> None:
    """Each failed audit query's warning names the kinds it leaves unattributed, and the error as the CLI shows it.

    Why: the warning said "some objects: an audit query failed (HTTP 500 internal.server.error)" — not which
    kinds, no endpoint, no correlation id to give the platform's support — and a timeout read "(HTTP 0 timeout)".
    """
    server = ServerError(500, "internal.server.error", "boom", method="POST", path="/api/v2/audits/query",
                         correlation_id="c-1")
    timeout = TransportError(0, "timeout", "timed out waiting for the answer", method="GET",
                             path="/api/v2/audits/query/q1")
    lines = audit_warnings({}, {"Webhook": server, "DataAction": server, "SpeechTopic": timeout})
    assert lines == [
        "drift does not say who changed DataAction, Webhook objects: their audit query failed: POST "
        "/api/v2/audits/query failed: HTTP 500 internal.server.error: boom [correlation id: c-1]",
        "drift does not say who changed SpeechTopic objects: their audit query failed: GET /api/v2/audits/query/q1 "
        "failed: timeout: timed out waiting for the answer [correlation id: none]",
    ]


def test_a_read_only_drift_run_counts_no_writes(project: Project) -> None:
    """The audit queries' POSTs are queries: ``--verbose`` said "(1 writes)" for a run that wrote nothing."""
    stderr = project.run("drift", "--verbose", expect=2).stderr
    assert " requests (0 writes, 1 query)" in stderr
