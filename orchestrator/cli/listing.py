"""`orchestrator list`: each spec's live id and status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from orchestrator.app.listing import listed, plan_rows
from orchestrator.app.project import Invalid
from orchestrator.cli.common import (
    directory_option,
    environment_option,
    output_option,
    resolve_root,
    target_option,
)
from orchestrator.cli.output import echo
from orchestrator.cli.previews import preview_option
from orchestrator.cli.report import TERMINAL
from orchestrator.errors import OrchestratorError


@click.command("list")
@directory_option
@environment_option
@target_option
@output_option("text", "json", help=None)
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
    from orchestrator.app.previews import find_previews

    if only_previews and preview is not None:
        raise OrchestratorError("--previews lists every preview, --preview NAME shows one: pass one of them")
    try:
        state, plan, objects = listed(
            resolve_root(directory), environment, target, reporter=TERMINAL, preview=preview
        )
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

    from orchestrator.app import previews as clock
    from orchestrator.app.previews import describe_age

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
