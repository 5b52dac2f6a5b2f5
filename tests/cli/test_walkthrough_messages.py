"""Messages a walkthrough found wrong or misleading, each now saying what is true."""

from __future__ import annotations

import json
from pathlib import Path

import openai

from tests.support.projects import make_project, run_cli, write_spec
from tests.support.projects import run_in as cli


def test_a_spec_left_out_of_the_environment_is_not_called_unknown(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", extra_environments={"prod": {"target": "main"}})
    write_spec(project, "helper", environments=["prod"])
    write_spec(project, "other")
    for args in (["render", "helper"], ["diff", "--only", "helper"], ["run", "helper", "-m", "hi"]):
        result = cli(project, *args)
        assert result.exit_code == 1, result.output
        assert "spec `helper` is not deployed to environment `dev`" in result.stderr, result.stderr
        assert "unknown spec" not in result.stderr
    typo = cli(project, "render", "othr")
    assert "unknown spec `othr`; did you mean `other`?" in typo.stderr


def test_import_calls_an_owned_object_without_its_spec_an_orphan(project: Path, sdk: openai.OpenAI) -> None:
    write_spec(project, "helper")
    assert cli(project, "apply", "--yes").exit_code == 0
    (project / "specs" / "helper.yaml").unlink()
    result = cli(project, "import", "--all-unmanaged", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "an orphan of spec `helper`, whose spec file is gone" in result.stdout
    assert "already managed" not in result.stdout


def test_relative_out_and_events_paths_resolve_against_dash_c_like_git(
    project: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    write_spec(project, "helper")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    diff = cli(project, "diff", "--out", "plans/next.json", "--events", "events.jsonl")
    assert diff.exit_code == 2, diff.output
    assert (project / "plans" / "next.json").is_file() and (project / "events.jsonl").is_file()
    assert list(elsewhere.iterdir()) == []
    assert f"apply it with: orchestrator -C {project} apply plans/next.json" in diff.stderr
    applied = cli(project, "apply", "plans/next.json", "--yes")
    assert applied.exit_code == 0, applied.output
    # the same with the command's own -C
    again = run_cli(["diff", "-C", str(project), "--out", "again.json"])
    assert again.exit_code == 0 and (project / "again.json").is_file()
    assert json.loads((project / "again.json").read_text(encoding="utf-8"))["summary"]["noop"] == 1


def test_a_local_target_whose_database_is_not_sqlite_is_a_user_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    write_spec(project, "helper")
    (project / ".orchestrator").mkdir()
    (project / ".orchestrator" / "local.db").write_text("not a database\n", encoding="utf-8")
    result = cli(project, "diff")
    assert result.exit_code == 1
    assert "cannot open the emulator database" in result.stderr and "move the file away" in result.stderr
    assert "This is a bug" not in result.output
    assert (project / ".orchestrator" / "local.db").read_text(encoding="utf-8") == "not a database\n"


def test_validation_warnings_travel_with_the_json_and_markdown_plan(project: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ORCHESTRATOR_TODAY", "2026-11-26")
    write_spec(project, "helper", model="gpt-4.1")  # announced to shut down on 2027-01-14: a warning
    as_json = cli(project, "diff", "-o", "json", "--out", "plan.json")
    assert as_json.exit_code == 2, as_json.output
    (item,) = json.loads(as_json.stdout)["diagnostics"]
    assert item["severity"] == "warning" and item["pointer"] == "/model" and "2027-01-14" in item["message"]
    assert json.loads((project / "plan.json").read_text(encoding="utf-8"))["diagnostics"] == [item]
    markdown = cli(project, "diff", "-o", "markdown").stdout
    assert "**Validation warnings**" in markdown and "`specs/helper.yaml:" in markdown
    assert cli(project, "apply", "plan.json", "--yes").exit_code == 0  # a saved plan with diagnostics applies


def test_destroy_with_nothing_owned_says_so_instead_of_in_sync(project: Path) -> None:
    write_spec(project, "helper")
    assert cli(project, "apply", "--yes").exit_code == 0
    assert cli(project, "destroy", "--yes").exit_code == 0
    again = cli(project, "destroy", "--yes")
    assert again.exit_code == 0, again.output
    assert "Nothing to destroy: project test-project owns no objects in environment dev" in again.stdout
    assert "in sync" not in again.output
