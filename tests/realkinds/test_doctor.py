"""``reconciler doctor``: reachable, logged in, and holding the permissions the declared kinds need.

Against a respx-served platform: the client's permissions are listed from its roles
(``/api/v2/tokens/me`` -> ``/api/v2/oauth/clients/{id}`` -> ``/api/v2/authorization/roles/{id}``);
where that listing is missing, doctor falls back to probing reads and says so. Against
the embedded sandbox (which has no permission listing yet) through the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

from reconciler.app import RunOptions
from reconciler.app.doctor import MAX_ROLES, DoctorRun, Finding, diagnose, granted, required_permissions
from reconciler.genesys import ClientLimits, Target
from reconciler.kinds import KINDS, REGISTRY

from ._support import FIRST_EXAMPLES, Project, make_project

API = "http://127.0.0.1:8998"
FAST = ClientLimits(requests_per_minute=60_000, rate_burst=1000, backoff_initial=0.01, backoff_max=0.05, max_attempts=2)
VIEW_ONLY = [
    {"domain": "speechAndTextAnalytics", "entityName": "topic", "actionSet": ["view"]},
    {"domain": "processautomation", "entityName": "trigger", "actionSet": ["view"]},
    {"domain": "integrations", "entityName": "integration", "actionSet": ["view"]},
]
EVERYTHING = [{"domain": "*", "entityName": "*", "actionSet": ["*"]}]


def _empty_listing(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"entities": [], "pageSize": 1, "pageNumber": 1, "total": 0, "pageCount": 0})


def _serve(router: respx.MockRouter, policies: list[dict[str, Any]] | None, *, refuse: str | None = None) -> None:
    router.post("/oauth/token").mock(
        return_value=httpx.Response(200, json={"access_token": "tok-1", "token_type": "bearer", "expires_in": 86400})
    )
    if policies is None:
        router.get("/api/v2/tokens/me").mock(return_value=httpx.Response(404, json={"code": "not.found"}))
    else:
        router.get("/api/v2/tokens/me").mock(
            return_value=httpx.Response(200, json={"organization": {"id": "org"}, "OAuthClient": {"id": "cid"}})
        )
        router.get("/api/v2/oauth/clients/cid").mock(
            return_value=httpx.Response(200, json={"id": "cid", "roleDivisions": [{"roleId": "r1", "divisionId": "*"}]})
        )
        router.get("/api/v2/authorization/roles/r1").mock(
            return_value=httpx.Response(200, json={"id": "r1", "permissionPolicies": policies})
        )
    if refuse is not None:
        router.get(refuse).mock(
            return_value=httpx.Response(403, json={"code": "missing.any.permissions", "message": "no"})
        )
    router.get("/api/v2/integrations/speech/tts/settings").mock(
        return_value=httpx.Response(200, json={"defaultEngine": "amazon-polly", "languageOverrides": []})
    )
    router.get(url__regex=r".*").mock(side_effect=_empty_listing)


def _diagnose(tmp_path: Path, router_setup: Any, files: tuple[str, ...] | None = FIRST_EXAMPLES) -> DoctorRun:
    project = make_project(tmp_path, files)
    target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="s3cr3t")
    with respx.mock(base_url=API, assert_all_called=False) as router:
        router_setup(router)
        return anyio.run(lambda: diagnose([str(project.manifests)], RunOptions(target, FAST), env={}))


def test_a_view_only_role_names_the_missing_write_permissions(tmp_path: Path) -> None:
    run = _diagnose(tmp_path, lambda router: _serve(router, VIEW_ONLY))
    assert not run.ok and run.method == "listed"
    assert "speechAndTextAnalytics:topic:add" in run.missing
    assert "processautomation:trigger:edit" in run.missing and "integrations:integration:edit" in run.missing
    assert not any(p.endswith(":view") for p in run.missing)


def test_a_read_the_platform_serves_without_view_is_not_called_missing(tmp_path: Path) -> None:
    """SDK api docs, "Requires ANY permissions": triggers are listed with ``processautomation:trigger:edit`` as well
    as ``:view``, data actions with ``bridge:actions:view`` as well as ``integrations:action:view``."""
    roles = [
        {"domain": "processautomation", "entityName": "trigger", "actionSet": ["add", "edit", "delete"]},
        {"domain": "integrations", "entityName": "action", "actionSet": ["add", "edit", "delete"]},
        {"domain": "bridge", "entityName": "actions", "actionSet": ["view"]},
        {"domain": "integrations", "entityName": "integration", "actionSet": ["*"]},  # the actions' integrations
    ]
    files = ("triggers.yaml", "data-actions.yaml", "integrations.yaml", "credentials.yaml")
    run = _diagnose(tmp_path, lambda router: _serve(router, roles), files)
    assert run.method == "listed" and run.missing == () and run.ok
    without = [p for p in roles if p["domain"] != "bridge"]
    run = _diagnose(tmp_path / "again", lambda router: _serve(router, without), files)
    assert run.missing == ("integrations:action:view or bridge:actions:view",)
    assert "permission integrations:action:view or bridge:actions:view" in [f.check for f in run.findings]


def test_a_role_with_every_permission_is_ready(tmp_path: Path) -> None:
    run = _diagnose(tmp_path, lambda router: _serve(router, EVERYTHING))
    assert run.ok and run.missing == () and run.method == "listed"


def test_it_shows_the_org_the_credentials_reach_from_the_one_tokens_me_answer(tmp_path: Path) -> None:
    routes: dict[str, respx.Route] = {}

    def setup(router: respx.MockRouter) -> None:
        _serve(router, EVERYTHING)
        routes["me"] = router.get("/api/v2/tokens/me").mock(return_value=httpx.Response(
            200, json={"organization": {"id": "org-7", "name": "Example Corp"}, "OAuthClient": {"id": "cid"}}))

    run = _diagnose(tmp_path, setup)
    assert Finding("org", True, "'Example Corp' (id org-7)") in run.findings
    assert run.ok and run.method == "listed"
    assert routes["me"].call_count == 1  # the roles' listing and the org share one answer


def test_a_target_that_cannot_name_the_org_is_a_failed_finding(tmp_path: Path) -> None:
    run = _diagnose(tmp_path, lambda router: _serve(router, None))
    org = next(f for f in run.findings if f.check == "org")
    assert not org.ok and "HTTP 404" in org.detail and "cannot without it" in org.detail


def test_without_a_permission_listing_it_probes_reads_and_says_so(tmp_path: Path) -> None:
    triggers = REGISTRY["ProcessAutomationTrigger"].collection
    run = _diagnose(tmp_path, lambda router: _serve(router, None, refuse=triggers))
    assert run.method == "probed" and not run.ok
    assert run.missing == ("processautomation:trigger:view or processautomation:trigger:edit",)
    assert any("could not be listed" in note and "write permissions are not verified" in note for note in run.notes)


def test_a_permission_several_kinds_need_is_named_once(tmp_path: Path) -> None:
    def refuse_integrations(router: respx.MockRouter) -> None:
        router.get(url__regex=r".*/api/v2/integrations.*").mock(
            return_value=httpx.Response(403, json={"code": "missing.any.permissions", "message": "no"})
        )
        _serve(router, None)

    run = _diagnose(tmp_path, refuse_integrations, ("tts-settings.yaml", "integrations.yaml", "credentials.yaml"))
    refused = {f.kind for f in run.findings if not f.ok and f.kind is not None}
    assert {"TtsSettings", "Integration", "IntegrationCredential"} <= refused  # three kinds, one permission
    assert run.missing.count("integrations:integration:view") == 1
    assert [f.check for f in run.findings].count("permission integrations:integration:view") == 1


def test_bad_credentials_are_a_finding_not_a_traceback(tmp_path: Path) -> None:
    def refuse_login(router: respx.MockRouter) -> None:
        router.post("/oauth/token").mock(return_value=httpx.Response(401, json={"error": "invalid_client"}))

    run = _diagnose(tmp_path, refuse_login)
    assert not run.ok
    assert [(f.check, f.ok) for f in run.findings] == [("target", True), ("credentials", False)]
    assert "s3cr3t" not in str(run)


def test_a_request_the_http_library_refuses_to_send_is_a_finding(tmp_path: Path) -> None:
    """h11's LocalProtocolError (request.invalid) ended doctor with a bare error line instead of its findings."""
    def refuse_to_send(router: respx.MockRouter) -> None:
        router.post("/oauth/token").mock(side_effect=httpx.LocalProtocolError("Illegal header value b's3cr3t '"))

    run = _diagnose(tmp_path, refuse_to_send)
    assert [(f.check, f.ok) for f in run.findings] == [("target", False)]
    assert "request.invalid" in run.findings[0].detail and "s3cr3t" not in str(run)


def test_permission_matching() -> None:
    assert granted(EVERYTHING, "speechAndTextAnalytics:topic:add")
    assert granted(VIEW_ONLY, "speechAndTextAnalytics:topic:view")
    assert not granted(VIEW_ONLY, "speechAndTextAnalytics:topic:add")
    needed = required_permissions(KINDS)
    assert needed[("processautomation:trigger:view", "processautomation:trigger:edit")] == ("ProcessAutomationTrigger",)


def _serve_client(router: respx.MockRouter, client: dict[str, Any], *, client_id: str = "cid") -> respx.Route:
    """A token naming ``client_id``, an OAuth client answering ``client``; every role grants everything."""
    router.post("/oauth/token").mock(
        return_value=httpx.Response(200, json={"access_token": "tok-1", "token_type": "bearer", "expires_in": 86400})
    )
    router.get("/api/v2/tokens/me").mock(
        return_value=httpx.Response(200, json={"organization": {"id": "org"}, "OAuthClient": {"id": client_id}})
    )
    router.get(url__regex=r".*/api/v2/oauth/clients/[^/]+$").mock(return_value=httpx.Response(200, json=client))
    roles = router.get(url__regex=r".*/api/v2/authorization/roles/.*").mock(
        return_value=httpx.Response(200, json={"permissionPolicies": EVERYTHING})
    )
    router.get("/api/v2/integrations/speech/tts/settings").mock(
        return_value=httpx.Response(200, json={"defaultEngine": "amazon-polly", "languageOverrides": []})
    )
    router.get(url__regex=r".*").mock(side_effect=_empty_listing)
    return roles


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "client",
    [
        {"roleIds": [f"r{i}" for i in range(1_000_000)]},
        {"roleDivisions": [{"roleId": f"r{i}", "divisionId": "*"} for i in range(MAX_ROLES + 1)]},
        {"roleIds": [f"r{i}" for i in range(30)], "roleDivisions": [{"roleId": f"d{i}"} for i in range(30)]},
    ],
    ids=["a-million-roleIds", "roleDivisions-past-the-bound", "both-lists-past-the-bound-together"],
)
def test_a_client_with_too_many_roles_is_probed_not_read_role_by_role(tmp_path: Path, client: dict[str, Any]) -> None:
    roles: list[respx.Route] = []
    run = _diagnose(tmp_path, lambda router: roles.append(_serve_client(router, client)))
    assert roles[0].call_count == 0, "no role is read past the bound"
    assert run.method == "probed" and run.ok
    assert any(f"more than {MAX_ROLES} roles" in note and "probing reads" in note for note in run.notes), run.notes


def test_up_to_the_bound_every_role_is_read_once(tmp_path: Path) -> None:
    # a role in both lists is read once; what is not a role (a string, a number, no id) is none
    client = {"roleIds": [f"r{i}" for i in range(MAX_ROLES)], "roleDivisions": [{"roleId": "r0"}, "junk", 7, {}]}
    roles: list[respx.Route] = []
    run = _diagnose(tmp_path, lambda router: roles.append(_serve_client(router, client)))
    assert run.method == "listed" and run.ok and run.notes == ()
    assert roles[0].call_count == MAX_ROLES


HOSTILE_ID = "../../webhooks/x?y=1#"


def test_ids_from_the_server_are_quoted_as_one_path_segment(tmp_path: Path) -> None:
    """A client id or role id naming another path (``../``, ``?``, ``#``) stays one segment of its own path."""
    project = make_project(tmp_path, FIRST_EXAMPLES)
    target = Target(kind="genesys", api_url=API, login_url=API, client_id="cid", client_secret="s3cr3t")
    with respx.mock(base_url=API, assert_all_called=False) as router:
        webhooks = router.get(url__regex=r".*/api/v2/webhooks.*").mock(return_value=httpx.Response(500))
        _serve_client(router, {"roleIds": [HOSTILE_ID, "..", "a/b"]}, client_id=HOSTILE_ID)
        run = anyio.run(lambda: diagnose([str(project.manifests)], RunOptions(target, FAST), env={}))
        paths = [call.request.url.raw_path.decode() for call in router.calls]
    assert webhooks.call_count == 0
    assert "/api/v2/oauth/clients/..%2F..%2Fwebhooks%2Fx%3Fy%3D1%23" in paths
    assert "/api/v2/authorization/roles/..%2F..%2Fwebhooks%2Fx%3Fy%3D1%23" in paths
    assert "/api/v2/authorization/roles/%2E%2E" in paths and "/api/v2/authorization/roles/a%2Fb" in paths
    assert run.method == "listed" and run.ok


def test_an_id_is_quoted_as_kind_item_path_quotes_it() -> None:
    from reconciler.core.urls import path_segment

    webhook = REGISTRY["Webhook"]
    for object_id in (HOSTILE_ID, "..", ".", "a b%2F"):
        assert webhook.item_path(object_id) == f"{webhook.collection}/{path_segment(object_id)}"
        assert httpx.URL(API + webhook.item_path(object_id)).raw_path.decode().startswith(webhook.collection + "/")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)


def test_the_cli_against_the_sandbox(project: Project) -> None:
    result = project.run("doctor", "manifests", "--sandbox-db", str(project.db))
    assert "ok    credentials" in result.output and "ready:" in result.output
    assert "ok    org" in result.output and "'Sandbox org " in result.output  # the sandbox's tokens/me
    assert "probing reads" in result.output


def test_it_needs_no_secret_value_from_the_manifests(tmp_path: Path) -> None:
    """A read-only CI job checks its access without the apply's secrets, as drift and validate do."""
    from click.testing import CliRunner

    from reconciler.cli import main

    examples = Path(__file__).resolve().parents[2] / "manifests"
    assert "${env:CRM_WEBHOOK_PASSWORD}" in examples.joinpath("webhooks.yaml").read_text(encoding="utf-8")
    result = CliRunner().invoke(
        main, ["doctor", str(examples), "--sandbox-db", str(tmp_path / "s.db")], env={"CRM_WEBHOOK_PASSWORD": None}
    )
    assert result.exit_code == 0, result.output
    assert "ready: kinds SpeechRule, VoiceProfile, Webhook" in result.output
    assert "CRM_WEBHOOK_PASSWORD" not in result.output


def test_probing_a_reference_read_without_paging_sends_no_paging_parameter(tmp_path: Path) -> None:
    """Why: doctor probed every reference read with ``pageSize=1``, the topic dialects' too (``paging="none"``,
    SDK ``get_speechandtextanalytics_topics_dialects`` takes no parameter), which the platform refuses (400)."""
    sent: dict[str, dict[str, str]] = {}

    def record(router: respx.MockRouter) -> None:
        _serve(router, None)
        router.routes[-1].side_effect = lambda request: (
            sent.setdefault(request.url.path, dict(request.url.params)), _empty_listing(request))[1]

    run = _diagnose(tmp_path, record, None)
    assert run.method == "probed"
    reads = {r.path: r for k in KINDS for c in k.live_checks for r in c.reads}
    assert {path for path in reads if reads[path].paging == "none"} <= set(sent)
    for path, read in reads.items():
        if path in sent:
            expected = {**read.params, **({} if read.paging == "none" else {"pageSize": "1"})}
            assert sent[path] == expected, path
