"""Hostile servers: listings that never end or make no sense, answers that trickle, objects without identity.

Most cases drive the real :class:`~reconciler.genesys.GenesysClient` in process against
respx (the HTTP layer's unit tests use respx), with short limits so that each refusal
takes milliseconds: what matters is that the read ENDS, with an error naming the endpoint
and the field. The trickling server is a real socket on 127.0.0.1 (respx cannot trickle),
and a few cases run the ``plan`` command against a served sandbox with one hostile route,
to see the message a user sees (exit 1, one line, no traceback).
"""

from __future__ import annotations

import dataclasses
import random
import socket
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from reconciler.core.errors import ReconcilerError, TransportError
from reconciler.genesys import ClientLimits, GenesysClient, Target
from reconciler.kinds import Kind, get_kind
from reconciler.render.escape import control

from ._harness import TIME_BOUND, invoke_cli, project, secret_forms

API = "http://127.0.0.1:8997"
CLIENT_ID = "hostile-client"
CLIENT_SECRET = "Hostile\"server\\secret/+= ü"
TOKEN = "hostile-bearer-token-0042"
VOICE = get_kind("VoiceProfile")
TOPIC = get_kind("SpeechTopic")
LIMITS = ClientLimits(
    requests_per_minute=60_000, rate_burst=1000, backoff_initial=0.0, backoff_max=0.0, max_attempts=1,
    max_pages=50, max_extra_pages=3, request_deadline=2.0, timeout=1.0,
)  # fmt: skip

Handler = Callable[[httpx.Request], httpx.Response]


def ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


def raw(text: str) -> httpx.Response:
    return httpx.Response(200, content=text.encode(), headers={"Content-Type": "application/json"})


def page_of(n: int, **extra: Any) -> dict[str, Any]:
    return {"entities": [{"id": f"id-{n}-{i}", "name": f"o {n} {i}"} for i in range(2)], "pageNumber": n, **extra}


def same_page_forever(request: httpx.Request) -> httpx.Response:
    number = int(request.url.params.get("pageNumber", "1"))
    return ok(page_of(number, pageCount=1, nextUri=f"{VOICE.collection}?pageNumber=2"))


def growing(request: httpx.Request) -> httpx.Response:
    number = int(request.url.params.get("pageNumber", "1"))
    return ok(page_of(number, pageCount=number + 1, nextUri=f"{VOICE.collection}?pageNumber={number + 1}"))


def endless_cursor(request: httpx.Request) -> httpx.Response:
    after = int(request.url.params.get("after", "0"))
    entities = [{"id": f"t{after}", "name": f"t{after}"}]
    return ok({"entities": entities, "nextUri": f"{TOPIC.collection}?after={after + 1}"})


def nested(depth: int) -> str:
    return '{"entities": [{"id": "a", "name": "a", "x": ' + "[" * depth + "]" * depth + "}]}"


#: (case, kind, handler, what the message must say)
LISTINGS: list[tuple[str, Kind, Handler, tuple[str, ...]]] = [
    ("entities-string", VOICE, lambda r: ok({"entities": "oops"}), ("entities that are a string",)),
    ("entities-number", VOICE, lambda r: ok({"entities": 42}), ("entities that are a number",)),
    ("entities-null", VOICE, lambda r: ok({"entities": None}), ("no entities",)),
    ("entities-missing", VOICE, lambda r: ok({"pageCount": 1}), ("no entities",)),
    ("entities-object", VOICE, lambda r: ok({"entities": {"id": "a"}}), ("entities that are an object",)),
    ("entity-string", VOICE, lambda r: ok({"entities": ["a"]}), ("entities[0] is a string",)),
    ("entity-null", VOICE, lambda r: ok({"entities": [{"id": "a", "name": "a"}, None]}), ("entities[1] is null",)),
    ("entity-no-id", VOICE, lambda r: ok({"entities": [{"name": "a"}]}), ("entities[0] has no id",)),
    ("entity-id-null", VOICE, lambda r: ok({"entities": [{"id": None, "name": "a"}]}), ("entities[0] has no id",)),
    ("entity-id-number", VOICE, lambda r: ok({"entities": [{"id": 7, "name": "a"}]}), ("id that is a number",)),
    ("entity-id-empty", VOICE, lambda r: ok({"entities": [{"id": " ", "name": "a"}]}), ("an empty id",)),
    ("entity-id-dotdot", VOICE, lambda r: ok({"entities": [{"id": "..", "name": "a"}]}), ("cannot name one object",)),
    ("entity-id-newline", VOICE, lambda r: ok({"entities": [{"id": "a\nb", "name": "a"}]}), ("cannot name one",)),
    ("entity-no-name", VOICE, lambda r: ok({"entities": [{"id": "a"}]}), ("entities[0] (a) has no name",)),
    ("entity-name-number", VOICE, lambda r: ok({"entities": [{"id": "a", "name": 3}]}), ("name that is a number",)),
    (
        "entity-version-nan",  # once a pydantic traceback in the plan (a revision is an integer or a string)
        VOICE,
        lambda r: raw('{"entities": [{"id": "a", "name": "a", "version": NaN}]}'),
        ("entities[0] (a) has a version that is a number that is not an integer",),
    ),
    (
        "entity-version-huge",
        VOICE,
        lambda r: raw('{"entities": [{"id": "a", "name": "a", "version": 1e308}]}'),
        ("has a version that is a number that is not an integer",),
    ),
    (
        "entity-revision-object",
        TOPIC,
        lambda r: ok({"entities": [{"id": "t", "name": "t", "dateModified": {"at": 1}}]}),
        ("entities[0] (t) has a dateModified that is an object",),
    ),
    ("not-json", VOICE, lambda r: raw("<html>proxy error</html>"), ("the answer is not JSON",)),
    ("json-array", VOICE, lambda r: ok([1, 2]), ("an array, not a JSON object",)),
    ("json-null", VOICE, lambda r: raw("null"), ("null, not a JSON object",)),
    ("nested-100000", VOICE, lambda r: raw("[" * 100_000 + "]" * 100_000), ("deeper than 64",)),
    ("nested-in-entity", VOICE, lambda r: raw(nested(65)), ("deeper than 64",)),
    ("page-count-billion", VOICE, lambda r: ok(page_of(1, pageCount=1_000_000_000)), ("ClientLimits.max_pages",)),
    ("page-count-string", VOICE, lambda r: ok(page_of(1, pageCount="3")), ("pageCount is a string",)),
    ("page-count-negative", VOICE, lambda r: ok(page_of(1, pageCount=-1)), ("pageCount is -1",)),
    ("page-count-float", VOICE, lambda r: ok(page_of(1, pageCount=2.5)), ("pageCount is 2.5",)),
    ("page-count-past-total", VOICE, lambda r: ok(page_of(1, pageCount=40, total=5)), ("more than total 5",)),
    ("next-uri-self", VOICE, lambda r: ok(page_of(1, nextUri="/x?p=1", selfUri="/x?p=1")), ("repeats a page",)),
    ("next-uri-repeated", VOICE, same_page_forever, ("nextUri though its pageCount is 1",)),
    ("page-count-growing", VOICE, growing, ("kept growing",)),
    ("next-uri-number", VOICE, lambda r: ok(page_of(1, nextUri=5)), ("nextUri is a number",)),
    ("next-uri-repeated-cursor", TOPIC, lambda r: ok(page_of(1, nextUri=f"{TOPIC.collection}?after=x")), ("repeats",)),
    (
        "cursor-repeated",  # fresh objects on the second page: it is the cursor that repeats, spelt another way
        TOPIC,
        lambda r: ok(
            page_of(2 if "after" in r.url.params else 1,
                    nextUri=f"{API if 'after' in r.url.params else ''}{TOPIC.collection}?after=a")
        ),
        ("cursor repeats",),
    ),
    (
        "page-number-stuck",  # pageCount promises 40 pages; every page says it is page 1, with the same objects
        VOICE,
        lambda r: ok(page_of(1, pageCount=40, total=80, pageSize=2)),
        ("page 2 was asked for, the answer is page 1",),
    ),
    (
        "page-repeated",  # each page says the number asked for, but holds the same objects
        VOICE,
        lambda r: ok(page_of(1, pageNumber=int(r.url.params["pageNumber"]), pageCount=40, total=80, pageSize=2)),
        ("repeats a page already read: all 2 of its objects were listed before",),
    ),
    (
        "cursor-same-page",  # a fresh cursor on every page, and the same objects
        TOPIC,
        lambda r: ok(page_of(1, nextUri=f"{TOPIC.collection}?after={int(r.url.params.get('after', '0')) + 1}")),
        ("page 2 repeats a page already read",),
    ),
    ("cursor-endless", TOPIC, endless_cursor, ("ceiling of 50 pages",)),
    ("cursor-leaves", TOPIC, lambda r: ok(page_of(1, nextUri="/api/v2/users?after=1")), ("leaves the collection",)),
    (
        "cursor-control-chars",
        TOPIC,
        lambda r: ok(page_of(1, nextUri="/x\n::error ::forged?after=1")),
        ("leaves the collection: /x\\n::error",),
    ),
]


@pytest.fixture
def target() -> Target:
    return Target(kind="genesys", api_url=API, login_url=API, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False, assert_all_mocked=True) as mock:
        mock.post("/oauth/token").mock(return_value=ok({"access_token": TOKEN, "expires_in": 86400}))
        yield mock


async def refused(target: Target, call: Callable[[GenesysClient], Any], limits: ClientLimits = LIMITS) -> str:
    """Run ``call`` on a fresh client; it must fail with one of our errors, quickly; return its message."""
    started = time.monotonic()
    async with GenesysClient(target, limits=limits, rng=random.Random(1)) as client:
        with pytest.raises(ReconcilerError) as caught:
            await call(client)
    assert time.monotonic() - started < 10, "a hostile answer must be refused quickly"
    message = str(caught.value)
    for form in (*secret_forms(CLIENT_SECRET, CLIENT_ID), TOKEN):
        assert form not in message
    assert "\n" not in message, f"a one-line message, not {message!r}"
    return message


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(("kind", "handler", "says"), [c[1:] for c in LISTINGS], ids=[c[0] for c in LISTINGS])
async def test_a_hostile_listing_is_an_error_naming_the_endpoint_and_the_field(
    target: Target, router: respx.MockRouter, kind: Kind, handler: Handler, says: tuple[str, ...]
) -> None:
    route = router.get(kind.collection).mock(side_effect=handler)
    message = await refused(target, lambda client: client.list_all(kind))
    assert f"GET {kind.collection}" in message
    for text in says:
        assert text in message
    assert route.call_count <= LIMITS.max_pages


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_the_page_ceiling_stops_an_honest_looking_listing(target: Target, router: respx.MockRouter) -> None:
    router.get(VOICE.collection).mock(side_effect=lambda r: ok(page_of(int(r.url.params["pageNumber"]), pageCount=51)))
    message = await refused(target, lambda client: client.list_all(VOICE))
    assert "pageCount 51 is past the ceiling of 50 pages (ClientLimits.max_pages)" in message


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_a_reference_listing_that_repeats_its_next_page_ends(target: Target, router: respx.MockRouter) -> None:
    read = get_kind("TtsSettings").live_checks[0].reads[0]
    route = router.get(read.path).mock(return_value=ok({"entities": [{"id": "e"}], "nextUri": f"{read.path}?p=2"}))
    message = await refused(target, lambda client: client.list_reference(read))
    assert f"GET {read.path}" in message and "repeats a page" in message
    assert route.call_count == 2


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_a_reference_listing_whose_pages_all_say_page_1_ends(target: Target, router: respx.MockRouter) -> None:
    """Fresh objects and a fresh nextUri on every page, each calling itself page 1: read to the ceiling, before."""
    read = get_kind("TtsSettings").live_checks[0].reads[0]
    assert read.paging == "pages"

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["pageNumber"])
        return ok({"entities": [{"id": f"e{number}"}], "pageNumber": 1, "nextUri": f"{read.path}?p={number + 1}"})

    route = router.get(read.path).mock(side_effect=answer)
    message = await refused(target, lambda client: client.list_reference(read))
    assert f"GET {read.path} failed: HTTP 200 invalid.response: page 2 was asked for, the answer is page 1" in message
    assert route.call_count == 2


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize(
    ("body", "says"),
    [({"name": "no id"}, "the object has no id"), ({"id": 12}, "id that is a number"), ([], "an array")],
    ids=["no-id", "id-number", "array"],
)
async def test_a_malformed_object_is_an_error_naming_the_field(
    target: Target, router: respx.MockRouter, body: Any, says: str
) -> None:
    router.get(f"{VOICE.collection}/v1").mock(return_value=ok(body))
    message = await refused(target, lambda client: client.get(VOICE, "v1"))
    assert f"GET {VOICE.collection}/v1" in message and says in message


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_a_created_object_without_id_is_never_written_to_none(target: Target, router: respx.MockRouter) -> None:
    router.post(VOICE.collection).mock(return_value=httpx.Response(200, json={"name": "p"}))
    listed = router.get(VOICE.collection).mock(return_value=ok({"entities": [], "pageCount": 1}))
    limits = dataclasses.replace(LIMITS, max_attempts=2)
    message = await refused(target, lambda client: client.create(VOICE, {"name": "p"}), limits)
    assert f"POST {VOICE.collection}" in message and "the created object has no id" in message
    assert listed.called  # the lost create was looked for by name, not written again blindly
    assert not any("/None" in str(call.request.url) for call in router.calls)


# ---- the overall deadline: a server that trickles one header byte at a time -------------
class _SocketServer:
    """A loopback socket server on a free port, serving from a daemon thread until :meth:`close`."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


class Trickler(_SocketServer):
    """A loopback socket server that answers every request one byte every ``pause`` seconds."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.requests = 0
        super().__init__()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.requests += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                if self.stop.wait(self.pause):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
@pytest.mark.parametrize("attempts", [1, 2], ids=["one-attempt", "retried"])
async def test_a_trickling_server_cannot_keep_a_request_alive(attempts: int) -> None:
    """Each byte comes well within the read timeout; only the overall deadline ends the request."""
    server = Trickler(pause=0.1)
    try:
        target = Target(kind="genesys", api_url=server.url, login_url=server.url, client_id="c", client_secret="s")
        limits = ClientLimits(
            request_deadline=0.8, timeout=0.5, max_attempts=attempts, backoff_initial=0.0, backoff_max=0.0
        )
        started = time.monotonic()
        async with GenesysClient(target, limits=limits) as client:
            with pytest.raises(TransportError) as caught:
                await client.list_all(VOICE)
        assert time.monotonic() - started < 0.8 * attempts + 2
        assert caught.value.retryable and caught.value.code == "deadline"
        assert "no complete answer within 0.8 s" in str(caught.value)
        assert "ClientLimits.request_deadline" in str(caught.value)
        assert server.requests == attempts
    finally:
        server.close()


class Silent(_SocketServer):
    """A loopback socket server that takes every connection and request and never answers."""

    def __init__(self) -> None:
        self.connections = 0
        super().__init__()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        held = []
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            held.append(conn)  # open and unanswered until the test ends
        for conn in held:
            conn.close()


@pytest.mark.anyio
@pytest.mark.timeout(TIME_BOUND)
async def test_a_login_never_answered_is_the_logins_error_after_its_own_attempts() -> None:
    """Each token request times out (0.3 s a read); three of them outlast the 0.5 s request deadline.

    Before, that deadline cut the login short and the error named the API call
    (``GET /api/v2/voice/profiles failed: deadline``), whose retries started the login over.
    """
    server = Silent()
    try:
        target = Target(kind="genesys", api_url=server.url, login_url=server.url, client_id="c", client_secret="s")
        limits = ClientLimits(request_deadline=0.5, timeout=0.3, max_attempts=3, backoff_initial=0.0, backoff_max=0.0)
        started = time.monotonic()
        async with GenesysClient(target, limits=limits) as client:
            with pytest.raises(TransportError) as caught:
                await client.list_all(VOICE)
        took = time.monotonic() - started
        assert str(caught.value) == (
            "POST /oauth/token failed: timeout: timed out waiting for the answer [correlation id: none]"
        )
        assert server.connections == 3  # the login's three attempts; no API request was sent
        assert 0.9 <= took < 0.9 + 2
    finally:
        server.close()


def test_the_limits_refuse_a_deadline_or_ceiling_that_cannot_work() -> None:
    from reconciler.core.errors import ConfigError

    for bad in ({"request_deadline": 0}, {"max_pages": 0}, {"max_extra_pages": -1}):
        with pytest.raises(ConfigError, match="invalid client limits"):
            ClientLimits(**bad)  # type: ignore[arg-type]  # the dict's values are the fields' types


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
