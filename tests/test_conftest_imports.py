"""Pure-logic tests stay cheap: collecting them imports neither the openai SDK nor the emulator.

The root conftest.py is imported for every test; fixtures that need a server or an SDK client
import them when they run. A module-level import of either there (or in a test helper, or in a
folder's conftest) would cost every focused run of pure tests about 2 s again, which this test
catches for every test module in every folder that does not name them, tests/unit and the pure
modules beside the live ones in tests/cli, tests/importing, tests/runtime, ... alike.
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
HEAVY = ("openai", "orchestrator.emulator")
_TEST_IMPORT = re.compile(r"^\s*(?:from|import) (tests(?:\.\w+)+)", re.MULTILINE)


@cache
def _names_heavy(path: Path) -> bool:
    """Whether path, or a tests.* module it imports (transitively), names the SDK or the emulator."""
    text = path.read_text(encoding="utf-8")
    if any(name in text for name in HEAVY):
        return True
    for module in _TEST_IMPORT.findall(text):
        base = REPO.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.exists() and candidate != path and _names_heavy(candidate):
                return True
    return False


def pure_tests() -> list[str]:
    """The test modules that name neither, nor do their helpers or their folders' conftest files."""
    found = []
    for path in sorted(TESTS.rglob("test_*.py")):
        folders = [path.parent, *path.parent.parents]
        conftests = [d / "conftest.py" for d in folders if d != TESTS and TESTS in d.parents]
        if not any(c.exists() and _names_heavy(c) for c in conftests) and not _names_heavy(path):
            found.append(str(path.relative_to(REPO)))
    return found


def test_collecting_the_pure_tests_imports_neither_openai_nor_the_emulator() -> None:
    pure = pure_tests()
    assert len(pure) >= 30 and {p.split("/")[1] for p in pure} >= {"unit", "cli", "importing", "runtime"}
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
