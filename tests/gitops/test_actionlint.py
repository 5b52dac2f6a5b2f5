"""actionlint (with shellcheck over every `run:` script) on the shipped GitHub workflows.

Installed by the `lint-workflows` extra (wheels carrying the binaries, from the package index alone); .ci/run
installs it and sets ORCHESTRATOR_REQUIRE_ACTIONLINT=1, so there a missing linter fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.projects import REPO

WORKFLOWS = sorted((REPO / "examples" / "github-actions").glob("*.yml"))
INSTALL = "pip install -e '.[lint-workflows]'"


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def _required() -> bool:
    return os.environ.get("ORCHESTRATOR_REQUIRE_ACTIONLINT") == "1"


def _lint(tmp_path: Path, workflows: dict[str, str]) -> subprocess.CompletedProcess[str]:
    actionlint, shellcheck = _tool("actionlint"), _tool("shellcheck")
    missing = [
        name for name, found in (("actionlint", actionlint), ("shellcheck", shellcheck)) if found is None
    ]
    if missing:
        if _required():
            pytest.fail(
                f"{' and '.join(missing)} not installed, and ORCHESTRATOR_REQUIRE_ACTIONLINT=1: {INSTALL}"
            )
        pytest.skip(f"{' and '.join(missing)} not installed: {INSTALL}")
    assert actionlint is not None and shellcheck is not None
    # as in a repository that copied them: .github/workflows/, where the caller finds the reusable ones
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    for name, text in workflows.items():
        (target / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return subprocess.run(
        [
            actionlint,
            "-no-color",
            "-shellcheck",
            shellcheck,
            *sorted(str(p.relative_to(tmp_path)) for p in target.iterdir()),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_shipped_workflows_pass_actionlint_and_shellcheck(tmp_path: Path) -> None:
    done = _lint(tmp_path, {p.name: p.read_text(encoding="utf-8") for p in WORKFLOWS})
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_reports_a_shellcheck_finding_so_a_clean_run_means_something(tmp_path: Path) -> None:
    bad = (
        "name: bad\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo $UNQUOTED\n      - uses: actions/checkout@v4\n"
    )
    done = _lint(tmp_path, {"bad.yml": bad})
    assert done.returncode == 1
    assert "SC2086" in done.stdout  # shellcheck ran on the script
    assert '"node20" is deprecated' in done.stdout  # actionlint knows the current runtimes


def test_the_release_workflow_is_among_the_linted_ones() -> None:
    assert {p.name for p in WORKFLOWS} >= {
        "orchestrator.yml",
        "orchestrator-checks.yml",
        "orchestrator-stage.yml",
        "release.yml",
    }
