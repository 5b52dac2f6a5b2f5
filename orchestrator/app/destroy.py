"""Destroy's plan: every object a project and environment (or one of its previews) own on a target."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.engine.planning import Action, Change, Plan, Reason

if TYPE_CHECKING:
    from orchestrator.app.live import Live
    from orchestrator.app.project import Selection
    from orchestrator.engine.live import Kind, LiveState

FILE_KIND = "file"
TEST_SUFFIX = "~test"  # the environment `orchestrator test` makes its short-lived copies in: <env>~test


def destroy_plan(selection: Selection, live: Live, objects: LiveState) -> Plan:
    """Delete what (project, environment) owns: an environment with its leftover test copies, or a preview;
    the graph's other kinds after what refers to them, then the uploads nothing uses any more."""
    from orchestrator.app.previews import split_owner_environment

    project, env, tgt = selection.project, selection.environment, selection.target
    changes = []
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
        if found is None:  # nothing of the kind live
            continue
        owned = [
            obj
            for obj in found
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
    return Plan(project.name, env.name, tgt.name, tgt.backend, tuple(changes))


def freed_uploads(kind: Kind, live: Live, environment: str) -> list[Change]:
    """The project's uploads (knowledge and code files, environment templates' files) that nothing uses once
    this destroy deleted the environment's objects: never a file of another project or of no project, nor one
    still used by another environment, another project, or the other protocol's objects on a server that
    speaks both (`local`: an assistant's store and an agent's template may share one upload)."""
    from orchestrator.backends.knowledge import FilesClient, freed_by_destroy, parse_remote_filename

    assert isinstance(kind.client, FilesClient), "the file kind's client (either backend's)"
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
