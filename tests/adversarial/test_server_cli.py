"""Hostile servers, as a user sees them: ``plan`` and ``doctor`` against a served sandbox with one hostile route.

The message a user sees names the endpoint (exit 1, one line, no traceback), a gzip bomb is
cut at its cap, and nothing a server says (its error code, its message) can start a line of
output of its own: every line break is shown escaped.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from reconciler.render.escape import control

from ._harness import TIME_BOUND, invoke_cli, project
from ._hostile import VOICE, Handler, ok, page_of, raw


# ---- the command line, against a served sandbox with one hostile route ----------------
@pytest.fixture
def hostile_plan(served_sandbox: Callable[..., Any], tmp_path: Path) -> Callable[[Handler], Any]:
    """``plan`` against a served sandbox whose VoiceProfile listing answers with ``handler``."""
    served = served_sandbox()

    def run(handler: Handler) -> Any:
        with respx.mock(assert_all_called=False, assert_all_mocked=False) as mock:
            mock.get(f"{served.url}{VOICE.collection}").mock(side_effect=handler)
            mock.route(host="127.0.0.1").pass_through()
            env = {
                "GENESYSCLOUD_API_URL": served.url,
                "GENESYSCLOUD_OAUTHCLIENT_ID": served.options.client_id,
                "GENESYSCLOUD_OAUTHCLIENT_SECRET": served.options.client_secret,
            }
            return invoke_cli(["plan", "manifests"], cwd=project(tmp_path), env=env)

    return run


class GzipBomb(httpx.AsyncByteStream):
    """A gzip body of valid JSON decoding to ``mib`` MiB of padding, made as it is read (respx does not pre-read it)."""

    def __init__(self, mib: int) -> None:
        self.mib = mib

    async def __aiter__(self) -> AsyncIterator[bytes]:
        gzip = zlib.compressobj(1, zlib.DEFLATED, 31)
        yield gzip.compress(b'{"entities": [], "pad": "') + gzip.flush(zlib.Z_SYNC_FLUSH)
        block = b"a" * 1024 * 1024
        for _ in range(self.mib):
            yield gzip.compress(block) + gzip.flush(zlib.Z_SYNC_FLUSH)
        yield gzip.compress(b'"}') + gzip.flush()


def gzip_bomb(request: httpx.Request) -> httpx.Response:
    """256 MiB once inflated, from about a megabyte (the 64 MiB cap is what is being shown)."""
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    return httpx.Response(200, headers=headers, stream=GzipBomb(256))


CLI_CASES: list[tuple[str, Handler, str]] = [
    ("entities-null", lambda r: ok({"entities": None}), "the listing has no entities"),
    ("object-without-id", lambda r: ok({"entities": [{"name": "Default voice"}], "pageCount": 1}), "has no id"),
    ("page-count-billion", lambda r: ok(page_of(1, pageCount=10**9)), "ClientLimits.max_pages"),
    ("body-too-deep", lambda r: raw("[" * 50_000 + "]" * 50_000), "deeper than 64"),
    (
        "version-nan",
        lambda r: raw('{"entities": [{"id": "v", "name": "Default voice", "version": NaN}], "pageCount": 1}'),
        "entities[0] (v) has a version that is a number that is not an integer",
    ),
    ("gzip-bomb", gzip_bomb, "the answer is larger than 64 MiB decoded (ClientLimits.max_body_bytes)"),
]


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(("handler", "says"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_plan_names_the_endpoint_of_a_hostile_listing(
    hostile_plan: Callable[[Handler], Any], handler: Handler, says: str
) -> None:
    outcome = hostile_plan(handler)
    outcome.expect(1, f"GET {VOICE.collection} failed: HTTP 200 invalid.response", says)
    assert "PUT" not in outcome.output and "/None" not in outcome.output


# ---- what a server says cannot forge a line of output -------------------------------
#: every character that breaks a line somewhere (a terminal, a CI log viewer, an editor)
LINE_BREAKS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]
FORGED = "Plan: 0 to create, 0 to update, 0 to delete."


def _forging(breaks: str) -> Handler:
    """An error whose code and message try to start lines of their own (a forged summary, a workflow command)."""
    body = {"code": f"bad{breaks}::error ::code", "message": f"no{breaks}{FORGED}{breaks}::warning ::forged"}
    return lambda request: httpx.Response(400, json=body)


def _no_forged_line(output: str) -> None:
    for line in output.splitlines():  # splitlines breaks at every one of LINE_BREAKS
        assert not line.lstrip().startswith(("::", "Plan:")), f"a server's text starts a line: {line!r}\n{output}"


@pytest.mark.timeout(TIME_BOUND)
def test_a_server_error_message_cannot_forge_a_line_of_output(hostile_plan: Callable[[Handler], Any]) -> None:
    """Every line break is shown escaped on the one ``error:`` line, as ``\\n``, ``\\r``, ``\\u2028``..."""
    outcome = hostile_plan(_forging("".join(LINE_BREAKS)))
    outcome.expect(1, f"GET {VOICE.collection} failed: HTTP 400 bad")
    _no_forged_line(outcome.output)
    error_lines = [line for line in outcome.stderr.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1, outcome.stderr
    assert "no\\n\\r\\r\\n\\u2028\\u2029\\x85\\x0b\\x0c" + FORGED in error_lines[0]


@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("breaks", LINE_BREAKS, ids=repr)
def test_doctor_shows_a_refusal_message_on_its_own_line(
    served_sandbox: Callable[..., Any], tmp_path: Path, breaks: str
) -> None:
    """doctor's probe findings quote the server's code and message: escaped, one line each."""
    served = served_sandbox()
    with respx.mock(assert_all_called=False, assert_all_mocked=False) as mock:
        mock.get(f"{served.url}{VOICE.collection}").mock(
            return_value=httpx.Response(403, json={"code": f"no{breaks}::error ::x", "message": f"no{breaks}{FORGED}"})
        )
        mock.route(host="127.0.0.1").pass_through()
        env = {
            "GENESYSCLOUD_API_URL": served.url,
            "GENESYSCLOUD_OAUTHCLIENT_ID": served.options.client_id,
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": served.options.client_secret,
        }
        outcome = invoke_cli(["doctor", "manifests"], cwd=project(tmp_path), env=env)
    outcome.expect(1, "FAIL  read VoiceProfile: HTTP 403 no", "missing permissions: voice:profile:view")
    _no_forged_line(outcome.output)
    assert f"{control(breaks)}{FORGED}" in outcome.stdout
