"""Benchmark the resource graph (agents + environment templates) against `orchestrator serve --latency-ms 50`.

    python bench/bench_environments.py [--latency-ms 50] [--agents 100] [--parallelism 8]

N agents, each with its own `kind: environment` template holding 3 project files:
1. the first apply (2N creates, 3N uploads) against its floor (the graph: every template, then its agent);
2. a no-change diff reads each kind in ceil(N/100) list pages: agents, templates, plus one /files listing
   (pages of 10,000) that the templates force: a template names only file ids, and the uploaded file's
   name is what says which project file and hash it holds; never one request per object;
3. a no-change apply makes 0 writes and 0 uploads (the same reads);
4. one edited file makes exactly 1 upload and 1 template update (agents name their environment by spec
   name, so no agent changes).
Commands run in this process ("warm", the SDK imported once, by a diff before the first apply, not timed)
and, for the diff, as a subprocess ("cold"). Checked (exit 1 if not): exit codes, and the counts of
requests, writes and uploads above; the wall times and their network floors are printed, not checked.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._support import emulated, writes
from bench.bench_agents import cold, verdict, warm
from bench.bench_agents import write_project as write_agents_project

PAGE = 100
FILES_PAGE = 10_000


def write_project(root: Path, base_url: str, agents: int) -> None:
    write_agents_project(root, base_url)
    (root / "specs" / "files").mkdir(parents=True, exist_ok=True)
    for index in range(agents):
        name = f"agent-{index:04d}"
        folder = root / "specs" / "files" / name
        folder.mkdir(parents=True, exist_ok=True)
        for part in range(3):
            (folder / f"part-{part}.md").write_text(
                f"# {name} part {part}\ncontent {index}-{part}\n", encoding="utf-8"
            )
        (root / "specs" / f"{name}-env.yaml").write_text(
            f"version: 1\nkind: environment\nname: {name}-env\n"
            f"files:\n  - {{from: files/{name}/*.md, to: /workspace/knowledge/}}\n"
            "packages: {python: [pandas]}\n",
            encoding="utf-8",
        )
        (root / "specs" / f"{name}.yaml").write_text(
            f"version: 1\nname: {name}\nenvironment: {name}-env\nmodel: gpt-5.4\n"
            f"instructions: You are bench agent {index}.\n",
            encoding="utf-8",
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--parallelism", type=int, default=8)
    options = parser.parse_args()
    n, latency = options.agents, options.latency_ms / 1000
    ok = True
    with emulated("bench-environments-", options.latency_ms) as (tmp, root_url):
        project = tmp / "project"
        write_project(project, root_url + "/v1", n)
        print(
            f"emulator: {root_url} --latency-ms {options.latency_ms}; {n} agents, {n} templates, {3 * n} files"
        )

        warm(project, root_url, "diff")  # imports the SDK, as any first command does: not timed
        first = warm(project, root_url, "apply", "--yes", "--parallelism", str(options.parallelism))
        reads = 2 * math.ceil(max(n, 1) / PAGE) + 1  # agents and templates (empty: one page each), /files
        floor = (reads + (3 * n + 2 * n) / options.parallelism) * latency
        uploads = first.requests.get("POST /v1/files", 0)
        good = first.exit_code == 0 and uploads == 3 * n and first.requests.get("POST /v1/agents", 0) == n
        ok &= good
        print(
            f"first apply (warm): {first.seconds:.2f} s, floor {floor:.2f} s (reads + {5 * n} writes / "
            f"{options.parallelism}; local time not in it), ratio {first.seconds / floor:.2f} (not checked); "
            f"{uploads} uploads; "
            f"requests {first.requests} -> {verdict(good)}"
        )

        # + the graph's other kinds, read even when empty (one page each): vaults, skills, automations
        expected_reads = 2 * math.ceil(n / PAGE) + math.ceil(3 * n / FILES_PAGE) + 3
        for how, run_command in (("warm", warm), ("cold", cold)):  # every kind's listing read at once
            diff = run_command(project, root_url, "diff")
            good = diff.exit_code == 0 and diff.requests["total"] == expected_reads
            ok &= good
            print(
                f"no-change diff ({how}): {diff.seconds:.2f} s, {diff.requests['total']} requests "
                f"(expected {expected_reads}: ceil(N/100) agents + ceil(N/100) templates + "
                f"ceil(3N/10000) files + 1 each for vaults, skills, automations), {diff.requests} "
                f"-> {verdict(good)}"
            )

        quiet = warm(project, root_url, "apply", "--yes")
        good = (
            quiet.exit_code == 0 and writes(quiet.requests) == 0 and quiet.requests["total"] == expected_reads
        )
        ok &= good
        print(
            f"no-change apply (warm): {quiet.seconds:.2f} s, {writes(quiet.requests)} writes, "
            f"{quiet.requests.get('POST /v1/files', 0)} uploads, {quiet.requests['total']} requests "
            f"-> {verdict(good)}"
        )

        edited = project / "specs" / "files" / "agent-0000" / "part-1.md"
        edited.write_text(edited.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
        one = warm(project, root_url, "apply", "--yes")
        template_updates = one.requests.get("POST /v1/agents/environments/templates/{id}", 0)
        good = (
            one.exit_code == 0
            and one.requests.get("POST /v1/files", 0) == 1
            and template_updates == 1
            and writes(one.requests) == 2
        )
        ok &= good
        edit_floor = (expected_reads + 2) * latency
        print(
            f"one edited file (warm): {one.seconds:.2f} s, network floor {edit_floor:.2f} s (not checked); "
            f"{one.requests.get('POST /v1/files', 0)} upload, {template_updates} template update, "
            f"{writes(one.requests)} writes; requests {one.requests} -> {verdict(good)}"
        )
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
