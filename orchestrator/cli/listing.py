"""`orchestrator list`: each spec's live id and status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.common import directory_option, environment_option, target_option
from orchestrator.cli.engine import Invalid, connect, read_live, state_and_live
from orchestrator.cli.output import echo
from orchestrator.cli.previews import preview_option
from orchestrator.engine.planning import Action, Reason
from orchestrator.errors import OrchestratorError

STATUS = {
    Reason.IN_SYNC: "in sync",
    Reason.NEW: "missing",
    Reason.SPEC_CHANGED: "changed",
    Reason.DRIFT: "drifted",
    Reason.SPEC_CHANGED_AND_DRIFT: "changed, drifted",
    Reason.INCOMPLETE: "incomplete",
    Reason.ADOPT: "to adopt",
    Reason.ORPHAN: "orphaned",
    Reason.DUPLICATE: "duplicate",
    Reason.UNUSED: "unused",
}


@click.command("list")
@directory_option
@environment_option
@target_option
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True)
@preview_option
@click.option(
    "--previews",
    "only_previews",
    is_flag=True,
    help="List the environment's previews (objects, last apply, age) instead of its specs.",
)
def list_command(
    directory: Path | None,
    environment: str | None,
    target: str | None,
    output: str,
    preview: str | None,
    only_previews: bool,
) -> int:
    """Show each spec's live id and status: in sync, changed, drifted, missing, orphaned, duplicate.

    The environment's previews (`apply --preview NAME`) follow the table; `--previews` lists only them,
    `--preview NAME` shows that preview's objects instead of the environment's.

    \b
    Examples:
      orchestrator list
      orchestrator list -e prod -o json
      orchestrator list --previews
    """
    from orchestrator.cli.previews import find_previews
    from orchestrator.engine.sync import make_plan

    if only_previews and preview is not None:
        raise OrchestratorError("--previews lists every preview, --preview NAME shows one: pass one of them")
    try:
        with state_and_live(directory, environment, target, preview=preview) as (state, early):
            live, objects = early.result(state)
            plan = make_plan(state, objects, live.mapping, prune=True, kinds=live.kinds)
    except Invalid:
        return 1
    previews = find_previews(state.project.name, state.environment.name, objects) if preview is None else []
    if only_previews:
        return _show_previews(previews, output)
    rows, in_git = plan_rows(state, plan, objects)
    if output == "json":
        echo(json.dumps(rows, indent=2))
        return 0
    columns = [("NAME", "name"), ("ID", "id"), ("STATUS", "status")]
    if len({row["kind"] for row in rows}) > 1:  # e.g. an agent and the environment synthesised for it
        columns.insert(1, ("KIND", "kind"))
    if in_git or any(r["revision"] and r["revision"]["commit"] for r in rows):
        columns.append(("REVISION", "revision"))
    cells = [[_cell(row, key) for _, key in columns] for row in rows]
    widths = [max([len(head)] + [len(line[i]) for line in cells]) for i, (head, _) in enumerate(columns)]
    echo("  ".join(f"{head:<{width}}" for (head, _), width in zip(columns, widths, strict=True)).rstrip())
    for line in cells:
        echo("  ".join(f"{text:<{width}}" for text, width in zip(line, widths, strict=True)).rstrip())
    if previews:
        echo("")
        _show_previews(previews, "text")
    return 0


def _show_previews(previews: list[Any], output: str) -> int:
    """The previews as a table (PREVIEW, OBJECTS, LAST APPLIED, AGE) or as JSON objects."""
    from datetime import UTC, datetime

    from orchestrator.cli import previews as clock
    from orchestrator.cli.previews import describe_age

    now = clock.now()
    rows = [
        {
            "preview": p.name,
            "objects": p.objects,
            "last_applied": datetime.fromtimestamp(p.last_applied, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "age_s": int(p.age_s(now)),
        }
        for p in previews
    ]
    if output == "json":
        echo(json.dumps(rows, indent=2))
        return 0
    if not rows:
        echo("No previews.")
        return 0
    head = ("PREVIEW", "OBJECTS", "LAST APPLIED", "AGE")
    cells = [[r["preview"], str(r["objects"]), r["last_applied"], describe_age(r["age_s"])] for r in rows]
    widths = [max([len(head[i])] + [len(line[i]) for line in cells]) for i in range(len(head))]
    for line in [list(head), *cells]:
        echo("  ".join(f"{text:<{width}}" for text, width in zip(line, widths, strict=True)).rstrip())
    return 0


def _cell(row: dict[str, Any], key: str) -> str:
    if key == "revision":
        return row["revision"]["summary"] if row["revision"] else "-"
    return str(row[key] or "-")


def list_rows(state: Any, *, with_git: bool = False) -> Any:
    """One row per spec and per orphan or duplicate: name, kind, live id, status, and the git revision the
    live object was applied from (the `-o json` objects); with_git: also whether the project is in git."""
    from orchestrator.engine.sync import make_plan

    with connect(state.project, state.target, state.environment) as live:
        objects = read_live(live, state)
        plan = make_plan(state, objects, live.mapping, prune=True, kinds=live.kinds)
    rows, in_git = plan_rows(state, plan, objects)
    return (rows, in_git) if with_git else rows


def plan_rows(state: Any, plan: Any, objects: Any) -> tuple[list[dict[str, Any]], bool]:
    """The `-o json` rows of a plan, with the git revision each live object was applied from."""
    from orchestrator.engine.desired import DERIVED_KINDS
    from orchestrator.engine.revisions import REVISIONED_KINDS, describe_live_revisions

    kinds = getattr(objects, "kinds", {})  # the kinds whose objects record a revision too (skills)
    revisioned = [*objects, *(o for k in REVISIONED_KINDS if k in kinds for o in kinds[k].objects)]
    revisions, in_git = describe_live_revisions(state, plan, revisioned)
    return [
        {
            "name": c.name,
            "kind": c.kind,
            "id": c.id,
            "status": STATUS[c.reason],
            "revision": revisions.get(c.id) if c.id else None,
        }
        for c in plan.changes
        if c.kind not in DERIVED_KINDS
    ], in_git  # specs, not the files they name


__all__ = ["Action", "list_command"]
