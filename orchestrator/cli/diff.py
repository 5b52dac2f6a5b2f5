"""`orchestrator diff`: compare the specs with the live objects (exit 0 none, 2 changes, 1 error)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator.app.planning import planned, with_warnings
from orchestrator.app.project import Invalid
from orchestrator.cli.common import (
    caller_directory,
    directory_option,
    environment_option,
    only_option,
    output_option,
    resolve_root,
    stdout_color,
    target_option,
    user_output,
)
from orchestrator.cli.events import events_option, make_bus
from orchestrator.cli.output import echo
from orchestrator.cli.previews import preview_option
from orchestrator.cli.report import TERMINAL
from orchestrator.cli.revision_state import rev_option
from orchestrator.errors import OrchestratorError


@click.command()
@directory_option
@environment_option
@target_option
@only_option
@click.option("--prune", is_flag=True, help="Plan deletion of orphans and duplicates.")
@output_option("text", "json", "markdown", help=None)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Save the plan to a file for `apply PLAN`.",
)
@rev_option
@preview_option
@events_option
def diff(
    directory: Path | None,
    environment: str | None,
    target: str | None,
    only: tuple[str, ...],
    prune: bool,
    output: str,
    out: Path | None,
    rev: str | None,
    preview: str | None,
    events: Path | None,
) -> int:
    """Show what apply would change. Exit 0: no changes, 2: changes (or duplicates), 1: error.

    \b
    Examples:
      orchestrator diff                        # against the default environment
      orchestrator diff -e prod -o markdown --out plan.json   # a PR comment and a plan to apply
      orchestrator diff --rev HEAD~1          # what going back one commit would change
      orchestrator diff --preview pr-12 --out plan.json   # what apply --preview pr-12 would do
    """
    try:
        plan, bus = build_plan(directory, environment, target, only, prune, rev, events, preview=preview)
    except Invalid:
        return 1
    bus.publish(
        "plan_created",
        project=plan.project,
        environment=plan.environment,
        target=plan.target,
        summary=plan.summary(),
    )
    if out is not None:
        from orchestrator.engine.planfile import plan_to_json

        written = user_output(out)
        try:
            written.parent.mkdir(parents=True, exist_ok=True)
            written.write_text(plan_to_json(plan), encoding="utf-8")
        except OSError as exc:
            raise OrchestratorError(f"cannot write the plan to {written}: {exc.strerror or exc}") from None
    echo(render(plan, output), nl=False, styled=True)
    warn_if_redacted(plan.shown(in_sync=out is not None or output == "json"), saved=out is not None)
    if out is not None:
        where = caller_directory()
        again = (
            f"orchestrator -C {where} apply {out}"
            if where is not None and not out.is_absolute()
            else f"orchestrator apply {out}"
        )
        echo(f"Saved the plan to {written}; apply it with: {again}", err=True)
    # duplicates are warnings unless pruned, but live state is not what the specs say: never exit 0
    return 2 if plan.has_changes or plan.duplicates else 0


def build_plan(
    directory: Path | None,
    environment: str | None,
    target: str | None,
    only: tuple[str, ...],
    prune: bool,
    rev: str | None,
    events: Path | None,
    *,
    preview: str | None = None,
) -> tuple[Any, Any]:
    """(plan, event bus) of the working tree or of git revision REV against live state (Invalid: not valid);
    preview: of that preview of the environment."""
    with planned(
        resolve_root(directory),
        environment,
        target,
        reporter=TERMINAL,
        bus=lambda: make_bus(events),
        only=only,
        prune=prune,
        rev=rev,
        preview=preview,
    ) as made:
        return with_warnings(made.plan, made.state), made.bus


def render(plan, output: str) -> str:  # type: ignore[no-untyped-def]
    if output == "json":
        from orchestrator.engine.planfile import plan_to_json

        return plan_to_json(plan)
    if output == "markdown":
        from orchestrator.views.plan_markdown import render_plan_markdown

        return render_plan_markdown(plan)
    from orchestrator.views.plan_text import render_plan_text

    return render_plan_text(plan, color=stdout_color())


def warn_if_redacted(value: object, *, saved: bool = False) -> None:
    """Say so when a secret was masked in what was shown (and saved): the masked value is what a saved
    plan would then apply."""
    from orchestrator.secrets import MASK, active

    if not active().would_redact(value):
        return
    echo(
        f"warning: secret values (an API key the project names, a URL password or an `sk-...` string) "
        f"are shown as {MASK}"
        + (
            f" and saved as {MASK}: applying the saved plan would write {MASK} in their place"
            if saved
            else ""
        ),
        err=True,
    )
