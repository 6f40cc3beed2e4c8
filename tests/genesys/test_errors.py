"""Error mapping: one class per status/code, the facts to act on, never a token or a secret."""

from __future__ import annotations

import email.utils
import time
import uuid

import httpx
import pytest
import respx

from reconciler.core.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DuplicateNameError,
    InvalidRequestError,
    NotFoundError,
    PermanentError,
    PermissionError_,
    RateLimitedError,
    RetryableError,
    ServerError,
    TransportError,
    VersionMismatchError,
)
from reconciler.genesys import GenesysClient
from reconciler.genesys.errors import error_from_exception, error_from_response, is_ambiguous, parse_retry_after

from ._support import CLIENT_SECRET, HOOK, TOKEN, error_body

pytestmark = pytest.mark.anyio

REQUEST = httpx.Request("PUT", "http://127.0.0.1:8999/api/v2/webhooks/w1")


def response(status: int, body: object = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers, request=REQUEST)


class TestClassFromStatusAndCode:
    @pytest.mark.parametrize(
        "status,code,cls",
        [
            (400, "bad.request", BadRequestError),
            (401, "authentication.required", AuthenticationError),
            (403, "missing.any.permissions", PermissionError_),
            (404, "not.found", NotFoundError),
            (409, "duplicate.name", DuplicateNameError),
            (409, "version.mismatch", VersionMismatchError),
            (409, "something.else", ConflictError),
            (429, "too.many.requests", RateLimitedError),
            (500, "internal.server.error", ServerError),
            (503, "service.unavailable", ServerError),
            (418, "teapot", PermanentError),
        ],
    )
    def test_mapping(self, status: int, code: str, cls: type[ApiError]) -> None:
        error = error_from_response(response(status, error_body(status, code)), method="PUT", path="/p")
        assert type(error) is cls
        assert (error.status, error.code) == (status, code)

    def test_retryable_and_permanent_branches(self) -> None:
        assert isinstance(error_from_response(response(503, {}), method="GET", path="/p"), RetryableError)
        assert isinstance(error_from_response(response(429, {}), method="GET", path="/p"), RetryableError)
        assert isinstance(error_from_response(response(409, {}), method="GET", path="/p"), PermanentError)

    def test_code_defaults_from_status_when_the_body_is_not_json(self) -> None:
        raw = httpx.Response(503, text="<html>down</html>", request=REQUEST)
        error = error_from_response(raw, method="GET", path="/p")
        assert isinstance(error, ServerError) and error.code == "service.unavailable"


class TestWhatAnErrorCarries:
    def test_status_code_message_correlation_method_path_and_fields(self) -> None:
        body = error_body(400, "bad.request", "requestUrl is invalid",
                          details=[{"errorCode": "invalid", "fieldName": "requestUrl"}])
        error = error_from_response(response(400, body, **{"ININ-Correlation-Id": "c-42"}),
                                    method="PUT", path="/api/v2/webhooks/w1")
        assert (error.status, error.code, error.api_message) == (400, "bad.request", "requestUrl is invalid")
        assert (error.correlation_id, error.method, error.path) == ("c-42", "PUT", "/api/v2/webhooks/w1")
        text = str(error)
        for part in ("PUT /api/v2/webhooks/w1", "HTTP 400 bad.request", "requestUrl is invalid", "fields: requestUrl",
                     "correlation id: c-42"):
            assert part in text

    def test_correlation_id_falls_back_to_context_id(self) -> None:
        error = error_from_response(response(404, error_body(404, "not.found")), method="GET", path="/p")
        assert error.correlation_id == "ctx-1"

    def test_secrets_echoed_by_the_server_are_blanked(self) -> None:
        body = error_body(400, "bad.request", f"bad value s3cr3t-hook and {TOKEN}",
                          details=[{"errorCode": "x", "fieldName": "authSecret", "message": "s3cr3t-hook"}])
        error = error_from_response(response(400, body), method="PUT", path="/p", secrets=["s3cr3t-hook", TOKEN])
        assert "s3cr3t-hook" not in str(error) and TOKEN not in str(error)
        assert "s3cr3t-hook" not in repr(error.details)

    async def test_client_never_puts_token_secret_or_body_in_errors(self, client: GenesysClient,
                                                                    router: respx.MockRouter) -> None:
        spec = {"requestUrl": "https://example.org/h", "eventFilters": [{"event": "rules.updated"}],
                "authScheme": "bearer", "authSecret": "hook-secret-xyz"}
        echo = f"rejected {TOKEN} {CLIENT_SECRET} hook-secret-xyz"
        router.post("/api/v2/webhooks").mock(return_value=httpx.Response(400, json=error_body(400, "bad.request", echo)))
        with pytest.raises(BadRequestError) as info:
            await client.create(HOOK, HOOK.api_body("H", spec))
        text = f"{info.value} {info.value!r} {info.value.api_message} {info.value.details}"
        for secret in (TOKEN, CLIENT_SECRET, "hook-secret-xyz", "Bearer"):
            assert secret not in text
        assert "example.org" not in text  # the body is never quoted


class TestCorrelationIdIsBounded:
    """The id is the server's text, repeated in errors, JSON output, audit records and logs: kept short and printable."""

    def test_a_megabyte_id_is_cut_and_says_so(self) -> None:
        huge = "a" * 1_000_000
        error = error_from_response(response(500, {}, **{"ININ-Correlation-Id": huge}), method="GET", path="/p")
        assert error.correlation_id == "a" * 120 + "...(cut)"
        assert len(str(error)) < 300

    @pytest.mark.parametrize(("sent", "kept"), [
        ("c-1\r\nX-Injected: yes", "c-1??X-Injected: yes"),
        ("c-2\x1b[31mred", "c-2?[31mred"),
        ("c-3\u2028é", "c-3??"),
    ], ids=["line-break", "escape", "non-ascii"])
    def test_only_printable_ascii_is_kept(self, sent: str, kept: str) -> None:
        answer = httpx.Response(400, json={}, headers=[(b"ININ-Correlation-Id", sent.encode())], request=REQUEST)
        error = error_from_response(answer, method="GET", path="/p")
        assert error.correlation_id == kept
        assert f"[correlation id: {kept}]" in str(error)

    def test_a_real_id_is_kept_whole(self) -> None:
        real = str(uuid.uuid4())
        error = error_from_response(response(404, {}, **{"ININ-Correlation-Id": real}), method="GET", path="/p")
        assert error.correlation_id == real

    @pytest.mark.parametrize(("sent", "kept"), [
        ("c" * 100, "c" * 100),
        ("d" * 1000, "d" * 120 + "...(cut)"),
        ("Bearer abc", None),
    ], ids=["longer-than-64", "megabyte-ish", "not-one-word"])
    def test_a_context_id_in_the_body_is_bounded_as_the_header_is(self, sent: str, kept: str | None) -> None:
        """Why: the body's contextId had a bound of its own (one word of 64 characters at most), so an id the
        header would have kept whole was dropped, and a longer one was not cut but lost."""
        error = error_from_response(response(404, {**error_body(404, "not.found"), "contextId": sent}),
                                    method="GET", path="/p")
        assert error.correlation_id == kept

    def test_an_error_made_anywhere_keeps_it_bounded(self) -> None:
        """The token fetch and the safe writes build errors with an id of their own reading."""
        error = AuthenticationError(401, "bad.credentials", "no", correlation_id="x\n" * 1000)
        assert error.correlation_id == "x?" * 60 + "...(cut)"

    async def test_a_successful_write_records_it_bounded(self, client: GenesysClient,
                                                         router: respx.MockRouter) -> None:
        """The id of an answered write goes to the audit trail (WriteResult.correlation_id)."""
        spec = {"requestUrl": "https://example.org/h", "eventFilters": [{"event": "rules.updated"}]}
        router.post("/api/v2/webhooks").mock(return_value=httpx.Response(
            200, json={"id": "w1", "name": "H", **spec}, headers={"ININ-Correlation-Id": "z\x7f" * 500_000}))
        result = await client.create(HOOK, HOOK.api_body("H", spec))
        assert result.correlation_id == "z?" * 60 + "...(cut)"


class TestRedirects:
    @pytest.mark.parametrize(
        ("location", "says"),
        [
            ("https://login.example.com/sso?client_secret=s3cr3t&x=1", "redirected to https://login.example.com, "),
            ("http://127.0.0.1:9/api/v2/voice/profiles", "redirected to http://127.0.0.1, "),
            ("/relative/path?token=abc", "redirected, "),
            ("http://[::1/", "redirected, "),
        ],
        ids=["other-host", "to-http", "relative", "unparseable"],
    )
    def test_a_redirect_says_so_and_shows_only_where_it_points(self, location: str, says: str) -> None:
        error = error_from_response(response(302, None, Location=location), method="GET", path="/p")
        assert isinstance(error, PermanentError) and error.code == "redirect"
        assert says in str(error) and "which is not followed" in str(error)
        assert "s3cr3t" not in str(error) and "token=abc" not in str(error) and "/sso" not in str(error)


class TestTransportFailures:
    @pytest.mark.parametrize(
        "exc,code,ambiguous",
        [
            (httpx.ReadTimeout("t"), "timeout", True),
            (httpx.WriteTimeout("t"), "timeout", True),
            (httpx.ConnectTimeout("t"), "connect.timeout", False),
            (httpx.PoolTimeout("t"), "pool.timeout", False),
            (httpx.ConnectError("t"), "connection.refused", False),
            (httpx.RemoteProtocolError("t"), "connection.dropped", True),
            (httpx.ReadError("t"), "connection.dropped", True),
            (httpx.ProxyError("t"), "connection.error", True),
        ],
    )
    def test_status_zero_and_a_code(self, exc: httpx.TransportError, code: str, ambiguous: bool) -> None:
        error = error_from_exception(exc, method="POST", path="/api/v2/webhooks")
        assert isinstance(error, TransportError)
        assert (error.status, error.code, error.method) == (0, code, "POST")
        assert is_ambiguous(error) is ambiguous
        assert "failed: " + code in str(error)

    def test_a_request_refused_before_sending_is_invalid_not_a_transport_failure(self) -> None:
        """h11 raises LocalProtocolError before a byte is sent: permanent, not ambiguous, the value it quotes unshown."""
        exc = httpx.LocalProtocolError("Illegal header value b'Bearer s3cr3t\\r\\n'")
        error = error_from_exception(exc, method="POST", path="/api/v2/webhooks")
        assert isinstance(error, InvalidRequestError) and isinstance(error, PermanentError)
        assert (error.status, error.code) == (0, "request.invalid")
        assert not is_ambiguous(error)
        assert "(Illegal header value)" in str(error) and "s3cr3t" not in str(error)

    @pytest.mark.parametrize(("said", "shown"), [
        ("Too much data for declared Content-Length", "(Too much data for declared Content-Length)"),
        ("Can't send data when our state is ERROR", "(Can't send data when our state is ERROR)"),
        ("b'secret' is illegal", "(refused by the HTTP library)"),
    ])
    def test_only_the_words_of_the_librarys_reason_are_shown(self, said: str, shown: str) -> None:
        error = error_from_exception(httpx.LocalProtocolError(said), method="GET", path="/p")
        assert shown in str(error)

    def test_408_is_retryable_and_ambiguous_like_a_504(self) -> None:
        """A 408 (the platform's request.timeout) may have been cut off after the write landed, as a gateway's
        504: a write so answered is looked for before it is sent again, never taken as refused."""
        error = error_from_response(response(408, error_body(408, "request.timeout")), method="POST", path="/p")
        assert isinstance(error, ServerError) and isinstance(error, RetryableError)
        assert (error.status, error.code) == (408, "request.timeout")
        assert is_ambiguous(error)
        bare = error_from_response(response(408, None), method="GET", path="/p")
        assert bare.code == "request.timeout"

    def test_5xx_is_ambiguous_429_and_4xx_are_not(self) -> None:
        assert is_ambiguous(error_from_response(response(500, {}), method="POST", path="/p"))
        assert not is_ambiguous(error_from_response(response(429, {}), method="POST", path="/p"))
        assert not is_ambiguous(error_from_response(response(400, {}), method="POST", path="/p"))


class TestRetryAfterHeader:
    def test_whole_seconds(self) -> None:
        error = error_from_response(response(429, {}, **{"Retry-After": "7"}), method="GET", path="/p")
        assert isinstance(error, RateLimitedError) and error.retry_after == 7.0

    def test_http_date(self) -> None:
        when = email.utils.formatdate(time.time() + 30, usegmt=True)
        parsed = parse_retry_after(when)
        assert parsed is not None and 25 <= parsed <= 31

    @pytest.mark.parametrize(
        "value", [None, "soon", "", "Fri, 31 Dec 999999999999999999999 23:59:59 GMT", "Fri, 31 Dec 99999 23:59:59 GMT"]
    )
    def test_absent_or_unreadable(self, value: str | None) -> None:
        assert parse_retry_after(value) is None

    def test_negative_is_zero(self) -> None:
        assert parse_retry_after("-3") == 0.0
