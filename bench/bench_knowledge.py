"""Benchmark knowledge-file sync (issue 9, item 7), run by hand (not a test).

    python bench/bench_knowledge.py [--specs 20] [--files-per-spec 10] [--latency-ms 0] [--ingest-ms 0]

A project with SPECS x FILES knowledge files against `orchestrator serve` (a subprocess with its own
database). Reports requests (from the emulator's admin counter) and wall time for:
  1. the first apply (uploads every file once),
  2. a no-change apply (target: zero uploads, reads only),
  3. an apply after one file changed (target: exactly one upload),
then a diff (target: exit 0, in sync). Exit 0 only if every target holds: every apply exits 0, the first
uploads every file once, the no-change apply makes no write, the change makes exactly one upload.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._support import Server, serving  # noqa: E402

KEY_ENV = "BENCH_ORCHESTRATOR_KEY"


def make_project(root: Path, base_url: str, specs: int, files: int) -> list[Path]:
    (root / "specs" / "kb").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "orchestrator.yaml").write_text(
        "version: 1\nproject: bench-kb\ndefault_environment: dev\n"
        "environments: {dev: {target: bench}}\n"
        f'targets: {{bench: {{type: assistants, base_url: "{base_url}", api_key_env: {KEY_ENV}}}}}\n',
        encoding="utf-8",
    )
    written = []
    for s in range(specs):
        folder = root / "specs" / "kb" / f"s{s:02d}"
        folder.mkdir()
        for f in range(files):
            path = folder / f"note{f:02d}.md"
            path.write_text(
                f"# Spec {s} note {f}\n\n" + ("subjuntivo gramática vocabulario " * 40) + "\n",
                encoding="utf-8",
            )
            written.append(path)
        (root / "specs" / f"kb-{s:02d}.yaml").write_text(
            f"version: 1\nname: kb-{s:02d}\nmodel: gpt-5.4\ninstructions: Answer from the notes.\n"
            f"tools: [file_search]\nknowledge: {{files: [kb/s{s:02d}/*.md]}}\n",
            encoding="utf-8",
        )
    return written


def run(args: list[str]) -> tuple[int, float]:
    from orchestrator.cli import main

    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(args)
    return code, time.perf_counter() - started


def measure(label: str, root: Path, server: Server) -> dict[str, object]:
    server.reset_counts()
    code, seconds = run(["-C", str(root), "apply", "--yes"])
    by_route = server.counts()["by_route"]
    reads = sum(n for route, n in by_route.items() if route.startswith("GET"))
    writes = sum(n for route, n in by_route.items() if not route.startswith("GET"))
    return {
        "step": label,
        "exit": code,
        "wall_s": round(seconds, 3),
        "requests": reads + writes,
        "reads": reads,
        "writes": writes,
        "uploads": by_route.get("POST /v1/files", 0),
    }


def checks(rows: list[dict[str, object]], files: int) -> list[tuple[str, bool]]:
    """Each target of the docstring and whether it held."""
    first, quiet, changed, diff = rows
    return [
        ("every command exits 0", all(row["exit"] == 0 for row in rows)),
        (f"first apply uploads {files} files", first["uploads"] == files),
        ("no-change apply: 0 writes, 0 uploads", quiet["writes"] == 0 and quiet["uploads"] == 0),
        ("one file changed: exactly 1 upload", changed["uploads"] == 1),
        ("diff afterwards: in sync (exit 0)", diff["exit"] == 0),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--specs", type=int, default=20)
    parser.add_argument("--files-per-spec", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--ingest-ms", type=int, default=0)
    options = parser.parse_args()
    os.environ[KEY_ENV] = "sk-bench-knowledge"
    with tempfile.TemporaryDirectory(prefix="bench-kb-") as tmp:
        folder = Path(tmp)
        with serving(folder, options.latency_ms, "--ingest-ms", str(options.ingest_ms)) as server:
            root = folder / "project"
            files = make_project(root, server.base_url, options.specs, options.files_per_spec)
            import openai  # noqa: F401  (import cost kept out of the first measurement)

            rows = [measure("first apply", root, server), measure("no-change apply", root, server)]
            files[0].write_text(files[0].read_text(encoding="utf-8") + "one more line\n", encoding="utf-8")
            rows.append(measure("one file changed", root, server))
            code, seconds = run(["-C", str(root), "diff"])
            rows.append({"step": "diff afterwards", "exit": code, "wall_s": round(seconds, 3)})
    print(
        f"{options.specs} specs x {options.files_per_spec} files = {options.specs * options.files_per_spec} "
        f"knowledge files; latency {options.latency_ms} ms, ingest {options.ingest_ms} ms"
    )
    header = ["step", "exit", "wall_s", "requests", "reads", "writes", "uploads"]
    print(" | ".join(f"{h:>16}" for h in header))
    for row in rows:
        print(" | ".join(f"{row.get(h, ''):>16}" for h in header))
    results = checks(rows, options.specs * options.files_per_spec)
    for label, held in results:
        print(f"{label}: {'ok' if held else 'FAIL'}")
    return 0 if all(held for _, held in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
