"""Benchmark: validate + render 1,000 generated specs, and the start-up time of `orchestrator validate`.

Run by hand (not a test):  python bench/bench_validate.py [--specs 1000] [--repeat 5] [--profile]
Targets (issue 3): all specs in <= 1.5 s on a 2-core machine; `orchestrator validate` on this repo <= 0.3 s.
The targets are absolute seconds (an idle machine): the verdicts are printed, not checked; exit 0 says that
every build and every `orchestrator validate` succeeded. For start-up measured against a floor taken in the
same run, see bench/bench_startup.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGET_BUILD_S = 1.5
TARGET_STARTUP_S = 0.3

PROJECT_FILE = """\
version: 1
project: bench
vars: {company: Acme}
environments:
  dev: {target: local, vars: {tone: friendly}}
"""
PARTIAL = """\
{% macro house_style(role) -%}
You are {{ role }} at {{ company }}. Keep a {{ tone }} tone.
{%- endmacro %}
"""
FOOTER = "Answer briefly; cite the tool you used.\n"
TEMPLATE = """\
{% from "partials/style.md.j2" import house_style with context %}
{{- house_style(role) }}
Focus on {{ topic }} for spec number {{ number }}.
{% for item in items %}- {{ item }}
{% endfor %}
{% include "partials/footer.md.j2" %}
"""
SHARED_PARAMETERS = {
    "type": "object",
    "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "minimum": 1}},
    "required": ["query", "limit"],
    "additionalProperties": False,
}


def spec_text(number: int) -> str:
    return f"""\
version: 1
name: spec-{number:04d}
display_name: Benchmark spec {number}
description: Generated for the validate benchmark
model: gpt-5.4
instructions:
  template: spec_{number % 10}.md.j2
  vars: {{role: analyst {number}, topic: topic {number}, number: {number}, items: [alpha, beta, gamma]}}
tools: [code_interpreter]
functions:
  - name: search_{number}
    description: Search the catalogue
    parameters: ../schemas/search.json
    strict: true
  - name: lookup_{number}
    description: Look up one record
    parameters: ../schemas/lookup_{number % 50}.json
  - name: inline_{number}
    description: An inline parameter schema
    parameters:
      type: object
      properties:
        id: {{type: string}}
        detail: {{type: string, enum: [short, long]}}
      required: [id, detail]
      additionalProperties: false
    strict: true
temperature: 0.3
metadata: {{team: bench, index: "{number}"}}
"""


def make_project(root: Path, count: int) -> None:
    (root / "specs").mkdir(parents=True)
    (root / "templates" / "partials").mkdir(parents=True)
    (root / "schemas").mkdir()
    (root / "orchestrator.yaml").write_text(PROJECT_FILE)
    (root / "templates" / "partials" / "style.md.j2").write_text(PARTIAL)
    (root / "templates" / "partials" / "footer.md.j2").write_text(FOOTER)
    for index in range(10):
        (root / "templates" / f"spec_{index}.md.j2").write_text(TEMPLATE)
    (root / "schemas" / "search.json").write_text(json.dumps(SHARED_PARAMETERS, indent=2))
    for index in range(50):
        lookup = {
            "type": "object",
            "properties": {f"key_{index}": {"type": "string"}},
            "required": [f"key_{index}"],
        }
        (root / "schemas" / f"lookup_{index}.json").write_text(json.dumps(lookup, indent=2))
    for number in range(count):
        (root / "specs" / f"spec-{number:04d}.yaml").write_text(spec_text(number))


def build_in_process(root: Path) -> int:
    from orchestrator.engine.building import Builder
    from orchestrator.spec.project import load_project
    from orchestrator.spec.validation import clear_caches

    clear_caches()  # every timed run pays for checking each distinct parameter schema once, as a fresh process does

    project, diagnostics = load_project(root)
    assert project is not None, [d.message for d in diagnostics]
    environment = project.environment(None)
    state = Builder(project, environment, project.target(environment.target), today=date(2026, 11, 1)).build()
    if state.diagnostics.has_errors:
        raise SystemExit(
            "benchmark project is invalid:\n" + "\n".join(d.message for d in state.diagnostics.errors[:5])
        )
    return len(state.specs)


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def run_cli(cwd: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator", "validate"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"orchestrator validate failed in {cwd}:\n{result.stderr}")


def row(label: str, times: list[float], target: float | None) -> str:
    best, median = min(times), statistics.median(times)
    verdict = "" if target is None else ("ok" if median <= target else "OVER")
    target_text = "" if target is None else f"{target:.2f}"
    return f"| {label:<44} | {best:7.3f} | {median:7.3f} | {target_text:>6} | {verdict:<4} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one in-process build and print the top 25"
    )
    parser.add_argument(
        "--no-rs",
        action="store_true",
        help="hide jsonschema-rs, to time the pure-Python fallback (in-process row only)",
    )
    args = parser.parse_args()
    if args.no_rs:
        sys.modules["jsonschema_rs"] = None  # type: ignore[assignment]  # makes `import jsonschema_rs` fail
    with tempfile.TemporaryDirectory(prefix="orchestrator-bench-") as folder:
        root = Path(folder)
        make_project(root, args.specs)
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(build_in_process, root)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            return 0
        count = build_in_process(root)  # also warms the OS file cache
        assert count == args.specs, count
        in_process = timed(lambda: build_in_process(root), args.repeat)
        cli_big = [] if args.no_rs else timed(lambda: run_cli(root), args.repeat)
        startup = [] if args.no_rs else timed(lambda: run_cli(REPO), max(args.repeat, 5))
    print(
        f"{args.specs} specs x 3 functions, templates with a shared macro partial and an include; "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
        + ("; jsonschema-rs hidden" if args.no_rs else "")
    )
    print("| measurement                                  |  best s | median s | target |      |")
    print("| -------------------------------------------- | ------- | -------- | ------ | ---- |")
    print(row(f"validate+render {args.specs} specs (in-process Builder)", in_process, TARGET_BUILD_S))
    if cli_big:
        print(row(f"`orchestrator validate`, {args.specs} specs (subprocess)", cli_big, TARGET_BUILD_S))
        print(row("`orchestrator validate` on this repo (start-up)", startup, TARGET_STARTUP_S))
    print(
        f"verdicts against absolute targets, printed, not checked (load average {os.getloadavg()[0]:.1f}); "
        "exit 0: every build and validate succeeded"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
