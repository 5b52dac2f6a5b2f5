"""`orchestrator validate`: load, schema-check, render and lint every spec; no network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator.app.project import select, today
from orchestrator.cli.common import (
    directory_option,
    environment_option,
    output_option,
    print_diagnostics,
    resolve_root,
    target_option,
)
from orchestrator.cli.output import echo
from orchestrator.diagnostics import Diagnostics, error
from orchestrator.errors import OrchestratorError
from orchestrator.spec.project import PROJECT_FILE


@click.command()
@directory_option
@environment_option
@target_option
@output_option("text", "json")
@click.option(
    "--handlers", is_flag=True, help="Also import the bound Python handlers and check their signatures."
)
@click.option(
    "--all-environments",
    "-A",
    "every",
    is_flag=True,
    help="Check every environment of the project (each against its own target); a problem found in "
    "some environments only names them.",
)
def validate(
    directory: Path | None,
    environment: str | None,
    target: str | None,
    output: str,
    handlers: bool,
    every: bool,
) -> int:
    """Check every spec (exit 0 valid, 1 invalid). Imports no handler code unless --handlers.

    \b
    Examples:
      orchestrator validate
      orchestrator validate -e prod -o json    # every problem as a list, for tools
      orchestrator validate --all-environments   # what the pre-commit hook runs
    """

    if every:
        if environment is not None or target is not None:
            raise OrchestratorError(
                "--all-environments checks each environment against its own target; "
                "don't pass -e or -t with it"
            )
        return _validate_every_environment(directory, output, handlers)

    selection = _select(directory, environment, target, output)
    if isinstance(selection, int):
        return selection
    state, diagnostics = _check(selection, handlers)
    from orchestrator.engine.desired import DERIVED_KINDS

    synthesised = sorted(
        n
        for group in state.resources.values()
        for n, r in group.items()
        if getattr(r, "origin", None) is not None
    )  # an agent's own environment: not a spec file
    count = (
        len(state.specs)
        + sum(
            len(group)
            for kind, group in state.resources.items()  # every kind of the graph
            if kind not in DERIVED_KINDS
        )
        - len(synthesised)
    )  # but the files and stores specs name
    code = _report(diagnostics, output, count)
    if output == "text" and state.accepted:
        echo(accepted_summary(selection.environment, len(state.accepted)), err=True)
    if code == 0 and output == "text":
        echo(
            f"{count} spec{'s' if count != 1 else ''} valid "
            f"(environment {selection.environment.name}, target {selection.target.name}, "
            f"backend {selection.target.backend})"
            + (
                f", and {len(state.tests)} behaviour test{'s' if len(state.tests) != 1 else ''}"
                if state.tests
                else ""
            )
            + (f"; not deployed to this environment: {', '.join(state.skipped)}" if state.skipped else "")
            + (f"; environment templates synthesised for: {', '.join(synthesised)}" if synthesised else ""),
            err=True,
        )
    return code


def accepted_summary(environment: Any, count: int) -> str:
    """The one line that stands for the warnings an environment's `accept:` covers."""
    where = f"{PROJECT_FILE}:{environment.accept_line}" if environment.accept_line else PROJECT_FILE
    return (
        f"{count} accepted difference{'s' if count != 1 else ''} in environment {environment.name} "
        f"(see {where}; `diff -o json` lists them)"
    )


def _select(directory: Path | None, environment: str | None, target: str | None, output: str) -> Any:
    """The selection, or the exit code once a project file that does not load was reported."""
    try:
        selection = select(resolve_root(directory), environment, target)
    except OrchestratorError as problem:
        if output != "json":
            raise
        # machine readers still get the documented list, never an empty stdout
        return _report(Diagnostics([error(PROJECT_FILE, str(problem))]), output, 0)
    if isinstance(selection, Diagnostics):
        return _report(selection, output, 0)
    return selection


def _check(selection: Any, handlers: bool) -> tuple[Any, Diagnostics]:
    """(desired state, every diagnostic) of one environment: the project file's, the specs', the handlers'."""
    from orchestrator.engine.building import build_desired

    state = build_desired(selection.project, selection.environment, selection.target, today=today())
    diagnostics = Diagnostics(selection.diagnostics)
    diagnostics.extend(state.diagnostics)
    if handlers and not diagnostics.has_errors:
        from orchestrator.runtime.handlers import check_handlers

        diagnostics.extend(check_handlers(state))
    return state, diagnostics


def _validate_every_environment(directory: Path | None, output: str, handlers: bool) -> int:
    """validate once per environment; a diagnostic found in all of them is reported once as it is, one found
    in some only is reported once, its message naming those environments."""
    from dataclasses import replace

    first = _select(directory, None, None, output)
    if isinstance(first, int):
        return first
    project = first.project
    names = list(project.environments)
    seen: dict[tuple[object, ...], tuple[object, list[str]]] = {}
    checked: list[str] = []
    accepted: list[str] = []
    for name in names:
        selection = select(resolve_root(directory), name, None)
        assert not isinstance(selection, Diagnostics)  # the project file loaded once already
        state, found = _check(selection, handlers)
        if state.accepted:
            accepted.append(accepted_summary(selection.environment, len(state.accepted)))
        for diagnostic in found:
            key = (*diagnostic.sort_key(), str(diagnostic.severity), diagnostic.hint)
            seen.setdefault(key, (diagnostic, []))[1].append(name)
        checked.append(f"{name} ({selection.target.name}, {selection.target.backend})")
    merged = Diagnostics([])
    for diagnostic, where in seen.values():
        if len(where) < len(names):
            label = "environment" if len(where) == 1 else "environments"
            diagnostic = replace(diagnostic, message=f"{diagnostic.message} [{label} {', '.join(where)}]")
        merged.add(diagnostic)
    code = _report(merged, output, 0)
    if output == "text":
        for line in accepted:
            echo(line, err=True)
    if code == 0 and output == "text":
        echo(
            f"valid in {len(names)} environment{'s' if len(names) != 1 else ''}: {', '.join(checked)}",
            err=True,
        )
    return code


def _report(diagnostics: Diagnostics, output: str, count: int) -> int:
    if output == "json":
        from orchestrator.views.diagnostics_text import render_diagnostics_json

        echo(render_diagnostics_json(diagnostics), nl=False)
    else:
        print_diagnostics(diagnostics)
    return 1 if diagnostics.has_errors else 0
