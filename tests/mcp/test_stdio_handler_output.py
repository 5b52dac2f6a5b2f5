"""`orchestrator mcp` on stdio while handlers print, write to the descriptors, raise and hang (issue 25):
stdout carries JSON-RPC messages only, what handlers print reaches the server's stderr redacted, and a
send_message timeout bounds the handlers too."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.conftest import TEST_KEY
from tests.mcp.conftest import Session, command, over_stdio, server_env
from tests.runtime.conftest import add_python_path, function, write_handlers
from tests.support.projects import run_cli, write_spec

NOISY = """
import os
import sys
import threading
import time


def noisy() -> str:
    print("environment:", dict(os.environ))
    print("stderr:", os.environ["TEST_ORCHESTRATOR_KEY"], file=sys.stderr)
    key = os.environ["TEST_ORCHESTRATOR_KEY"]
    os.write(1, b"raw fd 1 write " + key.encode() + b"\\n")
    os.write(2, b"raw fd 2 write " + key.encode() + b"\\n")
    helper = threading.Thread(target=print, args=("from a thread of the handler", key))
    helper.start()
    helper.join()
    return "quiet reply"


def hang(seconds: float) -> str:
    time.sleep(seconds)
    return "too late"
"""


def deploy(project: Path, package: str) -> str:
    add_python_path(project, ["pyhandlers"])
    write_handlers(project, package, NOISY)
    tools = f"{package}.tools"
    write_spec(
        project,
        "helper",
        functions=[
            function("noisy", f"{tools}:noisy", {}, []),
            function("hang", f"{tools}:hang", {"seconds": {"type": "number"}}, ["seconds"]),
        ],
    )
    applied = run_cli(["-C", str(project), "apply", "--yes"])
    assert applied.exit_code == 0, applied.output
    return "helper"


def exchange(
    project: Path, messages: list[dict[str, Any]], until_id: int, timeout: float = 60
) -> tuple[list[str], str]:
    """Raw JSON-RPC over the server's stdin/stdout: every line it wrote to stdout, and its stderr."""
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed after the process ends
    process = subprocess.Popen(
        command(project),
        env=server_env(),
        cwd=str(project),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
    )
    assert process.stdin is not None and process.stdout is not None
    lines: list[str] = []
    try:
        for message in messages:
            process.stdin.write(json.dumps(message).encode() + b"\n")
        process.stdin.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = process.stdout.readline()
            if not raw:
                break
            lines.append(raw.decode("utf-8", "replace"))
            try:
                if json.loads(raw).get("id") == until_id:
                    break
            except ValueError:
                continue
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        errors.seek(0)
        err = errors.read()
        errors.close()
    return lines, err.decode("utf-8", "replace")


def handshake() -> list[dict[str, Any]]:
    return [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "raw-test", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
    ]


def test_handler_prints_never_reach_the_protocol_stream_and_are_redacted(project: Path, package: str) -> None:
    spec = deploy(project, package)
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "send_message", "arguments": {"name": spec, "message": "/call noisy {}"}},
    }
    lines, stderr = exchange(project, [*handshake(), call], until_id=2)
    messages = [json.loads(line) for line in lines]  # every line on stdout is a JSON-RPC message
    assert all(m.get("jsonrpc") == "2.0" for m in messages)
    result = messages[-1]["result"]
    assert result["structuredContent"]["reply"] == "noisy returned quiet reply"
    assert "noisy| environment:" in stderr and "noisy| stderr: ***" in stderr
    assert "raw fd 1 write ***" in stderr and "raw fd 2 write ***" in stderr
    assert "from a thread of the handler ***" in stderr
    assert TEST_KEY not in "".join(lines) and TEST_KEY not in stderr


def test_send_message_timeout_bounds_a_hanging_handler(project: Path, package: str, errlog: Path) -> None:
    spec = deploy(project, package)

    async def scenario(session: Session) -> tuple[float, dict]:
        started = time.monotonic()
        failed = await session.fails(
            "send_message", {"name": spec, "message": '/call hang {"seconds": 60}', "timeout": 2}
        )
        elapsed = time.monotonic() - started
        again = await session.ok(
            "send_message", {"name": spec, "message": "still there?", "thread_id": failed["thread_id"]}
        )
        return elapsed, {"failed": failed, "again": again}

    elapsed, data = over_stdio(project, scenario, errlog=errlog)
    assert elapsed < 10, elapsed  # was the whole tool timeout (30 s)
    assert data["failed"]["status"] == "timeout"
    assert data["again"]["reply"] == "echo: still there?"
    assert TEST_KEY not in errlog.read_text(encoding="utf-8")
    assert os.environ.get("TEST_ORCHESTRATOR_KEY", TEST_KEY) == TEST_KEY
