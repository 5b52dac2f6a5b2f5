"""diff and list read live state on a thread while the specs load (issue 17): same answers, same order of
messages, and the process entry point's quick exit loses no output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY
from tests.support.live import request_counts, reset_counts
from tests.support.projects import Result, make_project, write_spec


def test_an_invalid_project_reports_its_diagnostics_not_the_targets_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.projects import run_cli

    monkeypatch.delenv("TEST_ORCHESTRATOR_KEY", raising=False)  # the target cannot be opened either
    root = make_project(tmp_path / "p", base_url="http://127.0.0.1:9/v1")
    write_spec(root, "bad", temprature=0.3)
    for command in ("diff", "list"):
        result = run_cli(["-C", str(root), command])
        assert result.exit_code == 1
        assert "temperature" in result.stderr and "needs an API key" not in result.stderr
        assert "Traceback" not in result.output


def test_a_valid_project_then_reports_the_targets_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.projects import run_cli

    monkeypatch.delenv("TEST_ORCHESTRATOR_KEY", raising=False)
    root = make_project(tmp_path / "p", base_url="http://127.0.0.1:9/v1")
    write_spec(root, "helper")
    for command in ("diff", "list"):
        result = run_cli(["-C", str(root), command])
        assert result.exit_code == 1
        assert "needs an API key: set the environment variable TEST_ORCHESTRATOR_KEY" in result.stderr


def test_unknown_only_is_reported_with_the_read_under_way(project: Path, cli: Callable[..., Result]) -> None:
    write_spec(project, "helper")
    result = cli("diff", "--only", "nope")
    assert result.exit_code == 1 and "nope" in result.stderr and "Traceback" not in result.output


def test_diff_and_list_read_once_and_answer_as_before(
    project: Path, cli: Callable[..., Result], root_url: str
) -> None:
    for number in range(3):
        write_spec(project, f"s{number}")
    assert cli("apply", "--yes").exit_code == 0
    write_spec(project, "s3")
    reset_counts(root_url)
    diff = cli("diff")
    assert diff.exit_code == 2 and "+ assistant s3" in diff.stdout
    rows = json.loads(cli("list", "-o", "json").stdout)
    assert {r["name"]: r["status"] for r in rows} == {
        "s0": "in sync",
        "s1": "in sync",
        "s2": "in sync",
        "s3": "missing",
    }
    assert request_counts(root_url)["total"] == 2  # one list read each, nothing else


def test_the_process_entry_point_flushes_everything_and_keeps_the_exit_code(
    project: Path, root_url: str
) -> None:
    for number in range(30):
        write_spec(project, f"spec-{number:02d}")
    env = {**os.environ, "TEST_ORCHESTRATOR_KEY": TEST_KEY, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator", "-C", str(project), "diff", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert len(json.loads(done.stdout)["changes"]) == 30  # the whole document, through a pipe
    assert TEST_KEY not in done.stdout + done.stderr
