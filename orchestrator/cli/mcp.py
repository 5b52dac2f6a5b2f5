"""`orchestrator mcp`: serve the project's validate, render, diff, apply, list, import and send_message as
MCP tools, over stdio (the default) or streamable HTTP (`--http`). Read-only unless `--allow-apply`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from orchestrator.cli.common import directory_option, resolve_root
from orchestrator.cli.events import events_option, make_bus
from orchestrator.cli.output import echo, redacted_descriptor
from orchestrator.errors import OrchestratorError

INSTALL_HINT = "pip install 'mcp>=2.3,<3'"


@click.command("mcp")
@directory_option
@click.option("--http", "use_http", is_flag=True, help="Serve streamable HTTP instead of stdio.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface for --http; off loopback a bearer key ($ORCHESTRATOR_MCP_KEY) is required.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8766,
    show_default=True,
    help="Port for --http; 0 picks a free one.",
)
@click.option(
    "--allow-apply", is_flag=True, help="Allow the apply tool and import writes (read-only without)."
)
@events_option
def mcp_command(
    directory: Path | None, use_http: bool, host: str, port: int, allow_apply: bool, events: Path | None
) -> int:
    """Serve this project as MCP tools and resources for AI clients (stdio by default).

    \b
    Examples:
      orchestrator -C ~/assistants mcp        # for a client that starts servers over stdio
      orchestrator mcp --http --allow-apply   # streamable HTTP on 127.0.0.1
    """
    try:
        from orchestrator.mcp.server import build_server
        from orchestrator.mcp.tools import Workspace
        from orchestrator.mcp.transport import KEY_ENV, check_exposure, run_http, run_stdio
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("mcp", "mcp_types"):
            raise
        raise OrchestratorError(
            f"`orchestrator mcp` needs the MCP SDK, which is not installed: {INSTALL_HINT}"
        ) from None
    key = os.environ.get(KEY_ENV) or None
    if use_http:
        check_exposure(host, key)
    if key is not None:
        from orchestrator.secrets import register_secret

        register_secret(key)
    root = resolve_root(directory)
    _quiet_logging()
    server = build_server(Workspace(root, allow_apply=allow_apply, bus=make_bus(events)))
    mode = "apply allowed" if allow_apply else "read-only"
    if not use_http:
        echo(f"orchestrator mcp: project {root} ({mode}) on stdio", err=True)
        with redacted_descriptor(2):  # stdout is the protocol; stderr (and stray fd 1 writes) redacted
            run_stdio(server)
        return 0

    def announce(url: str) -> None:
        auth = "bearer key required" if key else "no key"
        echo(f"orchestrator mcp: project {root} ({mode}) on {url} ({auth})", err=True)

    run_http(server, host, port, key, ready=announce)
    return 0


def _quiet_logging() -> None:
    """Warnings and errors only, on stderr: stdout may be the protocol, and logs are for operators."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
