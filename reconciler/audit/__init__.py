"""The audit trail: who changed which Genesys object, when, from which commit, what
changed, and whether it worked (issue 6). Format and guarantees: README, "Audit trail".

Modules, one job each: :mod:`.records` (format, canonical form, hashing), :mod:`.log`
(append-only fsynced writer), :mod:`.trail` (the executor's API), :mod:`.verify`,
:mod:`.query` (``audit show``), :mod:`.forward` (HTTP forwarding), :mod:`.background`
(forwarding on a thread, off the writer's path), :mod:`.source` (actor and git/CI
provenance), :mod:`.redact` (secret masking); the commands are in :mod:`reconciler.cli.audit`.

Names are exported lazily so that importing the CLI group stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.core.lazy import exported

if TYPE_CHECKING:
    # explicit re-exports ("X as X"): the names below are what ``__getattr__`` provides at run time
    from reconciler.audit.records import FORMAT_VERSION as FORMAT_VERSION
    from reconciler.audit.source import Source as Source
    from reconciler.audit.source import detect_source as detect_source
    from reconciler.audit.trail import DEFAULT_AUDIT_LOG as DEFAULT_AUDIT_LOG
    from reconciler.audit.trail import AuditTrail as AuditTrail
    from reconciler.audit.verify import AuditChainError as AuditChainError
    from reconciler.audit.verify import VerifyReport as VerifyReport
    from reconciler.audit.verify import verify_log as verify_log

_EXPORTS = {
    "AuditTrail": ".trail",
    "DEFAULT_AUDIT_LOG": ".trail",
    "FORMAT_VERSION": ".records",
    "Source": ".source",
    "detect_source": ".source",
    "AuditChainError": ".verify",
    "VerifyReport": ".verify",
    "verify_log": ".verify",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return exported(__name__, _EXPORTS, name)
