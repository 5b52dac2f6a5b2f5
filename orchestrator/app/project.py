"""Selecting the project: its file loaded, the environment and target picked, the run's redactor and date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from orchestrator.diagnostics import Diagnostics
from orchestrator.errors import OrchestratorError
from orchestrator.spec.project import (
    Environment,
    Project,
    Target,
    find_project_root,
    load_project,
    selection_diagnostics,
)


class Invalid(Exception):
    """The project did not validate; diagnostics were reported and nothing live was touched."""


@dataclass(frozen=True, slots=True)
class Selection:
    project: Project
    environment: Environment
    target: Target
    diagnostics: Diagnostics


def find_root(start: Path, *, given: bool) -> Path:
    """The project folder at or above start (given: the user named start, with -C)."""
    if given and not start.is_dir():
        raise OrchestratorError(f"-C {start}: no such directory")
    root = find_project_root(start)
    if root is None:
        raise OrchestratorError(
            f"no orchestrator.yaml found in {start.resolve()} or any parent folder; "
            "run from a project folder, pass -C DIR, or create a project with `orchestrator init`"
        )
    return root


def select(root: Path, environment: str | None, target: str | None) -> Selection | Diagnostics:
    """Load the project at root and pick environment and target; diagnostics when the project file is invalid."""
    project, diagnostics = load_project(root)
    if project is None:
        return diagnostics
    use_project_redactor(project)
    env = project.environment(environment)
    chosen = project.target(target or env.target)
    return Selection(project, env, chosen, selection_diagnostics(diagnostics, chosen))


def use_project_redactor(project: Project) -> None:
    """From now on, redact the values of every variable the project names and its URLs' passwords."""
    import os

    from orchestrator.secrets import active

    active().add_targets(project.targets.values(), os.environ)


def today() -> date:
    """The date model shutdowns are judged against; ORCHESTRATOR_TODAY (YYYY-MM-DD) pins it for tests and CI."""
    import os

    pinned = os.environ.get("ORCHESTRATOR_TODAY")
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise OrchestratorError(
                f"ORCHESTRATOR_TODAY={pinned!r} is not a date (expected YYYY-MM-DD)"
            ) from None
    return date.today()
