"""A first end-to-end pass: validate, diff, apply, diff again, against a served emulator."""

from __future__ import annotations

from pathlib import Path

from tests.support.projects import run_cli, write_spec


def test_apply_then_diff_reports_no_changes(project: Path) -> None:
    write_spec(project, "helper", temperature=0.3, metadata={"team": "a"}, tools=["code_interpreter"])
    first = run_cli(["-C", str(project), "diff"])
    assert first.exit_code == 2, first.output
    applied = run_cli(["-C", str(project), "apply", "--yes"])
    assert applied.exit_code == 0, applied.output
    again = run_cli(["-C", str(project), "diff"])
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout


def test_agents_apply_then_diff_reports_no_changes(agents_project: Path) -> None:
    write_spec(agents_project, "helper", verbosity="high", reasoning_effort="low", tools=["web_search"])
    assert run_cli(["-C", str(agents_project), "apply", "--yes"]).exit_code == 0
    again = run_cli(["-C", str(agents_project), "diff"])
    assert again.exit_code == 0, again.output
