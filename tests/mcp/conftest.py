"""Drive `orchestrator mcp` as a real subprocess with the MCP SDK's own client, over stdio or HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.conftest import TEST_KEY
from tests.support.projects import REPO

START_TIMEOUT_S = 60.0


def server_env(**extra: str) -> dict[str, str]:
    """The child's environment: ours (the project's key variable included) plus extra."""
    return {**os.environ, "PYTHONPATH": str(REPO), "TEST_ORCHESTRATOR_KEY": TEST_KEY, **extra}


def command(project: Path, *flags: str) -> list[str]:
    return [sys.executable, "-m", "orchestrator", "-C", str(project), "mcp", *flags]


@dataclass
class Seen:
    """Everything the client received, as text, to check that no secret is in any of it."""

    texts: list[str] = field(default_factory=list)

    def add(self, value: Any) -> None:
        self.texts.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))

    def all(self) -> str:
        return "\n".join(self.texts)


@dataclass
class Session:
    """A connected client with helpers that record every result."""

    client: Client
    seen: Seen

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> tuple[bool, dict[str, Any]]:
        """(is_error, structured content) of one tool call."""
        result = await self.client.call_tool(name, arguments or {})
        for block in result.content:
            self.seen.add(getattr(block, "text", ""))
        self.seen.add(result.structured_content)
        assert result.structured_content is not None, result
        return bool(result.is_error), result.structured_content

    async def ok(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        is_error, data = await self.call(name, arguments)
        assert not is_error, data
        return data

    async def fails(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        is_error, data = await self.call(name, arguments)
        assert is_error, data
        return data

    async def read(self, uri: str) -> str:
        result = await self.client.read_resource(uri)
        text = "".join(getattr(c, "text", "") for c in result.contents)
        self.seen.add(text)
        return text


Scenario = Callable[[Session], Awaitable[Any]]


def over_stdio(
    project: Path,
    scenario: Scenario,
    *flags: str,
    errlog: Path,
    env: dict[str, str] | None = None,
    seen: Seen | None = None,
) -> Any:
    """Start `orchestrator mcp FLAGS` on stdio, run the scenario against it, stop it."""
    params = StdioServerParameters(
        command=sys.executable, args=command(project, *flags)[1:], env=env or server_env(), cwd=str(project)
    )

    async def main() -> Any:
        with errlog.open("a", encoding="utf-8") as log:
            async with Client(stdio_client(params, errlog=log), read_timeout_seconds=60) as client:
                return await scenario(Session(client, seen or Seen()))

    return asyncio.run(main())


@contextmanager
def http_server(
    project: Path, *flags: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, list[str]]]:
    """`orchestrator mcp --http --port 0 FLAGS` as a subprocess; yields its URL and its stderr lines so far."""
    process = subprocess.Popen(
        command(project, "--http", "--port", "0", *flags),
        env=env or server_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    stderr: list[str] = []

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    try:
        url = None
        while url is None:
            line = lines.get(timeout=START_TIMEOUT_S)
            stderr.append(line)
            if not line:
                raise AssertionError("the server exited before listening:\n" + "".join(stderr))
            found = re.search(r" on (http://\S+/mcp) ", line)
            url = found.group(1) if found else None
        yield url, stderr
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        while True:
            try:
                stderr.append(lines.get(timeout=2))
            except queue.Empty:
                break
            if not stderr[-1]:
                break


def over_http(url: str, scenario: Scenario, *, key: str | None = None, seen: Seen | None = None) -> Any:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    async def main() -> Any:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(url, http_client=http), read_timeout_seconds=60) as client,
        ):
            return await scenario(Session(client, seen or Seen()))

    return asyncio.run(main())


@pytest.fixture
def package() -> str:
    """A unique handler package name per test (the server imports the handlers in its own process)."""
    return f"mcp_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def errlog(tmp_path: Path) -> Path:
    return tmp_path / "mcp-stderr.log"
