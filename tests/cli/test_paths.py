"""`orchestrator paths` (issue 28, 5): the path filters of hooks and workflows come from the project.

The shipped hook and workflow filtered on specs|templates|schemas: a broken skill under `skills/` or a
root `knowledge/` folder was "(no files to check) Skipped".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.projects import make_project, run_cli, write, write_spec


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = make_project(
        tmp_path / "project",
        extra_environments={"agents": {"target": "local-agents"}},
        extra_targets={"local-agents": {"type": "local", "protocol": "agents"}},
    )
    write(root / "knowledge" / "faq.md", "# FAQ\n")
    write(root / "params" / "lookup.json", '{"type": "object", "properties": {}}\n')
    write_spec(
        root,
        "helper",
        tools=["file_search"],
        knowledge={"files": ["../knowledge/*.md"]},
        functions=[{"name": "lookup", "description": "d", "parameters": "../params/lookup.json"}],
        environments=["dev"],
    )
    write(
        root / "skills" / "grammar" / "SKILL.md",
        "---\nname: grammar\ndescription: Grammar\n---\nBe precise.\n",
    )
    write(
        root / "specs" / "grammar.yaml",
        "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\nenvironments: [agents]\n",
    )
    return root


def test_every_folder_a_spec_reads_is_listed_for_every_environment(root: Path) -> None:
    result = run_cli(["-C", str(root), "paths"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "knowledge/**",
        "orchestrator.yaml",
        "params/lookup.json",
        "schemas/**",
        "skills/grammar/**",
        "specs/**",
        "templates/**",
    ]


def test_the_regex_matches_what_the_globs_match(root: Path) -> None:
    pattern = re.compile(run_cli(["-C", str(root), "paths", "-o", "regex"]).stdout.strip())
    for path in (
        "skills/grammar/SKILL.md",
        "knowledge/new.md",
        "specs/a/b.yaml",
        "orchestrator.yaml",
        "params/lookup.json",
    ):
        assert pattern.match(path), path
    for path in ("README.md", "params/other.json", "orchestrator.yaml.bak", "skillsX/a"):
        assert not pattern.match(path), path
    assert json.loads(run_cli(["-C", str(root), "paths", "-o", "json"]).stdout)[0] == "knowledge/**"


def test_the_shipped_hook_runs_validate_for_every_environment_on_any_file() -> None:
    hooks = (Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "entry: orchestrator validate --all-environments" in hooks
    assert "always_run: true" in hooks
