"""`orchestrator destroy`: delete every object this project and environment own on a target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator.app.live import apply_lock, connect, read_live
from orchestrator.app.previews import parse_duration
from orchestrator.app.project import Invalid
from orchestrator.app.state import load_selection
from orchestrator.cli.apply import confirm_and_apply, render_result_json
from orchestrator.cli.common import (
    directory_option,
    environment_option,
    output_option,
    parallelism_option,
    resolve_root,
    target_option,
    yes_option,
)
from orchestrator.cli.events import events_option, make_bus
from orchestrator.cli.output import echo
from orchestrator.cli.previews import preview_option
from orchestrator.cli.report import TERMINAL
from orchestrator.errors import OrchestratorError


@click.command()
@directory_option
@environment_option
@target_option
@yes_option
@parallelism_option(help=None)
@preview_option
@click.option(
    "--previews",
    "sweep",
    is_flag=True,
    help="Destroy the environment's previews last applied longer ago than --older-than.",
)
@click.option(
    "--older-than",
    "older_than",
    default=None,
    metavar="DURATION",
    help="With --previews: the age (e.g. 7d, 12h) past which a preview is destroyed.",
)
@events_option
@output_option("text", "json")
def destroy(
    directory: Path | None,
    environment: str | None,
    target: str | None,
    yes: bool,
    parallelism: int,
    preview: str | None,
    sweep: bool,
    older_than: str | None,
    events: Path | None,
    output: str,
) -> int:
    """Delete every live object the project owns in this environment on the target (never unmanaged ones).

    The environment's previews are not its objects: `--preview NAME` destroys one preview, `--previews
    --older-than DURATION` every preview whose last apply is older than DURATION.

    \b
    Examples:
      orchestrator destroy -e dev             # asks you to type yes or the environment name
      orchestrator destroy -e pr-12 --yes -o json   # what was deleted, as one JSON object
      orchestrator destroy --preview pr-12 --yes    # the preview of pull request 12
      orchestrator destroy --previews --older-than 7d --yes   # sweep stale previews
    """
    if sweep and preview is not None:
        raise OrchestratorError(
            "--preview NAME destroys one preview, --previews sweeps old ones: pass one of them"
        )
    if (older_than is not None) != sweep:
        raise OrchestratorError(
            "--previews needs --older-than DURATION (e.g. 7d), and --older-than needs --previews"
        )
    try:
        selection = load_selection(
            resolve_root(directory), environment, target, reporter=TERMINAL, preview=preview
        )
    except Invalid:
        return 1
    bus = make_bus(events)
    if sweep:
        assert older_than is not None
        return _sweep(selection, parse_duration(older_than), yes, parallelism, bus, output)
    return _destroy(selection, yes, parallelism, bus, output)


def _destroy(selection: Any, yes: bool, parallelism: int, bus: Any, output: str) -> int:
    """Delete what (project, environment) owns: an environment with its leftover test copies, or a preview."""
    from orchestrator.app.destroy import destroy_plan
    from orchestrator.app.previews import split_owner_environment

    project, env, tgt = selection.project, selection.environment, selection.target
    with connect(project, tgt, env, reporter=TERMINAL) as live, apply_lock(project, tgt, TERMINAL):
        objects = read_live(live, with_knowledge=True)
        plan = destroy_plan(selection, live, objects)
        if split_owner_environment(env.name) is None:
            from orchestrator.app.previews import find_previews

            kept = [p.name for p in find_previews(project.name, env.name, objects)]
            if kept:
                echo(
                    f"Previews of environment {env.name} are not its objects and stay: {', '.join(kept)} "
                    "(`destroy --preview NAME` removes one).",
                    err=True,
                )
        if not plan.changes:
            what = _describe(env.name)
            echo(
                f"Nothing to destroy: project {project.name} owns no objects in {what} on target {tgt.name}.",
                err=output == "json",
            )
            if output == "json":
                echo(render_result_json(plan, None, command="destroy"))
            return 0
        return confirm_and_apply(plan, live, yes, parallelism, bus, command="destroy", output=output)


def _describe(owner_env: str) -> str:
    from orchestrator.app.previews import split_owner_environment

    split = split_owner_environment(owner_env)
    return f"preview {split[1]} of environment {split[0]}" if split else f"environment {owner_env}"


def _sweep(selection: Any, older_than_s: int, yes: bool, parallelism: int, bus: Any, output: str) -> int:
    """Destroy every preview of the environment whose newest object was written longer ago than the bound,
    one preview at a time (each with its own kinds' clients), as `destroy --preview NAME` would."""
    from dataclasses import replace

    from orchestrator.app import previews as clock
    from orchestrator.app.previews import describe_age, find_previews, preview_environment

    project, env, tgt = selection.project, selection.environment, selection.target
    with connect(project, tgt, env, reporter=TERMINAL) as live:
        previews = find_previews(project.name, env.name, read_live(live))
    now = clock.now()
    old = [p for p in previews if p.age_s(now) > older_than_s]
    err = output == "json"
    if not old:
        echo(
            f"No preview of environment {env.name} on target {tgt.name} is older than {describe_age(older_than_s)} "
            f"({len(previews)} preview{'s' if len(previews) != 1 else ''} in all).",
            err=err,
        )
        if output == "json":
            import json

            echo(json.dumps({"command": "destroy", "previews": []}, indent=2))
        return 0
    echo(
        f"Previews of environment {env.name} last applied more than {describe_age(older_than_s)} ago: "
        + ", ".join(f"{p.name} ({describe_age(p.age_s(now))})" for p in old),
        err=err,
    )
    if not yes:
        import sys

        if err or not sys.stdin.isatty():
            echo(
                "error: destroy --previews needs --yes when no terminal is attached (or with --output json); "
                "nothing was changed",
                err=True,
            )
            return 1
        import click as _click

        if not _click.confirm(
            f"Destroy these {len(old)} preview{'s' if len(old) != 1 else ''}?", default=False, err=True
        ):
            echo("Nothing was changed.", err=True)
            return 1
    code = 0
    for found in old:
        one = replace(selection, environment=preview_environment(env, found.name))
        code = max(code, _destroy(one, True, parallelism, bus, "text"))
    if output == "json":
        import json

        echo(json.dumps({"command": "destroy", "previews": [p.name for p in old], "ok": code == 0}, indent=2))
    return code
