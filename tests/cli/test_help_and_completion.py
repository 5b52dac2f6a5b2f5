"""--help ends with examples for every command; the shell completes commands, specs and environments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.cli import COMMANDS
from tests.support.projects import make_project, run_cli, write_spec


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_help_ends_with_examples(command: str) -> None:
    result = run_cli([command, "--help"])
    assert result.exit_code == 0, result.output
    tail = result.stdout.split("Examples:")
    assert len(tail) == 2 and "Options:" in tail[0], result.stdout  # after the options, at the end
    assert f"orchestrator {command}" in tail[1] or "orchestrator -C" in tail[1]


def complete(words: str, cwd: Path) -> list[str]:
    """What bash completion offers for the last word of words (click's own completion protocol)."""
    env = {
        **os.environ,
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
        "_ORCHESTRATOR_COMPLETE": "bash_complete",
    }
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


def test_the_shell_completes_commands_specs_and_environments(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", extra_environments={"prod": {"target": "main"}})
    write_spec(project, "helper")
    write_spec(project, "helpdesk")
    (project / "specs" / "team").mkdir()
    (project / "specs" / "team" / "analyst.yml").write_text(
        "version: 1\nname: analyst\nmodel: gpt-5.4\ninstructions: x\n", encoding="utf-8"
    )
    assert complete("orchestrator ap", project) == ["apply"]
    assert complete("orchestrator render help", project) == ["helpdesk", "helper"]
    assert complete("orchestrator diff --only an", project) == ["analyst"]
    assert complete("orchestrator diff -e ", project) == ["dev", "prod"]
    assert complete(f"orchestrator -C {project} run h", tmp_path) == ["helpdesk", "helper"]
    assert complete("orchestrator render ", tmp_path) == []  # no project here: nothing, and no error


@pytest.mark.parametrize(
    ("command", "collecting"),
    [("validate", False), ("diff", False), ("watch", True), ("chat", True), ("serve", True)],
)
def test_a_command_that_ends_by_itself_runs_without_the_cycle_collector_in_its_own_process(
    tmp_path: Path, command: str, collecting: bool
) -> None:
    """BOUNDED commands, in the process entry() runs, turn the cyclic garbage collector off (the long-running
    ones keep it); main() called in-process, as by these tests, never changes it."""
    import gc

    root = make_project(tmp_path / "project")
    probe = (
        "import atexit, gc, sys; from orchestrator.cli import entry; "
        "atexit.register(lambda: print('collecting', gc.isenabled(), file=sys.stderr)); "
        f"sys.argv = ['orchestrator', '-C', {str(root)!r}, {command!r}, '--help']; entry()"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert f"collecting {collecting}" in result.stderr
    assert run_cli(["-C", str(root), "validate"]).exit_code == 0 and gc.isenabled()
