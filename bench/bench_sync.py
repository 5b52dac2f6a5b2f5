"""Benchmark the sync engine against `orchestrator serve --latency-ms 50` (issue 5, item 9).

Run by hand (not a test):  python bench/bench_sync.py [--latency-ms 50] [--diff-specs 1000] [--creates 500]
                                                      [--parallelism 8] [--profile]
(a) diff over N specs all in sync: reads must be ceil(N/100); wall time vs the floor (reads x latency
    + local time, measured separately); (b) apply of M creates at --parallelism P vs the floor: the same
    apply against a fresh server at latency 0 (local time), plus (1 + ceil(M/P) + 1) x latency: the read of
    the empty target, the creates P at a time, the duplicate check after them (it reads its pages ahead)
    (target <= 1.3x; each side the best of 3, on fresh servers); (c) the same M creates done naively, one SDK call after another, and the ratio.
Exit 0 only if (a) made exactly ceil(N/100) requests, all reads, and (b) created M and is within 1.3x.
Each scenario gets its own server process and database, so live state never leaks between them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._support import serving  # noqa: E402

KEY_ENV = "BENCH_ORCHESTRATOR_KEY"
TARGET_APPLY_RATIO = 1.3
APPLY_RUNS = 3  # (b): the best of 3 at latency 0 and the best of 3 at --latency-ms
PROJECT_FILE = """\
version: 1
project: {project}
vars: {{company: Acme}}
default_environment: dev
environments:
  dev: {{target: bench}}
targets:
  bench: {{type: assistants, base_url: "{base_url}", api_key_env: {key_env}}}
"""
TEMPLATE = "You are assistant {{ number }} at {{ company }}. Answer briefly.\n"
SPEC = """\
version: 1
name: spec-{number:04d}
display_name: Benchmark spec {number}
model: gpt-5.4
instructions:
  template: assistant.md.j2
  vars: {{number: {number}}}
tools: [code_interpreter]
functions:
  - name: lookup
    description: Look something up
    parameters: {{type: object, properties: {{q: {{type: string}}}}, required: [q]}}
temperature: 0.{digit}
metadata: {{team: bench, number: "{number}"}}
"""


def make_project(root: Path, name: str, base_url: str, specs: int) -> Path:
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "assistant.md.j2").write_text(TEMPLATE)
    (root / "orchestrator.yaml").write_text(
        PROJECT_FILE.format(project=name, base_url=base_url, key_env=KEY_ENV)
    )
    for number in range(specs):
        (root / "specs" / f"spec-{number:04d}.yaml").write_text(SPEC.format(number=number, digit=number % 10))
    return root


def cli(*args: str) -> tuple[int, str, float]:
    """Run the real CLI in-process (start-up of the interpreter excluded); exit code, stdout, seconds."""
    from orchestrator.cli import main

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    elapsed = time.perf_counter() - started
    if code not in (0, 2):
        raise RuntimeError(f"orchestrator {' '.join(args)} exited {code}:\n{err.getvalue()[-2000:]}")
    return code, out.getvalue(), elapsed


def local_time(root: Path, repeat: int = 3) -> float:
    """Everything diff does except the network: load, validate, render, plan, draw (best of `repeat`)."""
    import openai

    from orchestrator.app.project import select
    from orchestrator.backends.assistants import AssistantsClient, AssistantsMapping
    from orchestrator.engine.building import build_desired
    from orchestrator.engine.sync import make_plan
    from orchestrator.views.plan_text import render_plan_text

    selection = select(root, None, None)
    assert not hasattr(selection, "has_errors")
    with openai.OpenAI(base_url=selection.target.base_url, api_key="bench") as sdk:  # type: ignore[union-attr]
        objects = AssistantsClient(sdk).list_all()
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        state = build_desired(
            selection.project,
            selection.environment,
            selection.target,  # type: ignore[union-attr]
            today=__import__("datetime").date.today(),
        )
        plan = make_plan(state, objects, AssistantsMapping())
        render_plan_text(plan)
        best = min(best, time.perf_counter() - started)
    assert not plan.has_changes
    return best


def bench_diff(work: Path, latency_ms: int, specs: int) -> dict[str, Any]:
    with serving(work / "a", latency_ms) as server:
        root = make_project(work / "a" / "project", "bench-diff", server.base_url, specs)
        server.latency(0)  # set-up at full speed
        cli("-C", str(root), "apply", "--yes", "--parallelism", "16")
        local = local_time(root)
        server.latency(latency_ms)
        cli("-C", str(root), "diff")  # warm imports and caches, as a second run would be
        server.reset_counts()
        code, _, wall = cli("-C", str(root), "diff")
        counts = server.counts()
    reads = counts["by_route"].get("GET /v1/assistants", 0)
    expected = math.ceil(specs / 100)
    floor = expected * latency_ms / 1000 + local
    return {
        "specs": specs,
        "exit": code,
        "requests": counts["total"],
        "reads": reads,
        "expected_reads": expected,
        "wall_s": wall,
        "local_s": local,
        "floor_s": floor,
        "ratio": wall / floor,
    }


def timed_apply(folder: Path, latency_ms: int, creates: int, parallelism: int) -> tuple[float, int, int]:
    """An apply of `creates` creates against a fresh server: (seconds, objects created, requests)."""
    with serving(folder, latency_ms) as server:
        root = make_project(folder / "project", "bench-apply", server.base_url, creates)
        cli("-C", str(root), "diff", "--only", "spec-0000")  # warm imports, as in (a)
        server.reset_counts()
        _, out, wall = cli("-C", str(root), "apply", "--yes", "--parallelism", str(parallelism))
        counts = server.counts()
    return wall, out.count(": created ("), counts["total"]


def bench_apply(work: Path, latency_ms: int, creates: int, parallelism: int) -> dict[str, Any]:
    """The best of APPLY_RUNS applies at latency 0 (local time) and at `latency_ms`, each on a fresh server,
    the two alternated so that a machine whose speed drifts weighs on both alike."""
    local = wall = math.inf
    for run in range(APPLY_RUNS):
        local = min(local, timed_apply(work / f"b0-{run}", 0, creates, parallelism)[0])
        seconds, created, requests = timed_apply(work / f"b-{run}", latency_ms, creates, parallelism)
        wall = min(wall, seconds)
    rounds = 1 + math.ceil(creates / parallelism) + 1  # read the empty target, creates, duplicate check
    floor = local + rounds * latency_ms / 1000
    return {
        "creates": created,
        "parallelism": parallelism,
        "requests": requests,
        "wall_s": wall,
        "local_s": local,
        "rounds": rounds,
        "floor_s": floor,
        "ratio": wall / floor,
    }


def bench_naive(work: Path, latency_ms: int, creates: int) -> dict[str, Any]:
    """What the seed's adapter does: one create after another through the openai SDK."""
    import openai

    from orchestrator.app.project import select
    from orchestrator.backends.assistants import AssistantsMapping
    from orchestrator.engine.building import build_desired
    from orchestrator.engine.sync import desired_items

    with serving(work / "c", latency_ms) as server:
        root = make_project(work / "c" / "project", "bench-naive", server.base_url, creates)
        selection = select(root, None, None)
        state = build_desired(
            selection.project,
            selection.environment,
            selection.target,  # type: ignore[union-attr]
            today=__import__("datetime").date.today(),
        )
        mapping = AssistantsMapping()
        payloads = [
            mapping.create_payload(item.essence, item.metadata)
            for _, item in sorted(desired_items(state, mapping).items())
        ]
        with openai.OpenAI(base_url=server.base_url, api_key="bench") as sdk, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sdk.beta.assistants.list(limit=1)  # the SDK imports its assistants types on first use: not timed
            server.reset_counts()
            started = time.perf_counter()
            for payload in payloads:
                sdk.beta.assistants.create(**payload)
            wall = time.perf_counter() - started
        counts = server.counts()
    return {"creates": len(payloads), "requests": counts["total"], "wall_s": wall}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--diff-specs", type=int, default=1000)
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--profile", action="store_true", help="Profile the apply of scenario (b).")
    args = parser.parse_args()
    os.environ[KEY_ENV] = "sk-bench-not-a-secret"
    os.environ.setdefault("NO_COLOR", "1")
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as folder:
        work = Path(folder)
        a = bench_diff(work, args.latency_ms, args.diff_specs)
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        b = bench_apply(work, args.latency_ms, args.creates, args.parallelism)
        if args.profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        c = bench_naive(work, args.latency_ms, args.creates)
    rows = [
        (
            "(a) diff, specs in sync",
            f"{a['specs']}",
            f"{a['reads']} reads (expected {a['expected_reads']}), {a['requests']} requests",
            f"{a['wall_s']:.3f}",
            f"{a['floor_s']:.3f}",
            f"{a['ratio']:.2f}x",
        ),
        ("    local time (no network)", "", "", f"{a['local_s']:.3f}", "", ""),
        (
            f"(b) apply, --parallelism {b['parallelism']}",
            f"{b['creates']} creates",
            f"{b['requests']} requests",
            f"{b['wall_s']:.3f}",
            f"{b['floor_s']:.3f}",
            f"{b['ratio']:.2f}x",
        ),
        (
            f"    floor: latency 0 + {b['rounds']} round trips",
            "",
            "",
            f"{b['local_s']:.3f}",
            "",
            "",
        ),
        (
            "(c) naive SDK loop",
            f"{c['creates']} creates",
            f"{c['requests']} requests",
            f"{c['wall_s']:.3f}",
            "",
            f"{c['wall_s'] / b['wall_s']:.2f}x (b)",
        ),
    ]
    headers = ("scenario", "objects", "requests", "wall s", "floor s", "ratio")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    print(f"latency {args.latency_ms} ms per request; CLI timed in-process (interpreter start-up excluded)")
    for row in [headers, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    ok = (
        a["reads"] == a["expected_reads"] == a["requests"]
        and a["exit"] == 0
        and b["creates"] == args.creates
        and b["ratio"] <= TARGET_APPLY_RATIO
    )
    print(
        f"(a) requests == reads == ceil(N/100): {a['reads'] == a['expected_reads'] == a['requests']}; "
        f"(b) within {TARGET_APPLY_RATIO}x of the floor: {b['ratio'] <= TARGET_APPLY_RATIO} "
        "(the ratios of (a) and (c) are printed, not checked)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
