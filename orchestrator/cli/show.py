"""`orchestrator show PLAN`: print a saved plan (text, JSON or markdown) without reading anything live."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.cli.common import caller_path, directory_option, output_option, print_diagnostics
from orchestrator.cli.output import echo


@click.command()
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False, path_type=Path))
@directory_option
@output_option("text", "json", "markdown", help=None)
def show(plan_file: Path, directory: Path | None, output: str) -> int:
    """Print a plan saved by `diff --out` as apply would show it. Exit 0, or 1 when PLAN is not a valid plan.

    The file is checked as `apply PLAN` checks it (size, UTF-8, schema, consistency) and nothing live is
    read: `show` says what the plan holds, `diff` says whether it is still what apply would do.

    \b
    Examples:
      orchestrator diff -e prod --out prod.plan
      orchestrator show prod.plan
      orchestrator show prod.plan -o markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from orchestrator.cli.diff import render
    from orchestrator.diagnostics import Diagnostics
    from orchestrator.engine.planfile import read_plan

    path = caller_path(plan_file)  # relative to -C DIR when given, as git does
    parsed = read_plan(path, str(plan_file))
    if isinstance(parsed, Diagnostics):
        print_diagnostics(parsed, summary=False)
        echo(f"error: {plan_file} is not a valid saved plan", err=True)
        return 1
    echo(render(parsed, output), nl=False, styled=True)
    return 0
