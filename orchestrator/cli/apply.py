"""`orchestrator apply [PLAN]`: make live objects match the specs, or apply exactly a saved plan."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from orchestrator.app.deploy import (
    check_saved_live,
    prepare_saved_plan,
    saved_duplicates,
    saved_plan_preview,
    without_applied,
)
from orchestrator.app.live import apply_lock, connect
from orchestrator.app.planning import planned
from orchestrator.app.project import Invalid
from orchestrator.app.state import load_selection
from orchestrator.cli.common import (
    caller_path,
    directory_option,
    environment_option,
    only_option,
    output_option,
    parallelism_option,
    print_diagnostics,
    resolve_root,
    stdout_color,
    target_option,
    yes_option,
)
from orchestrator.cli.events import events_option, make_bus
from orchestrator.cli.output import echo
from orchestrator.cli.previews import preview_option
from orchestrator.cli.report import TERMINAL, Terminal
from orchestrator.cli.revision_state import rev_option
from orchestrator.engine.planning import Action, Plan
from orchestrator.errors import OrchestratorError


@click.command()
@click.argument(
    "plan_file", metavar="[PLAN]", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
@directory_option
@environment_option
@target_option
@only_option
@click.option("--prune", is_flag=True, help="Delete orphans and duplicates too.")
@yes_option
@parallelism_option()
@rev_option
@preview_option
@events_option
@output_option("text", "json")
def apply(
    plan_file: Path | None,
    directory: Path | None,
    environment: str | None,
    target: str | None,
    only: tuple[str, ...],
    prune: bool,
    yes: bool,
    parallelism: int,
    rev: str | None,
    preview: str | None,
    events: Path | None,
    output: str,
) -> int:
    """Make the live objects match the specs. With PLAN, apply exactly that saved plan.

    \b
    Examples:
      orchestrator apply                      # show the plan, ask, apply
      orchestrator apply -e prod --yes        # in CI, after review
      orchestrator apply plan.json            # exactly the plan saved by diff --out
      orchestrator apply --rev HEAD~1         # roll every spec back one commit
      orchestrator apply --yes -o json > result.json   # the plan and every outcome as one JSON object
      orchestrator apply --preview pr-12 --yes   # a preview of the environment, beside its objects
    """
    bus = make_bus(events)
    try:
        if plan_file is not None:
            if only or prune or rev:
                raise OrchestratorError(
                    "--only, --prune and --rev are fixed by the saved plan; don't pass them with PLAN"
                )
            return _apply_saved(
                plan_file, directory, environment, target, yes, parallelism, bus, output, preview=preview
            )
        # the working tree (the apply lock taken and live state read on the side while the specs load and
        # render; nothing is read before the lock is held) or git revision REV: nothing is written before
        # the whole project validated and the whole plan was shown (and confirmed)
        with planned(
            resolve_root(directory),
            environment,
            target,
            reporter=TERMINAL,
            bus=lambda: bus,
            only=only,
            prune=prune,
            rev=rev,
            preview=preview,
            lock=True,
        ) as made:
            return confirm_and_apply(
                made.plan, made.live, yes, parallelism, bus, output=output, state=made.state
            )
    except Invalid:
        return 1


def _apply_saved(
    plan_file: Path,
    directory: Path | None,
    environment: str | None,
    target: str | None,
    yes: bool,
    parallelism: int,
    bus: Any,
    output: str = "text",
    *,
    preview: str | None = None,
) -> int:
    """Apply a saved plan, which is untrusted input: its file, project, environment and target are checked,
    its ownership metadata recomputed, and every object it updates or deletes re-checked live."""
    from orchestrator.diagnostics import Diagnostics
    from orchestrator.engine.planfile import read_plan

    plan_file = caller_path(plan_file)
    # the project decides the environment and target (flags, or its defaults), never the file
    selection = load_selection(resolve_root(directory), environment, target, reporter=TERMINAL)
    parsed = read_plan(plan_file, str(plan_file))
    if isinstance(parsed, Diagnostics):
        print_diagnostics(parsed, summary=False)
        echo(f"error: {plan_file} is not a valid saved plan; nothing was changed", err=True)
        return 1
    selection = saved_plan_preview(parsed, selection, preview, str(plan_file), reporter=TERMINAL)
    saved = prepare_saved_plan(parsed, selection, str(plan_file))
    project, env, chosen = selection.project, selection.environment, selection.target
    with connect(project, chosen, env, reporter=TERMINAL) as live, apply_lock(project, chosen, TERMINAL):
        check, objects = check_saved_live(saved, live, selection)
        if check.foreign:
            echo(
                "error: the saved plan would change objects this project does not own; nothing was changed:",
                err=True,
            )
            for problem in check.foreign:
                echo(f"  - {problem}", err=True)
            echo(
                "A saved plan may only update or delete objects whose live metadata names project "
                f"{project.name} and environment {env.name}.",
                err=True,
            )
            return 1
        if check.stale:
            echo("error: the saved plan is stale; nothing was changed:", err=True)
            for problem in check.stale:
                echo(f"  - {problem}", err=True)
            echo("Run `orchestrator diff --out PLAN` again and review the new plan.", err=True)
            return 1
        saved = replace(saved, duplicates=saved_duplicates(saved, live, objects))
        if check.already_applied:
            echo(
                f"The saved plan was already applied: live state is what its {len(check.applied)} "
                f"change{'s' if len(check.applied) != 1 else ''} produced; nothing was changed.",
                err=True,
            )
            if output == "json":
                echo(render_result_json(replace(saved, changes=()), None, command="apply"))
            if saved.duplicates:
                echo(render_remaining(saved.duplicates), nl=False, err=True)
                return 1
            return 0
        if check.applied:
            echo(
                f"{len(check.applied)} of {len(saved.actionable)} changes of the saved plan were already "
                "applied; applying the others.",
                err=True,
            )
            saved = without_applied(saved, check)
        return confirm_and_apply(saved, live, yes, parallelism, bus, output=output)


def confirm_and_apply(
    plan: Plan,
    live: Any,
    yes: bool,
    parallelism: int,
    bus: Any,
    *,
    command: str = "apply",
    output: str = "text",
    state: Any = None,
    groups: Any = None,
) -> int:
    """app.deploy.deploy, told through an ApplyTerminal; the exit code of what it did.

    With output json the plan and each outcome are shown on stderr and stdout gets one JSON object
    (the plan, every outcome, the summary); --yes is needed, as no one can be asked."""
    from orchestrator.app.deploy import deploy

    as_json = output == "json"
    done = deploy(
        plan,
        live,
        reporter=ApplyTerminal(yes, command=command, as_json=as_json),
        parallelism=parallelism,
        bus=bus,
        command=command,
        state=state,
        groups=groups,
    )
    if done.status == "nothing":
        if as_json:
            echo(render_result_json(done.plan, None, command=command))
        if done.plan.duplicates:  # nothing to do, but live state is not what the specs say: never a success
            echo(render_remaining(done.plan.duplicates), nl=False, err=True)
            return 1
        return 0
    if done.status != "applied":
        return 1
    from orchestrator.secrets import redact

    echo(redact(render_summary(done.result, command=command)), nl=False, err=as_json)
    if as_json:
        echo(render_result_json(done.plan, done.result, command=command))
    return 0 if done.ok else 1


class ApplyTerminal(Terminal):
    """The ApplyReporter of apply, rollback and destroy: the plan and each outcome on the terminal, the
    question asked there (or --yes taken)."""

    def __init__(self, yes: bool, *, command: str = "apply", as_json: bool = False) -> None:
        self.yes = yes
        self.command = command
        self.as_json = as_json

    def plan(self, plan: Plan) -> None:
        from orchestrator.views.plan_text import render_plan_text

        echo(
            render_plan_text(plan, color=False if self.as_json else stdout_color()),
            nl=False,
            err=self.as_json,
            styled=True,
        )

    def confirm(self, plan: Plan) -> bool:
        command = self.command
        if self.yes:
            return True
        if self.as_json:
            echo(
                f"error: {command} --output json needs --yes (the answer goes to stdout, no one can be "
                "asked); nothing was changed",
                err=True,
            )
            return False
        if not sys.stdin.isatty():
            echo(f"error: {command} needs --yes when no terminal is attached; nothing was changed", err=True)
            return False
        try:
            confirmed = (
                _confirm_destroy(plan)
                if command == "destroy"
                else click.confirm("Apply these changes?", default=False, err=True)
            )
        except click.Abort as stop:
            if isinstance(stop.__context__, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            echo("", err=True)  # Ctrl-D ends the prompt's line
            confirmed = False
        if not confirmed:
            echo(f"{command.capitalize()} cancelled; nothing was changed.", err=True)
        return confirmed

    def outcome(self, outcome: Any, *, progress: Any = None, late: bool = False) -> None:
        from orchestrator.secrets import redact

        line = redact(render_outcome(outcome))
        if late:
            echo(line + " (after the duplicate check)", err=self.as_json)
        elif progress is not None and progress.enabled:
            progress.say(line)
        else:
            echo(line, err=self.as_json)


def _confirm_destroy(plan: Plan) -> bool:
    """Deleting is typed out, as terraform destroy asks: `yes`, or the environment's name."""
    count = len(plan.actionable)
    answer = click.prompt(
        f"Delete {count} object{'s' if count != 1 else ''} of environment {plan.environment} "
        f"on target {plan.target}? Type `yes` or the environment name to confirm",
        default="",
        show_default=False,
        err=True,
    )
    return answer.strip() in ("yes", plan.environment)


def render_result_json(plan: Plan, result: Any, *, command: str) -> str:
    """The whole run as one JSON object: the plan (as `diff --output json`), every outcome, the summary."""
    import json

    from orchestrator.engine.planfile import plan_to_data
    from orchestrator.secrets import active

    outcomes = list(result.outcomes) if result is not None else []
    counts = {"created": 0, "updated": 0, "deleted": 0, "failed": 0}
    for outcome in outcomes:
        counts[VERBS[outcome.change.action] if outcome.ok else "failed"] += 1
    verification = getattr(result, "verification", None)
    data = {
        "format_version": 1,
        "command": command,
        "project": plan.project,
        "environment": plan.environment,
        "target": plan.target,
        "backend": plan.backend,
        "ok": bool(result.ok) if result is not None else not plan.duplicates,
        "summary": {
            **counts,
            "duplicates_removed": len(verification.removed) if verification is not None else 0,
            "duplicates_left": len(verification.remaining)
            if verification is not None
            else len(plan.duplicates),
        },
        "outcomes": [
            {
                "kind": o.change.kind,
                "name": o.change.name,
                "action": o.change.action.value,
                "id": o.id,
                "ok": bool(o.ok),
                "error": None if o.ok else str(o.error),
                "note": o.note or None,
            }
            for o in outcomes
        ],
        "plan": plan_to_data(plan),
    }
    return json.dumps(active().redact_data(data), indent=2, ensure_ascii=False)


VERBS = {Action.CREATE: "created", Action.UPDATE: "updated", Action.DELETE: "deleted"}


def render_outcome(outcome: Any) -> str:
    change = outcome.change
    if not outcome.ok:
        return f"  {change.kind} {change.name}: FAILED to {change.action.value}: {outcome.error}"
    shown = "adopted" if change.reason == "adopt" else VERBS[change.action]
    return f"  {change.kind} {change.name}: {outcome.note or f'{shown} ({outcome.id})'}"


def render_summary(result: Any, *, command: str = "apply") -> str:
    counts = {"created": 0, "updated": 0, "deleted": 0, "failed": 0}
    for outcome in result.outcomes:
        counts[VERBS[outcome.change.action] if outcome.ok else "failed"] += 1
    lines = []
    verification = getattr(result, "verification", None)
    extra = ""
    if verification is not None:
        for removal in verification.removed:
            lines.append(
                f"  {removal.kind} {removal.name}: removed duplicate {removal.id} made by this apply "
                f"(kept {removal.kept_id}, the oldest)"
            )
        if verification.error:
            lines.append(f"  FAILED to check for duplicates: {verification.error}")
        if verification.remaining:
            lines.append(render_remaining(verification.remaining).rstrip("\n"))
        if verification.removed:
            extra += f", {len(verification.removed)} duplicate(s) removed"
        if verification.remaining:
            extra += f", {len(verification.remaining)} duplicate(s) left"
    status = (
        f"{command.capitalize()} complete" if result.ok else f"{command.capitalize()} finished with errors"
    )
    if command == "destroy":
        lines.append(f"{status}: {counts['deleted']} deleted, {counts['failed']} failed{extra}.")
    else:
        lines.append(
            f"{status}: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['deleted']} deleted, {counts['failed']} failed{extra}."
        )
    return "\n".join(lines) + "\n"


def render_remaining(duplicates: Any) -> str:
    lines = [
        f"  {d.kind} {d.name}: DUPLICATE {d.id} claims it as well as {d.kept_id} (the oldest, kept)"
        for d in duplicates
    ]
    lines.append(
        f"error: {len(lines)} duplicate(s) left, not made by this apply; "
        "`orchestrator apply --prune` deletes the newer ones"
    )
    return "\n".join(lines) + "\n"
