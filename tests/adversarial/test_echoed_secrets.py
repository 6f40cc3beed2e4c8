"""A server that echoes secrets where no error is involved, or encoded: still in no output or file.

The masks used to know only some secrets at some moments: the failing request's own token
(not one issued before it), the ``${env:…}`` values only once apply started (not while
planning), never the base64 of a value alone, and the audit trail knew the env values but
not the client secret or a token. A live value, or a successful write's correlation id, was
not masked at all. Every secret is now remembered as soon as the process has it
(:mod:`reconciler.core.secrets`), and every masker asks for all of them.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from reconciler.core.errors import ReconcilerError
from reconciler.core.secrets import secret_forms
from reconciler.genesys import ClientLimits, GenesysClient, Target
from reconciler.kinds import get_kind
from reconciler.plan.planfile import load_plan

from ._harness import SECRET, TIME_BOUND, Outcome, invoke_cli, project

API = "http://127.0.0.1:8995"
CLIENT_ID = "echo-client"
CLIENT_SECRET = "client-s3cret/with+chars= and space"
VOICE = get_kind("VoiceProfile")
HOOK = get_kind("Webhook")
FAST = ClientLimits(requests_per_minute=60_000, rate_burst=1000, max_attempts=1, backoff_initial=0.0, backoff_max=0.0)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def assert_no_form(text: str, *secrets: str) -> None:
    for secret in secrets:
        for form in secret_forms(secret):
            assert form not in text, f"{form!r} (a form of a secret) in {text!r}"


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


async def failure_of(call: Callable[[GenesysClient], Any]) -> str:
    target = Target(kind="genesys", api_url=API, login_url=API, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    async with GenesysClient(target, limits=FAST, rng=random.Random(5)) as client:
        with pytest.raises(ReconcilerError) as caught:
            await call(client)
    return str(caught.value)


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_the_base64_of_the_client_secret_alone_is_masked(router: respx.MockRouter) -> None:
    router.post("/oauth/token").mock(
        return_value=httpx.Response(401, json={"error": "invalid_client", "error_description": f"got {b64(CLIENT_SECRET)}"})
    )
    message = await failure_of(lambda client: client.list_all(VOICE))
    assert "POST /oauth/token failed: HTTP 401" in message
    assert b64(CLIENT_SECRET) not in message and b64(CLIENT_SECRET).rstrip("=") not in message


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_a_token_issued_before_the_failing_request_is_masked_too(router: respx.MockRouter) -> None:
    tokens = iter(["first-token-0123456789", "second-token-0123456789"])
    router.post("/oauth/token").mock(
        side_effect=lambda request: httpx.Response(200, json={"access_token": next(tokens), "expires_in": 3600})
    )
    answers = iter([
        httpx.Response(401, json={"code": "token.expired", "message": "expired"}),
        httpx.Response(400, json={"code": "bad.request", "message": "tokens seen: first-token-0123456789, "
                                                                    "second-token-0123456789"}),
    ])
    router.get(VOICE.collection).mock(side_effect=lambda request: next(answers))
    message = await failure_of(lambda client: client.list_all(VOICE))
    assert "HTTP 400" in message
    assert_no_form(message, "first-token-0123456789", "second-token-0123456789")


# ---- the command line, against a served sandbox whose answers are rewritten ---------------
def run(served: Any, root: Path, args: list[str], rewrite: Callable[[httpx.Request], httpx.Response] | None,
        route: tuple[str, str], extra: dict[str, str] | None = None) -> Outcome:
    with respx.mock(assert_all_called=False, assert_all_mocked=False) as mock:
        if rewrite is not None:
            mock.route(method=route[0], url=f"{served.url}{route[1]}").mock(side_effect=rewrite)
        mock.route(host="127.0.0.1").pass_through()
        env = {"GENESYSCLOUD_API_URL": served.url, "GENESYSCLOUD_OAUTHCLIENT_ID": served.options.client_id,
               "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET, **(extra or {})}
        return invoke_cli(args, cwd=root, env=env)


@pytest.fixture
def served(served_sandbox: Callable[..., Any]) -> Any:
    return served_sandbox(client_secret=SECRET)


@pytest.mark.timeout(TIME_BOUND)
def test_a_listing_error_while_planning_masks_the_env_values(served: Any, tmp_path: Path) -> None:
    """The plan's ${env:...} values were masked only once apply began."""
    password = "webhook-pa55word-only-in-the-env"  # not the client secret: masked for its own sake

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"code": "bad.request", "message": f"the password is {password}"})

    outcome = run(served, project(tmp_path), ["plan", "manifests"], echo, ("GET", VOICE.collection),
                  {"CRM_WEBHOOK_PASSWORD": password})
    outcome.expect(1, f"error: GET {VOICE.collection} failed: HTTP 400", secrets=[SECRET, password])


@pytest.mark.timeout(TIME_BOUND)
def test_a_live_value_echoing_the_token_and_client_secret_is_masked_in_output_and_the_saved_plan(
    served: Any, tmp_path: Path
) -> None:
    root = project(tmp_path)
    seen: dict[str, str] = {}

    def echo(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        seen["token"] = token
        hook = {"id": "h-1", "name": "CRM Compliance Sync", "version": 1, "requestUrl": "https://x.example.com/a",
                "eventFilters": [], "description": f"token {token} client {SECRET} b64 {b64(SECRET)}"}
        return httpx.Response(200, json={"entities": [hook], "pageNumber": 1, "pageSize": 100, "pageCount": 1,
                                         "total": 1})

    outcome = run(served, root, ["plan", "manifests", "--out", "plan.json"], echo, ("GET", HOOK.collection))
    outcome.expect(0, "~ update Webhook/CRM Compliance Sync", secrets=[SECRET, seen["token"]])
    assert "token *** client *** b64 ***" in outcome.stdout
    saved = json.loads((root / "plan.json").read_text(encoding="utf-8"))
    assert "token *** client ***" in json.dumps(saved)
    load_plan(root / "plan.json", expected_target=saved["target"])  # re-sealed: its checksum still holds


@pytest.mark.timeout(TIME_BOUND)
def test_a_successful_writes_correlation_id_echoing_secrets_is_masked_in_the_audit_trail(
    served: Any, tmp_path: Path
) -> None:
    root = project(tmp_path)
    seen: dict[str, str] = {}

    def create(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        seen["token"] = token
        body = {**json.loads(request.content), "id": f"v-{len(seen)}", "version": 1}
        seen[body["name"]] = body["id"]
        return httpx.Response(201, json=body, headers={"ININ-Correlation-Id": f"c-{SECRET}-{token}"})

    outcome = run(served, root, ["apply", "manifests", "--auto-approve"], create, ("POST", VOICE.collection))
    assert outcome.returncode in (0, 1), outcome.output  # the sandbox never stored them: later reads may disagree
    audit = (root / ".reconciler" / "audit.jsonl").read_text(encoding="utf-8")
    assert '"correlation_id":"c-(sensitive)-(sensitive)"' in audit
    outcome.assert_no_secret([SECRET, seen["token"]])


def test_each_command_starts_with_only_its_own_secrets_remembered(tmp_path: Path) -> None:
    """A process running several commands (tests, a program using the CLI) must not pile up every token."""
    from reconciler.core.secrets import remember, remembered_values

    remember(["an-earlier-commands-token-0123"])
    outcome = invoke_cli(["validate", "manifests"], cwd=project(tmp_path))
    outcome.expect(0)
    assert "an-earlier-commands-token-0123" not in remembered_values()


@pytest.mark.timeout(TIME_BOUND)
def test_export_writes_no_file_when_a_live_value_echoes_the_client_secret(served: Any, tmp_path: Path) -> None:
    """An export is committed to git: a live value echoing the secret stops it, before any file (masking would
    overwrite the live value with ``***`` once applied back)."""
    root = project(tmp_path, manifests=False)

    def echo(request: httpx.Request) -> httpx.Response:
        hooks = [
            {"id": "h-1", "name": "Fine", "version": 1, "requestUrl": "https://x.example.com/a", "eventFilters": []},
            {"id": "h-2", "name": f"Leaky {SECRET}", "version": 1, "requestUrl": "https://x.example.com/b",
             "eventFilters": [], "description": f"b64 {b64(SECRET)} " + "long text to fold " * 10 + SECRET},
        ]
        return httpx.Response(200, json={"entities": hooks, "pageNumber": 1, "pageSize": 100, "pageCount": 1,
                                         "total": 2})

    outcome = run(served, root, ["export", "--out", "exported", "--kind", "Webhook"], echo, ("GET", HOOK.collection))
    outcome.expect(1, "error: nothing written: the live values of Webhook/Leaky *** hold a secret of this command")
    assert not (root / "exported").exists() or not any((root / "exported").rglob("*.yaml"))
    assert SECRET.lower() not in outcome.output  # the file name, a lower-cased slug of the name, is not shown


@pytest.mark.timeout(TIME_BOUND)
def test_export_writes_no_file_when_a_live_value_ends_in_a_truncated_client_secret(
    served: Any, tmp_path: Path
) -> None:
    root = project(tmp_path, manifests=False)

    def echo(request: httpx.Request) -> httpx.Response:
        hook = {"id": "h-2", "name": "Cut", "version": 1, "requestUrl": "https://x.example.com/b",
                "eventFilters": [], "description": f"the secret was {SECRET[:12]}..."}
        return httpx.Response(200, json={"entities": [hook], "pageNumber": 1, "pageSize": 100, "pageCount": 1,
                                         "total": 1})

    outcome = run(served, root, ["export", "--out", "exported", "--kind", "Webhook"], echo, ("GET", HOOK.collection))
    outcome.expect(1, "error: nothing written: the live values of Webhook/Cut hold a secret of this command")
    assert not (root / "exported").exists() or not any((root / "exported").rglob("*.yaml"))
    assert SECRET.lower() not in outcome.output  # the file name, a lower-cased slug of the name, is not shown


# ---- a server that cuts what it echoes short -------------------------------------------
def test_a_truncated_head_of_a_secret_before_an_ellipsis_or_at_the_end_is_masked() -> None:
    """Whole forms only were masked in output and the audit trail: ``Adv3rsar...`` showed 8 characters."""
    from reconciler.audit.redact import Redactor
    from reconciler.core.secrets import scrub

    assert scrub(f"got {SECRET[:8]}... and more", [SECRET]) == "got ***... and more"
    assert scrub(f"got {SECRET[:20]}\u2026", [SECRET]) == "got ***\u2026"
    assert scrub(f"ends with {SECRET[:12]}", [SECRET]) == "ends with ***"
    assert scrub(f"twice {SECRET[:9]}... {SECRET[:10]}...", [SECRET]) == "twice ***... ***..."
    # under eight characters, or followed by other text, it is ordinary text
    assert scrub(f"got {SECRET[:7]}...", [SECRET]) == f"got {SECRET[:7]}..."
    record = {"error": f"secret {SECRET[:10]}...", "id": f"x-{b64(SECRET)[:12]}"}
    assert Redactor([SECRET]).value(record) == {"error": "secret (sensitive)...", "id": "x-(sensitive)"}


@pytest.mark.timeout(TIME_BOUND)
def test_a_live_value_ending_in_a_truncated_secret_is_masked_in_the_plan(served: Any, tmp_path: Path) -> None:
    root = project(tmp_path)

    def echo(request: httpx.Request) -> httpx.Response:
        hook = {"id": "h-1", "name": "CRM Compliance Sync", "version": 1, "requestUrl": "https://x.example.com/a",
                "eventFilters": [], "description": f"was {SECRET[:12]}..."}
        return httpx.Response(200, json={"entities": [hook], "pageNumber": 1, "pageSize": 100, "pageCount": 1,
                                         "total": 1})

    outcome = run(served, root, ["plan", "manifests", "--out", "plan.json"], echo, ("GET", HOOK.collection))
    outcome.expect(0, "~ update Webhook/CRM Compliance Sync", secrets=[SECRET])
    assert SECRET[:12] not in outcome.output and "was ***..." in outcome.output
    assert SECRET[:12] not in (root / "plan.json").read_text(encoding="utf-8")
