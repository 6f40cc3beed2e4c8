"""``reconciler sandbox …`` commands: run the sandbox under uvicorn.

Heavy imports (uvicorn, starlette) happen inside the commands so that
``reconciler --help`` stays fast.
"""

from __future__ import annotations

import click

from reconciler.cli.options import FiniteRange, NonEmptyPath, NonEmptyText
from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_DB


@click.group()
def sandbox() -> None:
    """Run or manage the Genesys Cloud sandbox emulator."""


@sandbox.command()
@click.option("--host", type=NonEmptyText(), default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--sandbox-db",
    "db_path",
    default=DEFAULT_DB,
    show_default=True,
    type=NonEmptyPath(dir_okay=False),
    help="SQLite file holding the sandbox state (shared with embedded runs; same option as plan and apply).",
)
# The old spelling, kept working for existing scripts and hidden from --help.
@click.option("--db", "legacy_db", default=None, hidden=True, type=NonEmptyPath(dir_okay=False))
@click.option(
    "--client-id",
    type=NonEmptyText(),
    default=DEFAULT_CLIENT_ID,
    show_default=True,
    help="OAuth client id that holds every permission.",
)
@click.option("--client-secret", type=NonEmptyText(), default=DEFAULT_CLIENT_SECRET, show_default=True,
              help="Its client secret.")
@click.option(
    "--latency-ms", default=0, show_default=True, type=click.IntRange(0), help="Delay added to every request."
)
@click.option(
    "--rate-limit",
    default=300,
    show_default=True,
    type=click.IntRange(0),
    help="Requests per minute per token before 429 + Retry-After (0: unlimited).",
)
@click.option(
    "--fail-rate",
    default=0.0,
    show_default=True,
    type=FiniteRange(0, 1),
    help="Probability that a write answers 500, 502, 503 or 504 without committing.",
)
@click.option(
    "--drop-rate",
    default=0.0,
    show_default=True,
    type=FiniteRange(0, 1),
    help="Probability that a write commits but its response is dropped (connection closed).",
)
@click.option("--token-ttl", default=3600, show_default=True, type=click.IntRange(1), help="Token lifetime in seconds.")
@click.option("--seed", default=None, type=int, help="Seed of the fault injector, for reproducible faults.")
@click.option(
    "--clients",
    "clients_file",
    default=None,
    type=NonEmptyPath(dir_okay=False),
    help="YAML file of further OAuth clients: client id -> {secret, permissions: [...]} ('*' for all).",
)
@click.option(
    "--read-lag-ms",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Listings and reads show writes this many ms late, as a real org's do.",
)
@click.option(
    "--publish-seconds",
    default=0.0,
    show_default=True,
    type=FiniteRange(0),
    help="How long a publish job runs (0: it completes on its second poll).",
)
@click.option(
    "--publish-fail-rate",
    default=0.0,
    show_default=True,
    type=FiniteRange(0, 1),
    help="Probability that a publish job ends Failed.",
)
@click.option(
    "--feature-off",
    "features_off",
    multiple=True,
    type=NonEmptyText(),
    metavar="FEATURE",
    help="An org feature the sandbox's org lacks (repeatable): its reads leave out the fields shown only with it "
    "(GenesysExtended: a dictionary feedback's transcriptionEngine).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="uvicorn log level.",
)
def serve(
    host: str,
    port: int,
    db_path: str,
    legacy_db: str | None,
    client_id: str,
    client_secret: str,
    latency_ms: int,
    rate_limit: int,
    fail_rate: float,
    drop_rate: float,
    token_ttl: int,
    seed: int | None,
    clients_file: str | None,
    read_lag_ms: int,
    publish_seconds: float,
    publish_fail_rate: float,
    features_off: tuple[str, ...],
    log_level: str,
) -> None:
    """Serve the sandbox over HTTP: API and login on one base URL.

    Point the reconciler (or the official SDK) at it with
    GENESYSCLOUD_API_URL=http://HOST:PORT.
    """
    from reconciler.core.errors import ConfigError
    from reconciler.sandbox import SandboxOptions
    from reconciler.sandbox.clients import load_clients
    from reconciler.sandbox.server import run

    db_path = legacy_db or db_path
    if fail_rate + drop_rate > 1:
        raise ConfigError("--fail-rate plus --drop-rate must not exceed 1")
    options = SandboxOptions(
        db_path=db_path,
        client_id=client_id,
        client_secret=client_secret,
        latency_ms=latency_ms,
        rate_limit=rate_limit,
        fail_rate=fail_rate,
        drop_rate=drop_rate,
        token_ttl=token_ttl,
        seed=seed,
        clients=load_clients(clients_file) if clients_file else (),
        read_lag_ms=read_lag_ms,
        publish_seconds=publish_seconds,
        publish_fail_rate=publish_fail_rate,
        features_off=frozenset(features_off),
    )
    run(options, host=host, port=port, log_level=log_level,
        on_listening=lambda url: click.echo(f"sandbox: {url} (state in {db_path}); Ctrl-C to stop", err=True))
