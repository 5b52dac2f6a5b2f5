"""Benchmark the Agents backend against `orchestrator serve --latency-ms 50` (run by hand).

    python bench/bench_agents.py [--latency-ms 50] [--creates 500] [--in-sync 1000] [--parallelism 8]

1. apply of N agent creates at --parallelism P, against the floor: the same apply against a fresh
   emulator at latency 0 (local time, the best of 3), plus (1 + ceil(N / P) + 1) x latency: one round
   for the listings of every kind (read at once), the creates P at a time, the duplicate check after
   them (bound: within 1.3x of the floor, on warm); the cold run is only timed;
2. diff over M agents in sync: one listing per kind the agents target has, read page by page: ceil(M / 100)
   pages of agents, and one (empty) page each of vaults, skills, environment templates and automations
   (the emulator's admin request counter), and no other request.
Exit 0 only if every apply created N and exited 0, warm within its bound, and each diff exited 0 with
exactly those requests.
Each command is timed twice: "warm" runs `orchestrator.cli.main` in this process once the SDK is
imported (what watch or a CI runner's second command sees; the bound applies to it), "cold" is a
subprocess (`python -m orchestrator`), so it adds interpreter start and importing the openai SDK.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import admin, emulated
from orchestrator.constants import ADMIN_REQUESTS_PATH

KEY_ENV = "BENCH_AGENTS_KEY"
PAGE = 100
BOUND = 1.3
LOCAL_RUNS = 3
# What else a diff on an agents target lists (the project has none of them: one empty page each).
OTHER_KIND_LISTINGS = (
    "GET /v1/vaults",
    "GET /v1/skills",
    "GET /v1/agents/environments/templates",
    "GET /v1/agents/automations",
)


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    exit_code: int
    requests: dict[str, int]


def write_project(root: Path, base_url: str) -> None:
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    (root / "orchestrator.yaml").write_text(
        "version: 1\nproject: bench\nspecs: specs\ntemplates: templates\ndefault_environment: dev\n"
        "environments:\n  dev: {target: agents}\n"
        f"targets:\n  agents: {{type: agents, base_url: '{base_url}', api_key_env: {KEY_ENV}}}\n",
        encoding="utf-8",
    )


def write_specs(root: Path, first: int, count: int) -> None:
    for index in range(first, first + count):
        name = f"agent-{index:04d}"
        (root / "specs" / f"{name}.yaml").write_text(
            f"version: 1\nname: {name}\nmodel: gpt-5.4\ninstructions: You are bench agent {index}.\n"
            "reasoning_effort: low\nverbosity: low\nmetadata: {team: bench}\n"
            "functions:\n  - name: lookup\n    description: Look something up\n"
            "    parameters: {type: object, properties: {q: {type: string}}, required: [q]}\n",
            encoding="utf-8",
        )


def cold(root: Path, root_url: str, *args: str) -> Run:
    """`python -m orchestrator -C ROOT ARGS` in a subprocess."""
    admin(root_url, ADMIN_REQUESTS_PATH, "DELETE")
    env = {**os.environ, KEY_ENV: "sk-bench", "NO_COLOR": "1"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator", "-C", str(root), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 2):
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
    return Run(seconds, done.returncode, counted(root_url))


def warm(root: Path, root_url: str, *args: str) -> Run:
    """The same command through `orchestrator.cli.main` in this process (SDK already imported)."""
    from orchestrator.cli import main as orchestrator_main

    admin(root_url, ADMIN_REQUESTS_PATH, "DELETE")
    os.environ[KEY_ENV] = "sk-bench"
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = orchestrator_main(["-C", str(root), *args])
    seconds = time.perf_counter() - started
    if code not in (0, 2):
        sys.stderr.write(out.getvalue()[-2000:] + err.getvalue()[-2000:])
    return Run(seconds, code, counted(root_url))


def counted(root_url: str) -> dict[str, int]:
    counts = admin(root_url, ADMIN_REQUESTS_PATH)
    return {"total": counts["total"], **counts["by_route"]}


def local_apply(creates: int, parallelism: int) -> float:
    """The warm apply of `creates` creates against a fresh emulator at latency 0: the best of LOCAL_RUNS."""
    best = float("inf")
    for _ in range(LOCAL_RUNS):
        with emulated("bench-agents-local-", 0) as (tmp, root_url):
            project = tmp / "project"
            write_project(project, root_url + "/v1")
            write_specs(project, 0, creates)
            warm(project, root_url, "diff", "--only", "agent-0000")
            run = warm(project, root_url, "apply", "--yes", "--parallelism", str(parallelism))
            best = min(best, run.seconds)
    return best


def verdict(ok: bool) -> str:
    return "OK" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--in-sync", type=int, default=1000)
    parser.add_argument("--parallelism", type=int, default=8)
    options = parser.parse_args()
    if options.in_sync < 2 * options.creates:
        parser.error("--in-sync must be at least twice --creates (the diff runs over every created agent)")
    ok = True
    with emulated("bench-agents-", options.latency_ms) as (tmp, root_url):
        project = tmp / "project"
        write_project(project, root_url + "/v1")
        print(f"emulator: {root_url} --latency-ms {options.latency_ms}")
        warm(project, root_url, "diff")  # imports the SDK and its agents resource, as any first command does

        local = local_apply(options.creates, options.parallelism)
        rounds = 1 + math.ceil(options.creates / options.parallelism) + 1
        floor = local + rounds * options.latency_ms / 1000
        print(
            f"apply floor: {floor:.2f} s = the same apply at latency 0 {local:.2f} s (best of {LOCAL_RUNS}) "
            f"+ {rounds} round trips x {options.latency_ms} ms (listings, creates, duplicate check)"
        )
        for how, run_command, first in (("warm", warm, 0), ("cold", cold, options.creates)):
            write_specs(project, first, options.creates)
            run = run_command(project, root_url, "apply", "--yes", "--parallelism", str(options.parallelism))
            created = run.requests.get("POST /v1/agents", 0)
            within = (
                run.exit_code == 0
                and created == options.creates
                and (how == "cold" or run.seconds <= BOUND * floor)
            )
            ok &= within
            print(
                f"apply {options.creates} creates at --parallelism {options.parallelism} ({how}): "
                + (
                    f"{run.seconds:.2f} s, floor {floor:.2f} s, ratio {run.seconds / floor:.2f} (bound {BOUND}x)"
                    if how == "warm"
                    else f"{run.seconds:.2f} s (timed only: adds interpreter start and imports)"
                )
                + f"; exit {run.exit_code}, {created} created; requests {run.requests} -> {verdict(within)}"
            )

        if options.in_sync > 2 * options.creates:
            write_specs(project, 2 * options.creates, options.in_sync - 2 * options.creates)
            ok &= warm(project, root_url, "apply", "--yes", "--parallelism", "32").exit_code == 0
        pages = math.ceil(options.in_sync / PAGE)
        expected = {"GET /v1/agents": pages, **dict.fromkeys(OTHER_KIND_LISTINGS, 1)}
        expected = {"total": sum(expected.values()), **expected}
        for how, run_command in (("warm", warm), ("cold", cold)):
            run = run_command(project, root_url, "diff")
            within = run.exit_code == 0 and run.requests == expected
            ok &= within
            print(
                f"diff over {options.in_sync} agents in sync ({how}): {run.seconds:.2f} s, exit {run.exit_code}, "
                f"requests {run.requests} (expected {pages} page(s) of agents + 1 empty page of each of "
                f"{len(OTHER_KIND_LISTINGS)} other kinds) -> {verdict(within)}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
