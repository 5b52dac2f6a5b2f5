"""History: the git revisions that changed what a spec deploys, the live one marked; what one of them changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator.app.live import connect, read_live
from orchestrator.app.project import today
from orchestrator.app.report import Reporter
from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from orchestrator.app.project import Selection
    from orchestrator.engine.desired import DesiredSpec
    from orchestrator.engine.git import Commit
    from orchestrator.engine.live import LiveObject, LiveState, Mapping_
    from orchestrator.engine.ownership import Digests
    from orchestrator.engine.planning import Change
    from orchestrator.engine.revisions import History, Revision, Snapshots


def open_history(selection: Selection, snapshots: Snapshots) -> History:
    from orchestrator.backends import kind_mappings, mapping_for
    from orchestrator.engine.revisions import REVISIONED_KINDS, History

    kinds = {k: m for k, m in kind_mappings(selection.target.backend).items() if k in REVISIONED_KINDS}
    return History(
        snapshots.repo,
        snapshots,
        selection.environment.name,
        selection.target,
        today(),
        mapping_for(selection.target.backend),
        kinds,
    )


def history_data(
    selection: Selection, name: str, *, read_live_state: bool = True, reporter: Reporter | None = None
) -> dict[str, Any]:
    """The `history NAME -o json` object: the revisions, newest first, and the live object's revision."""
    from orchestrator.backends import mapping_for
    from orchestrator.engine.git import require_repository, resolve_commit
    from orchestrator.engine.revisions import Snapshots, live_entry

    repo = require_repository(selection.project.root, "history")
    warnings: list[str] = []
    with Snapshots(repo) as snapshots:
        walked = open_history(selection, snapshots)
        # one definition with `history --diff`: a revision that renders the same payload (a template comment,
        # another environment's vars, a moved file) is not one that changed what NAME deploys
        entries = tuple(entry for entry in walked.entries(name) if entry.deploys)
    head = resolve_commit(repo, "HEAD")
    live_id, revision = None, None
    if read_live_state:
        try:
            live_id, revision = live_revisions(selection, reporter).get(name, (None, None))
        except OrchestratorError as problem:
            warnings.append(f"The live object was not read, so no revision is marked live: {problem}")
    index = live_entry(repo, entries, revision, head)
    if live_id is not None and revision is None:
        warnings.append(
            f"The live object {live_id} records no revision (applied outside git, or by an "
            "orchestrator before revisions were recorded)."
        )
    elif revision is not None and index is None:
        warnings.append(
            f"The live object {live_id} was applied from {revision.short}, which is not in the "
            "history of HEAD (another branch, or a commit this clone does not have)."
        )
    elif read_live_state and live_id is None and not warnings:
        warnings.append(
            f"Nothing is live for spec {name} in environment {selection.environment.name} "
            f"(target {selection.target.name})."
        )
    return {
        "name": name,
        "kind": walked.found_kinds.get(name, mapping_for(selection.target.backend).object_kind),
        "project": selection.project.name,
        "environment": selection.environment.name,
        "target": selection.target.name,
        "head": head,
        "live": None
        if live_id is None
        else {
            "id": live_id,
            "revision": None if revision is None else {"commit": revision.commit, "dirty": revision.dirty},
        },
        "revisions": [
            {
                **commit_data(entry.commit),
                "files": list(entry.files),
                "created": entry.created,
                "valid": entry.valid,
                "live": i == index,
            }
            for i, entry in enumerate(entries)
        ],
        "warnings": warnings,
    }


def commit_data(commit: Commit) -> dict[str, Any]:
    return {
        "commit": commit.id,
        "short": commit.id[:7],
        "author": commit.author,
        "email": commit.email,
        "date": commit.date,
        "subject": commit.subject,
    }


def live_revisions(
    selection: Selection, reporter: Reporter | None = None
) -> dict[str, tuple[str, Revision | None]]:
    """spec name -> (id, Revision or None) of the live object this project and environment keep for it."""
    from orchestrator.engine.revisions import live_revision

    with connect(selection.project, selection.target, selection.environment, reporter=reporter) as live:
        objects = read_live(live, with_knowledge=False)
    groups = claimed_groups(
        objects, live.mapping.object_kind, selection.project.name, selection.environment.name
    )
    return {
        spec: (group[0].id, live_revision(group[0].raw.get("metadata")))
        for spec, (_, group) in groups.items()
    }


def claimed_groups(
    objects: LiveState, own_kind: str, project: str, environment: str
) -> dict[str, tuple[str, list[LiveObject]]]:
    """spec name -> (kind, the live objects claiming it, kept one first) of the target's own kind and of the kinds
    whose applies record a revision (engine.revisions.REVISIONED_KINDS: skills)."""
    from orchestrator.engine.planning import group_claims
    from orchestrator.engine.revisions import REVISIONED_KINDS

    found = {name: (own_kind, group) for name, group in group_claims(objects, project, environment).items()}
    for kind in REVISIONED_KINDS:
        listed = objects.kinds.get(kind)
        for name, group in group_claims(
            tuple(listed.objects) if listed else (), project, environment
        ).items():
            found.setdefault(name, (kind, group))
    return found


def revision_diff(
    selection: Selection, name: str, rev: str, *, reporter: Reporter
) -> tuple[dict[str, Any], Change]:
    """What commit REV changed in spec NAME's payload against its first parent: (the JSON object, the Change)."""
    from orchestrator.backends import mapping_for
    from orchestrator.engine.git import (
        commit_with_files,
        describe_commits,
        require_repository,
        resolve_commit,
    )
    from orchestrator.engine.planfile import plan_to_data
    from orchestrator.engine.planning import Plan
    from orchestrator.engine.revisions import Snapshots

    repo = require_repository(selection.project.root, "history --diff")
    commit = resolve_commit(repo, rev)
    info = describe_commits(repo, [commit])[commit]
    parent = describe_commits(repo, info.parents[:1]).get(info.parents[0]) if info.parents else None
    mapping = mapping_for(selection.target.backend)
    with Snapshots(repo) as snapshots:
        after = _payload_at(snapshots, commit, selection, name, reporter)
        before = _payload_at(snapshots, parent.id, selection, name, reporter) if parent else None
        # the definition `history NAME` lists revisions by: payload and uploaded files, never the files alone
        comparison = open_history(selection, snapshots).compare(commit_with_files(repo, commit), name)
    if after is None and before is None:
        raise OrchestratorError(f"spec `{name}` is in neither {commit[:7]} nor its parent")
    change = compare_payloads(name, before, after, selection, mapping)
    plan = Plan(
        selection.project.name, selection.environment.name, selection.target.name, mapping.backend, (change,)
    )
    shown = plan_to_data(plan)["changes"][0]
    shown.pop("apply", None)
    shown.pop("id", None)
    data = {
        "name": name,
        "kind": mapping.object_kind,
        "project": selection.project.name,
        "environment": selection.environment.name,
        "target": selection.target.name,
        "revision": commit_data(info),
        "parent": commit_data(parent) if parent else None,
        "change": shown,
        "uploads": [
            {"path": path, "before": old, "after": new} for path, old, new in comparison.changed_uploads()
        ],
        "files": list(comparison.files),
    }
    return data, change


def _payload_at(
    snapshots: Snapshots, commit: str, selection: Selection, name: str, reporter: Reporter
) -> DesiredSpec | None:
    """Spec name's DesiredSpec at commit, None when absent; OrchestratorError when it does not build there."""
    from orchestrator.engine.revisions import build_at

    built = build_at(
        snapshots,
        commit,
        environment=selection.environment.name,
        target=selection.target,
        today=today(),
        names=[name],
    )
    spec = built.state.specs.get(name) if built.state is not None else None
    if spec is not None:
        return spec
    problems = [d for d in built.diagnostics if d.severity == "error"]
    if built.state is not None and (name in built.state.skipped or not problems):
        return None
    reporter.diagnostics(built.diagnostics)
    raise OrchestratorError(f"spec `{name}` does not build at revision {commit[:7]}")


def compare_payloads(
    name: str, before: DesiredSpec | None, after: DesiredSpec | None, selection: Selection, mapping: Mapping_
) -> Change:
    """The change from one built spec to another, computed by the planner (so every field the plan shows is here)."""
    from orchestrator.engine.ownership import Owner, stamp
    from orchestrator.engine.planning import DesiredItem, LiveItem, essence_digests, plan

    owner = Owner(selection.project.name, selection.environment.name, name)
    every = frozenset[str]()

    def item(spec: DesiredSpec) -> tuple[dict[str, Any], Digests]:
        essence = mapping.desired_essence(spec)
        return essence, essence_digests(essence, every)

    desired = {}
    if after is not None:
        essence, digests = item(after)
        desired[name] = DesiredItem(name, essence, digests, stamp(after.metadata, owner, digests))
    live = []
    if before is not None:
        essence, digests = item(before)
        live.append(LiveItem("", 0, owner, digests, essence, ""))
    result = plan(
        desired,
        live,
        project=owner.project,
        environment=owner.environment,
        target=selection.target.name,
        backend=mapping.backend,
        kind=mapping.object_kind,
        prune=True,
    )
    [change] = result.changes
    from dataclasses import replace

    return replace(change, id=None)
