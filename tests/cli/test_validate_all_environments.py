"""`validate --all-environments` (issue 28, 5): the pre-commit hook checked the default environment only,
so a spec broken for staging alone passed it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.projects import make_project, run_cli, write_spec


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = make_project(
        tmp_path / "project",
        extra_environments={"staging": {"target": "local"}, "agents": {"target": "local-agents"}},
        extra_targets={"local-agents": {"type": "local", "protocol": "agents"}},
    )
    write_spec(root, "analyst")
    return root


def test_every_environment_is_checked_against_its_own_target(root: Path) -> None:
    result = run_cli(["-C", str(root), "validate", "--all-environments"])
    assert result.exit_code == 0, result.output
    assert (
        "valid in 3 environments: dev (main, assistants), staging (local, assistants), "
        "agents (local-agents, agents)" in result.stderr
    )


def test_a_problem_of_one_environment_fails_and_names_it(root: Path) -> None:
    write_spec(root, "staging-only", model="gpt-4-turbo", environments=["staging"])
    assert run_cli(["-C", str(root), "validate"]).exit_code == 0  # the default environment leaves it out
    result = run_cli(["-C", str(root), "validate", "-A"])
    assert result.exit_code == 1
    assert "specs/staging-only.yaml" in result.stderr and "gpt-4-turbo" in result.stderr
    assert "[environment staging]" in result.stderr


def test_a_problem_of_every_environment_is_reported_once_as_it_is(root: Path) -> None:
    write_spec(root, "broken", model="gpt-4-turbo")
    result = run_cli(["-C", str(root), "validate", "-A", "--output", "json"])
    assert result.exit_code == 1
    found = [
        d for d in json.loads(result.stdout) if d["file"] == "specs/broken.yaml" and d["pointer"] == "/model"
    ]
    assert len(found) == 1 and "[environment" not in found[0]["message"]


def test_all_environments_takes_no_environment_or_target(root: Path) -> None:
    result = run_cli(["-C", str(root), "validate", "-A", "-e", "dev"])
    assert result.exit_code == 1 and "don't pass -e or -t" in result.stderr
