"""Pure-logic tests stay cheap: collecting them imports neither the openai SDK nor the emulator.

The root conftest.py is imported for every test; fixtures that need a server or an SDK client
import them when they run. A module-level import of either there would cost every focused unit-test
run about 2 s again, which this test catches.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("openai", "orchestrator.emulator")


def pure_unit_tests() -> list[str]:
    """The unit-test files that do not import the SDK themselves (two test what it sends)."""
    files = sorted((REPO / "tests" / "unit").glob("test_*.py"))
    return [str(f.relative_to(REPO)) for f in files if "openai" not in f.read_text(encoding="utf-8")]


def test_collecting_the_pure_unit_tests_imports_neither_openai_nor_the_emulator() -> None:
    pure = pure_unit_tests()
    assert len(pure) >= 5
    done = subprocess.run(  # -s: pytest's capture would otherwise swallow -X importtime's lines
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "pytest",
            *pure,
            "--collect-only",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    imported = {
        line.rpartition("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "orchestrator.spec.rendering" in imported  # the check sees the test modules' own imports
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
