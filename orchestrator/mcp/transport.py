"""Serve an MCP server over stdio, or over streamable HTTP behind an optional bearer key.

Off loopback the key is required (as the emulator requires one): a project's MCP server can apply
changes and run handler code, so it is never left open on a network.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Callable
from typing import Any

from orchestrator.errors import OrchestratorError

MCP_PATH = "/mcp"
KEY_ENV = "ORCHESTRATOR_MCP_KEY"  # the bearer key --http requires; never read from a flag or a file
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def run_stdio(server: Any) -> None:
    """Serve on stdin/stdout until the client closes stdin (the SDK diverts fd 1 so stray prints miss the wire)."""
    import anyio

    anyio.run(server.run_stdio_async)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, key: str | None) -> None:
    """Refuse to listen off loopback without a key."""
    if key is None and not is_loopback(host):
        raise OrchestratorError(
            f"refusing to serve on {host} without a key: off loopback every request must "
            f"carry a bearer key; set {KEY_ENV} (or serve on 127.0.0.1)"
        )


def run_http(
    server: Any, host: str, port: int, key: str | None, ready: Callable[[str], None] | None = None
) -> None:
    """Serve streamable HTTP on host:port (0: a free port) until SIGINT/SIGTERM; ready gets the URL."""
    from orchestrator.emulator.server import QuietServer, bind_socket

    check_exposure(host, key)
    import uvicorn

    app: Any = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    if key is not None:
        app = RequireBearer(app, key)
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise OrchestratorError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}{MCP_PATH}"
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        loop="asyncio",
        http="h11",
        ws="none",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    try:
        QuietServer(config, (lambda: ready(url)) if ready is not None else None).run(sockets=[sock])
    finally:
        sock.close()


class RequireBearer:
    """ASGI middleware: every HTTP request needs `Authorization: Bearer KEY` (compared in constant time)."""

    def __init__(self, app: Any, key: str) -> None:
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self._authorised(scope):
            body = json.dumps({"error": "missing or wrong bearer key"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b"Bearer"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _authorised(self, scope: Any) -> bool:
        for name, value in scope.get("headers", ()):
            if name.lower() == b"authorization":
                scheme, _, token = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self.key)
        return False
