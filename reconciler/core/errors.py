"""Every error the reconciler raises on purpose descends from :class:`ReconcilerError`.

The CLI catches ``ReconcilerError`` and prints ``str(error)`` with exit code 1, so a
user mistake never shows a traceback; anything else is a bug and is allowed to.
Callers branch on the class, never on the message text.

Messages must never contain a token or a secret value: API errors are built from the
status, the Genesys error code, the server's message, the correlation id and the
request's method and path only (no headers, no bodies). What the server said is kept on
one line, its control characters escaped (:mod:`reconciler.core.visible`): a line break in
it cannot forge a line of output.

The tree below is every subclass in the package; those defined beside the code that raises
them name their module (``tests/docs/test_error_tree.py`` keeps the drawing and the classes
equal).

::

    ReconcilerError
    ├── ConfigError                  settings missing or contradictory, before any request
    ├── ManifestError                one or more ManifestIssue (file:line:col: field: message), the first 1,000 listed
    ├── PlanError
    │   ├── PlanFileError            saved plan edited, unreadable, or for another target
    │   ├── StaleObjectError         live revision moved since the plan was made
    │   ├── ApprovalRequiredError    apply without --auto-approve and no terminal
    │   ├── ApplyCancelledError      the prompt was answered "no": nothing applied
    │   └── ReferenceCycleError      (core.graph) objects reference each other in a loop
    ├── ApiError                     an HTTP exchange with Genesys (or the sandbox) failed
    │   ├── RetryableError           worth another try: the server may answer differently
    │   │   ├── RateLimitedError     429, carries retry_after seconds
    │   │   ├── ServerError          500, 502, 503, 504
    │   │   └── TransportError       timeout, refused or dropped connection (status 0)
    │   └── PermanentError           retrying the same request cannot help
    │       ├── InvalidRequestError  our own request is malformed, refused before it was sent (status 0)
    │       ├── AuthenticationError  401, or a failed token request
    │       ├── PermissionError_     403 missing.any.permissions
    │       ├── NotFoundError        404
    │       ├── BadRequestError      400, details name the bad fields
    │       └── ConflictError        409
    │           ├── DuplicateNameError     duplicate.name
    │           └── VersionMismatchError   version.mismatch (changed since read)
    ├── ApplyError                   apply finished with failed changes (each reported)
    ├── AuditError                   audit log unreadable or its hash chain broken
    │   └── AuditChainError          (audit.verify) the chain breaks at one line, named
    ├── ExportError                  export cannot write its output (files exist, nothing to export)
    ├── BoundedJsonError             (core.bounded) JSON malformed or too deep, at its line and column
    │   └── DuplicateKeyError        (core.bounded) an object names one key twice (a saved plan)
    └── UnresolvedReference          (apply.bodies) a ${ref:…} whose object is not written yet
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.core.http import bounded_correlation_id
from reconciler.core.keys import Location, ObjectKey, Revision
from reconciler.core.visible import control


class ReconcilerError(Exception):
    """Root of the tree: the CLI turns it into a message and exit code 1."""

    exit_code: int = 1


class ConfigError(ReconcilerError):
    """Settings are missing or contradict each other; raised before any request."""


@dataclass(frozen=True, order=True)
class ManifestIssue:
    """One problem in one manifest, located as precisely as the YAML allows."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ManifestWarning:
    """A valid manifest whose reading deserves a look (an escaped ``$${env:…}``), where it is written.

    Why located, not a sentence: ``validate --format sarif`` makes each one a result at its
    line, and code scanning refuses a whole log for one result without a location; text and
    JSON show ``str()``, the place first as for an issue. ``key``: the declared object it is
    about, when it is about one (a plan's warning keeps it: :class:`~reconciler.plan.warning.PlanWarning`).
    """

    at: Location
    message: str
    key: ObjectKey | None = None

    def __str__(self) -> str:
        return f"{self.at}: {self.message}"


#: the issues a :class:`ManifestError` lists; past it they are counted, not kept. Why a bound: a
#: generated file of 106,000 broken documents held 159,000 issues and a 10 MB message (and the
#: marks to place them all), while nobody reads past the first screens: fixing those is the next step.
MAX_ISSUES = 1000


def issue_order(issue: ManifestIssue) -> tuple[str, int, int, str]:
    """The order issues are listed in: by file, then line, column and field (no line first)."""
    return (issue.file, issue.line or 0, issue.column or 0, issue.path)


class ManifestError(ReconcilerError):
    """All the issues found in a set of manifests (never just the first), the first :data:`MAX_ISSUES` listed.

    ``issues`` are the first in :func:`issue_order`; ``omitted`` counts those found beyond them
    (the caller's count of issues it did not even build, plus what this error cuts off), so
    the message still says how many there are in all and ends "... and N more errors".
    """

    def __init__(self, issues: Iterable[ManifestIssue], omitted: int = 0) -> None:
        ordered = sorted(issues, key=issue_order)
        self.issues = ordered[:MAX_ISSUES]
        #: issues found but not listed in ``issues``
        self.omitted = omitted + len(ordered) - len(self.issues)
        lines = [f"{_errors(self.total)} in manifests", *(str(i) for i in self.issues)]
        if self.omitted:
            lines.append(f"... and {self.omitted} more {'errors' if self.omitted != 1 else 'error'}")
        super().__init__("\n".join(lines))

    @property
    def total(self) -> int:
        """Every issue found: those listed and those omitted."""
        return len(self.issues) + self.omitted


def _errors(count: int) -> str:
    return f"{count} error{'s' if count != 1 else ''}"


class PlanError(ReconcilerError):
    """A plan cannot be made or applied safely."""


class PlanFileError(PlanError):
    """A saved plan was edited, cannot be read, or was made for another target."""


class StaleObjectError(PlanError):
    """An object changed live after the plan was computed; it is not written.

    The revisions are what the kind compares (:data:`~reconciler.core.keys.Revision`): a
    ``version`` number, or the ``dateModified`` timestamp of a kind without versions.
    """

    def __init__(
        self, kind: str, name: str, planned_version: Revision | None, live_version: Revision | None,
        *, planned_id: str | None = None, live_id: str | None = None,
    ) -> None:
        self.kind, self.name = kind, name
        self.planned_version, self.live_version = planned_version, live_version
        self.planned_id, self.live_id = planned_id, live_id
        super().__init__(f"{kind}/{name} is stale: {self.detail}")

    @property
    def detail(self) -> str:
        recreated = self.live_id is not None and self.live_id != self.planned_id
        if self.planned_id is not None and (self.planned_version is None or recreated):
            # a kind without revisions, or an object deleted and made again (version 1 both times):
            # only the id tells (not "planned against absent, live is now absent")
            now = f"id {self.live_id}" if self.live_id is not None else "absent"
            return f"planned against id {self.planned_id}, live is now {now}; run plan again"
        planned, live = _revision(self.planned_version), _revision(self.live_version)
        return f"planned against {planned}, live is now {live}; run plan again"


def _revision(revision: Revision | None) -> str:
    if revision is None:
        return "absent"
    return f"version {revision}" if isinstance(revision, int) else f"modified {revision}"


class ApprovalRequiredError(PlanError):
    """Apply needs confirmation and there is no terminal to ask on."""


class ApplyCancelledError(PlanError):
    """The confirmation was refused: exit 1, as Terraform's "Apply cancelled.", so CI never reads it as applied."""


class ApiError(ReconcilerError):
    """An HTTP exchange failed. ``status`` is 0 when no response arrived."""

    retryable = False
    #: set when a retry loop already gave up on this error, so an enclosing loop does not start over
    retries_exhausted = False

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        method: str = "",
        path: str = "",
        correlation_id: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        self.status = status
        # What the server said is kept on one line, its control characters shown as escapes
        # (``\n``, ``\x1b``): every message quoting it (the CLI's ``error:`` line, a plan's warnings,
        # doctor's findings, the audit trail) then holds no line of the server's making.
        self.code = control(code)
        self.api_message = control(message)
        self.method = method
        self.path = control(path)
        self.correlation_id = bounded_correlation_id(correlation_id)  # printable ASCII, 128 characters at most
        self.details = list(details or [])
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [f"{self.method} {self.path}".strip() or "request"]
        parts.append(f"failed: HTTP {self.status} {self.code}" if self.status else f"failed: {self.code}")
        text = " ".join(parts)
        if self.api_message:
            text += f": {self.api_message}"
        fields = [control(str(d["fieldName"])) for d in self.details if d.get("fieldName")]
        if fields:
            text += f" (fields: {', '.join(fields)})"
        text += f" [correlation id: {self.correlation_id or 'none'}]"
        return text


class RetryableError(ApiError):
    """The same request may succeed later."""

    retryable = True


class RateLimitedError(RetryableError):
    """429: wait ``retry_after`` seconds before the next request."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(RetryableError):
    """5xx from the server, or a 408: it did not answer in time (the write may have landed)."""


class TransportError(RetryableError):
    """No (complete) response: timeout, refused or dropped connection."""


class PermanentError(ApiError):
    """Retrying the same request cannot help."""


class InvalidRequestError(PermanentError):
    """Our own request is malformed (an illegal header value): the HTTP library refused to send it; status 0.

    Why not a :class:`TransportError`: nothing failed on the way, and nothing was sent. The
    same request is refused again however often it is tried, and a write that was never sent
    cannot have happened (it is not ambiguous).
    """


class AuthenticationError(PermanentError):
    """401, or the token request itself failed."""


class PermissionError_(PermanentError):  # noqa: N801 - avoid shadowing the builtin
    """403: the OAuth client lacks a scope."""


class NotFoundError(PermanentError):
    """404."""


class BadRequestError(PermanentError):
    """400: ``details`` name the fields the server rejected."""


class ConflictError(PermanentError):
    """409."""


class DuplicateNameError(ConflictError):
    """409 duplicate.name: another object of the kind has this name (case-insensitively)."""


class VersionMismatchError(ConflictError):
    """409 version.mismatch (or the platform's 400 "does not match the current version"):
    the object changed since it was read; never forced."""


class ApplyError(ReconcilerError):
    """Apply finished, but some changes did not apply (failed, stale or skipped); each one is in ``failures``."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        super().__init__(f"{len(failures)} change(s) did not apply:\n" + "\n".join(f"  {f}" for f in failures))


class AuditError(ReconcilerError):
    """The audit log cannot be read, or its hash chain is broken."""


class ExportError(ReconcilerError):
    """``reconciler export`` cannot write its output: files exist (no ``--force``), nothing matched."""
