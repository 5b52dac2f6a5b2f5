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
from orchestrator.engine.planning import Action, Change, Plan, Reason

FILE_KIND = "file"


@click.command()
@directory_option
@environment_option
@target_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a terminal).")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True)
@events_option
@output_option("text", "json")
def destroy(directory: Path | None, environment: str | None, target: str | None, yes: bool, parallelism: int,
            events: Path | None, output: str) -> int:
    """Delete every live object the project owns in this environment on the target (never unmanaged ones).

    \b
    Examples:
      orchestrator destroy -e dev             # asks you to type yes or the environment name
      orchestrator destroy -e pr-12 --yes -o json   # what was deleted, as one JSON object
    """
    try:
        selection = load_selection(directory, environment, target)
    except Invalid:
        return 1
    project, env, tgt = selection.project, selection.environment, selection.target
    bus = make_bus(events)
    with connect(project, tgt, env) as live, apply_lock(project, tgt):
        changes = []
        objects = read_live(live, with_knowledge=True)
        from orchestrator.cli.test_copies import TEST_SUFFIX

        mine = (env.name, env.name + TEST_SUFFIX)  # with the copies `orchestrator test` left behind
        for obj in objects:
            owner = obj.owner
            if owner and owner.project == project.name and owner.environment in mine:
                changes.append(Change(live.mapping.object_kind, owner.spec, Action.DELETE, Reason.DESTROY, id=obj.id,
                                      fingerprint=objects.fingerprint(obj)))
        changes.sort(key=lambda c: (c.name, c.id or ""))
        for kind in live.kinds:  # the graph's other kinds: deleted after what refers to them
            if kind.name == FILE_KIND:
                changes.extend(freed_uploads(kind, live, env.name))
                continue
            found = objects.kinds.get(kind.name)
            owned = [obj for obj in (found or ()) if obj.owner and obj.owner.project == project.name
                     and obj.owner.environment in mine]
            changes.extend(sorted((Change(kind.name, obj.owner.spec, Action.DELETE, Reason.DESTROY, id=obj.id,
                                          fingerprint=found.fingerprint(obj)) for obj in owned if obj.owner),
                                  key=lambda c: (c.name, c.id or "")))
        plan = Plan(project.name, env.name, tgt.name, tgt.backend, tuple(changes))
        if not changes:
            echo(f"Nothing to destroy: project {project.name} owns no objects in environment {env.name} "
                       f"on target {tgt.name}.", err=output == "json")
            if output == "json":
                from orchestrator.cli.apply import render_result_json

                echo(render_result_json(plan, None, command="destroy"))
            return 0
        return _confirm_and_apply(plan, live, yes, parallelism, bus, command="destroy", output=output)


def freed_uploads(kind: Any, live: Any, environment: str) -> list[Change]:
    """The project's uploads (knowledge and code files, environment templates' files) that nothing uses once
    this destroy deleted the environment's objects: never a file of another project or of no project, nor one
    still used by another environment, another project, or the other protocol's objects on a server that
    speaks both (`local`: an assistant's store and an agent's template may share one upload)."""
    from orchestrator.backends.knowledge import freed_by_destroy, parse_remote_filename

    destroyed = {live.mapping.object_kind, *(k.name for k in live.kinds if k.name != FILE_KIND)}
    try:
        uploads = kind.client.list_all()  # listed afresh: a template deleted by an earlier run left its uploads
        if not uploads:
            return []
        users = kind.client.users_everywhere()
    except Exception as exc:  # nothing is deleted on a guess: the whole destroy stops before any write
        from orchestrator.engine.applying import describe_error
        from orchestrator.errors import OrchestratorError

        raise OrchestratorError(f"cannot read which objects use the project's uploads on target "
                                f"{live.connection.target.name}: {describe_error(exc)}; nothing was changed") from None
    changes = []
    for obj in uploads:
        parsed = parse_remote_filename(str(obj.raw.get("filename") or ""))
        if parsed is not None and freed_by_destroy(users.get(obj.id, ()), environment, destroyed):
            changes.append(Change(FILE_KIND, parsed[2], Action.DELETE, Reason.DESTROY, id=obj.id))
    return sorted(changes, key=lambda c: (c.name, c.id or ""))
