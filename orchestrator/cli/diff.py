"""`orchestrator diff`: compare the specs with the live objects (exit 0 none, 2 changes, 1 error)."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.cli.common import directory_option, environment_option, stdout_color, target_option
from orchestrator.cli.engine import (
    Invalid,
    connect,
    events_option,
    load_state,
    make_bus,
    parse_only,
    read_live,
)
from orchestrator.errors import OrchestratorError


@click.command()
@directory_option
@environment_option
@target_option
@click.option("--only", multiple=True, metavar="NAME", help="Limit to these specs (repeatable).")
@click.option("--prune", is_flag=True, help="Plan deletion of orphans and duplicates.")
@click.option("--output", "-o", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Save the plan to a file for `apply PLAN`.")
@events_option
def diff(directory: Path | None, environment: str | None, target: str | None, only: tuple[str, ...], prune: bool,
         output: str, out: Path | None, events: Path | None) -> int:
    """Show what apply would change. Exit 0: no changes, 2: changes (or duplicates), 1: error."""
    try:
        state = load_state(directory, environment, target)
    except Invalid:
        return 1
    selected = parse_only(only, set(state.specs))
    bus = make_bus(events)
    plan = compute_plan(state, prune=prune, only=selected)
    bus.publish("plan_created", project=plan.project, environment=plan.environment, target=plan.target,
                summary=plan.summary())
    if out is not None:
        from orchestrator.planfile import plan_to_json

        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(plan_to_json(plan), encoding="utf-8")
        except OSError as exc:
            raise OrchestratorError(f"cannot write the plan to {out}: {exc.strerror or exc}") from None
    click.echo(render(plan, output), nl=False)
    if out is not None:
        click.echo(f"Saved the plan to {out}; apply it with: orchestrator apply {out}", err=True)
    # duplicates are warnings unless pruned, but live state is not what the specs say: never exit 0
    return 2 if plan.has_changes or plan.duplicates else 0


def compute_plan(state, *, prune: bool, only):  # type: ignore[no-untyped-def]
    from orchestrator.sync import make_plan

    with connect(state.project, state.target, state.environment) as live:
        objects = read_live(live, state)
        return make_plan(state, objects, live.mapping, prune=prune, only=only)


def render(plan, output: str) -> str:  # type: ignore[no-untyped-def]
    if output == "json":
        from orchestrator.planfile import plan_to_json

        return plan_to_json(plan)
    if output == "markdown":
        from orchestrator.views.plan_markdown import render_plan_markdown

        return render_plan_markdown(plan)
    from orchestrator.views.plan_text import render_plan_text

    return render_plan_text(plan, color=stdout_color())
