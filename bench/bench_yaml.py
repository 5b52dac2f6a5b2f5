"""YAML load of N spec files (issue 17 item 3): this checkout against another (`--tree DIR`, e.g. a worktree of
the commit before the work), each run a fresh process, the two alternated, median of --runs and the ratio.

Run by hand (not a test):  python bench/bench_yaml.py [--specs 5000] [--runs 7] --tree DIR
What is timed, in each process: spec.loading.load_yaml_file of every spec file inside the project (read through
the confinement gate, parsed, built), then the position of `/name` of each (what building specs asks of every
spec); the specs are bench/bench_sync.py's. Interpreter start-up and imports are not in the figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = (REPO / "bench" / "bench_sync.py").read_text().split('SPEC = """\\\n', 1)[1].split('"""', 1)[0]
TIMED = """
import json, sys, time
sys.path.insert(0, {tree!r})
from pathlib import Path
from orchestrator.spec.loading import load_yaml_file
root = Path({root!r}).resolve()
files = sorted((root / "specs").glob("*.yaml"))
started = time.perf_counter()
for path in files:
    document = load_yaml_file(path, path.name, root=root)
    document.position("/name")
print(json.dumps({{"seconds": time.perf_counter() - started, "files": len(files)}}))
"""


def timed(tree: Path, root: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", TIMED.format(tree=str(tree), root=str(root))],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out)["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--specs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tree", type=Path, required=True, help="The other checkout (the 'before').")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-yaml-") as folder:
        root = Path(folder)
        (root / "specs").mkdir()
        for number in range(args.specs):
            (root / "specs" / f"spec-{number:04d}.yaml").write_text(
                SPEC.format(number=number, digit=number % 10)
            )
        timed(REPO, root), timed(args.tree, root)  # warm-up: the file cache, the bytecode
        this, other = [], []
        for _ in range(args.runs):
            this.append(timed(REPO, root))
            other.append(timed(args.tree, root))
    ratios = sorted(a / b for a, b in zip(this, other, strict=True))
    print(
        f"YAML load of {args.specs} spec files (+ the position of /name of each), {args.runs} runs alternated"
    )
    print("| checkout | median s | min-max s |")
    print("| --- | --- | --- |")
    for name, times in ((str(REPO), this), (str(args.tree), other)):
        print(f"| {name} | {statistics.median(times):.3f} | {min(times):.3f}-{max(times):.3f} |")
    print(
        f"ratio this/other, pair by pair: median {statistics.median(ratios):.2f} "
        f"(min {ratios[0]:.2f}, max {ratios[-1]:.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
