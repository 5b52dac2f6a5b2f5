"""`orchestrator graph` (Mermaid and DOT) and the Mermaid graph the markdown plan embeds (issue 29)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from orchestrator.engine.planning import Action, Change, Plan, Reason
from orchestrator.views.plan_graph import MAX_MARKDOWN_NODES, markdown_section, render_dot, render_mermaid
from orchestrator.views.plan_markdown import render_plan_markdown
from tests.support.projects import REPO, make_project, run_cli, write_spec


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """This repository's project (a tutor with knowledge files in a vector store, an analyst)."""
    target = tmp_path / "repo"
    target.mkdir()
    shutil.copy2(REPO / "orchestrator.yaml", target / "orchestrator.yaml")
    for folder in ("specs", "templates", "schemas", "examples"):
        shutil.copytree(REPO / folder, target / folder)
    return target


def edges(mermaid: str) -> set[tuple[str, str]]:
    labels = dict(re.findall(r'^  (n\d+)\["([^"]*)"\]', mermaid, re.M))
    return {(labels[a], labels[b]) for a, b in re.findall(r"^  (n\d+) --> (n\d+)$", mermaid, re.M)}


def test_mermaid_draws_every_resource_and_what_it_uses(repo_copy: Path) -> None:
    result = run_cli(["-C", str(repo_copy), "graph"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("flowchart LR\n")
    assert edges(result.stdout) == {
        ("+ vector_store spanish-tutor", "+ file specs/knowledge/tutor/subjuntivo.md"),
        ("+ vector_store spanish-tutor", "+ file specs/knowledge/tutor/vocabulario.md"),
        ("+ assistant spanish-tutor", "+ file specs/data/verbs.csv"),
        ("+ assistant spanish-tutor", "+ vector_store spanish-tutor"),
    }
    assert '["+ assistant retail-analyst"]:::create' in result.stdout


def test_after_apply_the_graph_is_in_sync_and_changes_only_is_empty(repo_copy: Path) -> None:
    assert run_cli(["-C", str(repo_copy), "apply", "--yes"]).exit_code == 0
    whole = run_cli(["-C", str(repo_copy), "graph"]).stdout
    assert ('["assistant spanish-tutor"]:::noop' in whole) and "+ " not in whole
    assert ("assistant spanish-tutor", "vector_store spanish-tutor") in edges(whole)
    changes = run_cli(["-C", str(repo_copy), "graph", "--changes"]).stdout
    assert "n0" not in changes


def test_dot_is_a_digraph_with_the_same_edges(repo_copy: Path) -> None:
    result = run_cli(["-C", str(repo_copy), "graph", "--format", "dot"])
    assert result.exit_code == 0
    assert result.stdout.startswith("digraph orchestrator {\n") and result.stdout.endswith("}\n")
    assert len(re.findall(r"^  n\d+ -> n\d+;$", result.stdout, re.M)) == 4


def test_an_invalid_project_exits_1(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    write_spec(root, "analyst", model="gpt-4-turbo")
    result = run_cli(["-C", str(root), "graph"])
    assert result.exit_code == 1 and "gpt-4-turbo" in result.stderr


def change(
    kind: str, name: str, action: Action = Action.CREATE, uses: tuple[tuple[str, str], ...] = ()
) -> Change:
    return Change(kind, name, action, Reason.NEW if action is Action.CREATE else Reason.IN_SYNC, uses=uses)


def plan_of(*changes: Change) -> Plan:
    return Plan("p", "dev", "local", "assistants", changes)


def test_labels_are_escaped_for_each_language() -> None:
    hostile = 'a"b]<c>\n`d`\\'
    plan = plan_of(change("assistant", "x", uses=(("file", hostile),)), change("file", hostile))
    mermaid = render_mermaid(plan)
    assert "\n`" not in mermaid and '"b]' not in mermaid and "#quot;" in mermaid and "#lt;c#gt;" in mermaid
    assert len(edges(mermaid)) == 1
    dot = render_dot(plan)
    assert 'a\\"b]<c> `d`\\\\' in dot


def test_the_markdown_plan_embeds_the_graph_of_what_changes() -> None:
    plan = plan_of(
        change("assistant", "tutor", Action.UPDATE, uses=(("vector_store", "tutor"),)),
        change("vector_store", "tutor", Action.NOOP, uses=(("file", "a.md"),)),
        change("file", "a.md", Action.NOOP),
        change("assistant", "other", Action.NOOP),
    )
    markdown = render_plan_markdown(plan)
    block = markdown.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert edges(block) == {("~ assistant tutor", "vector_store tutor")}  # one step: not the store's files
    assert "other" not in block


def test_independent_changes_draw_no_graph_and_a_huge_one_is_left_out() -> None:
    assert "mermaid" not in render_plan_markdown(plan_of(change("assistant", "a"), change("assistant", "b")))
    many = [change("file", f"f{i}") for i in range(MAX_MARKDOWN_NODES)]
    big = plan_of(
        change("vector_store", "s", uses=tuple(("file", f"f{i}") for i in range(MAX_MARKDOWN_NODES))), *many
    )
    section = markdown_section(big)
    assert section[0].startswith(f"*Graph of {MAX_MARKDOWN_NODES + 1} resources left out")
