"""The use cases (plan, apply, drift, export) that wire the stages to a client and an audit trail.

Each returns a small result object (:class:`PlanRun`, :class:`ApplyRun`, :class:`ExportRun`)
and never prints or exits: that is the command line's job.
"""

from reconciler.app.applying import ApplyRun, apply, ensure_success
from reconciler.app.connect import RunOptions, client_for, same_content, with_concurrency
from reconciler.app.export import ExportRun, export_live
from reconciler.app.live import read_live
from reconciler.app.planning import PlanRun, plan_paths

__all__ = [
    "ApplyRun",
    "ExportRun",
    "PlanRun",
    "RunOptions",
    "apply",
    "client_for",
    "ensure_success",
    "export_live",
    "plan_paths",
    "read_live",
    "same_content",
    "with_concurrency",
]
