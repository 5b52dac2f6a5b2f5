"""Benchmark the emulator over loopback: create and paged list(limit=100) throughput and latency.

Run by hand:  python bench/bench_emulator.py [--count 10000]
Starts `python -m orchestrator serve` in a subprocess with its db in a temp dir, seeds the
assistants with a keep-alive httpx client, then pages through all of them with `after`
cursors, raw and through the openai SDK (after min(count, 1000) more creates through the SDK, whose
first-use import is not timed). It measures only: nothing is checked against a target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2
import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import free_port, start_server


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    requests: int
    seconds: float
    latencies_ms: tuple[float, ...]

    def row(self) -> str:
        ordered = sorted(self.latencies_ms)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"{self.name:<46} {self.requests:>8} {self.requests / self.seconds:>10.0f} "
            f"{statistics.median(ordered):>9.2f} {p99:>9.2f}"
        )


def measure(name: str, count: int, call: Callable[[int], None]) -> Result:
    latencies: list[float] = []
    started = time.perf_counter()
    for index in range(count):
        before = time.perf_counter()
        call(index)
        latencies.append((time.perf_counter() - before) * 1000)
    return Result(name, count, time.perf_counter() - started, tuple(latencies))


def page_through(fetch: Callable[[str | None], tuple[list[str], bool]]) -> tuple[int, list[float], float]:
    after: str | None = None
    seen = 0
    latencies: list[float] = []
    started = time.perf_counter()
    while True:
        before = time.perf_counter()
        ids, has_more = fetch(after)
        latencies.append((time.perf_counter() - before) * 1000)
        seen += len(ids)
        if not has_more:
            return seen, latencies, time.perf_counter() - started
        after = ids[-1]


SDK_CREATES = 1000  # at most this many creates through the SDK


def run(count: int) -> list[Result]:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        server = start_server(Path(state) / "bench.db", port, 0, env=env)
        try:
            results = []
            with httpx2.Client(base_url=root + "/v1", headers={"Authorization": "Bearer x"}) as raw:
                results.append(
                    measure(
                        f"create (httpx2, seed {count})",
                        count,
                        lambda i: raw.post(
                            "/assistants",
                            json={"model": "gpt-4.1", "name": f"a{i}", "metadata": {"n": str(i)}},
                        ).raise_for_status(),
                    )
                )

                def fetch_raw(after: str | None) -> tuple[list[str], bool]:
                    params: dict[str, str | int] = {"limit": 100, **({"after": after} if after else {})}
                    body = raw.get("/assistants", params=params).json()
                    return [item["id"] for item in body["data"]], body["has_more"]

                seen, latencies, seconds = page_through(fetch_raw)
                assert seen == count, seen
                results.append(
                    Result("list limit=100 (httpx2, all pages)", len(latencies), seconds, tuple(latencies))
                )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                sdk = openai.OpenAI(base_url=root + "/v1", api_key="x", max_retries=0)
                sdk.beta.assistants.list(
                    limit=1
                )  # the SDK imports its assistants types on first use: not timed
                sdk_count = min(count, SDK_CREATES)
                results.append(
                    measure(
                        f"create (openai SDK, {sdk_count})",
                        sdk_count,
                        lambda i: sdk.beta.assistants.create(model="gpt-4.1", name=f"s{i}"),
                    )
                )

                def fetch_sdk(after: str | None) -> tuple[list[str], bool]:
                    page = sdk.beta.assistants.list(limit=100, **({"after": after} if after else {}))
                    return [item.id for item in page.data], bool(page.has_more)

                seen, latencies, seconds = page_through(fetch_sdk)
                assert seen == count + sdk_count, seen
                results.append(
                    Result(
                        f"list limit=100 (openai SDK, all pages of {seen})",
                        len(latencies),
                        seconds,
                        tuple(latencies),
                    )
                )
            return results
        finally:
            server.terminate()
            server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="assistants to seed")
    args = parser.parse_args()
    results = run(args.count)
    print(f"{'operation':<46} {'requests':>8} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9}")
    for result in results:
        print(result.row())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
