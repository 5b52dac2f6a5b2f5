"""`orchestrator destroy`: delete every object this project and environment own on a target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator.cli.apply import _confirm_and_apply
from orchestrator.cli.common import directory_option, environment_option, output_option, target_option
from orchestrator.cli.engine import (
    Invalid,
    apply_lock,
    connect,
    events_option,
    load_selection,
    make_bus,
    read_live,
)
from orchestrator.cli.output import echo
from orchestrator.cli.previews import parse_duration, preview_option
from orchestrator.engine.planning import Action, Change, Plan, Reason
from orchestrator.errors import OrchestratorError

FILE_KIND = "file"


@click.command()
@directory_option
@environment_option
@target_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a terminal).")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True)
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
        selection = load_selection(directory, environment, target, preview=preview)
    except Invalid:
        return 1
    bus = make_bus(events)
    if sweep:
        assert older_than is not None
        return _sweep(selection, parse_duration(older_than), yes, parallelism, bus, output)
    return _destroy(selection, yes, parallelism, bus, output)


def _destroy(selection: Any, yes: bool, parallelism: int, bus: Any, output: str) -> int:
    """Delete what (project, environment) owns: an environment with its leftover test copies, or a preview."""
    project, env, tgt = selection.project, selection.environment, selection.target
    with connect(project, tgt, env) as live, apply_lock(project, tgt):
        changes = []
        objects = read_live(live, with_knowledge=True)
        from orchestrator.cli.previews import split_owner_environment
        from orchestrator.cli.test_copies import TEST_SUFFIX

        is_preview = split_owner_environment(env.name) is not None
        mine = (env.name,) if is_preview else (env.name, env.name + TEST_SUFFIX)  # with `test`'s leftovers
        for obj in objects:
            owner = obj.owner
            if owner and owner.project == project.name and owner.environment in mine:
                changes.append(
                    Change(
                        live.mapping.object_kind,
                        owner.spec,
                        Action.DELETE,
                        Reason.DESTROY,
                        id=obj.id,
                        fingerprint=objects.fingerprint(obj),
                    )
                )
        changes.sort(key=lambda c: (c.name, c.id or ""))
        for kind in live.kinds:  # the graph's other kinds: deleted after what refers to them
            if kind.name == FILE_KIND:
                changes.extend(freed_uploads(kind, live, env.name))
                continue
            found = objects.kinds.get(kind.name)
            owned = [
                obj
                for obj in (found or ())
                if obj.owner and obj.owner.project == project.name and obj.owner.environment in mine
            ]
            changes.extend(
                sorted(
                    (
                        Change(
                            kind.name,
                            obj.owner.spec,
                            Action.DELETE,
                            Reason.DESTROY,
                            id=obj.id,
                            fingerprint=found.fingerprint(obj),
                        )
                        for obj in owned
                        if obj.owner
                    ),
                    key=lambda c: (c.name, c.id or ""),
                )
            )
        plan = Plan(project.name, env.name, tgt.name, tgt.backend, tuple(changes))
        if not is_preview:
            from orchestrator.cli.previews import find_previews

            kept = [p.name for p in find_previews(project.name, env.name, objects)]
            if kept:
                echo(
                    f"Previews of environment {env.name} are not its objects and stay: {', '.join(kept)} "
                    "(`destroy --preview NAME` removes one).",
                    err=True,
                )
        if not changes:
            what = _describe(env.name)
            echo(
                f"Nothing to destroy: project {project.name} owns no objects in {what} on target {tgt.name}.",
                err=output == "json",
            )
            if output == "json":
                from orchestrator.cli.apply import render_result_json

                echo(render_result_json(plan, None, command="destroy"))
            return 0
        return _confirm_and_apply(plan, live, yes, parallelism, bus, command="destroy", output=output)


def _describe(owner_env: str) -> str:
    from orchestrator.cli.previews import split_owner_environment

    split = split_owner_environment(owner_env)
    return f"preview {split[1]} of environment {split[0]}" if split else f"environment {owner_env}"


def _sweep(selection: Any, older_than_s: int, yes: bool, parallelism: int, bus: Any, output: str) -> int:
    """Destroy every preview of the environment whose newest object was written longer ago than the bound,
    one preview at a time (each with its own kinds' clients), as `destroy --preview NAME` would."""
    from dataclasses import replace

    from orchestrator.cli import previews as clock
    from orchestrator.cli.previews import describe_age, find_previews, preview_environment

    project, env, tgt = selection.project, selection.environment, selection.target
    with connect(project, tgt, env) as live:
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


def freed_uploads(kind: Any, live: Any, environment: str) -> list[Change]:
    """The project's uploads (knowledge and code files, environment templates' files) that nothing uses once
    this destroy deleted the environment's objects: never a file of another project or of no project, nor one
    still used by another environment, another project, or the other protocol's objects on a server that
    speaks both (`local`: an assistant's store and an agent's template may share one upload)."""
    from orchestrator.backends.knowledge import freed_by_destroy, parse_remote_filename

    destroyed = {live.mapping.object_kind, *(k.name for k in live.kinds if k.name != FILE_KIND)}
    try:
        uploads = (
            kind.client.list_all()
        )  # listed afresh: a template deleted by an earlier run left its uploads
        if not uploads:
            return []
        users = kind.client.users_everywhere()
    except Exception as exc:  # nothing is deleted on a guess: the whole destroy stops before any write
        from orchestrator.engine.applying import describe_error
        from orchestrator.errors import OrchestratorError

        raise OrchestratorError(
            f"cannot read which objects use the project's uploads on target "
            f"{live.connection.target.name}: {describe_error(exc)}; nothing was changed"
        ) from None
    changes = []
    for obj in uploads:
        parsed = parse_remote_filename(str(obj.raw.get("filename") or ""))
        if parsed is not None and freed_by_destroy(users.get(obj.id, ()), environment, destroyed):
            changes.append(Change(FILE_KIND, parsed[2], Action.DELETE, Reason.DESTROY, id=obj.id))
    return sorted(changes, key=lambda c: (c.name, c.id or ""))
