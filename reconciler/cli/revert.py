"""``reconciler revert RUN_ID``: a plan that restores what one apply run changed, from the audit trail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reconciler.cli.options import (
    DEFAULT_PATHS,
    FORMAT_HELP,
    FORMATS,
    NonEmptyPath,
    NonEmptyText,
    color,
    echo_document,
    refuse_unapplyable,
    run_options,
    saved_plan_next_step,
    target_options,
    verbose_stats,
)


@click.command()
@click.argument("run_id", type=NonEmptyText())
@click.option("--out", "out", type=NonEmptyPath(dir_okay=False), help="Save the plan for a later `apply FILE`.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help=FORMAT_HELP)
@click.option("--audit-log", type=NonEmptyPath(dir_okay=False), default=None,
              help="Audit trail file holding the run (default .reconciler/audit.jsonl).")
@click.option("--force", is_flag=True, help="Restore objects changed since the run too (their later change is lost).")
@click.option("--manifests-out", type=NonEmptyPath(dir_okay=False), default=None,
              help="Write the manifest documents of the restored state to FILE, to commit: git stays the source.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with nothing to restore, 2 with changes, 1 on error.")
@click.option("--manifests", "manifests", type=NonEmptyPath(exists=True), default=None, metavar="PATH",
              help="The manifests (a directory or file) of the project whose reconciler.yaml policy the revert is held "
                   "to, found upwards from PATH as plan finds it (default manifests).")
@target_options
def revert(run_id: str, out: str | None, fmt: str, audit_log: str | None, force: bool, manifests_out: str | None,
           detailed_exitcode: bool, manifests: str | None, verbose: bool, **kw: Any) -> None:
    """Plan the restore of what apply run RUN_ID (or a unique prefix) changed; apply it with `apply FILE`."""
    from functools import partial

    import anyio

    from reconciler.app.revert import restored_manifests, revert_run
    from reconciler.core.errors import PlanError
    from reconciler.core.paths import not_regular, reason, status
    from reconciler.manifests.files import display
    from reconciler.manifests.project import project_of
    from reconciler.manifests.standing import read_settings
    from reconciler.plan.planfile import save_plan
    from reconciler.render import render_plan

    options = run_options(kw)
    # the project's policy holds for a revert as for any change: the project plan would read, recorded in the plan
    # so that its apply judges it again against the same project (apply FILE)
    root = project_of(Path(manifests or DEFAULT_PATHS[0]))
    settings = read_settings(root)
    run = anyio.run(partial(revert_run, run_id, options, audit_log=audit_log, force=force, policy=settings.policy,
                            project=None if root is None else display(root)))
    the_plan = run.plan
    colored = color() and fmt == "text"
    echo_document(render_plan(the_plan, fmt, color=colored, artifact_hint=out), colored=colored)
    if out:
        save_plan(the_plan, out)
        click.echo(f"Revert plan of run {run.run_id} saved to {out}; {saved_plan_next_step(the_plan, out)}", err=True)
    if manifests_out:
        try:
            # Never an existing file: the restored documents are a part of a project to merge by hand, and
            # --manifests-out manifests/webhooks.yaml replaced the file's other objects; a FIFO blocked for ever.
            found = status(Path(manifests_out), follow=False)
            if found is not None:
                what = not_regular(found.st_mode) or "exists"
                raise PlanError(f"cannot write {manifests_out}: it {what}; the restored manifests go to a new "
                                "file (copy its documents into the manifests)")
            Path(manifests_out).write_text(restored_manifests(the_plan), encoding="utf-8")
        except OSError as exc:
            raise PlanError(f"cannot write {manifests_out}: {reason(exc)}") from None
        click.echo(f"Manifests of the restored state written to {manifests_out}: commit them", err=True)
    verbose_stats(run.stats, verbose)
    refuse_unapplyable(the_plan)
    if not the_plan.applyable:
        sys.exit(1)
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(2)
