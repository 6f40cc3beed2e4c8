"""The sandbox's answers: JSON rendering and the Genesys ``ErrorBody`` for every error.

Every error leaves the app through :class:`ApiProblem`, so that all of them share one
shape: ``{"message", "code", "status", "messageParams", "contextId", "details",
"errors"}`` with ``contextId`` equal to the response's ``ININ-Correlation-Id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.core.http import CORRELATION_HEADER as CORRELATION_HEADER  # re-exported: edge and openapi use it

#: HTTP status -> the Genesys error code the contract uses for it
CODES: dict[int, str] = {
    400: "bad.request",
    401: "authentication.required",
    403: "missing.any.permissions",
    404: "not.found",
    405: "method.not.allowed",
    409: "conflict",
    415: "unsupported.media.type",
    429: "too.many.requests",
    500: "internal.server.error",
    502: "bad.gateway",
    503: "service.unavailable",
    504: "gateway.timeout",
}


class JSON(JSONResponse):
    """JSON with ASCII escapes, so that any string a client sent (even a lone
    surrogate) can be echoed back without an encoding error."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


class ApiProblem(Exception):
    """An error answer; raised anywhere in a handler, rendered as an ``ErrorBody``.

    ``details`` holds ``(fieldName, message)`` pairs; messages must never contain a
    write-only value (the kinds' validators already guarantee that).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        error_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.details = list(details)
        self.headers = dict(headers or {})
        self.error_code = error_code or self.code

    def body(self, correlation_id: str) -> dict[str, Any]:
        return {
            "message": self.message,
            "code": self.code,
            "status": self.status,
            "messageParams": {},
            "contextId": correlation_id,
            "details": [{"errorCode": self.error_code, "fieldName": name} for name, _ in self.details],
            "errors": [],
        }


def correlation_id(request: Request) -> str:
    """The id the edge middleware gave this request (see :mod:`.edge`)."""
    return str(request.scope.get("state", {}).get("correlation_id", ""))


def problem_response(request: Request, problem: ApiProblem) -> Response:
    return JSON(problem.body(correlation_id(request)), status_code=problem.status, headers=problem.headers)


def bad_request(details: Sequence[tuple[str, str]], what: str = "request") -> ApiProblem:
    """400 naming every bad field, with a message that lists them."""
    listed = "; ".join(f"{name}: {message}" if name else message for name, message in details)
    return ApiProblem(400, f"The {what} is invalid: {listed}", details=details)


def refuse_params(
    request: Request, taken: Iterable[str], what: str, *, unimplemented: Iterable[str] = ()
) -> None:
    """400 naming each query parameter of ``request`` that ``what`` (a listing, a read, a delete) does not take.

    Why every read and delete, not the listings alone: the platform refuses a parameter an
    endpoint does not have (see ``ReferenceRead``), so a sandbox that ignored one let a
    parameter the engine sent where the SDK method has none pass every integration test.
    ``unimplemented``: the platform's parameters the sandbox does not honour, named as such.
    """
    known, platform_only = frozenset(taken), frozenset(unimplemented)
    issues = []
    for param in dict.fromkeys(request.query_params.keys()):
        if param in platform_only:
            issues.append((param, f"is a parameter of the platform's {what} that the sandbox does not implement"))
        elif param not in known:
            issues.append((param, f"is not a parameter of this {what} (it takes {', '.join(sorted(known)) or 'none'})"))
    if issues:
        raise bad_request(issues, "query")
