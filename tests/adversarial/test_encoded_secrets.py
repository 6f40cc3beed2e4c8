"""A server that base64-encodes a whole text holding a secret: no encoding of it gets out.

The base64 of a secret *alone* was masked, but a server that encodes what it was sent
(a debug field, a ``contextId`` made from the request) encodes the whole body,
``{"name":"x","authSecret":"s3cr3t-value"}``: the secret's bytes then stand at one of three
alignments in the encoded text, and its characters differ at each. Every alignment's
characters that only the secret decides are a form now (:mod:`reconciler.core.secrets`).
The forms these tests look for are derived here by comparing encodings, not by the code
under test (:func:`._harness.base64_cores`).
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

from reconciler.audit.redact import Redactor
from reconciler.core.errors import ReconcilerError
from reconciler.core.secrets import scrub
from reconciler.genesys import ClientLimits, GenesysClient, Target
from reconciler.kinds import get_kind

from ._harness import SECRET, TIME_BOUND, base64_cores, invoke_cli, project

API = "http://127.0.0.1:8994"
CLIENT_ID = "encoding-client"
TOKEN = "encoding-bearer-token-5521"
HOOK = get_kind("Webhook")
FAST = ClientLimits(requests_per_minute=60_000, rate_burst=1000, max_attempts=1, backoff_initial=0.0, backoff_max=0.0)
#: what the brief's server echoes; every alignment is tried by the prefixes below
VALUE = "s3cr3t-value"
#: secrets whose bytes give ``+`` and ``/`` in base64 (so base64url differs), and non-ASCII ones
SECRETS = {"plain": VALUE, "plus-slash": "??>>~~?>~-pw", "unicode": "pässwörd-ü-€", "harness": SECRET}


def encodings(text: str) -> tuple[str, ...]:
    """``text`` as a server may encode it: base64 and base64url, padded and not."""
    data = text.encode()
    standard, urlsafe = base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()
    return standard, standard.rstrip("="), urlsafe, urlsafe.rstrip("=")


def assert_no_core(text: str, *secrets: str) -> None:
    for secret in secrets:
        for core in base64_cores(secret):
            assert core not in text, f"{core!r} (base64 of {secret!r} at some alignment) in {text!r}"


@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
@pytest.mark.parametrize("prefix", ["", "x", "xy", '{"name":"x","authSecret":"'])
def test_scrub_masks_the_secret_inside_any_base64_encoded_text(secret: str, prefix: str) -> None:
    for encoded in encodings(prefix + secret + '"}'):
        shown = scrub(f"the body was {encoded}.", [secret])
        assert_no_core(shown, secret)
        assert shown.startswith("the body was ") and shown.endswith(".")


def test_the_base64_of_ordinary_text_without_the_secret_is_left_whole() -> None:
    text = " ".join(encodings('{"name":"x","description":"nothing secret here at all"}'))
    assert scrub(text, [VALUE, SECRET]) == text


@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
def test_the_audit_trail_masks_a_base64_encoded_body(secret: str) -> None:
    body = json.dumps({"name": "x", "authSecret": secret}, ensure_ascii=False, separators=(",", ":"))
    record = {"error": " | ".join(encodings(body)), "correlation_id": encodings("a" + body)[3]}
    shown = json.dumps(Redactor([secret]).value(record), ensure_ascii=False)
    assert_no_core(shown, secret)
    assert "(sensitive)" in shown


# ---- through the client's real error path ----------------------------------------------
def echo_encoded(request: httpx.Request) -> httpx.Response:
    """An error whose message, details and ``contextId`` carry the request body base64-encoded."""
    body = request.content.decode()
    standard, _, _, bare_urlsafe = encodings(body)
    return httpx.Response(
        400,
        json={
            "code": "bad.request",
            "message": f"could not read {standard}",
            "details": [{"fieldName": "body", "errorMessage": f"shifted {encodings('x' + body)[0]}"},
                        {"errorMessage": encodings("xy" + body)[2]}],
            "contextId": bare_urlsafe[:64],
        },
    )


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
async def test_an_api_echoing_the_base64_of_the_body_shows_no_encoding_of_the_secret(
    router: respx.MockRouter, secret: str
) -> None:
    target = Target(kind="genesys", api_url=API, login_url=API, client_id=CLIENT_ID, client_secret=SECRET)
    router.post("/oauth/token").mock(return_value=httpx.Response(200, json={"access_token": TOKEN}))
    router.post(HOOK.collection).mock(side_effect=echo_encoded)
    body = {"name": "x", "authSecret": secret, "requestUrl": "https://crm.example.com"}
    async with GenesysClient(target, limits=FAST, rng=random.Random(4)) as client:
        with pytest.raises(ReconcilerError) as caught:
            await client.create(HOOK, body)
    error = caught.value
    shown = " ".join([str(error), str(getattr(error, "correlation_id", "")), json.dumps(getattr(error, "details", []))])
    assert f"POST {HOOK.collection} failed: HTTP 400" in str(error) and "could not read " in str(error)
    assert_no_core(shown, secret)


# ---- the command line: output and the audit record --------------------------------------
@pytest.fixture
def served(served_sandbox: Callable[..., Any]) -> Any:
    return served_sandbox(client_secret=SECRET)


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("secret", [VALUE, SECRETS["plus-slash"]], ids=["plain", "plus-slash"])
def test_apply_against_an_api_echoing_the_base64_of_the_body(served: Any, tmp_path: Path, secret: str) -> None:
    root = project(tmp_path)
    with respx.mock(assert_all_called=False, assert_all_mocked=False) as mock:
        mock.route(method="POST", url=f"{served.url}{HOOK.collection}").mock(side_effect=echo_encoded)
        mock.route(host="127.0.0.1").pass_through()
        env = {"GENESYSCLOUD_API_URL": served.url, "GENESYSCLOUD_OAUTHCLIENT_ID": served.options.client_id,
               "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET, "CRM_WEBHOOK_PASSWORD": secret}
        outcome = invoke_cli(["apply", "manifests", "--auto-approve"], cwd=root, env=env)
    outcome.expect(1, f"POST {HOOK.collection} failed: HTTP 400", secrets=[SECRET, secret])
    audit = (root / ".reconciler" / "audit.jsonl").read_text(encoding="utf-8")
    assert "could not read " in audit, "the failed write's error is in the audit record"
    assert_no_core(audit + outcome.output, secret)
