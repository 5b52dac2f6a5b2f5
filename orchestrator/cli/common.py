"""Options and project loading shared by the commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from orchestrator.diagnostics import Diagnostics
from orchestrator.errors import OrchestratorError
from orchestrator.project import Environment, Project, Target, find_project_root, load_project

F = TypeVar("F", bound=Callable[..., Any])


def directory_option(func: F) -> F:
    return click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Run as if started in DIR (like git -C).")(func)


def environment_option(func: F) -> F:
    return click.option("-e", "--env", "environment", default=None, metavar="ENV",
                        help="Environment from orchestrator.yaml (default: default_environment).")(func)


def target_option(func: F) -> F:
    return click.option("-t", "--target", "target", default=None, metavar="TARGET",
                        help="Target to use instead of the environment's.")(func)


def output_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    return click.option("--output", "-o", "output", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format.")


@dataclass(frozen=True, slots=True)
class Selection:
    project: Project
    environment: Environment
    target: Target
    diagnostics: Diagnostics


def resolve_root(directory: Path | None) -> Path:
    if directory is None:
        ctx = click.get_current_context(silent=True)
        group_dir = (ctx.find_root().obj or {}).get("directory") if ctx is not None else None
        directory = Path(group_dir) if group_dir else None
    start = directory if directory is not None else Path.cwd()
    if directory is not None and not directory.is_dir():
        raise OrchestratorError(f"-C {directory}: no such directory")
    root = find_project_root(start)
    if root is None:
        raise OrchestratorError(f"no orchestrator.yaml found in {start.resolve()} or any parent folder; "
                                "run from a project folder or pass -C DIR")
    return root


def select(directory: Path | None, environment: str | None, target: str | None) -> Selection | Diagnostics:
    """Load the project and pick environment and target; diagnostics when the project file is invalid."""
    root = resolve_root(directory)
    project, diagnostics = load_project(root)
    if project is None:
        return diagnostics
    use_project_redactor(project)
    env = project.environment(environment)
    chosen = project.target(target or env.target)
    return Selection(project, env, chosen, diagnostics)


def use_project_redactor(project: Project) -> None:
    """From now on, redact the values of every variable the project names and its URLs' passwords."""
    import os

    from orchestrator.secrets import current, install

    install(current().with_targets(project.targets.values(), os.environ))


def today() -> date:
    """The date model shutdowns are judged against; ORCHESTRATOR_TODAY (YYYY-MM-DD) pins it for tests and CI."""
    import os

    pinned = os.environ.get("ORCHESTRATOR_TODAY")
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise OrchestratorError(f"ORCHESTRATOR_TODAY={pinned!r} is not a date (expected YYYY-MM-DD)") from None
    return date.today()


def print_diagnostics(diagnostics: Diagnostics, *, summary: bool = True) -> None:
    from orchestrator.views.diagnostics_text import render_diagnostics

    text = render_diagnostics(diagnostics, color=stderr_color(), summary=summary)
    if text:
        click.echo(text, err=True, nl=False)


def stderr_color() -> bool:
    import os

    return sys.stderr.isatty() and "NO_COLOR" not in os.environ


def stdout_color() -> bool:
    import os

    return sys.stdout.isatty() and "NO_COLOR" not in os.environ
