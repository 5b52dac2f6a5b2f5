"""Where an assistant spec's files land on an agents target, and the notes and diagnostics of each mapping,
through the CLI on the embedded emulator (Agents protocol)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.projects import make_project, run_cli, run_in, write, write_spec, write_yaml


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = make_project(tmp_path / "project", backend="agents")
    write(project / "specs" / "notes" / "grammar" / "a.md", "# A\n")
    write(project / "specs" / "notes" / "vocab" / "b.md", "# B\n")
    write(project / "specs" / "notes" / "top.md", "# top\n")
    write(project / "specs" / "tables" / "verbs.csv", "ser\n")
    write(project / "specs" / "tables" / "deep" / "nouns.csv", "casa\n")
    return project


def plan_of(root: Path) -> dict[str, Any]:
    result = run_in(root, "diff", "--output", "json")
    assert result.exit_code == 2, result.output
    return {(c["kind"], c["name"]): c for c in json.loads(result.stdout)["changes"]}


def test_files_go_below_their_globs_fixed_folder(root: Path) -> None:
    write_spec(
        root,
        "helper",
        tools=["file_search", "code_interpreter"],
        knowledge={"files": ["notes/**/*.md"]},
        code_files=["tables/verbs.csv", "tables/*/nouns.csv"],
    )
    changes = plan_of(root)
    files = {
        to: meta["from"]
        for to, meta in changes[("environment", "helper")]["apply"]["essence"]["files"].items()
    }
    assert files == {
        "/workspace/knowledge/grammar/a.md": "specs/notes/grammar/a.md",
        "/workspace/knowledge/vocab/b.md": "specs/notes/vocab/b.md",
        "/workspace/knowledge/top.md": "specs/notes/top.md",
        "/workspace/data/verbs.csv": "specs/tables/verbs.csv",
        "/workspace/data/deep/nouns.csv": "specs/tables/deep/nouns.csv",
    }
    agent = changes[("agent", "helper")]
    assert agent["apply"]["metadata"]["orchestrator.environment"] == "helper"
    assert agent["apply"]["essence"]["tools"] == {}


def test_two_files_for_one_workspace_path_are_an_error_naming_both(root: Path) -> None:
    write_spec(
        root, "helper", tools=["file_search"], knowledge={"files": ["notes/grammar/*.md", "notes/vocab/*.md"]}
    )
    write(root / "specs" / "notes" / "vocab" / "a.md", "# other A\n")
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 1
    assert (
        "`specs/notes/grammar/a.md` and `specs/notes/vocab/a.md` both go to `/workspace/knowledge/a.md`"
        in result.stderr
    )
    assert "[/knowledge/files]" in result.stderr and "one pattern of their common folder" in result.stderr


def test_code_interpreter_alone_gets_an_empty_environment_to_run_commands_in(root: Path) -> None:
    write_spec(root, "coder", tools=["code_interpreter"])
    changes = plan_of(root)
    assert changes[("environment", "coder")]["apply"]["essence"]["files"] == {}
    agent = changes[("agent", "coder")]
    assert agent["notes"] == ["code_interpreter -> command execution in environment coder"]
    assert agent["apply"]["essence"]["instructions"] == "You are coder."  # no files: no line


def test_with_an_explicit_environment_the_tools_map_into_it(root: Path) -> None:
    write_yaml(
        root / "specs" / "shared.yaml",
        {
            "version": 1,
            "kind": "environment",
            "name": "shared",
            "files": [{"from": "notes/top.md", "to": "/workspace/top.md"}],
        },
    )
    write_spec(root, "helper", tools=["file_search", "code_interpreter"], environment="shared")
    changes = plan_of(root)
    assert ("environment", "helper") not in changes
    assert changes[("agent", "helper")]["notes"] == [
        "file_search -> command search of environment shared's files",
        "code_interpreter -> command execution in environment shared",
    ]


def test_file_search_without_files_or_environment_is_a_warning_not_a_silent_drop(root: Path) -> None:
    write_spec(root, "helper", tools=["file_search"])
    result = run_cli(["-C", str(root), "validate", "--output", "json"])
    assert result.exit_code == 0, result.output
    [warning] = json.loads(result.stdout)
    assert (warning["pointer"], warning["severity"]) == ("/tools/0", "warning")
    assert "`file_search` tool is not deployed" in warning["message"]


def test_chunking_is_a_warning_and_knowledge_by_store_id_an_error(root: Path) -> None:
    write_spec(
        root,
        "helper",
        tools=["file_search"],
        knowledge={
            "files": ["notes/top.md"],
            "chunking": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
        },
    )
    result = run_cli(["-C", str(root), "validate", "--output", "json"])
    assert result.exit_code == 0, result.output
    assert [(d["pointer"], d["severity"]) for d in json.loads(result.stdout)] == [
        ("/knowledge/chunking", "warning")
    ]
    write_spec(root, "helper", tools=["file_search"], knowledge={"vector_store_id": "vs_1"})
    bad = run_cli(["-C", str(root), "validate"])
    assert bad.exit_code == 1 and "[/knowledge/vector_store_id]" in bad.stderr


def test_the_same_spec_on_an_assistants_target_keeps_its_tools_and_files(tmp_path: Path) -> None:
    project = make_project(tmp_path / "assistants")
    write(project / "specs" / "notes" / "top.md", "# top\n")
    write_spec(
        project,
        "helper",
        tools=["file_search", "code_interpreter"],
        knowledge={"files": ["notes/top.md"]},
        temperature=0.5,
    )
    result = run_cli(["-C", str(project), "render", "helper", "-o", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert sorted(t["type"] for t in payload["tools"]) == ["code_interpreter", "file_search"]
    assert payload["instructions"] == "You are helper." and payload["temperature"] == 0.5
    assert "warning" not in result.stderr
