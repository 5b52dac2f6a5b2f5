"""`orchestrator apply [PLAN]`: make live objects match the specs, or apply exactly a saved plan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.common import directory_option, environment_option, stdout_color, target_option
from orchestrator.cli.engine import (
    Invalid,
    apply_lock,
    connect,
    events_option,
    load_selection,
    load_state,
    make_bus,
    parse_only,
    read_live,
)
from orchestrator.errors import OrchestratorError
from orchestrator.planning import Action, Plan


@click.command()
@click.argument("plan_file", metavar="[PLAN]", required=False, type=click.Path(dir_okay=False, path_type=Path))
@directory_option
@environment_option
@target_option
@click.option("--only", multiple=True, metavar="NAME", help="Limit to these specs (repeatable).")
@click.option("--prune", is_flag=True, help="Delete orphans and duplicates too.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a terminal).")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Independent changes applied at once.")
@events_option
def apply(plan_file: Path | None, directory: Path | None, environment: str | None, target: str | None,
          only: tuple[str, ...], prune: bool, yes: bool, parallelism: int, events: Path | None) -> int:
    """Make the live objects match the specs. With PLAN, apply exactly that saved plan."""
    bus = make_bus(events)
    try:
        if plan_file is not None:
            if only or prune:
                raise OrchestratorError("--only and --prune are fixed by the saved plan; don't pass them with PLAN")
            return _apply_saved(plan_file, directory, environment, target, yes, parallelism, bus)
        state = load_state(directory, environment, target)
    except Invalid:
        return 1
    selected = parse_only(only, set(state.specs))
    from orchestrator.sync import make_plan

    with connect(state.project, state.target, state.environment) as live, apply_lock(state.project, state.target):
        objects = read_live(live, state)
        plan = make_plan(state, objects, live.mapping, prune=prune, only=selected)
        return _confirm_and_apply(plan, live, yes, parallelism, bus)


def _apply_saved(plan_file: Path, directory: Path | None, environment: str | None, target: str | None,
                 yes: bool, parallelism: int, bus: Any) -> int:
    from orchestrator.planfile import plan_from_json, stale_changes

    try:
        text = plan_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OrchestratorError(f"plan file {plan_file} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OrchestratorError(f"cannot read plan file {plan_file}: {exc}") from None
    saved = plan_from_json(text, str(plan_file))
    selection = load_selection(directory, environment or saved.environment, target or saved.target)
    if (selection.project.name, selection.environment.name, selection.target.name) != \
            (saved.project, saved.environment, saved.target):
        raise OrchestratorError(
            f"the plan was made for project {saved.project}, environment {saved.environment}, target {saved.target}; "
            f"this run is for {selection.project.name}, {selection.environment.name}, {selection.target.name}")
    if selection.target.backend != saved.backend:
        raise OrchestratorError(f"the plan was made for the {saved.backend} backend, target "
                                f"{selection.target.name} now uses {selection.target.backend}")
    uses_files = any((c.essence or {}).get("knowledge") or (c.essence or {}).get("code_files") for c in saved.changes)
    with connect(selection.project, selection.target, selection.environment) as live, \
            apply_lock(selection.project, selection.target):
        objects = read_live(live, with_knowledge=True if uses_files else None)
        fingerprints = {obj.id: objects.fingerprint(obj) for obj in objects}
        owned = {}
        for obj in sorted(objects, key=lambda o: o.created_at):  # the oldest claims a spec, as in planning
            if obj.owner and obj.owner.project == saved.project and obj.owner.environment == saved.environment:
                owned.setdefault(obj.owner.spec, obj.id)
        problems = stale_changes(saved, fingerprints, owned)
        if problems:
            click.echo("error: the saved plan is stale; nothing was changed:", err=True)
            for problem in problems:
                click.echo(f"  - {problem}", err=True)
            click.echo("Run `orchestrator diff --out PLAN` again and review the new plan.", err=True)
            return 1
        from dataclasses import replace

        from orchestrator.sync import live_duplicates

        saved = replace(saved, duplicates=live_duplicates(objects, saved, live.mapping.object_kind))
        return _confirm_and_apply(saved, live, yes, parallelism, bus)


def _confirm_and_apply(plan: Plan, live: Any, yes: bool, parallelism: int, bus: Any, *,
                       command: str = "apply") -> int:
    from orchestrator.views.plan_text import render_plan_text

    click.echo(render_plan_text(plan, color=stdout_color()), nl=False)
    if not plan.has_changes:
        if plan.duplicates:  # nothing to do, but live state is not what the specs say: never a success
            click.echo(render_remaining(plan.duplicates), nl=False, err=True)
            return 1
        return 0
    if not yes:
        if not sys.stdin.isatty():
            click.echo(f"error: {command} needs --yes when no terminal is attached; nothing was changed", err=True)
            return 1
        question = "Apply these changes?" if command == "apply" else "Delete these objects?"
        if not click.confirm(question, default=False, err=True):
            click.echo(f"{command.capitalize()} cancelled; nothing was changed.", err=True)
            return 1
    return execute(plan, live, parallelism, bus)


def execute(plan: Plan, live: Any, parallelism: int, bus: Any) -> int:
    from orchestrator.applying import Applier

    applier = Applier(live.client, live.mapping, bus, parallelism=parallelism,
                      resources=getattr(live, "knowledge", None))
    result = applier.apply(plan)
    click.echo(render_result(result), nl=False)
    return 0 if result.ok else 1


def render_result(result: Any) -> str:
    verbs = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}
    lines = []
    counts = {"created": 0, "updated": 0, "deleted": 0, "failed": 0}
    for outcome in result.outcomes:
        change = outcome.change
        if outcome.ok:
            verb = verbs[change.action]
            counts[verb] += 1
            shown = "adopted" if change.reason == "adopt" else verb
            shown = getattr(outcome, "note", None) or f"{shown} ({outcome.id})"
            lines.append(f"  {change.kind} {change.name}: {shown}")
        else:
            counts["failed"] += 1
            lines.append(f"  {change.kind} {change.name}: FAILED to {change.action.value}: {outcome.error}")
    verification = getattr(result, "verification", None)
    extra = ""
    if verification is not None:
        for removal in verification.removed:
            lines.append(f"  {removal.kind} {removal.name}: removed duplicate {removal.id} made by this apply "
                         f"(kept {removal.kept_id}, the oldest)")
        if verification.error:
            lines.append(f"  FAILED to check for duplicates: {verification.error}")
        if verification.remaining:
            lines.append(render_remaining(verification.remaining).rstrip("\n"))
        if verification.removed:
            extra += f", {len(verification.removed)} duplicate(s) removed"
        if verification.remaining:
            extra += f", {len(verification.remaining)} duplicate(s) left"
    status = "Apply complete" if result.ok else "Apply finished with errors"
    lines.append(f"{status}: {counts['created']} created, {counts['updated']} updated, "
                 f"{counts['deleted']} deleted, {counts['failed']} failed{extra}.")
    return "\n".join(lines) + "\n"


def render_remaining(duplicates: Any) -> str:
    lines = [f"  {d.kind} {d.name}: DUPLICATE {d.id} claims it as well as {d.kept_id} (the oldest, kept)"
             for d in duplicates]
    lines.append(f"error: {len(lines)} duplicate(s) left, not made by this apply; "
                 "`orchestrator apply --prune` deletes the newer ones")
    return "\n".join(lines) + "\n"
