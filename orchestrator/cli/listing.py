"""`orchestrator list`: each spec's live id and status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.common import directory_option, environment_option, target_option
from orchestrator.cli.engine import Invalid, connect, read_live, state_and_live
from orchestrator.engine.planning import Action, Reason

STATUS = {
    Reason.IN_SYNC: "in sync",
    Reason.NEW: "missing",
    Reason.SPEC_CHANGED: "changed",
    Reason.DRIFT: "drifted",
    Reason.SPEC_CHANGED_AND_DRIFT: "changed, drifted",
    Reason.ADOPT: "to adopt",
    Reason.ORPHAN: "orphaned",
    Reason.DUPLICATE: "duplicate",
}


@click.command("list")
@directory_option
@environment_option
@target_option
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_command(directory: Path | None, environment: str | None, target: str | None, output: str) -> int:
    """Show each spec's live id and status: in sync, changed, drifted, missing, orphaned, duplicate.

    \b
    Examples:
      orchestrator list
      orchestrator list -e prod -o json
    """
    from orchestrator.engine.sync import make_plan

    try:
        with state_and_live(directory, environment, target) as (state, early):
            live, objects = early.result(state)
            rows = plan_rows(make_plan(state, objects, live.mapping, prune=True))
    except Invalid:
        return 1
    if output == "json":
        click.echo(json.dumps(rows, indent=2))
        return 0
    widths = [max([len(h)] + [len(str(r[k] or "-")) for r in rows]) for h, k in
              (("NAME", "name"), ("ID", "id"), ("STATUS", "status"))]
    click.echo(f"{'NAME':<{widths[0]}}  {'ID':<{widths[1]}}  STATUS")
    for row in rows:
        click.echo(f"{row['name']:<{widths[0]}}  {row['id'] or '-':<{widths[1]}}  {row['status']}")
    return 0


def list_rows(state: Any) -> list[dict[str, Any]]:
    """One row per spec and per orphan or duplicate: name, kind, live id, status (the `-o json` objects)."""
    from orchestrator.engine.sync import make_plan

    with connect(state.project, state.target, state.environment) as live:
        plan = make_plan(state, read_live(live, state), live.mapping, prune=True)
    return plan_rows(plan)


def plan_rows(plan: Any) -> list[dict[str, Any]]:
    return [{"name": c.name, "kind": c.kind, "id": c.id, "status": STATUS[c.reason]} for c in plan.changes]


__all__ = ["Action", "list_command"]
