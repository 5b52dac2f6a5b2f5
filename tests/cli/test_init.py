"""`orchestrator init`: a new project from nothing validates, applies and runs on the first try."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.projects import run_cli


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATOR_TODAY", "2026-11-26")


SCAFFOLD = {
    "orchestrator.yaml",
    "specs/helpdesk.yaml",
    "templates/helpdesk.md.j2",
    "templates/partials/house_style.md.j2",
    "schemas/functions/lookup_order.json",
    "handlers/helpdesk.py",
    "specs/helpdesk-tests.yaml",
}


def test_init_in_an_empty_folder_then_validate_apply_diff_and_run_succeed_first_time(tmp_path: Path) -> None:
    folder = tmp_path / "Support Bots"
    created = run_cli(["-C", str(tmp_path), "init", "Support Bots"])
    assert created.exit_code == 0, created.output
    assert {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} == SCAFFOLD | {".gitignore"}
    assert (folder / ".gitignore").read_text(encoding="utf-8") == ".orchestrator/\n"
    assert "project: support-bots" in (folder / "orchestrator.yaml").read_text(encoding="utf-8")
    assert "orchestrator validate" in created.stderr and "orchestrator apply --yes" in created.stderr

    validated = run_cli(["-C", str(folder), "validate"])
    assert validated.exit_code == 0, validated.output
    assert "1 spec valid" in validated.stderr and "warning" not in validated.output
    applied = run_cli(["-C", str(folder), "apply", "--yes"])
    assert applied.exit_code == 0, applied.output
    assert "1 created" in applied.output
    assert run_cli(["-C", str(folder), "diff"]).exit_code == 0
    ran = run_cli(
        ["-C", str(folder), "run", "helpdesk", "-m", '/call lookup_order {"order_number": "A-1001"}']
    )
    assert ran.exit_code == 0, ran.output
    assert "shipped on Monday" in ran.output
    tested = run_cli(["-C", str(folder), "test"])
    assert tested.exit_code == 0, tested.output
    assert "PASS helpdesk-tests > order status comes from the handler" in tested.stdout


def test_init_refuses_to_overwrite_and_creates_nothing(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "helpdesk.md.j2").write_text("mine", encoding="utf-8")
    result = run_cli(["-C", str(tmp_path), "init"])
    assert result.exit_code == 1
    assert "refusing to overwrite" in result.stderr and "templates/helpdesk.md.j2" in result.stderr
    assert (tmp_path / "templates" / "helpdesk.md.j2").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "orchestrator.yaml").exists() and not (tmp_path / ".gitignore").exists()
    assert "Traceback" not in result.output


def test_init_appends_to_an_existing_gitignore_once(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc", encoding="utf-8")
    assert run_cli(["-C", str(tmp_path), "init"]).exit_code == 0
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == "*.pyc\n.orchestrator/\n"


def test_init_into_a_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("", encoding="utf-8")
    result = run_cli(["-C", str(tmp_path), "init", "taken"])
    assert result.exit_code == 1 and "not a folder" in result.stderr


def test_a_folder_without_a_project_file_points_to_init(tmp_path: Path) -> None:
    result = run_cli(["-C", str(tmp_path), "validate"])
    assert result.exit_code == 1
    assert "no orchestrator.yaml found" in result.stderr and "orchestrator init" in result.stderr
    listed = run_cli(["-C", str(tmp_path), "validate", "--output", "json"])
    assert "orchestrator init" in json.loads(listed.stdout)[0]["message"]


def test_the_scaffold_moves_to_the_agents_api_by_its_target_line_alone(tmp_path: Path) -> None:
    """Issue 29, friction 6: switching the scaffold to `type: agents` gave one error per spec (its
    `description`) until `agents: {description_to_metadata: true}` was added by hand."""
    root = tmp_path / "project"
    assert run_cli(["init", str(root)]).exit_code == 0
    project_file = root / "orchestrator.yaml"
    text = project_file.read_text(encoding="utf-8")
    project_file.write_text(
        text.replace("local: {type: local}", "local: {type: local, protocol: agents}"), encoding="utf-8"
    )
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 0, result.output
    assert "backend agents" in result.stderr and "error" not in result.stderr.replace("0 errors", "")


def test_init_agents_scaffolds_for_the_agents_api_and_deploys_an_agent(tmp_path: Path) -> None:
    root = tmp_path / "agents"
    assert run_cli(["init", "--agents", str(root)]).exit_code == 0
    assert "protocol: agents" in (root / "orchestrator.yaml").read_text(encoding="utf-8")
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 0 and "backend agents" in result.stderr, result.output
    applied = run_cli(["-C", str(root), "apply", "--yes"])
    assert applied.exit_code == 0 and "agent helpdesk: created" in applied.stdout, applied.output
    assert run_cli(["-C", str(root), "diff"]).exit_code == 0
