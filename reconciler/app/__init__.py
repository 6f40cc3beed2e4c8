"""The use cases (plan, apply, drift, export) that wire the stages to a client and an audit trail.

Each returns a small result object (:class:`PlanRun`, :class:`ApplyRun`, :class:`ExportRun`)
and never prints or exits: that is the command line's job.

Names are exported lazily (issue 17): ``from reconciler.app import plan_paths`` imports the
planning use case only, not the executor, the audit trail, the renderers and the exporter that
apply and export need; a 10k plan's memory target is twice the parsing floor's, so every
module a command does not use counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.core.lazy import exported

if TYPE_CHECKING:
    # explicit re-exports ("X as X"): the names below are what ``__getattr__`` provides at run time
    from reconciler.app.applying import ApplyRun as ApplyRun
    from reconciler.app.applying import apply as apply
    from reconciler.app.applying import ensure_success as ensure_success
    from reconciler.app.connect import RunOptions as RunOptions
    from reconciler.app.connect import client_for as client_for
    from reconciler.app.connect import same_content as same_content
    from reconciler.app.connect import with_concurrency as with_concurrency
    from reconciler.app.export import ExportRun as ExportRun
    from reconciler.app.export import export_live as export_live
    from reconciler.app.live import read_live as read_live
    from reconciler.app.planning import PlanRun as PlanRun
    from reconciler.app.planning import plan_paths as plan_paths

_EXPORTS = {
    "ApplyRun": ".applying",
    "apply": ".applying",
    "ensure_success": ".applying",
    "RunOptions": ".connect",
    "client_for": ".connect",
    "same_content": ".connect",
    "with_concurrency": ".connect",
    "ExportRun": ".export",
    "export_live": ".export",
    "read_live": ".live",
    "PlanRun": ".planning",
    "plan_paths": ".planning",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    return exported(__name__, _EXPORTS, name)
