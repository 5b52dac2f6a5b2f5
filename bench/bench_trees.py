"""Whole-process timings of validate, diff and apply for this checkout and another, in the same run (issue 26).

Run by hand (not a test):  git archive <old commit> | tar -x -C /tmp/before
                           python bench/bench_trees.py --tree /tmp/before [--sizes 10,1000] [--runs 5]

A regroup must not slow the commands a user waits for. For each size and command the two checkouts run in
turn, A B A B ... (A: this checkout, B: --tree), each as its own process (`python -c` that puts the checkout
first on sys.path and runs `orchestrator`), after one warm-up each; the table gives each side's median wall
time and the median of the pairwise ratios A/B, so a machine whose speed drifts during the run still
compares fairly. The target is `orchestrator serve --latency-ms 0` in another process (the emulator of this
checkout for both sides): `diff` runs against specs already applied (all in sync), `apply` against a fresh
server each run (all creates, --parallelism 8), `validate` reads no server.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_startup = _load("bench_startup")
_sync = _startup._sync
run, cli = _startup.run, _startup.cli


def timed_pair(
    a: list[str], b: list[str], env: dict[str, str], runs: int, before: Any = None
) -> dict[str, Any]:
    """Median walls of a and b run in turn, and the median of the pairwise ratios a/b."""
    walls: dict[str, list[float]] = {"a": [], "b": []}
    ratios: list[float] = []
    for index in range(runs + 1):  # the first pair is the warm-up
        pair = {}
        for side, command in (("a", a), ("b", b)):
            if before is not None:
                before()
            wall, code, _ = run(command, env)
            if code != 0:
                raise RuntimeError(f"{' '.join(command[-4:])} exited {code}")
            pair[side] = wall
        if index:
            walls["a"].append(pair["a"])
            walls["b"].append(pair["b"])
            ratios.append(pair["a"] / pair["b"])
    return {
        "a": statistics.median(walls["a"]),
        "b": statistics.median(walls["b"]),
        "ratio": statistics.median(ratios),
        "spread": (min(ratios), max(ratios)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--tree", type=Path, required=True, help="the other checkout (B), e.g. git archive output"
    )
    parser.add_argument("--sizes", default="10,1000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tree = args.tree.resolve()
    env = {**os.environ, _sync.KEY_ENV: "sk-bench"}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for size in (int(s) for s in args.sizes.split(",")):
            with _sync.serving(work / f"serve-{size}", 0) as server:
                root = _sync.make_project(work / f"p{size}", f"bench-trees-{size}", server.base_url, size)
                first = subprocess.run(
                    cli(None, "-C", str(root), "apply", "--yes", "--parallelism", "8"),
                    env=env,
                    capture_output=True,
                    text=True,
                )
                if first.returncode != 0:
                    raise RuntimeError(f"the first apply failed: {first.stdout[-500:]}{first.stderr[-1000:]}")
                for command in ("validate", "diff"):
                    result = timed_pair(
                        cli(None, "-C", str(root), command),
                        cli(tree, "-C", str(root), command),
                        env,
                        args.runs,
                    )
                    rows.append((f"{command} ({size} specs)", result))
            servers: list[Any] = []

            def fresh(size: int = size, servers: list[Any] = servers) -> None:
                """A new server and a project pointed at it: every apply is all creates."""
                for old in servers:
                    old.stop()
                servers.clear()
                count = len(list(work.glob(f"apply-{size}-*")))
                server = _startup.Server(_mkdir(work / f"apply-{size}-{count}"), 0)
                servers.append(server)
                _sync.make_project(
                    work / f"apply-{size}-{count}" / "p", f"bench-apply-{size}", server.base_url, size
                )
                (work / f"apply-{size}").unlink(missing_ok=True)
                (work / f"apply-{size}").symlink_to(work / f"apply-{size}-{count}" / "p")

            link = str(work / f"apply-{size}")
            try:
                result = timed_pair(
                    cli(None, "-C", link, "apply", "--yes", "--parallelism", "8"),
                    cli(tree, "-C", link, "apply", "--yes", "--parallelism", "8"),
                    env,
                    args.runs,
                    before=fresh,
                )
            finally:
                for server in servers:
                    server.stop()
            rows.append((f"apply ({size} creates)", result))
    print(f"A: {REPO}   B: {tree}   median of {args.runs} pairs after 1 warm-up pair, wall seconds")
    print(f"{'command':<24} {'A':>8} {'B':>8} {'A/B':>6}  ratio range")
    for name, result in rows:
        low, high = result["spread"]
        print(
            f"{name:<24} {result['a']:>8.3f} {result['b']:>8.3f} {result['ratio']:>6.2f}  {low:.2f}-{high:.2f}"
        )
    return 0


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    sys.exit(main())
