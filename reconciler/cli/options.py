"""Options and small output helpers shared by the commands: where the target is, colour, progress lines."""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from reconciler.plan.model import Plan

DEFAULT_PATHS = ("manifests",)


class NonEmptyPath(click.Path):
    """``click.Path`` that refuses an empty value as a usage error naming the option (exit 1).

    Why: ``""`` (often an unset CI variable, ``--out "$PLAN"``) names no file, yet was taken
    as none or as ``.``: ``plan --out ""`` printed the plan, saved nothing and exited 0;
    ``export --out ""`` wrote into the working directory; ``validate ""`` walked it whole;
    ``--sandbox-db ""`` used the default database. Every path option and argument uses it.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value:
            self.fail("the path is empty (an unset variable?)", param, ctx)
        return super().convert(value, param, ctx)


class NonEmptyText(click.types.StringParamType):
    """A text option or argument that refuses an empty or blank value as a usage error naming it (exit 1).

    Why: ``""`` (often an unset CI variable, ``--api-url "$URL"``) was taken as no value or as a
    value matching everything: ``revert ""`` planned the revert of the log's only run (every id
    starts with ""), ``audit show --kind ""`` hid every record about an object, ``--region ""``
    and ``--api-url ""`` fell back to the environment or the sandbox, ``--override ""`` was refused
    only after all of live state was read. Only spaces are refused too: every reader strips them
    or matches nothing with them. An empty ``GENESYSCLOUD_*`` variable is not a flag: it counts as
    unset, or stops a command that has no ``--target`` (:mod:`reconciler.genesys.config`), so CI's
    empty missing secret is reported as missing, never taken for the sandbox.
    Every text option and argument uses it.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = super().convert(value, param, ctx)
        if not text:
            self.fail("the value is empty (an unset variable?)", param, ctx)
        if not text.strip():
            self.fail("the value is blank (only whitespace)", param, ctx)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # its bytes were not UTF-8: kept as lone surrogates, no output can carry them
            self.fail("the value is not UTF-8 text", param, ctx)
        return text


class FiniteRange(click.FloatRange):
    """``click.FloatRange`` that refuses NaN and infinity as a usage error (exit 1).

    Why: NaN passes every comparison a range makes, and ``--requests-per-minute`` of ``nan``,
    ``inf`` or ``1e20`` reached the pacing as a number no count can hold: an ``OverflowError``
    or ``ValueError`` traceback before the first request.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


#: far above any org's limit (Genesys Cloud's is 300 a token); what benchmarks pass to lift pacing
MAX_REQUESTS_PER_MINUTE = 1_000_000

FORMATS = click.Choice(["text", "markdown", "json"])
FORMAT_HELP = "text for a terminal or log, markdown for a pull-request comment, json for programs."
CONCURRENCY_HELP = "Changes written at once (writes stay paced by --requests-per-minute)."
MAX_DELETES_HELP = ("The plan may delete at most N live objects in total, pruned or replaced (a replace deletes "
                    "its live object); stands in for reconciler.yaml's prune.maxDeletes and maxDeletePercent. "
                    "policy.limits still hold.")
APPLY_MAX_DELETES_HELP = MAX_DELETES_HELP + (" With apply FILE: the saved plan is refused when it would delete "
                                             "(delete or replace) more than N live objects.")
_NO_COLOR = "reconciler.no_color"


def remember_no_color(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_NO_COLOR] = True


def _remember_progress(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    from reconciler.cli.progress import remember

    if param.name == "quiet":
        remember(ctx, quiet=bool(value))
    else:
        remember(ctx, interval=float(value))


def output_options(func: Any) -> Any:
    """``--no-color``, ``--quiet`` and ``--progress-interval``: how a run talks."""
    from reconciler.cli.progress import DEFAULT_INTERVAL

    options = [
        click.option("--no-color", is_flag=True, expose_value=False, callback=remember_no_color,
                     help="No ANSI colour (also NO_COLOR=1; FORCE_COLOR=1 forces colour in CI logs)."),
        click.option("--quiet", "-q", is_flag=True, expose_value=False, callback=_remember_progress,
                     help="No progress output on stderr."),
        click.option("--progress-interval", type=FiniteRange(min=0.1), default=DEFAULT_INTERVAL,
                     show_default=True, metavar="SECONDS", expose_value=False, callback=_remember_progress,
                     help="Without a terminal, print a progress line at most this often."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def target_options(func: Any) -> Any:
    """Where live state lives: a Genesys org (from GENESYSCLOUD_* settings) or the sandbox."""
    options = [
        click.option("--target", type=click.Choice(["sandbox", "genesys"]), default=None,
                     help="Default: genesys when GENESYSCLOUD_OAUTHCLIENT_ID, a region or an API URL is set, "
                          "else the embedded sandbox."),
        click.option("--sandbox-db", type=NonEmptyPath(dir_okay=False), default=None,
                     help="Sandbox state file (default .reconciler/sandbox.db)."),
        click.option("--region", type=NonEmptyText(), default=None,
                     help="Genesys region, e.g. eu-west-1 (GENESYSCLOUD_REGION)."),
        click.option("--api-url", type=NonEmptyText(), default=None,
                     help="API base URL override (GENESYSCLOUD_API_URL)."),
        click.option("--client-id", type=NonEmptyText(), default=None,
                     help="OAuth client id (GENESYSCLOUD_OAUTHCLIENT_ID); the secret is read from "
                          "GENESYSCLOUD_OAUTHCLIENT_SECRET only, never from a flag."),
        click.option("--requests-per-minute", type=FiniteRange(min=1, max=MAX_REQUESTS_PER_MINUTE), default=None,
                     metavar="N",
                     help="Pace API requests at N a minute (default 286, under Genesys Cloud's 300 per token; "
                          "up to 16 may go back to back, never more than N + 12 in any minute: "
                          "keep N + 12 under your org's limit)."),
        click.option("--verbose", "-v", is_flag=True, help="Add request counts, retries and waits."),
    ]
    for option in reversed(options):
        func = option(func)
    return output_options(func)


def run_options(kw: dict[str, Any]) -> Any:
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
    limits = ClientLimits() if rpm is None else ClientLimits(requests_per_minute=rpm)
    return RunOptions(target=target, limits=limits, notice=_notice)


def _notice(text: str) -> None:
    """Say on stderr that the API does not answer and calls are retried; never stop the work for it.

    Why: it is said from inside the client's retry of a request, mid-apply too: stderr that cannot
    take it (a log reader gone, a full disk) must not turn a retried write into a failed one.
    """
    try:
        click.echo(text, err=True)
    except OSError:
        pass


def color() -> bool:
    """ANSI colour on stdout: off with --no-color or NO_COLOR, on with FORCE_COLOR (CI logs render it), else a TTY.

    Pass the answer to ``click.echo(..., color=...)`` too: click strips ANSI codes from output that
    is not a terminal unless told otherwise, which would undo ``FORCE_COLOR``.
    """
    import os

    if no_color():
        return False
    force = os.environ.get("FORCE_COLOR", "")
    if force and force != "0":
        return True
    return sys.stdout.isatty()


def no_color() -> bool:
    import os

    ctx = click.get_current_context(silent=True)
    flagged = ctx is not None and bool(ctx.meta.get(_NO_COLOR))
    return flagged or bool(os.environ.get("NO_COLOR"))


def kind_read(kind: str, count: int) -> None:
    """Progress while reading live state: live on a terminal, a line every interval in a log."""
    from reconciler.cli.progress import reading

    reading().advance(count, kind=kind)


def live_summary(counts: dict[str, int]) -> None:
    """One line for every log: how much live state the plan was computed from."""
    from reconciler.cli.progress import reading

    reading().finish()
    parts = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    click.echo(f"Live state: {parts}", err=True)


def verbose_stats(stats: Any, enabled: bool) -> None:
    if enabled:
        click.echo(stats.summary(), err=True)


def check_kinds(names: tuple[str, ...]) -> None:
    from reconciler.core.errors import ConfigError
    from reconciler.kinds import REGISTRY, unknown_kind_message

    for name in names:
        if name not in REGISTRY:
            raise ConfigError(f"--prune: {unknown_kind_message(name)}")


def saved_plan_next_step(the_plan: Plan, out: str) -> str:
    """What the line after saving a plan tells the user to do with it: only what apply will accept.

    Why: a plan refused by policy, or one with safety errors, was still followed by "apply it
    with: reconciler apply FILE", which apply then refused.
    """
    if the_plan.errors:
        return "it cannot be applied: the plan has errors (above); fix them and plan again"
    if the_plan.policy:
        return f"policy refuses it: reconciler apply {out} --override REASON applies it anyway"
    return f"apply it with: reconciler apply {out}"


def refuse_unapplyable(the_plan: Plan) -> None:
    """``error: the plan is not applyable: …`` on stderr for a plan with safety errors, as apply says it.

    Why: CI keeps stdout as a file (``plan.json``, ``plan.md``), so a plan refused for a safety
    error exited 1 with no reason in the job's log, where a policy refusal and apply name theirs.
    """
    if the_plan.errors:
        from reconciler.core.secrets import scrub_remembered
        from reconciler.render.escape import live

        click.echo(f"error: the plan is not applyable: {live(scrub_remembered('; '.join(the_plan.errors)))}", err=True)


def echo_document(text: str, *, colored: bool = False, nl: bool = True) -> None:
    """Print a rendered plan, apply result or drift report with every secret the process knows masked.

    Why: live values are rendered as the server answered them, and a server may echo the client
    secret, a token or an ``${env:…}`` value in an ordinary field (:mod:`reconciler.core.secrets`).
    """
    from reconciler.core.secrets import scrub_remembered

    click.echo(scrub_remembered(text), color=colored, nl=nl)
