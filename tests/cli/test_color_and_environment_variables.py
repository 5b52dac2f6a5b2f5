"""`--color auto|always|never` with NO_COLOR and FORCE_COLOR, and the environment variables of common flags.

Issue 29: there was no colour in CI logs (no `--color`, no FORCE_COLOR) and ORCHESTRATOR_ENV was ignored.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.projects import make_project, run_cli, write_spec

ESCAPE = "\033["


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(
        tmp_path / "project",
        extra_environments={"staging": {"target": "local", "vars": {"tone": "formal"}}},
    )
    write_spec(root, "analyst")
    return root


def diff(root: Path, *flags: str, env: dict[str, str] | None = None) -> str:
    result = run_cli(
        [*flags, "-C", str(root), "diff"], env={"NO_COLOR": "", "FORCE_COLOR": "", **(env or {})}
    )
    assert result.exit_code == 2, result.output
    return result.stdout


def test_a_pipe_gets_no_colour_by_default(project: Path) -> None:
    assert ESCAPE not in diff(project)


@pytest.mark.parametrize(
    ("flags", "env", "painted"),
    [
        (["--color", "always"], {}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "0"}, False),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),  # the flag wins over the environment
        ([], {"ORCHESTRATOR_COLOR": "always"}, True),
        (["--color", "never"], {"ORCHESTRATOR_COLOR": "always"}, False),
    ],
)
def test_colour_follows_the_flag_then_no_color_and_force_color(
    project: Path, flags: list[str], env: dict[str, str], painted: bool
) -> None:
    assert (ESCAPE in diff(project, *flags, env=env)) is painted


def test_diagnostics_are_painted_too(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    write_spec(root, "analyst", model="gpt-4-turbo")
    result = run_cli(["--color", "always", "-C", str(root), "validate"])
    assert result.exit_code == 1 and ESCAPE in result.stderr


def test_orchestrator_env_selects_the_environment_and_the_flag_wins(project: Path) -> None:
    result = run_cli(["-C", str(project), "diff"], env={"ORCHESTRATOR_ENV": "staging"})
    assert "environment staging" in result.stdout, result.output
    result = run_cli(["-C", str(project), "diff", "-e", "dev"], env={"ORCHESTRATOR_ENV": "staging"})
    assert "environment dev" in result.stdout, result.output
    result = run_cli(["-C", str(project), "validate"], env={"ORCHESTRATOR_ENV": "nosuch"})
    assert result.exit_code == 1 and "nosuch" in result.output


def test_orchestrator_target_selects_the_target(project: Path) -> None:
    result = run_cli(["-C", str(project), "diff"], env={"ORCHESTRATOR_TARGET": "nosuch"})
    assert result.exit_code == 1 and "nosuch" in result.output, result.output


def test_help_names_the_environment_variables() -> None:
    assert "ORCHESTRATOR_ENV" in run_cli(["diff", "--help"]).stdout
    assert "ORCHESTRATOR_TARGET" in run_cli(["diff", "--help"]).stdout
    top = run_cli(["--help"]).stdout
    assert "--color" in top and "ORCHESTRATOR_COLOR" in top
