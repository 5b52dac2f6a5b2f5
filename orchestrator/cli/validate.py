"""`orchestrator validate`: load, schema-check, render and lint every spec; no network."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.cli.common import (
    directory_option,
    environment_option,
    output_option,
    print_diagnostics,
    select,
    target_option,
    today,
)
from orchestrator.diagnostics import Diagnostics, error
from orchestrator.errors import OrchestratorError
from orchestrator.spec.project import PROJECT_FILE


@click.command()
@directory_option
@environment_option
@target_option
@output_option("text", "json")
@click.option("--handlers", is_flag=True, help="Also import the bound Python handlers and check their signatures.")
def validate(directory: Path | None, environment: str | None, target: str | None, output: str, handlers: bool) -> int:
    """Check every spec (exit 0 valid, 1 invalid). Imports no handler code unless --handlers.

    \b
    Examples:
      orchestrator validate
      orchestrator validate -e prod -o json    # every problem as a list, for tools
    """
    from orchestrator.engine.desired import build_desired

    try:
        selection = select(directory, environment, target)
    except OrchestratorError as problem:
        if output != "json":
            raise
        # machine readers still get the documented list, never an empty stdout
        return _report(Diagnostics([error(PROJECT_FILE, str(problem))]), output, 0)
    if isinstance(selection, Diagnostics):
        return _report(selection, output, 0)
    state = build_desired(selection.project, selection.environment, selection.target, today=today())
    diagnostics = Diagnostics(selection.diagnostics)
    diagnostics.extend(state.diagnostics)
    if handlers and not diagnostics.has_errors:
        from orchestrator.runtime.handlers import check_handlers

        diagnostics.extend(check_handlers(state))
    from orchestrator.engine.desired import DERIVED_KINDS

    synthesised = sorted(n for group in state.resources.values() for n, r in group.items()
                         if getattr(r, "origin", None) is not None)  # an agent's own environment: not a spec file
    count = len(state.specs) + sum(len(group) for kind, group in state.resources.items()  # every kind of the graph
                                   if kind not in DERIVED_KINDS) - len(synthesised)  # but the files and stores specs name
    code = _report(diagnostics, output, count)
    if code == 0 and output == "text":
        click.echo(f"{count} spec{'s' if count != 1 else ''} valid "
                   f"(environment {selection.environment.name}, target {selection.target.name}, "
                   f"backend {selection.target.backend})"
                   + (f"; not deployed to this environment: {', '.join(state.skipped)}" if state.skipped else "")
                   + (f"; environment templates synthesised for: {', '.join(synthesised)}" if synthesised else ""),
                   err=True)
    return code


def _report(diagnostics: Diagnostics, output: str, count: int) -> int:
    if output == "json":
        from orchestrator.views.diagnostics_text import render_diagnostics_json

        click.echo(render_diagnostics_json(diagnostics), nl=False)
    else:
        print_diagnostics(diagnostics)
    return 1 if diagnostics.has_errors else 0
