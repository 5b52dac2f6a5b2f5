"""Rollback's plan: per spec, the revision before the one that is live, planned with the files of that revision."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.app.live import Live
from orchestrator.app.project import Invalid
from orchestrator.app.report import Reporter
from orchestrator.app.state import build_revision, build_state
from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from orchestrator.app.project import Selection
    from orchestrator.engine.desired import DesiredState
    from orchestrator.engine.live import Kind, LiveState
    from orchestrator.engine.planning import Change, Duplicate, Plan
    from orchestrator.engine.revisions import HistoryEntry, Revision, Snapshots


@dataclass(frozen=True, slots=True)
class Step:
    """One spec's rollback: from the live revision to the one before it."""

    name: str
    live: Revision
    target: HistoryEntry
    skipped: int  # later revisions passed over (same payload as live, or not valid)
    kind: str = ""  # the spec's kind: the target's own, or one of revisions.REVISIONED_KINDS (skill)


def plan_steps(
    selection: Selection, snapshots: Snapshots, objects: LiveState, names: tuple[str, ...]
) -> tuple[list[Step], list[str]]:
    """Which revision each spec goes back to, and why a spec cannot be rolled back."""
    from orchestrator.app.history import claimed_groups, open_history
    from orchestrator.backends import mapping_for
    from orchestrator.engine.ownership import parse_digests
    from orchestrator.engine.revisions import live_revision

    own = mapping_for(selection.target.backend).object_kind
    claimed = claimed_groups(objects, own, selection.project.name, selection.environment.name)
    groups = {name: group for name, (_, group) in claimed.items()}
    history = open_history(selection, snapshots)
    where = f"environment {selection.environment.name} (target {selection.target.name})"
    steps: list[Step] = []
    problems: list[str] = []
    for name in dict.fromkeys(names or sorted(groups)):
        if name not in groups:
            problems.append(f"spec `{name}` has nothing live in {where}")
            continue
        kept = groups[name][0]
        revision = live_revision(kept.raw.get("metadata"))
        if revision is None:
            problems.append(
                f"spec `{name}`: the live object {kept.id} records no revision (applied outside git or "
                f"by an older orchestrator); use `orchestrator apply --rev REV --only {name}`"
            )
            continue
        try:
            entries = history.entries(name, revision.commit)
        except OrchestratorError as problem:
            problems.append(f"spec `{name}` (live {revision.short}): {problem}")
            continue
        digests = parse_digests(kept.raw.get("metadata"))
        live_digest = digests.full if digests else None
        # the files it uploads are part of what it deploys (engine.revisions.Comparison), read at the live commit
        live_uploads = None if revision.dirty else history.view(revision.commit, name).uploads
        skipped = 0
        chosen = None
        for entry in entries[0 if revision.dirty else 1 :]:
            view = history.view(entry.commit.id, name)
            if view.valid and (
                view.digest != live_digest or (live_uploads is not None and view.uploads != live_uploads)
            ):
                chosen = entry
                break
            skipped += 1
        if chosen is None:
            first = entries[-1].commit.id[:7] if entries else revision.short
            problems.append(
                f"spec `{name}`: no earlier revision deploys anything else than the live one "
                f"({revision.short}); its history starts at {first}"
            )
            continue
        steps.append(Step(name, revision, chosen, skipped, claimed[name][0]))
    return steps, problems


def knowledge_kinds_of(live: Live) -> tuple[Kind, ...]:
    """The graph's knowledge kinds (files and vector stores) of an assistants target, which rollback plans."""
    return (
        tuple(kind for kind in live.kinds if kind.name in ("file", "vector_store")) if live.knowledge else ()
    )


def rollback_plan(
    selection: Selection,
    snapshots: Snapshots,
    objects: LiveState,
    live: Live,
    steps: list[Step],
    *,
    reporter: Reporter,
) -> tuple[Plan, dict[str, Live]]:
    """One plan of every spec's rollback, and per snapshot folder the part of it to apply with that folder's
    files (knowledge uploads read the files of the revision they came from)."""
    from orchestrator.engine.planning import Plan
    from orchestrator.engine.revisions import Revision, stamp_revisions
    from orchestrator.engine.sync import make_plan

    changes: list[Change] = []
    warnings: list[str] = []
    duplicates: list[Duplicate] = []
    roots: dict[str, Path] = {}
    working: list[DesiredState] = []  # the working tree's state, built once when a skill is rolled back
    for step in steps:
        state = build_revision(
            snapshots, step.target.commit.id, selection, reporter=reporter, names=[step.name]
        )
        if step.name not in (state.of_kind(step.kind) if step.kind == "skill" else state.specs):
            reporter.note(f"error: spec `{step.name}` does not build at {step.target.commit.id[:7]}")
            raise Invalid
        if step.kind == "skill":
            if not working:
                working.append(working_state(selection, reporter))
            # the templates re-pinned go with the skill (one apply orders them after it); they change only their
            # skills, so no file of theirs is read
            part = skill_rollback_plan(state, working[0], objects, live, step.name, reporter)
        else:  # with its knowledge: the store and files the spec names at that revision are planned with it
            part = make_plan(
                state, objects, live.mapping, only=frozenset({step.name}), kinds=knowledge_kinds_of(live)
            )
        part = stamp_revisions(part, {step.name: Revision(step.target.commit.id)})
        seen = {(c.kind, c.name, c.action, c.id) for c in changes}
        changes.extend(c for c in part.changes if (c.kind, c.name, c.action, c.id) not in seen)
        for change in part.changes:
            roots.setdefault(change.name, state.project.root)
        warnings.extend(w for w in part.warnings if w not in warnings)
        duplicates.extend(part.duplicates)
        roots[step.name] = state.project.root
    project, env, chosen = selection.project, selection.environment, selection.target
    plan = Plan(
        project.name,
        env.name,
        chosen.name,
        live.mapping.backend,
        tuple(sorted(changes, key=lambda c: c.name)),
        tuple(warnings),
        duplicates=tuple(duplicates),
    )
    groups: dict[Path, Live] = {}
    for root in dict.fromkeys(roots.values()):
        knowledge = None
        if live.knowledge is not None:
            from orchestrator.backends.knowledge import KnowledgeSync

            knowledge = KnowledgeSync(
                live.connection.sdk, project.name, env.name, root=root, templates=live.knowledge.templates
            )
            knowledge.assistants = live.client
            if live.knowledge.view is not None:
                knowledge.adopt(live.knowledge.view)  # the live read the plan was made from
        from orchestrator.backends.knowledge import knowledge_kinds

        groups[root] = Live(
            live.connection,
            live.client,
            live.mapping,
            knowledge,
            knowledge_kinds(knowledge) if knowledge is not None else live.kinds,
            live.reporter,
        )
    return plan, {name: groups[root] for name, root in roots.items()}


def working_state(selection: Selection, reporter: Reporter) -> DesiredState:
    """The desired state of the working tree, which the templates re-pinned by a skill's rollback come from."""
    state, diagnostics = build_state(selection.project.root, None, None, selection=selection)
    if state is None:
        reporter.diagnostics(diagnostics, summary=True)
        reporter.note(
            "error: rolling back a skill re-pins the environment templates of the working tree, which does "
            "not validate; nothing was changed"
        )
        raise Invalid
    return state


def skill_rollback_plan(
    state: DesiredState, working: DesiredState, objects: LiveState, live: Live, name: str, reporter: Reporter
) -> Plan:
    """A skill back at the revision of `state`, and every environment template of the working tree that pins
    the version the skill spec makes (`skills: [name]`, no explicit version) re-pinned to it: a template keeps
    pinning the version it was written with, so without the re-pin the rollback would reach no agent session.
    A template with changes of its own (the working tree differs from live) is refused, never half-applied."""
    from dataclasses import replace as replaced
    from types import MappingProxyType

    from orchestrator.engine.planning import Action
    from orchestrator.engine.sync import make_plan

    skill = state.of_kind("skill")[name]
    templates = {
        t: replaced(spec, skill_specs={**spec.skill_specs, name: skill})
        for t, spec in working.of_kind("environment").items()
        if name in spec.skills and name not in spec.skill_pins
    }
    resources = dict(working.resources)
    resources["skill"] = MappingProxyType({**working.of_kind("skill"), name: skill})
    resources["environment"] = MappingProxyType({**working.of_kind("environment"), **templates})
    combined = replaced(working, resources=MappingProxyType(resources))
    kinds = tuple(k for k in live.kinds if k.name in ("file", "skill", "environment"))
    part = make_plan(combined, objects, live.mapping, only=frozenset({name, *templates}), kinds=kinds)
    own = [
        c
        for c in part.changes
        if c.kind == "environment" and c.action is not Action.NOOP and set(c.changed_keys) - {"skills"}
    ]
    others = [
        c for c in part.changes if c.kind not in ("environment", "skill") and c.action is not Action.NOOP
    ]
    if own or others:
        names = ", ".join(sorted({f"{c.kind} `{c.name}`" for c in (*own, *others)}))
        reporter.note(
            f"error: rolling back skill `{name}` re-pins the environment templates using it, but {names} "
            f"has changes of its own not applied yet (see `orchestrator diff`); apply them first, or roll "
            f"everything back with `orchestrator apply --rev REV`; nothing was changed"
        )
        raise Invalid
    return replace(part, changes=tuple(c for c in part.changes if c.kind in ("skill", "environment")))
