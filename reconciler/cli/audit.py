"""``reconciler audit verify|show``: click commands only; the work is in sibling modules.

Imported at CLI start-up, so only click is imported at module level.
"""

from __future__ import annotations

import click

from reconciler.cli.options import NonEmptyPath, NonEmptyText

DEFAULT_LOG = ".reconciler/audit.jsonl"

_file_argument = click.argument("file", required=False, default=DEFAULT_LOG, type=NonEmptyPath(dir_okay=False))


@click.group()
def audit() -> None:
    """Check and read the audit trail that apply writes (default .reconciler/audit.jsonl)."""


@audit.command()
@_file_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A sentence, or a JSON object for programs.")
def verify(file: str, fmt: str) -> None:
    """Check the hash chain of FILE; exit 1 naming the first bad record."""
    from reconciler.cli.audit_json import verify_json

    if fmt == "json":
        verify_json(file)
        return
    from reconciler.audit.verify import verify_log

    report = verify_log(file)
    click.echo(report.summary())


@audit.command()
@_file_argument
@click.option("--since", type=NonEmptyText(), default=None, metavar="TIME",
              help="ISO 8601 time, or a duration ago: 30m, 2h, 1d, 1w.")
@click.option("--kind", type=NonEmptyText(), default=None, metavar="K", help="Only records about this kind (any case).")
@click.option("--name", type=NonEmptyText(), default=None, metavar="N",
              help="Only records about objects of this name (any case).")
@click.option("--run", "run_id", type=NonEmptyText(), default=None, metavar="ID",
              help="Only this run (a prefix of its id is enough).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Table or JSON array.",
)
def show(file: str, since: str | None, kind: str | None, name: str | None, run_id: str | None, fmt: str) -> None:
    """Print the records of FILE, oldest first, as a table or as JSON."""
    from reconciler.audit.query import Filters, parse_since, render_json, render_text, select
    from reconciler.core.errors import ConfigError

    try:
        since_at = parse_since(since) if since is not None else None
    except ValueError as exc:
        raise ConfigError(f"--since: {exc}") from None
    records = select(file, Filters(since=since_at, kind=kind, name=name, run=run_id))
    click.echo(render_json(records) if fmt == "json" else render_text(records))
