"""`--output json` on apply and destroy: stdout is one JSON object (plan, outcomes, summary), the human
text goes to stderr (issue 29: JSON was only reachable through --events)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.projects import make_project, run_cli, run_in, write_spec


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project")
    write_spec(root, "analyst")
    write_spec(root, "tutor")
    return root


def run_json(root: Path, *args: str) -> tuple[int, dict, str]:
    result = run_in(root, *args, "--output", "json")
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_apply_prints_one_json_object_with_every_outcome(root: Path) -> None:
    code, data, stderr = run_json(root, "apply", "--yes")
    assert code == 0, stderr
    assert data["command"] == "apply" and data["ok"] is True and data["format_version"] == 1
    assert data["summary"] == {
        "created": 2,
        "updated": 0,
        "deleted": 0,
        "failed": 0,
        "duplicates_removed": 0,
        "duplicates_left": 0,
    }
    assert sorted((o["name"], o["action"], o["ok"]) for o in data["outcomes"]) == [
        ("analyst", "create", True),
        ("tutor", "create", True),
    ]
    assert all(o["id"].startswith("asst_") for o in data["outcomes"])
    assert data["plan"]["summary"]["create"] == 2 and data["plan"]["project"] == "test-project"
    assert "Apply complete: 2 created" in stderr and "will be created" in stderr  # for the log


def test_an_apply_with_nothing_to_do_is_still_one_json_object(root: Path) -> None:
    assert run_cli(["-C", str(root), "apply", "--yes"]).exit_code == 0
    code, data, _ = run_json(root, "apply", "--yes")
    assert code == 0 and data["outcomes"] == [] and data["plan"]["summary"]["noop"] == 2


def test_json_output_needs_yes(root: Path) -> None:
    result = run_cli(["-C", str(root), "apply", "--output", "json"])
    assert result.exit_code == 1 and result.stdout == ""
    assert "--output json needs --yes" in result.stderr
    assert json.loads(run_cli(["-C", str(root), "diff", "-o", "json"]).stdout)["summary"]["create"] == 2


def test_destroy_prints_what_it_deleted_as_json(root: Path) -> None:
    assert run_cli(["-C", str(root), "apply", "--yes"]).exit_code == 0
    code, data, _ = run_json(root, "destroy", "--yes")
    assert code == 0 and data["command"] == "destroy"
    assert sorted(o["name"] for o in data["outcomes"]) == ["analyst", "tutor"]
    assert {o["action"] for o in data["outcomes"]} == {"delete"} and data["summary"]["deleted"] == 2
    code, data, stderr = run_json(root, "destroy", "--yes")
    assert code == 0 and data["outcomes"] == [] and "Nothing to destroy" in stderr


def test_a_saved_plan_applied_as_json(root: Path) -> None:
    assert run_cli(["-C", str(root), "diff", "--out", "plan.json"]).exit_code == 2
    code, data, _ = run_json(root, "apply", "plan.json", "--yes")
    assert code == 0 and data["summary"]["created"] == 2
    code, data, stderr = run_json(root, "apply", "plan.json", "--yes")
    assert code == 0 and data["outcomes"] == [] and "already applied" in stderr
