"""Benchmark `orchestrator test` against `orchestrator serve --latency-ms 50` (run by hand).

    python bench/bench_test.py [--latency-ms 50] [--cases 100] [--repeat 3] [--parallelism 4] [--runs 1]
                               [--memory 25,50,100] [--backend assistants]

1. speed: one whole process (`python -m orchestrator test --repeat R --parallelism P`) running C scripted
   cases, each a turn with one tool round, R times; its time against the floor measured in the same run:
   the same whole process against the emulator at latency 0 (interpreter start-up, imports, local work),
   plus the /v1 requests the process made (the emulator's admin request counter) x latency / P
   (bound: within 1.25x of the floor);
2. memory: the process's peak RSS (its rusage) at each case count of --memory, printed (it should stay
   flat as the cases grow: results are small values, conversations are deleted as each case ends; this
   is for the reader to judge, not checked);
3. copies (checked): the tested spec is created once and deleted once per run, whatever the number of
   cases (the emulator's request counts by route).
Exit 0 only if the speed bound holds, every case passed and the copies are one create and one delete.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import admin, emulated
from orchestrator.constants import ADMIN_FAULTS_PATH, ADMIN_REQUESTS_PATH

KEY_ENV = "BENCH_TEST_KEY"
BOUND = 1.25


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    exit_code: int
    peak_rss_mb: float
    cpu_s: float  # user + system time of the process (its share of a busy machine)
    requests: dict[str, int]
    passed: int


def write_project(root: Path, base_url: str, backend: str, cases: int) -> None:
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    (root / "handlers").mkdir(exist_ok=True)
    (root / "orchestrator.yaml").write_text(
        "version: 1\nproject: bench\nspecs: specs\ntemplates: templates\ndefault_environment: dev\n"
        "python_path: [handlers]\nenvironments:\n  dev: {target: served}\n"
        f"targets:\n  served: {{type: {backend}, base_url: '{base_url}', api_key_env: {KEY_ENV}}}\n",
        encoding="utf-8",
    )
    (root / "handlers" / "shop.py").write_text(
        "def fetch_kpis(store_id, period):\n    return {'store_id': store_id, 'period': period, 'sales': 1200.5}\n",
        encoding="utf-8",
    )
    (root / "specs" / "analyst.yaml").write_text(
        "version: 1\nname: analyst\nmodel: gpt-5.4\ninstructions: You report KPIs.\n"
        "functions:\n  - name: fetch_kpis\n    description: KPIs of a store\n    handler: shop:fetch_kpis\n"
        "    parameters:\n      type: object\n      additionalProperties: false\n      required: [store_id, period]\n"
        "      properties: {store_id: {type: string}, period: {enum: [week, month]}}\n",
        encoding="utf-8",
    )
    lines = ["version: 1", "kind: test", "name: analyst-bench", "spec: analyst", "cases:"]
    for number in range(cases):
        lines += [
            f"  - name: case {number:03d}",
            "    turns:",
            f'      - user: "KPIs of store {number}"',
            "        model:",
            "          - call: fetch_kpis",
            f'            arguments: {{store_id: "{number}", period: week}}',
            f'          - reply: "Store {number} sold 1200.5"',
            "        expect:",
            "          - tool_called: fetch_kpis",
            "            arguments: {period: week}",
            "          - tool_output: {contains: '1200.5'}",
            "          - reply: {contains: sold}",
        ]
    (root / "specs" / "analyst-bench.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_test(root: Path, root_url: str, repeat: int, parallelism: int) -> Run:
    """`python -m orchestrator -C ROOT test ...` as a whole process: its time, peak RSS and requests."""
    admin(root_url, ADMIN_REQUESTS_PATH, "DELETE")
    env = {**os.environ, KEY_ENV: "sk-bench", "NO_COLOR": "1"}
    report = root / "report.json"
    with open(root / "stdout.txt", "w+b") as out, open(root / "stderr.txt", "w+b") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "orchestrator",
                "-C",
                str(root),
                "test",
                "--repeat",
                str(repeat),
                "--parallelism",
                str(parallelism),
                "-o",
                "json",
                "--out",
                str(report),
            ],
            env=env,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(process.pid, 0)  # its own rusage: the peak RSS of this process alone
        seconds = time.perf_counter() - started
        process.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            out.seek(0)
            err.seek(0)
            sys.stderr.write(out.read().decode()[-2000:] + err.read().decode()[-2000:])
    rss = usage.ru_maxrss / 1024  # Linux: kilobytes
    passed = json.loads(report.read_text())["summary"]["passed"] if report.exists() else 0
    counts = admin(root_url, ADMIN_REQUESTS_PATH)
    return Run(
        seconds,
        code,
        rss,
        usage.ru_utime + usage.ru_stime,
        {"total": counts["total"], **counts["by_route"]},
        passed,
    )


def v1_requests(requests: dict[str, int]) -> int:
    """The requests the latency applies to (every /v1 route; the admin routes answer at once)."""
    return sum(count for route, count in requests.items() if route != "total" and "/v1/" in route)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parallelism", type=int, default=4)
    parser.add_argument("--runs", type=int, default=1, help="timed runs of the speed check (the best counts)")
    parser.add_argument("--memory", default="25,50,100", help="case counts of the memory check ('' to skip)")
    parser.add_argument("--backend", choices=("assistants", "agents"), default="assistants")
    args = parser.parse_args(argv)

    with emulated("bench-test-", args.latency_ms) as (base, root_url):
        ok = True
        root = base / "project"
        write_project(root, root_url + "/v1", args.backend, args.cases)
        print(
            f"orchestrator test: {args.cases} cases x {args.repeat} repeats, --parallelism {args.parallelism}, "
            f"serve --latency-ms {args.latency_ms}, backend {args.backend}"
        )
        admin(root_url, ADMIN_FAULTS_PATH, "POST", {"latency_ms": 0})
        local = min(run_test(root, root_url, args.repeat, args.parallelism) for _ in range(args.runs)).seconds
        admin(root_url, ADMIN_FAULTS_PATH, "POST", {"latency_ms": args.latency_ms})
        runs = [run_test(root, root_url, args.repeat, args.parallelism) for _ in range(args.runs)]
        best = min(runs, key=lambda r: r.seconds)
        requests = v1_requests(best.requests)
        network = requests * args.latency_ms / 1000 / args.parallelism
        floor = local + network
        ratio = best.seconds / floor if floor else float("inf")
        print(
            f"  whole process {best.seconds:.2f} s (runs: {', '.join(f'{r.seconds:.2f}' for r in runs)}); "
            f"floor {floor:.2f} s = the same process at latency 0 {local:.2f} s + {requests} /v1 requests x "
            f"{args.latency_ms} ms / {args.parallelism} {network:.2f} s; "
            f"ratio {ratio:.2f}x (bound {BOUND}x) {'ok' if ratio <= BOUND else 'OVER'}"
        )
        print(
            f"  {best.passed} of {args.cases} cases passed, exit {best.exit_code}, "
            f"peak RSS {best.peak_rss_mb:.1f} MB, CPU {best.cpu_s:.1f} s; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        creates = {
            route: n
            for route, n in best.requests.items()
            if route.startswith("POST ") and route.rstrip("/").endswith(("/assistants", "/agents"))
        }
        deletes = {
            route: n
            for route, n in best.requests.items()
            if route.startswith("DELETE ") and ("/assistants/" in route or "/agents/" in route)
        }
        copies = sum(creates.values()) == 1 and sum(deletes.values()) == 1
        print(
            f"  copies: creates {creates or 'none'}, deletes {deletes or 'none'} "
            f"(expected one each for the one tested spec) {'ok' if copies else 'WRONG'}"
        )
        ok = ratio <= BOUND and best.exit_code == 0 and best.passed == args.cases and copies
        if args.memory:
            print("memory (peak RSS of the whole process) by number of cases (printed, not checked):")
            for count in (int(c) for c in args.memory.split(",") if c.strip()):
                write_project(root, root_url + "/v1", args.backend, count)
                run = run_test(root, root_url, args.repeat, args.parallelism)
                print(
                    f"  {count:4d} cases: {run.peak_rss_mb:6.1f} MB, {run.seconds:6.2f} s, "
                    f"{run.passed} passed"
                )
                ok = ok and run.exit_code == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
