"""`orchestrator serve`: run the local OpenAI-compatible emulator in the foreground."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from orchestrator.cli.output import echo
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
    "--api-key",
    default=None,
    help=f"Require this bearer token (visible to other local users in `ps`: prefer --api-key-env or "
    f"${EMULATOR_API_KEY_ENV}).",
)
@click.option(
    "--api-key-env",
    metavar="NAME",
    default=None,
    help="Require the bearer token held by this environment variable.",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="Allow a --host other than loopback without an API key.",
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
@click.option(
    "--max-db-mb",
    type=click.IntRange(min=1),
    default=None,
    help="Cap the database size: past it, writes fail as on a full disk (to try clients).",
)
@click.option(
    "--model-stand-in",
    type=int,
    default=None,
    metavar="SEED",
    help="Answer unscripted turns as a real model would, seeded: varying replies, function calls, usage "
    "(to try live behaviour tests offline; `orchestrator test` then ignores `model:` scripts).",
)
@click.option("--log-requests", is_flag=True, help="Log method, path and status of each request to stderr.")
def serve(
    host: str,
    port: int,
    db_path: Path | None,
    api_key: str | None,
    api_key_env: str | None,
    insecure: bool,
    latency_ms: int,
    fault_rate: float,
    seed: int | None,
    ingest_ms: int,
    attach_race_ms: int,
    max_db_mb: int | None,
    model_stand_in: int | None,
    log_requests: bool,
) -> int:
    """Run the local OpenAI-compatible emulator until Ctrl-C.

    \b
    Examples:
      orchestrator serve --port 8765
      orchestrator serve --latency-ms 50 --fault-rate 0.05 --seed 1   # a slow, flaky API to test against
      orchestrator serve --model-stand-in 7      # a seeded stand-in for a real model (live tests)
    """
    from orchestrator.emulator import serve_forever
    from orchestrator.emulator.store import StoreError

    api_key = read_api_key(api_key, api_key_env)
    path = db_path if db_path is not None else default_db()
    # operators see database failures (and, with --log-requests, each request) on stderr
    logging.basicConfig(level=logging.INFO if log_requests else logging.WARNING, format="%(message)s")
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)

    def announce(base_url: str) -> None:
        echo(f"Serving OpenAI-compatible API on {base_url} (db: {path})", err=True)

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
            max_db_bytes=max_db_mb * 1024 * 1024 if max_db_mb is not None else None,
            insecure=insecure,
            model_stand_in=model_stand_in,
        )
    except StoreError as error:
        raise click.ClickException(f"{error.message} (--db names the database file)") from None
    except OSError as error:
        raise click.ClickException(f"cannot serve on {host}:{port}: {error.strerror or error}") from None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return 0


def read_api_key(api_key: str | None, api_key_env: str | None) -> str | None:
    """The key from --api-key, else the variable --api-key-env names, else $ORCHESTRATOR_EMULATOR_API_KEY."""
    if api_key is not None and api_key_env is not None:
        raise click.UsageError("give --api-key or --api-key-env, not both")
    if api_key is not None:
        if not api_key.strip():
            raise click.BadParameter("the key is empty", param_hint="--api-key")
        return api_key.strip()
    if api_key_env is not None:
        value = os.environ.get(api_key_env, "")
        if not value.strip():
            raise click.BadParameter(
                f"the environment variable {api_key_env} is not set or empty", param_hint="--api-key-env"
            )
        return value.strip()
    return os.environ.get(EMULATOR_API_KEY_ENV, "").strip() or None


def default_db() -> Path:
    """The project's local database (so `serve` shows what the `local` target holds), else ./.orchestrator."""
    from orchestrator.cli.common import resolve_root
    from orchestrator.errors import OrchestratorError

    try:
        root = resolve_root(None)
    except OrchestratorError:
        return Path.cwd() / STATE_DIR / LOCAL_DB_NAME
    from orchestrator.spec.writing import check_state_file

    return check_state_file(root, root / STATE_DIR / LOCAL_DB_NAME)  # the project's state folder: no link
