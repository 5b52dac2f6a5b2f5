"""`orchestrator rollback [NAME...]`: apply, per spec, the revision before the one that is live."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.app.live import apply_lock, connect, read_live
from orchestrator.app.project import Invalid
from orchestrator.app.state import load_selection
from orchestrator.cli.common import (
    complete_spec_names,
    directory_option,
    environment_option,
    parallelism_option,
    resolve_root,
    target_option,
    yes_option,
)
from orchestrator.cli.events import events_option, make_bus
from orchestrator.cli.output import echo
from orchestrator.cli.report import TERMINAL


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...", shell_complete=complete_spec_names)
@directory_option
@environment_option
@target_option
@yes_option
@parallelism_option()
@events_option
def rollback(
    names: tuple[str, ...],
    directory: Path | None,
    environment: str | None,
    target: str | None,
    yes: bool,
    parallelism: int,
    events: Path | None,
) -> int:
    """Apply, per spec, the revision before the one that is live (every spec with a live revision by default).

    The revision before is the newest earlier commit in the spec's history (see `history NAME`) whose payload
    differs from the live one; a live object applied with uncommitted changes goes back to its commit.
    Other specs stay as they are. Shows the plan and asks, like apply.

    \b
    Examples:
      orchestrator rollback spanish-tutor         # one spec back, the others stay
      orchestrator rollback -e prod --yes          # every spec of prod, one revision back each
      orchestrator rollback spanish-tutor && orchestrator rollback spanish-tutor   # two revisions back
    """
    from orchestrator.app.rollback import plan_steps, rollback_plan
    from orchestrator.app.state import describe
    from orchestrator.cli.apply import confirm_and_apply
    from orchestrator.engine.git import require_repository
    from orchestrator.engine.revisions import Snapshots

    try:
        selection = load_selection(resolve_root(directory), environment, target, reporter=TERMINAL)
    except Invalid:
        return 1
    repo = require_repository(selection.project.root, "rollback")
    bus = make_bus(events)
    project, env, chosen = selection.project, selection.environment, selection.target
    with (
        connect(project, chosen, env, reporter=TERMINAL) as live,
        apply_lock(project, chosen, TERMINAL),
        Snapshots(repo) as snapshots,
    ):
        objects = read_live(live, with_knowledge=True)
        steps, problems = plan_steps(selection, snapshots, objects, names)
        for problem in problems:
            echo(f"{'error' if names else 'skipped'}: {problem}", err=True)
        if names and problems:
            echo("error: nothing was changed", err=True)
            return 1
        if not steps:
            echo("error: nothing to roll back; nothing was changed", err=True)
            return 1
        try:
            plan, groups = rollback_plan(selection, snapshots, objects, live, steps, reporter=TERMINAL)
        except Invalid:
            return 1
        for step in steps:
            passed = f" (passing over {step.skipped} with the live payload)" if step.skipped else ""
            echo(
                f"Rolling back {step.name}: live {step.live.short}"
                f"{' with uncommitted changes' if step.live.dirty else ''} -> "
                f"{describe(step.target.commit)}{passed}",
                err=True,
            )
        return confirm_and_apply(plan, live, yes, parallelism, bus, command="rollback", groups=groups)
