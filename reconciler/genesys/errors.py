"""Turn an HTTP answer or a transport failure into the one error tree of :mod:`reconciler.core.errors`.

The class is chosen from the status and the Genesys ``ErrorBody`` code, never from
message text, with one exception the platform forces: a version conflict that some
endpoints answer as ``400`` with only the message "does not match the current version"
(CX as Code's ``util.IsVersionMismatch`` matches the same text), which is a
:class:`VersionMismatchError`, so it is reported as a stale object and never forced.
What an error keeps is the status, the code, the server's message, the correlation id
and the request's method and path: no header, no body. As a last guard, any string the
caller names as secret (the client secret and its Basic credential, the token, write-
only values of the request body, ``${env:…}`` values) is blanked out of the server's
message and details in every form a server may echo it (see
:mod:`reconciler.core.secrets`).
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

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
    ServerError,
    TransportError,
    VersionMismatchError,
)
from reconciler.core.http import bounded_correlation_id, library_reason
from reconciler.core.secrets import MIN_SECRET_LENGTH, REDACTED, all_forms, replace_fragments
from reconciler.genesys.answers import correlation_id as header_correlation_id
from reconciler.genesys.answers import parsed_json

#: The contract's code for each status, used when the body carries none.
DEFAULT_CODES = {
    400: "bad.request",
    401: "authentication.required",
    403: "missing.any.permissions",
    404: "not.found",
    408: "request.timeout",
    409: "conflict",
    429: "too.many.requests",
    500: "internal.server.error",
    502: "bad.gateway",
    503: "service.unavailable",
    504: "gateway.timeout",
}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionError_,
    404: NotFoundError,
}

_CONFLICTS: dict[str, type[ConflictError]] = {
    "duplicate.name": DuplicateNameError,
    "version.mismatch": VersionMismatchError,
}

#: the platform's text for a version conflict answered as ``400`` (CX as Code: ``IsVersionMismatch``)
VERSION_MISMATCH_TEXT = "does not match the current version"

#: statuses that are a server's failure to answer in time, not a refusal: retried, and a write so answered is
#: ambiguous. ``408``: CX as Code retries it in every retry predicate (``genesyscloud/util/util_retries.go``:
#: ``IsStatus400``, ``IsStatus404``, ``IsStatus409``, ``IsVersionMismatch`` each accept
#: ``http.StatusRequestTimeout``); it was a permanent error here, and one slow answer ended the apply
TIMED_OUT = frozenset({408})

#: what a body's ``contextId`` must look like to be taken (one word); its length is bounded where every id's is
_CONTEXT_ID = re.compile(r"[A-Za-z0-9._-]+")

#: Transport failures after which the request certainly never reached the server.
UNSENT_CODES = frozenset({"connection.refused", "connect.timeout", "pool.timeout"})

#: the code of a request the HTTP library refused to send (:class:`InvalidRequestError`)
INVALID_REQUEST = "request.invalid"


def error_from_response(
    response: httpx.Response, *, method: str, path: str, secrets: Iterable[str] = ()
) -> ApiError:
    """The error for a non-2xx answer."""
    status = response.status_code
    body = _json_object(response)
    # as every masker does: a shorter value (an ordinary field's ${env:...}; a write-only one is refused
    # that short, manifests.placeholders) would be masked inside words, which show it ("pe***missions")
    scrub = all_forms(secrets, min_length=MIN_SECRET_LENGTH)
    code = str(body.get("code") or body.get("error") or DEFAULT_CODES.get(status, f"http.{status}"))
    code = redact(code, scrub)
    message = str(body.get("message") or body.get("error_description") or response.reason_phrase or "")
    details = [d for d in body.get("details") or [] if isinstance(d, dict)]
    correlation_id = header_correlation_id(response) or _context_id(body.get("contextId"))
    kwargs: dict[str, Any] = {
        "method": method,
        "path": path,
        "correlation_id": redact(correlation_id, scrub) if correlation_id else None,
        "details": [{k: redact(v, scrub) if isinstance(v, str) else v for k, v in d.items()} for d in details],
    }
    if 300 <= status < 400 and not body:
        code, message = redirect(response)
    message = redact(message, scrub)
    if status == 429:
        return RateLimitedError(
            status, code, message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
        )
    if status >= 500 or status in TIMED_OUT:
        return ServerError(status, code, message, **kwargs)
    if status == 409:
        return _CONFLICTS.get(code, ConflictError)(status, code, message, **kwargs)
    if status == 400 and VERSION_MISMATCH_TEXT in message.casefold():
        return VersionMismatchError(status, code, message, **kwargs)
    cls = _BY_STATUS.get(status, PermanentError)
    return cls(status, code, message, **kwargs)


def redirect(response: httpx.Response) -> tuple[str, str]:
    """The code and message of a ``3xx``: no API answer redirects, and the client follows none (``follow_redirects``).

    Why a message of its own: "HTTP 302 http.302: Found" left the user guessing. A redirect
    says the URL is not the API's (a portal, a proxy's login page, ``http`` to ``https``): only
    the scheme and host it points to are shown, never its path or query (they may carry anything).
    """
    location = response.headers.get("Location")
    try:
        parts = urlsplit(location) if location else None
        where = f" to {parts.scheme}://{parts.hostname}" if parts and parts.scheme and parts.hostname else ""
    except ValueError:
        where = ""
    return "redirect", (
        f"the server redirected{where}, which is not followed: the API URL is not the API's "
        "(check --region / --api-url, GENESYSCLOUD_REGION / GENESYSCLOUD_API_URL)"
    )


def error_from_exception(
    exc: httpx.TransportError, *, method: str, path: str
) -> TransportError | InvalidRequestError:
    """The error for an exchange that produced no (complete) answer; status 0.

    A ``LocalProtocolError`` is our own request refused by the HTTP library (h11) before it
    was sent, an illegal header value most often: an :class:`InvalidRequestError`, never
    retried (it was taken for a dropped connection, ``connection.error``, and sent again).
    """
    if isinstance(exc, httpx.LocalProtocolError):
        return InvalidRequestError(
            0, INVALID_REQUEST, f"the request is malformed and was not sent ({library_reason(str(exc))}); "
            "sending it again cannot help", method=method, path=path,
        )  # fmt: skip
    if isinstance(exc, httpx.ConnectTimeout):
        code, text = "connect.timeout", "timed out connecting"
    elif isinstance(exc, httpx.PoolTimeout):
        code, text = "pool.timeout", "timed out waiting for a free connection"
    elif isinstance(exc, httpx.TimeoutException):
        code, text = "timeout", "timed out waiting for the answer"
    elif isinstance(exc, httpx.ConnectError):
        code, text = "connection.refused", "could not connect"
    elif isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        code, text = "connection.dropped", "the connection was dropped before a complete answer"
    else:
        code, text = "connection.error", type(exc).__name__
    return TransportError(0, code, text, method=method, path=path)


def deadline_error(seconds: float, *, method: str, path: str) -> TransportError:
    """A request that outlived its overall deadline: no complete answer, retried like a dropped connection."""
    return TransportError(
        0, "deadline", f"no complete answer within {seconds:g} s (the request deadline, ClientLimits.request_deadline)",
        method=method, path=path,
    )  # fmt: skip


def is_ambiguous(error: ApiError) -> bool:
    """True when a write may or may not have happened: no answer after sending, a 5xx or a 408."""
    if isinstance(error, TransportError):
        return error.code not in UNSENT_CODES
    return isinstance(error, ServerError)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: whole seconds (as Genesys sends) or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):  # a year of 21 digits overflows the parser: a traceback before
        return None


def redact(text: str, forms: Iterable[str]) -> str:
    """``text`` without any of ``forms`` (see :func:`reconciler.core.secrets.all_forms`), nor any long run of one.

    The runs (:func:`~reconciler.core.secrets.replace_fragments`): a server that splits an
    echoed secret between ``code`` and ``message`` leaves a whole form in neither.
    """
    return replace_fragments(text, forms, replacement=REDACTED)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    data = parsed_json(response)
    return data if isinstance(data, dict) else {}


def _context_id(value: Any) -> str | None:
    """The body's ``contextId`` if it looks like one (one word): a server echoing a header there shows nothing.

    Bounded by :func:`~reconciler.core.http.bounded_correlation_id`, as the header's id is: a bound
    of its own here (64 characters) dropped an id the header would have kept whole.
    """
    return bounded_correlation_id(value) if isinstance(value, str) and _CONTEXT_ID.fullmatch(value) else None
