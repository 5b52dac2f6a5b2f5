"""Benchmark: `orchestrator mcp` over stdio on a copy of this repo (local target): start-up to the first
tool list, and the median latency of each read-only tool, as an MCP client (the SDK's) sees them.

Run by hand (not a test):  python bench/bench_mcp.py [--calls 10]
It measures only (no target is checked); it stops with an error if a tool call fails. The first call of
each tool includes its imports, so `--calls 1` shows first-call latency.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

REPO = Path(__file__).resolve().parent.parent
CALLS = {"validate": {}, "render": {"name": "spanish-tutor"}, "diff": {}, "list": {}}


async def measure(root: Path, calls: int) -> list[tuple[str, float]]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "orchestrator", "-C", str(root), "mcp"]
    )
    rows: list[tuple[str, float]] = []
    started = time.perf_counter()
    async with Client(stdio_client(params)) as client:
        await client.list_tools()
        rows.append(("start-up to the first tools/list", time.perf_counter() - started))
        for tool, arguments in CALLS.items():
            times = []
            for _ in range(calls):
                begin = time.perf_counter()
                result = await client.call_tool(tool, arguments)
                times.append(time.perf_counter() - begin)
                if result.is_error:
                    raise SystemExit(f"{tool} failed: {result.structured_content}")
            rows.append((f"{tool} (median of {calls})", statistics.median(times)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mcp-") as scratch:
        root = Path(scratch) / "repo"
        shutil.copytree(
            REPO, root, ignore=shutil.ignore_patterns(".git", ".orchestrator", "__pycache__", "tests")
        )
        rows = asyncio.run(measure(root, args.calls))
    print(f"{'what':<36} {'seconds':>8}")
    for what, seconds in rows:
        print(f"{what:<36} {seconds:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
