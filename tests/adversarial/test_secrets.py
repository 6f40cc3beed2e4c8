"""Echoed secrets and credentials in URLs: no form of a secret is ever printed or written.

A server may echo what it was sent: the token request's ``Authorization: Basic`` header
(base64 of ``client_id:secret``), the API call's bearer token, a request body (the secret
JSON-escaped) or a form (URL-encoded). Each case plants a secret with characters that
every encoding changes (quote, backslash, slash, plus, space, non-ASCII) and checks that
no form of it reaches a message, the command's output or any file. URLs with credentials
are refused before anything is sent, without printing them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import respx

from reconciler.audit.redact import Redactor
from reconciler.core.errors import ReconcilerError
from reconciler.core.secrets import replace_fragments, scrub, secret_forms
from reconciler.genesys import ClientLimits, GenesysClient, Target
from reconciler.kinds import get_kind

from ._harness import SECRET, TIME_BOUND, Outcome, invoke_cli, project
from ._harness import secret_forms as harness_forms

API = "http://127.0.0.1:8996"
CLIENT_ID = "echo-client"
TOKEN = "echo-bearer-token-7731"
VOICE = get_kind("VoiceProfile")
HOOK = get_kind("Webhook")
FAST = ClientLimits(requests_per_minute=60_000, rate_burst=1000, max_attempts=1, backoff_initial=0.0, backoff_max=0.0)

#: secrets that every encoding changes
TRICKY = {
    "quote-backslash": 'pa"ss\\word-1',
    "slash-plus-equals": "a/b+c=d&e?f",
    "space-percent": "two words 100%",
    "unicode": "pässwörd-ü-€",
    "newline-tab": "line1\nline2\tx",
    "plain": SECRET,
}


def every_form(secret: str, client_id: str = CLIENT_ID) -> set[str]:
    """What must not be seen: the harness's forms plus the non-ASCII JSON and form-encoded ones."""
    forms = {*harness_forms(secret, client_id), *secret_forms(secret, client_id=client_id)}
    forms |= {json.dumps(secret, ensure_ascii=False)[1:-1], quote_plus(secret), quote(secret)}
    return {f for f in forms if len(f) >= 4}


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("secret", TRICKY.values(), ids=TRICKY.keys())
def test_scrub_removes_every_form_a_server_may_echo(secret: str) -> None:
    forms = every_form(secret)
    text = " | ".join(f"echo {form} end" for form in forms)
    cleaned = scrub(text, [*secret_forms(secret, client_id=CLIENT_ID)])
    for form in forms:
        assert form not in cleaned


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("secret", TRICKY.values(), ids=TRICKY.keys())
def test_the_audit_trail_masks_every_form_of_an_env_value(secret: str) -> None:
    redactor = Redactor([secret])
    record = {"error": f"server said {json.dumps({'body': secret})} and {quote(secret, safe='')}", "plain": secret}
    shown = json.dumps(redactor.value(record), ensure_ascii=False)
    for form in every_form(secret):
        if form not in ("\\n", "\\t"):
            assert form not in shown


# ---- a client against a server that echoes what it was sent ---------------------------
def echo_headers(status: int) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        said = request.headers.get("authorization", "")
        body = request.content.decode("utf-8", "replace")
        return httpx.Response(
            status,
            json={
                "code": f"echo {said}",
                "message": f"you sent {said} with {body} and {json.dumps(body)}",
                "details": [{"fieldName": "x", "errorMessage": said, "entityName": quote(body, safe="")}],
                "contextId": said[:40],
            },
        )

    return answer


@pytest.fixture(params=list(TRICKY.values()), ids=list(TRICKY.keys()))
def secret(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def target(secret: str) -> Target:
    return Target(kind="genesys", api_url=API, login_url=API, client_id=CLIENT_ID, client_secret=secret)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


async def message_of(target: Target, call: Callable[[GenesysClient], Any]) -> str:
    async with GenesysClient(target, limits=FAST, rng=random.Random(3)) as client:
        with pytest.raises(ReconcilerError) as caught:
            await call(client)
    return str(caught.value)


def assert_hidden(message: str, *secrets: str) -> None:
    for value in secrets:
        for form in every_form(value):
            assert form not in message, f"{form!r} in {message!r}"


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("status", [400, 401])
async def test_a_login_server_echoing_the_basic_credential_shows_none_of_it(
    target: Target, router: respx.MockRouter, secret: str, status: int
) -> None:
    router.post("/oauth/token").mock(side_effect=echo_headers(status))
    message = await message_of(target, lambda client: client.list_all(VOICE))
    assert "POST /oauth/token failed" in message
    assert_hidden(message, secret)


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("status", [400, 500])
async def test_an_api_echoing_the_bearer_token_and_the_body_shows_none_of_it(
    target: Target, router: respx.MockRouter, secret: str, status: int
) -> None:
    router.post("/oauth/token").mock(return_value=httpx.Response(200, json={"access_token": TOKEN}))
    router.post(HOOK.collection).mock(side_effect=echo_headers(status))
    body = {"name": "crm", "authSecret": secret, "url": "https://crm.example.com"}
    message = await message_of(target, lambda client: client.create(HOOK, body))
    assert f"POST {HOOK.collection} failed" in message
    assert TOKEN not in message
    assert_hidden(message, secret)


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_an_env_value_the_client_was_told_to_hide_is_hidden_in_every_form(
    target: Target, router: respx.MockRouter, secret: str
) -> None:
    router.post("/oauth/token").mock(return_value=httpx.Response(200, json={"access_token": TOKEN}))
    router.post(VOICE.collection).mock(side_effect=echo_headers(400))
    env_value = "env-" + secret[::-1]

    async def create(client: GenesysClient) -> Any:
        client.hide([env_value])
        return await client.create(VOICE, {"name": "p", "description": env_value})

    assert_hidden(await message_of(target, create), secret, env_value)


# ---- URLs with credentials, malformed URLs: refused before anything is sent -------------
BAD_URLS = {
    "credentials": (f"https://user:{SECRET}@127.0.0.1:1", "carries credentials"),
    "user-only": f"https://{SECRET}@127.0.0.1:1",
    "no-scheme-credentials": (f"user:{SECRET}@api.mypurecloud.ie", "is not an absolute http(s) URL"),
    "port-too-big": ("https://api.mypurecloud.ie:99999", "its port is not between 1 and 65535"),
    "port-not-a-number": ("https://api.mypurecloud.ie:abc", "is not a valid URL: its port is not a number"),
    "ipv6-unclosed": ("http://[::1", "its [IPv6 address] is not closed or not well formed"),
    "no-scheme": ("api.mypurecloud.ie", "is not an absolute http(s) URL"),
    "ftp": ("ftp://api.mypurecloud.ie", "is not an absolute http(s) URL"),
    "http-off-loopback": ("http://api.mypurecloud.ie", "plain http off this machine"),
    "space-in-host": ("https://api.mypure cloud.ie", "does not name a valid host"),
    "port-zero": ("https://api.mypurecloud.ie:0", "does not name a valid host"),
    "fragment": ("https://api.mypurecloud.ie/#x", "must not carry a query or fragment"),
    "query-with-secret": (f"https://api.mypurecloud.ie/?token={SECRET}", "must not carry a query or fragment"),
    "newline": ("https://api.mypurecloud.ie/\n::error::x", "contains spaces or control characters"),
}


def expected(case: str) -> tuple[str, str]:
    value = BAD_URLS[case]
    return value if isinstance(value, tuple) else (value, "carries credentials")


def plan_with(tmp_path: Path, env: dict[str, str], *args: str) -> Outcome:
    base = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
    return invoke_cli(["plan", "manifests", *args], cwd=project(tmp_path), env={**base, **env})


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("case", BAD_URLS)
def test_a_bad_api_url_in_the_environment_is_one_line_and_exit_1(tmp_path: Path, case: str) -> None:
    url, says = expected(case)
    outcome = plan_with(tmp_path, {"GENESYSCLOUD_API_URL": url})
    outcome.expect(1, "error: GENESYSCLOUD_API_URL", says)
    assert len(outcome.stderr.strip().splitlines()) == 1, outcome.stderr
    assert "Target:" not in outcome.output


@pytest.mark.timeout(TIME_BOUND)
def test_a_bad_api_url_flag_is_refused_the_same_way(tmp_path: Path) -> None:
    outcome = plan_with(tmp_path, {}, "--api-url", f"https://me:{SECRET}@127.0.0.1:1")
    outcome.expect(1, "error: --api-url 'https://***@127.0.0.1:1' carries credentials")


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"https://user:{SECRET}@127.0.0.1:9/audit", "carries credentials"),
        ("https://127.0.0.1:99999/audit", "its port is not between 1 and 65535"),
        ("http://collector.example.com/audit", "plain http off this machine"),
    ],
    ids=["credentials", "port", "http-off-loopback"],
)
def test_a_bad_audit_url_is_refused_before_any_write(tmp_path: Path, url: str, says: str) -> None:
    root = project(tmp_path)
    outcome = invoke_cli(["apply", "manifests", "--auto-approve", "--audit-url", url], cwd=root)
    outcome.expect(1, "error: --audit-url", says)
    assert "created" not in outcome.stdout.lower()


# ---- the command line against a served sandbox that echoes secrets ----------------------
@pytest.fixture
def echo_server(served_sandbox: Callable[..., Any]) -> Any:
    return served_sandbox(client_secret=SECRET)


def run_echoing(
    server: Any, root: Path, args: list[str], routes: dict[tuple[str, str], Any], extra: dict[str, str] | None = None
) -> Outcome:
    with respx.mock(assert_all_called=False, assert_all_mocked=False) as mock:
        for (method, path), handler in routes.items():
            mock.route(method=method, url=f"{server.url}{path}").mock(side_effect=handler)
        mock.route(host="127.0.0.1").pass_through()
        env = {
            "GENESYSCLOUD_API_URL": server.url,
            "GENESYSCLOUD_OAUTHCLIENT_ID": server.options.client_id,
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET,
            **(extra or {}),
        }
        return invoke_cli(args, cwd=root, env=env)


@pytest.mark.timeout(TIME_BOUND)
def test_plan_against_a_login_server_echoing_the_basic_credential(echo_server: Any, tmp_path: Path) -> None:
    outcome = run_echoing(
        echo_server, project(tmp_path), ["plan", "manifests"], {("POST", "/oauth/token"): echo_headers(401)}
    )
    outcome.expect(1, "error: POST /oauth/token failed: HTTP 401")
    outcome.assert_no_secret([SECRET])


@pytest.mark.timeout(TIME_BOUND)
def test_plan_sarif_against_a_login_server_echoing_the_basic_credential(echo_server: Any, tmp_path: Path) -> None:
    """The failed run's SARIF notification quotes the server as the error line does: masked."""
    args = ["plan", "manifests", "--format", "sarif"]
    outcome = run_echoing(echo_server, project(tmp_path), args, {("POST", "/oauth/token"): echo_headers(401)})
    outcome.expect(1, "error: POST /oauth/token failed: HTTP 401")
    (run,) = json.loads(outcome.stdout)["runs"]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("POST /oauth/token failed: HTTP 401 echo Basic ***")
    assert run["results"] == []


@pytest.mark.timeout(TIME_BOUND)
def test_plan_against_an_api_echoing_the_bearer_token(echo_server: Any, tmp_path: Path) -> None:
    outcome = run_echoing(
        echo_server, project(tmp_path), ["plan", "manifests"], {("GET", VOICE.collection): echo_headers(400)}
    )
    outcome.expect(1, f"error: GET {VOICE.collection} failed: HTTP 400")
    assert "Bearer " not in outcome.output.replace("Bearer ***", "")


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("secret", [TRICKY["quote-backslash"], TRICKY["slash-plus-equals"]], ids=["json", "url"])
def test_apply_against_an_api_echoing_the_request_body(echo_server: Any, tmp_path: Path, secret: str) -> None:
    """The webhook's ``${env:CRM_WEBHOOK_PASSWORD}`` comes back JSON-escaped and URL-encoded: in no output or file."""
    routes = {("POST", HOOK.collection): echo_headers(400)}
    args = ["apply", "manifests", "--auto-approve"]
    outcome = run_echoing(echo_server, project(tmp_path), args, routes, {"CRM_WEBHOOK_PASSWORD": secret})
    outcome.expect(1, f"POST {HOOK.collection} failed: HTTP 400", secrets=[SECRET, secret])
    assert any(p.name == "audit.jsonl" for p in outcome.files), "the audit log was written (and checked)"



# ---- a server that splits what it echoes across its fields -----------------------------
def split_echo(secret: str) -> Callable[[httpx.Request], httpx.Response]:
    """Half the secret in ``code``, the other half in ``message``: neither field holds it whole."""
    half = len(secret) // 2

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={"code": f"bad.{secret[:half]}", "message": f"{secret[half:]} is not accepted",
                  "details": [{"errorMessage": f"starts {secret[:half]}"}]},
        )

    return answer


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_an_api_splitting_the_echoed_secret_across_its_fields_shows_neither_half(
    target: Target, router: respx.MockRouter, secret: str
) -> None:
    router.post("/oauth/token").mock(return_value=httpx.Response(200, json={"access_token": TOKEN}))
    router.post(HOOK.collection).mock(side_effect=split_echo(secret))
    body = {"name": "crm", "authSecret": secret, "url": "https://crm.example.com"}
    message = await message_of(target, lambda client: client.create(HOOK, body))
    half = len(secret) // 2
    assert secret[:half] not in message and secret[half:] not in message, message
    assert f"POST {HOOK.collection} failed" in message and "is not accepted" in message  # the rest still reads


@pytest.mark.timeout(TIME_BOUND)
def test_fragments_are_masked_from_half_a_short_secret_and_eight_characters_of_a_long_one() -> None:
    long_secret, short_secret = "k3y-7f2a91c0d4e8b6", "s3cr3t-pw1"
    # eight characters of the long secret are a run; seven are not
    assert replace_fragments("see 7f2a91c0 here", [long_secret]) == "see *** here"
    assert replace_fragments("see 7f2a91c here", [long_secret]) == "see 7f2a91c here"
    # half the short one (5 of 10) is a run; four characters are not
    assert replace_fragments("was s3cr3 or t-pw1", [short_secret]) == "was *** or ***"
    assert replace_fragments("was s3cr only", [short_secret]) == "was s3cr only"
    # runs that touch or overlap become one mask, and text sharing no run is returned as it was
    assert replace_fragments("k3y-7f2a91c0d4e8b6s3cr3t-pw1!", [long_secret, short_secret]) == "***!"
    assert replace_fragments("nothing to hide", [long_secret, short_secret]) == "nothing to hide"


# ---- a short secret's pieces inside ordinary words -------------------------------------
#: the README quickstart's webhook password: short, and made of an ordinary word
SHORT = "change-me"
ORDINARY = "the webhook changed since it was read: exchange it for the unchanged one"


@pytest.mark.timeout(TIME_BOUND)
def test_a_run_of_a_short_secret_inside_a_longer_word_is_not_masked() -> None:
    forms = secret_forms(SHORT)
    # "change" is a run of "change-me" (at least half of it): it was "the webhook ***d since"
    assert replace_fragments(ORDINARY, forms) == ORDINARY
    # a piece standing apart from the words around it is still masked, and a whole form anywhere
    assert replace_fragments("bad.chan", forms) == "bad.***"
    assert replace_fragments("ge-me is not accepted", forms) == "*** is not accepted"
    assert replace_fragments("xchange-mex", forms) == "x***x"
    # a long secret's run (8 characters) is no ordinary word's: masked inside a word too
    assert replace_fragments("x7f2a91c0x", ["k3y-7f2a91c0d4e8b6"]) == "x***x"


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_a_short_secret_leaves_a_servers_words_whole_and_its_split_echo_hidden(
    router: respx.MockRouter,
) -> None:
    target = Target(kind="genesys", api_url=API, login_url=API, client_id=CLIENT_ID, client_secret=SECRET)
    router.post("/oauth/token").mock(return_value=httpx.Response(200, json={"access_token": TOKEN}))
    route = router.post(HOOK.collection)
    body = {"name": "crm", "authSecret": SHORT, "url": "https://crm.example.com"}

    route.mock(return_value=httpx.Response(400, json={"code": "bad.request", "message": ORDINARY}))
    assert ORDINARY in await message_of(target, lambda client: client.create(HOOK, body))

    route.mock(side_effect=split_echo(SHORT))
    message = await message_of(target, lambda client: client.create(HOOK, body))
    half = len(SHORT) // 2
    assert SHORT[:half] not in message and SHORT[half:] not in message, message
    assert "is not accepted" in message
