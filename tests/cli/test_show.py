"""`orchestrator show PLAN` prints a saved plan as diff printed it, reads nothing live, refuses a bad file.

Issue 29: there was no `show PLAN` (terraform show), so a reviewer could only read a saved plan's JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.projects import make_project, run_cli, write_spec


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    root = make_project(tmp_path / "project")
    write_spec(root, "analyst")
    shown = {}
    for output in ("text", "json", "markdown"):
        result = run_cli(["-C", str(root), "diff", "--output", output, "--out", "prod.plan"])
        assert result.exit_code == 2, result.output
        shown[output] = result.stdout
    return root, root / "prod.plan", shown


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_show_prints_the_saved_plan_as_diff_did(
    saved: tuple[Path, Path, dict[str, str]], output: str
) -> None:
    root, plan, shown = saved
    result = run_cli(["show", str(plan), "--output", output])
    assert result.exit_code == 0, result.output
    assert result.stdout == shown[output]
    # relative to -C DIR, as git does
    assert run_cli(["-C", str(root), "show", "prod.plan", "-o", output]).stdout == shown[output]


def test_show_reads_nothing_live(saved: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    """The plan alone is enough: no project, no target (the embedded database is not even opened)."""
    _, plan, shown = saved
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = elsewhere / "copy.plan"
    copy.write_bytes(plan.read_bytes())
    result = run_cli(["-C", str(elsewhere), "show", "copy.plan"])
    assert result.exit_code == 0 and result.stdout == shown["text"]
    assert sorted(p.name for p in elsewhere.iterdir()) == ["copy.plan"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{}", "is not a valid saved plan"),
        (b'{"format_version": 99}', "is not a valid saved plan"),
    ],
)
def test_a_file_that_is_not_a_plan_is_refused(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "bad.plan"
    bad.write_bytes(content)
    result = run_cli(["show", str(bad)])
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output


def test_a_missing_plan_is_refused(tmp_path: Path) -> None:
    result = run_cli(["show", str(tmp_path / "nope.plan")])
    assert result.exit_code == 1 and "plan file not found" in result.stderr


def test_json_of_show_is_the_plan_format(saved: tuple[Path, Path, dict[str, str]]) -> None:
    _, plan, _ = saved
    data = json.loads(run_cli(["show", str(plan), "-o", "json"]).stdout)
    assert data["format_version"] == 1 and data["summary"]["create"] == 1
