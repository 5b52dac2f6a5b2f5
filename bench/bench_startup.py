"""Whole-process timings of the CLI (issue 17): what a user and a CI job wait for, start-up and exit included.

Run by hand (not a test):  python bench/bench_startup.py [--latency-ms 50] [--runs 5] [--sizes 10,100,1000,5000]
                                                         [--tree DIR] [--skip-scale]
Each command runs as its own process (subprocess, timed with time.perf_counter), after one warm-up run;
the median of --runs runs is quoted, with its ratio to a floor measured in the same run the same way:
(a) start-up: `--help` and `validate` against `python -c` importing what they need; `diff` and `list` of a
    10-spec project against `orchestrator serve --latency-ms L` in another process, and `diff` of the
    embedded `local` target, against `python -c` importing what diff needs plus one list read;
(b) scale: diff (all in sync) and apply (all creates, --parallelism 8) at each size: wall, requests,
    peak memory (the CLI process's max RSS), the network floor (diff: ceil(N/100) reads x latency; apply:
    N/parallelism x latency) and ratio, and the whole-process floor and ratio: a process importing what
    diff imports and reading one page (measured), plus the other pages one after another (diff), or plus
    the creates and one round trip for the duplicate check after them (it reads its pages ahead, predicted
    from what the run created); and the bare SDK's own
    floor, measured: a process importing what diff imports and reading every page one after another
    with the SDK's low-level client (diff), or sending the N creates on 8 threads (apply). Sizes of 5,000
    and more run once (an apply takes half a minute).
--tree DIR times the CLI of another checkout (e.g. `git archive` of an older commit) for a before/after.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._support import Server  # noqa: E402


def _bench_sync() -> Any:
    """bench/bench_sync.py (its server and project helpers), loaded from beside this file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_sync", REPO / "bench" / "bench_sync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_sync = _bench_sync()
KEY_ENV, make_project = _sync.KEY_ENV, _sync.make_project

PARALLELISM = 8
# what `diff` imports besides the standard library (python -X importtime -m orchestrator diff)
DIFF_LIBRARIES = "click, yaml, jinja2, jsonschema, jsonschema_rs, openai"
VALIDATE_LIBRARIES = "click, yaml, jinja2, jsonschema, jsonschema_rs"
LIST_READ = (
    "c = openai.OpenAI(base_url={url!r}, api_key='sk-bench'); "
    "c.get('/assistants', cast_to=object, options={{'params': {{'limit': 100, 'order': 'asc'}}, "
    "'headers': {{'OpenAI-Beta': 'assistants=v2'}}}})"
)
# the bare SDK's floors, as whole processes: every page read one after another (what any client reading the
# list page by page waits for), and N creates on PARALLELISM threads (what any client sending them waits for)
SDK_PAGES = """
import {libraries}
c = openai.OpenAI(base_url={url!r}, api_key='sk-bench')
after = None
while True:
    params = {{'limit': 100, 'order': 'asc', **({{'after': after}} if after else {{}})}}
    page = c.get('/assistants', cast_to=object, options={{'params': params, 'headers': {{'OpenAI-Beta': 'assistants=v2'}}}})
    if not page['has_more']:
        break
    after = page['data'][-1]['id']
"""
SDK_CREATES = """
import {libraries}
from concurrent.futures import ThreadPoolExecutor
c = openai.OpenAI(base_url={url!r}, api_key='sk-bench', max_retries=0)
body = {{'model': 'gpt-5.4', 'name': 'Benchmark spec', 'instructions': 'You are assistant 1 at Acme. Answer briefly.',
        'tools': [{{'type': 'code_interpreter'}}, {{'type': 'function', 'function': {{'name': 'lookup',
        'description': 'Look something up', 'parameters': {{'type': 'object', 'properties': {{'q': {{'type': 'string'}}}},
        'required': ['q']}}}}}}], 'temperature': 0.5, 'metadata': {{'team': 'bench', 'number': '1'}}}}
def create(_):
    c.post('/assistants', cast_to=object, body=body, options={{'headers': {{'OpenAI-Beta': 'assistants=v2'}}}})
with ThreadPoolExecutor({parallelism}) as pool:
    list(pool.map(create, range({count})))
"""


def run(command: Sequence[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(wall seconds, exit code, peak RSS in MB) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, process.returncode, usage.ru_maxrss // 1024


def median_of(command: Sequence[str], env: dict[str, str], runs: int, warmup: int = 1) -> dict[str, Any]:
    for _ in range(warmup):
        run(command, env)
    results = [run(command, env) for _ in range(runs)]
    return {
        "wall": statistics.median(r[0] for r in results),
        "exit": results[-1][1],
        "rss": max(r[2] for r in results),
        "spread": (min(r[0] for r in results), max(r[0] for r in results)),
    }


def cli(tree: Path | None, *args: str) -> list[str]:
    return (
        [sys.executable, "-m", "orchestrator", *args]
        if tree is None
        else [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(tree)!r}); import runpy; "
            "runpy.run_module('orchestrator', run_name='__main__')",
            *args,
        ]
    )


def python_c(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def startup(
    work: Path, latency_ms: int, runs: int, tree: Path | None, env: dict[str, str]
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    server = Server(work / "startup", latency_ms)
    try:
        root = make_project(work / "startup" / "project", "bench-startup", server.base_url, 10)
        local = make_project(work / "startup" / "local", "bench-local", server.base_url, 10)
        project_file = local / "orchestrator.yaml"
        project_file.write_text(
            project_file.read_text().replace(
                "bench: {type: assistants,", "bench: {type: local}\n  unused: {type: assistants,"
            )
        )
        subprocess.run(cli(tree, "-C", str(root), "apply", "--yes"), env=env, check=True, capture_output=True)
        subprocess.run(
            cli(tree, "-C", str(local), "apply", "--yes"), env=env, check=True, capture_output=True
        )
        floors = {
            "help": median_of(python_c("import click"), env, runs),
            "validate": median_of(python_c(f"import {VALIDATE_LIBRARIES}"), env, runs),
            "read": median_of(
                python_c(f"import {DIFF_LIBRARIES}; " + LIST_READ.format(url=server.base_url)), env, runs
            ),
        }
        cases = [
            ("--help", cli(tree, "--help"), "help", "python -c 'import click'"),
            (
                "validate (10 specs)",
                cli(tree, "-C", str(root), "validate"),
                "validate",
                f"python -c 'import {VALIDATE_LIBRARIES}'",
            ),
            (
                "diff, remote (10 specs)",
                cli(tree, "-C", str(root), "diff"),
                "read",
                "imports of diff + 1 list read",
            ),
            (
                "list, remote (10 specs)",
                cli(tree, "-C", str(root), "list"),
                "read",
                "imports of diff + 1 list read",
            ),
            (
                "diff, embedded local (10)",
                cli(tree, "-C", str(local), "diff"),
                "read",
                "imports of diff + 1 list read",
            ),
        ]
        for name, command, floor_key, floor_name in cases:
            result = median_of(command, env, runs)
            floor = floors[floor_key]["wall"]
            rows.append(
                (
                    name,
                    f"{result['wall']:.3f}",
                    f"{result['spread'][0]:.3f}-{result['spread'][1]:.3f}",
                    f"{floor:.3f}",
                    floor_name,
                    f"{result['wall'] / floor:.2f}x",
                    str(result["exit"]),
                )
            )
    finally:
        server.stop()
    return rows


def scale(
    work: Path, latency_ms: int, sizes: Sequence[int], runs: int, tree: Path | None, env: dict[str, str]
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for size in sizes:
        count = runs if size < 5000 else 1
        applies: list[tuple[float, int, int]] = []
        requests: list[int] = []
        for attempt in range(count):  # a fresh server and project per apply: every run creates all N
            folder = work / f"apply-{size}-{attempt}"
            server = Server(folder, latency_ms)
            try:
                root = make_project(folder / "project", f"bench-{size}-{attempt}", server.base_url, size)
                server.reset_counts()
                applies.append(
                    run(cli(tree, "-C", str(root), "apply", "--yes", "--parallelism", str(PARALLELISM)), env)
                )
                requests.append(server.counts()["total"])
                if attempt == 0:  # diff of the same project, all in sync now
                    for _ in range(1):
                        run(cli(tree, "-C", str(root), "diff"), env)  # warm-up
                    diffs = []
                    for _ in range(count):
                        server.reset_counts()
                        diffs.append(run(cli(tree, "-C", str(root), "diff"), env))
                        diff_requests = server.counts()["total"]
                    start_floor = median_of(
                        python_c(f"import {DIFF_LIBRARIES}; " + LIST_READ.format(url=server.base_url)),
                        env,
                        count,
                    )["wall"]  # a process that imports and reads once
                    pages_floor = median_of(
                        python_c(SDK_PAGES.format(libraries=DIFF_LIBRARIES, url=server.base_url)), env, count
                    )["wall"]
            finally:
                server.stop()
        creates_floors = []
        for attempt in range(count):  # the bare SDK's N creates, each run against a fresh server
            server = Server(work / f"sdk-{size}-{attempt}", latency_ms)
            try:
                creates_floors.append(
                    run(
                        python_c(
                            SDK_CREATES.format(
                                libraries=DIFF_LIBRARIES,
                                url=server.base_url,
                                parallelism=PARALLELISM,
                                count=size,
                            )
                        ),
                        env,
                    )[0]
                )
            finally:
                server.stop()
        creates_floor = statistics.median(creates_floors)
        diff_wall = statistics.median(d[0] for d in diffs)
        pages, latency = math.ceil(size / 100), latency_ms / 1000
        diff_floor = pages * latency
        apply_wall = statistics.median(a[0] for a in applies)
        apply_floor = size / PARALLELISM * latency
        # the whole-process floor: a process importing what diff imports and reading once, the other pages
        # one after another; apply: that, the creates, and one round trip for the check for duplicates
        diff_whole = start_floor + (pages - 1) * latency
        apply_whole = start_floor + apply_floor + latency  # the check for duplicates reads its pages ahead
        rows.append(
            (
                f"diff {size}",
                f"{diff_wall:.3f}",
                str(diff_requests),
                f"{diff_floor:.3f}",
                f"{diff_wall / diff_floor:.2f}x",
                f"{diff_whole:.3f}",
                f"{diff_wall / diff_whole:.2f}x",
                f"{pages_floor:.3f}",
                f"{diff_wall / pages_floor:.2f}x",
                str(max(d[2] for d in diffs)),
                str(diffs[-1][1]),
            )
        )
        rows.append(
            (
                f"apply {size}",
                f"{apply_wall:.3f}",
                str(requests[-1]),
                f"{apply_floor:.3f}",
                f"{apply_wall / apply_floor:.2f}x",
                f"{apply_whole:.3f}",
                f"{apply_wall / apply_whole:.2f}x",
                f"{creates_floor:.3f}",
                f"{apply_wall / creates_floor:.2f}x",
                str(max(a[2] for a in applies)),
                str(applies[-1][1]),
            )
        )
    return rows


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    return "\n".join(
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in [headers, ["-" * w for w in widths], *rows]
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--tree", type=Path, default=None, help="Time the CLI of this checkout instead.")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args()
    env = {**os.environ, KEY_ENV: "sk-bench-not-a-secret", "NO_COLOR": "1"}
    os.environ[KEY_ENV] = env[KEY_ENV]
    print(
        f"latency {args.latency_ms} ms a request; whole processes, median of {args.runs} runs after a warm-up; "
        f"CLI of {args.tree or REPO}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        work = Path(folder)
        if not args.skip_startup:
            print(
                table(
                    ("command", "median s", "min-max s", "floor s", "floor", "ratio", "exit"),
                    startup(work, args.latency_ms, args.runs, args.tree, env),
                )
            )
        if not args.skip_scale:
            sizes = [int(s) for s in args.sizes.split(",") if s]
            print(
                table(
                    (
                        "scenario",
                        "median s",
                        "requests",
                        "network floor s",
                        "ratio",
                        "whole floor s",
                        "ratio",
                        "bare SDK s",
                        "ratio",
                        "peak MB",
                        "exit",
                    ),
                    scale(work, args.latency_ms, sizes, min(args.runs, 3), args.tree, env),
                )
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
