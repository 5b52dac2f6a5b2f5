"""`orchestrator apply [PLAN]`: make live objects match the specs, or apply exactly a saved plan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.common import (
    directory_option,
    environment_option,
    only_option,
    stdout_color,
    target_option,
)
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
@only_option
@click.option("--prune", is_flag=True, help="Delete orphans and duplicates too.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a terminal).")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Independent changes applied at once.")
@events_option
def apply(plan_file: Path | None, directory: Path | None, environment: str | None, target: str | None,
          only: tuple[str, ...], prune: bool, yes: bool, parallelism: int, events: Path | None) -> int:
    """Make the live objects match the specs. With PLAN, apply exactly that saved plan.

    \b
    Examples:
      orchestrator apply                      # show the plan, ask, apply
      orchestrator apply -e prod --yes        # in CI, after review
      orchestrator apply plan.json            # exactly the plan saved by diff --out
    """
    bus = make_bus(events)
    try:
        if plan_file is not None:
            if only or prune:
                raise OrchestratorError("--only and --prune are fixed by the saved plan; don't pass them with PLAN")
            return _apply_saved(plan_file, directory, environment, target, yes, parallelism, bus)
        state = load_state(directory, environment, target)
    except Invalid:
        return 1
    selected = parse_only(only, state)
    from orchestrator.sync import make_plan

    with connect(state.project, state.target, state.environment) as live, apply_lock(state.project, state.target):
        objects = read_live(live, state)
        plan = make_plan(state, objects, live.mapping, prune=prune, only=selected)
        return _confirm_and_apply(plan, live, yes, parallelism, bus)


def check_plan_fits(saved: Plan, selection: Any) -> None:
    """Refuse a saved plan made for another project, environment, target or backend."""
    if (selection.project.name, selection.environment.name, selection.target.name) != \
            (saved.project, saved.environment, saved.target):
        raise OrchestratorError(
            f"the plan was made for project {saved.project}, environment {saved.environment}, target {saved.target}; "
            f"this run is for {selection.project.name}, {selection.environment.name}, {selection.target.name}")
    if selection.target.backend != saved.backend:
        raise OrchestratorError(f"the plan was made for the {saved.backend} backend, target "
                                f"{selection.target.name} now uses {selection.target.backend}")


def stale_problems(saved: Plan, live: Any) -> list[str]:
    """Read live state now and say why the saved plan no longer fits it (empty when it still does)."""
    from orchestrator.planfile import stale_changes

    uses_files = any((c.essence or {}).get("knowledge") or (c.essence or {}).get("code_files") for c in saved.changes)
    objects = read_live(live, with_knowledge=True if uses_files else None)
    fingerprints = {obj.id: objects.fingerprint(obj) for obj in objects}
    owned = {}
    for obj in sorted(objects, key=lambda o: o.created_at):  # the oldest claims a spec, as in planning
        if obj.owner and obj.owner.project == saved.project and obj.owner.environment == saved.environment:
            owned.setdefault(obj.owner.spec, obj.id)
    return stale_changes(saved, fingerprints, owned)


def _apply_saved(plan_file: Path, directory: Path | None, environment: str | None, target: str | None,
                 yes: bool, parallelism: int, bus: Any) -> int:
    from orchestrator.cli.common import caller_path
    from orchestrator.planfile import plan_from_json

    plan_file = caller_path(plan_file)
    try:
        text = plan_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OrchestratorError(f"plan file {plan_file} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OrchestratorError(f"cannot read plan file {plan_file}: {exc}") from None
    saved = plan_from_json(text, str(plan_file))
    selection = load_selection(directory, environment or saved.environment, target or saved.target)
    check_plan_fits(saved, selection)
    with connect(selection.project, selection.target, selection.environment) as live, \
            apply_lock(selection.project, selection.target):
        problems = stale_problems(saved, live)
        if problems:
            click.echo("error: the saved plan is stale; nothing was changed:", err=True)
            for problem in problems:
                click.echo(f"  - {problem}", err=True)
            click.echo("Run `orchestrator diff --out PLAN` again and review the new plan.", err=True)
            return 1
        return _confirm_and_apply(saved, live, yes, parallelism, bus)


def _confirm_and_apply(plan: Plan, live: Any, yes: bool, parallelism: int, bus: Any, *,
                       command: str = "apply") -> int:
    from orchestrator.views.plan_text import render_plan_text

    click.echo(render_plan_text(plan, color=stdout_color()), nl=False)
    if not plan.has_changes:
        return 0
    if not yes:
        if not sys.stdin.isatty():
            click.echo(f"error: {command} needs --yes when no terminal is attached; nothing was changed", err=True)
            return 1
        try:
            confirmed = _confirm_destroy(plan) if command == "destroy" else \
                click.confirm("Apply these changes?", default=False, err=True)
        except click.Abort as stop:
            if isinstance(stop.__context__, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            click.echo("", err=True)  # Ctrl-D ends the prompt's line
            confirmed = False
        if not confirmed:
            click.echo(f"{command.capitalize()} cancelled; nothing was changed.", err=True)
            return 1
    return execute(plan, live, parallelism, bus, command=command)


def _confirm_destroy(plan: Plan) -> bool:
    """Deleting is typed out, as terraform destroy asks: `yes`, or the environment's name."""
    count = len(plan.actionable)
    answer = click.prompt(f"Delete {count} object{'s' if count != 1 else ''} of environment {plan.environment} "
                          f"on target {plan.target}? Type `yes` or the environment name to confirm",
                          default="", show_default=False, err=True)
    return answer.strip() in ("yes", plan.environment)


def execute(plan: Plan, live: Any, parallelism: int, bus: Any, *, command: str = "apply") -> int:
    """Apply the plan, printing each result as it finishes (so an interrupted apply still shows what it did)."""
    import threading

    from orchestrator.cli.progress import Activity

    total = len(plan.actionable)
    done = 0
    printed = threading.Lock()
    activity = Activity(f"applying {total} change{'s' if total != 1 else ''}")

    def report(outcome: Any) -> None:
        nonlocal done
        with printed:
            done += 1
            activity.update(f"applying: {done} of {total} done")
            if activity.enabled:
                activity.say(render_outcome(outcome))
            else:
                click.echo(render_outcome(outcome))

    with activity:
        result = run_plan(plan, live, parallelism, bus, on_outcome=report, progress=activity.note)
    click.echo(render_summary(result, command=command), nl=False)
    return 0 if result.ok else 1


def run_plan(plan: Plan, live: Any, parallelism: int, bus: Any, *, on_outcome: Any = None,
             progress: Any = None) -> Any:
    """Apply every change of the plan through the live connection; the ApplyResult says what happened."""
    from orchestrator.applying import Applier

    def recover(change: Any) -> Any:
        for obj in live.client.list_all():
            owner = obj.owner
            if owner and (owner.project, owner.environment, owner.spec) == (plan.project, plan.environment, change.name):
                return obj
        return None

    knowledge = getattr(live, "knowledge", None)
    if knowledge is not None:
        knowledge.progress = progress
    applier = Applier(live.client, live.mapping, bus, parallelism=parallelism, recover=recover,
                      resources=knowledge, on_outcome=on_outcome)
    return applier.apply(plan)


VERBS = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}


def render_outcome(outcome: Any) -> str:
    change = outcome.change
    if not outcome.ok:
        return f"  {change.kind} {change.name}: FAILED to {change.action.value}: {outcome.error}"
    shown = "adopted" if change.reason == "adopt" else VERBS[change.action]
    return f"  {change.kind} {change.name}: {shown} ({outcome.id})"


def render_summary(result: Any, *, command: str = "apply") -> str:
    counts = {"created": 0, "updated": 0, "deleted": 0, "failed": 0}
    for outcome in result.outcomes:
        counts[VERBS[outcome.change.action] if outcome.ok else "failed"] += 1
    status = f"{command.capitalize()} complete" if result.ok else f"{command.capitalize()} finished with errors"
    if command == "destroy":
        return f"{status}: {counts['deleted']} deleted, {counts['failed']} failed.\n"
    return (f"{status}: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['deleted']} deleted, {counts['failed']} failed.\n")

