"""What the benchmarks share: a free loopback port, `orchestrator serve` as a subprocess, its admin API.

Every server here binds 127.0.0.1 only (serve's default --host); the scripts import this module as
`bench._support` after putting the repository on sys.path, as they do for each other.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from orchestrator.constants import ADMIN_FAULTS_PATH, ADMIN_HEALTH_PATH, ADMIN_REQUESTS_PATH


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def admin(root_url: str, path: str, method: str = "GET", body: Any = None) -> Any:
    """One request to the emulator's admin API (request counters, faults, health); its JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        root_url + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def serve_command(db: Path, port: int, latency_ms: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "orchestrator",
        "serve",
        "--port",
        str(port),
        "--db",
        str(db),
        "--latency-ms",
        str(latency_ms),
        *extra,
    ]


def start_server(
    db: Path, port: int, latency_ms: int, *extra: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`orchestrator serve` on a known port, in a session of its own, returned once it answers its health check."""
    server = subprocess.Popen(
        serve_command(db, port, latency_ms, *extra),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    root_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            admin(root_url, ADMIN_HEALTH_PATH)
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(
                    "the emulator exited: " + (server.stderr.read() if server.stderr else b"").decode()
                ) from None
            time.sleep(0.05)
    server.terminate()
    raise RuntimeError("the emulator did not start")


@contextlib.contextmanager
def emulated(prefix: str, latency_ms: int) -> Iterator[tuple[Path, str]]:
    """A temporary folder and start_server on a free port, its database in the folder: (folder, root URL).
    The server is stopped and the folder removed at the end."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        port = free_port()
        server = start_server(Path(folder) / "bench.db", port, latency_ms)
        try:
            yield Path(folder), f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=10)


def writes(requests: dict[str, int]) -> int:
    """The write requests among the emulator's request counts by route."""
    return sum(count for route, count in requests.items() if route.split(" ", 1)[0] in ("POST", "DELETE"))


class Server:
    """`orchestrator serve --port 0` as a subprocess, with its own database; its URL read from its first line."""

    def __init__(self, folder: Path, latency_ms: int, *extra: str) -> None:
        self.process = subprocess.Popen(
            serve_command(folder / "serve.db", 0, latency_ms, *extra),
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stderr is not None
        line = self.process.stderr.readline()
        found = re.search(r"(http://\S+/v1)", line)
        if not found:
            self.process.kill()
            raise RuntimeError(f"serve did not start: {line!r}")
        self.base_url = found.group(1)
        self.root_url = self.base_url[: -len("/v1")]

    def admin(self, path: str, method: str = "GET", body: Any = None) -> Any:
        return admin(self.root_url, path, method, body)

    def latency(self, ms: int) -> None:
        self.admin(ADMIN_FAULTS_PATH, "POST", {"latency_ms": ms})

    def counts(self) -> dict[str, Any]:
        return self.admin(ADMIN_REQUESTS_PATH)

    def reset_counts(self) -> None:
        self.admin(ADMIN_REQUESTS_PATH, "DELETE")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@contextlib.contextmanager
def serving(folder: Path, latency_ms: int, *extra: str) -> Iterator[Server]:
    folder.mkdir(parents=True, exist_ok=True)
    server = Server(folder, latency_ms, *extra)
    try:
        yield server
    finally:
        server.stop()
