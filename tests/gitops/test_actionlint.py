"""actionlint on the shipped GitHub workflows (installed by the `lint-workflows` extra; .ci/run tries it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.projects import REPO

WORKFLOWS = sorted((REPO / "examples" / "github-actions").glob("*.yml"))


def _actionlint() -> str | None:
    beside = Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.is_file() else shutil.which("actionlint")


def test_the_shipped_workflows_pass_actionlint(tmp_path: Path) -> None:
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed: `pip install -e '.[lint-workflows]'` (its build downloads the "
                    "binary from github.com)")
    # as in a repository that copied them: .github/workflows/, where the caller finds the reusable ones
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    for workflow in WORKFLOWS:
        shutil.copy(workflow, target / workflow.name)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    done = subprocess.run([binary, "-no-color", *sorted(str(p.relative_to(tmp_path)) for p in target.iterdir())],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_release_workflow_is_among_the_linted_ones() -> None:
    assert {p.name for p in WORKFLOWS} >= {"orchestrator.yml", "orchestrator-checks.yml", "orchestrator-stage.yml",
                                           "release.yml"}
