"""`orchestrator serve`: run the local OpenAI-compatible emulator in the foreground."""

from __future__ import annotations

import os
from pathlib import Path

import click

from orchestrator.constants import EMULATOR_API_KEY_ENV, LOCAL_DB_NAME, STATE_DIR


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to bind; 0 picks a free one.",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"SQLite state file [default: {STATE_DIR}/{LOCAL_DB_NAME} in the project (the local target's "
    "database), else in the current folder].",
)
@click.option(
    "--api-key", default=None, help=f"Require this bearer token (also read from ${EMULATOR_API_KEY_ENV})."
)
@click.option(
    "--latency-ms",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Delay added to every /v1 response.",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Share of /v1 requests answered with 429/500/503 or a dropped connection.",
)
@click.option("--seed", type=int, default=None, help="Seed of the fault sequence (deterministic faults).")
@click.option(
    "--ingest-ms",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="How long a vector-store file stays in_progress.",
)
@click.option(
    "--attach-race-ms",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Refuse to attach a file to a vector store this soon after its upload.",
)
@click.option("--log-requests", is_flag=True, help="Log method, path and status of each request to stderr.")
def serve(
    host: str,
    port: int,
    db_path: Path | None,
    api_key: str | None,
    latency_ms: int,
    fault_rate: float,
    seed: int | None,
    ingest_ms: int,
    attach_race_ms: int,
    log_requests: bool,
) -> int:
    """Run the local OpenAI-compatible emulator until Ctrl-C.

    \b
    Examples:
      orchestrator serve --port 8765
      orchestrator serve --latency-ms 50 --fault-rate 0.05 --seed 1   # a slow, flaky API to test against
    """
    from orchestrator.emulator import serve_forever

    if api_key is None:
        api_key = os.environ.get(EMULATOR_API_KEY_ENV) or None
    path = db_path if db_path is not None else default_db()
    if log_requests:
        import logging

        logging.basicConfig(level=logging.INFO, format="%(message)s")
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)

    def announce(base_url: str) -> None:
        click.echo(f"Serving OpenAI-compatible API on {base_url} (db: {path})", err=True)

    try:
        serve_forever(
            path,
            host,
            port,
            api_key,
            latency_ms,
            fault_rate,
            seed,
            ingest_ms,
            attach_race_ms,
            ready=announce,
            log_requests=log_requests,
        )
    except OSError as error:
        raise click.ClickException(f"cannot serve on {host}:{port}: {error.strerror or error}") from None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return 0


def default_db() -> Path:
    """The project's local database (so `serve` shows what the `local` target holds), else ./.orchestrator."""
    from orchestrator.cli.common import resolve_root
    from orchestrator.errors import OrchestratorError

    try:
        root = resolve_root(None)
    except OrchestratorError:
        return Path.cwd() / STATE_DIR / LOCAL_DB_NAME
    return root / STATE_DIR / LOCAL_DB_NAME
