"""`orchestrator graph`: the resource graph of the plan, as Mermaid or Graphviz DOT."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.app.project import Invalid
from orchestrator.cli.common import directory_option, environment_option, only_option, target_option
from orchestrator.cli.events import events_option
from orchestrator.cli.output import echo
from orchestrator.cli.revision_state import rev_option


@click.command()
@directory_option
@environment_option
@target_option
@only_option
@click.option("--prune", is_flag=True, help="Draw the deletion of orphans and duplicates too.")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True
)
@click.option(
    "--changes", is_flag=True, help="Only what changes and what it uses (as the markdown plan draws it)."
)
@rev_option
@events_option
def graph(
    directory: Path | None,
    environment: str | None,
    target: str | None,
    only: tuple[str, ...],
    prune: bool,
    fmt: str,
    changes: bool,
    rev: str | None,
    events: Path | None,
) -> int:
    """Print the resource graph of the plan: every resource, marked + ~ - by what apply would do.

    An arrow a -> b says a uses b: apply creates b first and deletes it last. Live state is read as
    `diff` reads it; nothing is changed. Exit 0, or 1 when the specs do not validate.

    \b
    Examples:
      orchestrator graph                      # Mermaid: paste into a pull request or a .md file
      orchestrator graph -f dot | dot -Tsvg > graph.svg
      orchestrator graph -e agents --changes
    """
    from orchestrator.cli.diff import build_plan
    from orchestrator.views.plan_graph import render_dot, render_mermaid

    try:
        plan, _ = build_plan(directory, environment, target, only, prune, rev, events)
    except Invalid:
        return 1
    render = render_dot if fmt == "dot" else render_mermaid
    echo(render(plan, changes_only=changes), nl=False)
    return 0
