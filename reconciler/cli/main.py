"""The ``reconciler`` command line: thin click commands over the library.

Heavy modules are imported inside commands so that ``reconciler --help`` starts fast.
Every :class:`~reconciler.core.errors.ReconcilerError` becomes a message on stderr and its
exit code (1); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from reconciler import __version__
from reconciler.core.errors import ReconcilerError

DEFAULT_PATHS = ("manifests",)


class _Group(click.Group):
    """Maps ReconcilerError to ``error: …`` and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReconcilerError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
def main() -> None:
    """Plan and apply Genesys Cloud CX configuration from YAML manifests."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
def validate(paths: tuple[str, ...]) -> None:
    """Check manifests offline against every rule of the API contract (no network)."""
    from reconciler.manifests import load_manifests

    manifest_set = load_manifests(paths or DEFAULT_PATHS)
    click.echo(f"{len(manifest_set.objects)} objects in {len(manifest_set.files)} files are valid")


FORMATS = click.Choice(["text", "markdown", "json"])


def target_options(func: Any) -> Any:
    """Where live state lives: a Genesys org (from GENESYSCLOUD_* settings) or the sandbox."""
    options = [
        click.option("--target", type=click.Choice(["sandbox", "genesys"]), default=None,
                     help="Default: genesys when GENESYSCLOUD_OAUTHCLIENT_ID, a region or an API URL is set, "
                          "else the embedded sandbox."),
        click.option("--sandbox-db", type=click.Path(dir_okay=False), default=None,
                     help="Sandbox state file (default .reconciler/sandbox.db)."),
        click.option("--region", default=None, help="Genesys region, e.g. eu-west-1 (GENESYSCLOUD_REGION)."),
        click.option("--api-url", default=None, help="API base URL override (GENESYSCLOUD_API_URL)."),
        click.option("--client-id", default=None,
                     help="OAuth client id (GENESYSCLOUD_OAUTHCLIENT_ID); the secret is read from "
                          "GENESYSCLOUD_OAUTHCLIENT_SECRET only, never from a flag."),
        click.option("--requests-per-minute", type=click.FloatRange(min=1), default=None, metavar="N",
                     help="Pace API requests at N a minute (default 280, under Genesys Cloud's 300 per token; "
                          "up to 16 may go back to back, so keep N + 16 under your org's limit)."),
        click.option("--verbose", "-v", is_flag=True, help="Add request counts, retries and waits."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _run_options(kw: dict[str, Any]) -> Any:
    from reconciler.app import RunOptions
    from reconciler.genesys import ClientLimits, resolve_target

    target = resolve_target(
        target=kw.pop("target"),
        region=kw.pop("region"),
        api_url=kw.pop("api_url"),
        client_id=kw.pop("client_id"),
        sandbox_db=kw.pop("sandbox_db"),
    )
    click.echo(f"Target: {target.describe()}", err=True)
    rpm = kw.pop("requests_per_minute")
    return RunOptions(target=target, limits=ClientLimits() if rpm is None else ClientLimits(requests_per_minute=rpm))


def _color() -> bool:
    return sys.stdout.isatty() and not _no_color()


def _no_color() -> bool:
    import os

    return bool(os.environ.get("NO_COLOR"))


def _kind_read(kind: str, count: int) -> None:
    """Progress while reading live state: a line per kind on a terminal only."""
    if sys.stderr.isatty():
        click.echo(f"  read {kind}: {count} live object{'s' if count != 1 else ''}", err=True)


def _live_summary(counts: dict[str, int]) -> None:
    """One line for every log: how much live state the plan was computed from."""
    parts = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    click.echo(f"Live state: {parts}", err=True)


def _verbose(stats: Any, enabled: bool) -> None:
    if enabled:
        click.echo(stats.summary(), err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan for a later `apply FILE`.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes, 1 on error.")
@click.option("--prune", "prune_kinds", multiple=True, metavar="KIND", help="Also delete undeclared objects of KIND.")
@click.option("--max-deletes", type=click.IntRange(min=0), default=None, help="Override the prune safety bound.")
@click.option("--rotate-secret", "rotate", multiple=True, metavar="KIND/NAME",
              help="Re-send this object's write-only secret (e.g. after changing its variable's value).")
@target_options
def plan(paths: tuple[str, ...], out: str | None, fmt: str, detailed_exitcode: bool,
         prune_kinds: tuple[str, ...], max_deletes: int | None, rotate: tuple[str, ...], verbose: bool,
         **kw: Any) -> None:
    """Show what apply would change, without changing anything."""
    from functools import partial

    import anyio

    from reconciler.app import plan_paths
    from reconciler.plan.planfile import save_plan
    from reconciler.render import render_plan

    _check_kinds(prune_kinds)
    options = _run_options(kw)
    run = anyio.run(
        partial(plan_paths, paths or DEFAULT_PATHS, options, prune_kinds=prune_kinds, max_deletes=max_deletes,
                rotate=rotate, on_kind_read=_kind_read)
    )
    the_plan = run.plan
    _live_summary(run.live_counts)
    click.echo(render_plan(the_plan, fmt, color=_color() and fmt == "text", artifact_hint=out))
    if out:
        save_plan(the_plan, out)
        click.echo(f"Plan saved to {out}; apply it with: reconciler apply {out}", err=True)
    _verbose(run.stats, verbose)
    if not the_plan.applyable:
        sys.exit(1)
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(2)


@main.command()
@click.argument("sources", nargs=-1, type=click.Path())
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--prune", "prune_kinds", multiple=True, metavar="KIND", help="Also delete undeclared objects of KIND.")
@click.option("--max-deletes", type=click.IntRange(min=0), default=None, help="Override the prune safety bound.")
@click.option("--audit-log", type=click.Path(dir_okay=False), default=None,
              help="Audit trail file (default .reconciler/audit.jsonl).")
@click.option("--audit-url", default=None, help="Also post each audit record to this URL.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--rotate-secret", "rotate", multiple=True, metavar="KIND/NAME",
              help="Re-send this object's write-only secret (e.g. after changing its variable's value).")
@target_options
def apply(sources: tuple[str, ...], auto_approve: bool, fmt: str, prune_kinds: tuple[str, ...],
          max_deletes: int | None, audit_log: str | None, audit_url: str | None, concurrency: int,
          rotate: tuple[str, ...], verbose: bool, **kw: Any) -> None:
    """Apply a saved plan (apply FILE) or plan and apply manifests (apply [PATH...])."""
    from functools import partial

    import anyio

    from reconciler.app import apply as apply_saved
    from reconciler.app import ensure_success, plan_paths
    from reconciler.core.errors import ApprovalRequiredError, PlanError
    from reconciler.plan.planfile import is_plan_file, load_plan
    from reconciler.render import render_apply, render_plan

    _check_kinds(prune_kinds)
    options = _run_options(kw)
    saved = len(sources) == 1 and is_plan_file(sources[0])
    if saved:
        if prune_kinds or max_deletes is not None or rotate:
            raise PlanError(
                "--prune, --max-deletes and --rotate-secret belong to planning; a saved plan is applied as it was made"
            )
        the_plan = load_plan(sources[0], expected_target=options.target.identity)
        live = None  # made earlier, maybe elsewhere: apply reads live state afresh
    else:
        planned = anyio.run(
            partial(plan_paths, sources or DEFAULT_PATHS, options, prune_kinds=prune_kinds, max_deletes=max_deletes,
                    rotate=rotate, on_kind_read=_kind_read)
        )
        the_plan, live = planned.plan, planned.live
        _live_summary(planned.live_counts)
    if fmt == "text":
        click.echo(render_plan(the_plan, "text", color=_color()))
    if not the_plan.applyable:
        raise PlanError("the plan is not applyable: " + "; ".join(the_plan.errors))
    if not the_plan.has_changes:
        if fmt != "text":
            click.echo(render_plan(the_plan, fmt))
        return
    if not auto_approve and not saved:
        if not sys.stdin.isatty():
            raise ApprovalRequiredError("no terminal to confirm on: pass --auto-approve to apply without asking")
        click.confirm("Apply these changes?", abort=True)

    def progress(outcome: Any) -> None:
        """Live lines on a terminal; CI logs get the same lines once, in the result."""
        if sys.stderr.isatty():
            click.echo(outcome.line(), err=True)

    applied = anyio.run(
        partial(apply_saved, the_plan, options, audit_log=audit_log, audit_url=audit_url,
                concurrency=concurrency, progress=progress,
                # planned a moment ago with no prompt in between: that listing is current
                live=live if auto_approve else None)
    )
    click.echo(render_apply(applied.result, fmt, color=_color() and fmt == "text"))
    if applied.delivery:
        click.echo(applied.delivery, err=True)
    _verbose(applied.stats, verbose)
    ensure_success(applied.result)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@target_options
def drift(paths: tuple[str, ...], fmt: str, verbose: bool, **kw: Any) -> None:
    """Report live objects that differ from the manifests; exit 2 when there is drift."""
    from functools import partial

    import anyio

    from reconciler.app import plan_paths
    from reconciler.plan.drift import DriftReport
    from reconciler.render import render_drift

    options = _run_options(kw)
    run = anyio.run(partial(plan_paths, paths or DEFAULT_PATHS, options, prune_all=True, on_kind_read=_kind_read))
    _live_summary(run.live_counts)
    report = DriftReport.from_plan(run.plan)
    click.echo(render_drift(report, fmt, color=_color() and fmt == "text"))
    _verbose(run.stats, verbose)
    if report.has_drift:
        sys.exit(2)


@main.command()
@click.option("--out", "out", required=True, type=click.Path(), help="Directory to write manifests into.")
@click.option("--kind", "kinds", multiple=True, metavar="KIND", help="Export only this kind (repeatable; default all).")
@click.option("--name", "names", multiple=True, metavar="PATTERN",
              help="Export only objects whose name matches (fnmatch, case-insensitive; repeatable).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist in the output directory.")
@target_options
def export(out: str, kinds: tuple[str, ...], names: tuple[str, ...], force: bool, verbose: bool, **kw: Any) -> None:
    """Write live objects as manifests (reads only): adopt an existing org."""
    from functools import partial
    from pathlib import Path

    import anyio

    from reconciler.app import export_live
    from reconciler.export import check_kinds, check_out_dir, other_manifests, write_export

    check_kinds(kinds)
    out_dir = check_out_dir(Path(out))
    options = _run_options(kw)
    unread: list[str] = []  # without --kind, kinds the target does not have are skipped (a real org)
    run = anyio.run(partial(export_live, options, kinds=kinds, names=names, warnings=unread))
    result = run.export
    for line in unread:
        click.echo(f"warning: {line}", err=True)
    written = write_export(result, out_dir, force=force)
    counts = ", ".join(f"{n} {kind}" for kind, n in result.counts().items())
    click.echo(f"Exported {len(result.objects)} objects to {out_dir} ({counts}); "
               f"{result.references} ids turned into references")
    for obj in result.objects:
        click.echo(f"  {obj.path.as_posix()}  {obj.address}")
    for note in result.notes:
        click.echo(f"warning: {note}", err=True)
    others = other_manifests(out_dir, written)
    if others:
        click.echo(f"warning: {out_dir} also holds {len(others)} other manifest file(s) that a plan of it "
                   f"reads too, e.g. {others[0]}", err=True)
    if result.secrets:
        click.echo(f"Set these environment variables to the real secrets before planning "
                   f"(also listed in {out_dir / 'SECRETS.md'}):")
        for secret in result.secrets:
            click.echo(f"  {secret.name}  ({secret.kind}/{secret.object_name} {secret.field})")
    _verbose(run.stats, verbose)


def _check_kinds(names: tuple[str, ...]) -> None:
    from reconciler.core.errors import ConfigError
    from reconciler.kinds import REGISTRY, unknown_kind_message

    for name in names:
        if name not in REGISTRY:
            raise ConfigError(f"--prune: {unknown_kind_message(name)}")


def _register_subcommands() -> None:
    """Groups that live beside their subsystem; their modules import lazily inside."""
    from reconciler.cli.audit import audit
    from reconciler.cli.sandbox import sandbox

    main.add_command(sandbox)
    main.add_command(audit)


_register_subcommands()
