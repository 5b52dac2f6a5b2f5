"""Edge cases found in review: every error of a run, paths leaving the project, template resource limits."""

from __future__ import annotations

from pathlib import Path

from tests.support.projects import make_project, run_cli, write, write_spec


def project_at(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p")


def test_a_duplicate_name_is_reported_even_when_the_other_spec_has_errors(tmp_path: Path) -> None:
    root = project_at(tmp_path)
    write(root / "specs" / "a.yaml", "version: 1\nname: s\nmodel: gpt-5.4\ninstructions: hi\n")
    write_spec(root, "s", instructions={"inline": "{{ nope }}"})
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 1
    assert "spec name `s` is already used by specs/a.yaml" in result.stderr
    assert "undefined variable `nope`" in result.stderr


def test_a_parameters_file_outside_the_project_is_refused(tmp_path: Path) -> None:
    root = project_at(tmp_path)
    write(tmp_path / "outside.json", '{"type": "object", "properties": {}}')
    write_spec(root, "s", functions=[{"name": "f", "parameters": "../../outside.json"}])
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 1
    assert "is outside the project folder" in result.stderr and "[/functions/0/parameters]" in result.stderr


def test_a_template_cannot_build_huge_strings(tmp_path: Path) -> None:
    root = project_at(tmp_path)
    write_spec(root, "s", instructions={"inline": '{{ "a" * 100000000000 }}'})
    result = run_cli(["-C", str(root), "validate"])
    assert result.exit_code == 1
    assert "longer than 1,000,000" in result.stderr and "Traceback" not in result.output


def test_an_unwritable_plan_or_events_file_is_a_clear_error(tmp_path: Path) -> None:
    root = project_at(tmp_path)
    write_spec(root, "s")
    blocker = write(tmp_path / "file.txt", "x")
    for args in (
        ["diff", "--out", str(blocker / "plan.json")],
        ["diff", "--events", str(blocker / "e.jsonl")],
    ):
        result = run_cli(["-C", str(root), *args])
        assert result.exit_code == 1
        assert result.stderr.startswith("error: cannot write") and "This is a bug" not in result.stderr
