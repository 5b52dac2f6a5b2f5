"""Applying: the one plan-and-apply path (deploy) that apply (working tree, `--rev`, a saved plan), rollback
and destroy take, the appliers' wiring (run_plan) that it, watch and the MCP server share, and the checks a
saved plan passes before it is applied (it is untrusted input).

deploy shows the plan, refuses it when a secret its writes read is missing, asks for confirmation and
applies it, each step through the ApplyReporter its caller passes in; it returns what happened (Deployed)
and prints nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.app.live import read_live
from orchestrator.app.report import ApplyReporter, Reporter
from orchestrator.engine.planning import Action, Plan
from orchestrator.errors import OrchestratorError

if TYPE_CHECKING:
    from orchestrator.app.live import Live
    from orchestrator.app.project import Selection
    from orchestrator.backends.knowledge import KnowledgeSync
    from orchestrator.engine.applying import ApplyResult, Outcome
    from orchestrator.engine.desired import DesiredState
    from orchestrator.engine.live import Kind, LiveState, Mapping_
    from orchestrator.engine.planfile import SavedPlanCheck
    from orchestrator.engine.planning import Change, Duplicate
    from orchestrator.events import EventBus


@dataclass(frozen=True, slots=True)
class Deployed:
    """What deploy did: `nothing` (no changes), `refused` (a secret is missing), `cancelled` (not confirmed)
    or `applied` (result: the engine's ApplyResult)."""

    plan: Plan  # the plan as shown and applied
    status: str
    result: ApplyResult | None = None

    @property
    def ok(self) -> bool:
        if self.status == "nothing":
            return not self.plan.duplicates  # live state is not what the specs say: never a success
        return self.status == "applied" and self.result is not None and bool(self.result.ok)


def deploy(
    plan: Plan,
    live: Live,
    *,
    reporter: ApplyReporter,
    parallelism: int,
    bus: EventBus,
    command: str = "apply",
    state: DesiredState | None = None,
    groups: Mapping[str, Live] | None = None,
) -> Deployed:
    """Show the plan, check every secret its writes read is there, ask, then apply it. state: the run's
    specs, to name a missing secret's file and line. groups (rollback): per spec name, the live connection
    that reads the files of its revision; each group is applied in turn through run_plan."""
    from orchestrator.app.previews import split_owner_environment, stamp_applied_at
    from orchestrator.app.secret_check import SECRET_WARNING, refusal_of

    # a saved plan's warnings about secrets were true where it was made; here they are checked again
    plan = replace(plan, warnings=tuple(w for w in plan.warnings if not w.startswith(SECRET_WARNING)))
    if command == "apply" and split_owner_environment(plan.environment) is not None:
        plan = stamp_applied_at(plan)  # the sweeper dates a preview by its last write
    reporter.plan(plan)
    if not plan.has_changes:
        return Deployed(plan, "nothing")
    refusal = refusal_of(plan, os.environ, state) if command != "destroy" else None
    if refusal is not None:  # before the first write: a missing secret fails the plan, not half an apply
        reporter.note(refusal)
        return Deployed(plan, "refused")
    if not reporter.confirm(plan):
        return Deployed(plan, "cancelled")
    return Deployed(plan, "applied", _apply(plan, live, groups, parallelism, bus, reporter))


def _apply(
    plan: Plan,
    live: Live,
    groups: Mapping[str, Live] | None,
    parallelism: int,
    bus: EventBus,
    reporter: ApplyReporter,
) -> ApplyResult:
    """Every change applied, each outcome reported as it finishes (so an interrupted apply still shows what
    it did); an outcome the duplicate check after the writes changed is reported again, late."""
    import threading

    from orchestrator.engine.applying import ApplyResult, Verification

    total = len(plan.actionable)
    done = 0
    lock = threading.Lock()
    streamed: set[int] = set()
    progress = reporter.activity(f"applying {total} change{'s' if total != 1 else ''}")

    def report(outcome: Outcome) -> None:
        nonlocal done
        with lock:
            streamed.add(id(outcome))
            done += 1
            progress.update(f"applying: {done} of {total} done")
            reporter.outcome(outcome, progress=progress)

    parts: list[tuple[Live, Plan]] = []
    if groups is None:
        parts.append((live, plan))
    else:
        by_live: dict[int, tuple[Live, list[Change]]] = {}
        for change in plan.changes:
            group = groups[change.name]
            by_live.setdefault(id(group), (group, []))[1].append(change)
        for group, changes in by_live.values():
            names = {c.name for c in changes}
            parts.append(
                (
                    group,
                    replace(
                        plan,
                        changes=tuple(changes),
                        duplicates=tuple(d for d in plan.duplicates if d.name in names),
                    ),
                )
            )
    results = []
    with progress:
        for group, part in parts:
            result = run_plan(part, group, parallelism, bus, on_outcome=report, progress=progress.note)
            for outcome in result.outcomes:  # what the duplicate check after the writes changed
                if id(outcome) not in streamed:
                    reporter.outcome(outcome, late=True)
            results.append(result)
    if len(results) == 1:
        return results[0]
    return ApplyResult(
        tuple(o for r in results for o in r.outcomes),
        Verification(
            True,
            tuple(x for r in results for x in r.verification.removed),
            tuple(x for r in results for x in r.verification.remaining),
            next((r.verification.error for r in results if r.verification.error), None),
        ),
    )


def run_plan(
    plan: Plan,
    live: Live,
    parallelism: int,
    bus: EventBus,
    *,
    on_outcome: Callable[[Outcome], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ApplyResult:
    """Apply every change of the plan through the live connection; the ApplyResult says what happened."""
    from orchestrator.engine.applying import Applier, apply_graph

    knowledge = getattr(live, "knowledge", None)
    if knowledge is not None:
        knowledge.progress = progress
    applier = Applier(
        live.client, live.mapping, bus, parallelism=parallelism, resources=knowledge, on_outcome=on_outcome
    )
    from orchestrator.backends import AFTER_TARGET

    kinds = getattr(live, "kinds", ())

    def kind_applier(kind: Kind, garbage: Callable[[], list[str]] | None = None) -> Applier:
        """An applier of one more kind, under the same ownership claim as the target's own."""
        return Applier(
            kind.client,
            kind.mapping,
            bus,
            parallelism=parallelism,
            claim=applier.claim,
            on_outcome=on_outcome,
            garbage=garbage,
        )

    appliers = {
        kind.name: kind_applier(kind, garbage_of(kind, knowledge))
        for kind in kinds
        if kind.name not in AFTER_TARGET
    }
    appliers[live.mapping.object_kind] = applier  # the target's own kind refers to the kinds before it ...
    appliers.update({kind.name: kind_applier(kind) for kind in kinds if kind.name in AFTER_TARGET})
    # ... and automations refer to agents: created after them, deleted before them
    return apply_graph(plan, appliers, parallelism=parallelism)


def garbage_of(kind: Kind, knowledge: KnowledgeSync | None) -> Callable[[], list[str]] | None:
    """What collects the uploads an apply left unused: the `file` kind's, on the assistants backend."""
    return knowledge.collect_garbage if knowledge is not None and kind.name == "file" else None


def prepare_saved_plan(saved: Plan, selection: Selection, source: str) -> Plan:
    """The checks that need no network: the plan fits this project, environment, target and backend, every
    payload builds, no file leaves the project; then its ownership metadata is recomputed from the project.
    Raises OrchestratorError saying what does not fit (nothing was changed)."""
    from orchestrator.backends import kind_mappings
    from orchestrator.engine.planfile import restamp

    project, env, chosen = selection.project, selection.environment, selection.target
    made_for = (saved.project, saved.environment, saved.target, saved.backend)
    if made_for != (project.name, env.name, chosen.name, chosen.backend):
        raise OrchestratorError(
            f"{source} was made for project {saved.project}, environment {saved.environment}, target "
            f"{saved.target} ({saved.backend}); this run is for project {project.name}, environment {env.name}, "
            f"target {chosen.name} ({chosen.backend}); nothing was changed"
            + _how_to_match(saved, selection, source)
        )
    mappings = kind_mappings(chosen.backend)
    unknown = sorted({c.kind for c in saved.changes} - set(mappings))
    if unknown:
        raise OrchestratorError(
            f"{source}: kind {', '.join(unknown)} does not exist on the {chosen.backend} backend; "
            "nothing was changed"
        )
    problems = [
        problem
        for kind, part in split_by_kind(saved).items()
        for problem in _payload_problems(part, mappings[kind], project.root)
    ]
    if problems:
        raise OrchestratorError(
            "\n".join(f"{source}: {problem}" for problem in problems)
            + f"\n{source} cannot be applied to this project; nothing was changed"
        )
    restamped = {
        id(c): r
        for kind, part in split_by_kind(saved).items()
        for c, r in zip(
            part.changes,
            restamp(
                part, project=project.name, environment=env.name, write_only=mappings[kind].write_only
            ).changes,
            strict=True,
        )
    }
    return replace(saved, changes=tuple(restamped[id(c)] for c in saved.changes))


def split_by_kind(plan: Plan) -> dict[str, Plan]:
    """The plan's changes and duplicates of each kind, as plans of their own (order kept)."""
    kinds = dict.fromkeys([*(c.kind for c in plan.changes), *(d.kind for d in plan.duplicates)])
    return {
        kind: replace(
            plan,
            changes=tuple(c for c in plan.changes if c.kind == kind),
            duplicates=tuple(d for d in plan.duplicates if d.kind == kind),
        )
        for kind in kinds
    }


def check_saved_live(saved: Plan, live: Live, selection: Selection) -> tuple[SavedPlanCheck, LiveState]:
    """Read live state now and re-check the plan against it: ownership of every object it touches, staleness,
    what was applied already: (SavedPlanCheck, the live objects read)."""
    from orchestrator.engine.planfile import check_saved_plan
    from orchestrator.engine.sync import live_items

    uses_files = any(
        c.kind in ("file", "vector_store")
        or (c.essence or {}).get("knowledge")
        or (c.essence or {}).get("code_files")
        for c in saved.changes
    )
    objects = read_live(live, with_knowledge=True if uses_files else None)
    parts = split_by_kind(saved) or {live.mapping.object_kind: saved}
    checks = []
    for kind, part in parts.items():
        other = next((k for k in live.kinds if k.name == kind), None)
        found, mapping = (
            (objects, live.mapping) if other is None else (objects.kinds.get(kind, ()), other.mapping)
        )
        checks.append(
            check_saved_plan(
                part,
                live_items(found, mapping),
                project=selection.project.name,
                environment=selection.environment.name,
                write_only=mapping.write_only,
                adopt_ids=_adopt_ids(selection) if other is None else None,
            )
        )
    if len(checks) == 1:
        return checks[0], objects
    from orchestrator.engine.planfile import SavedPlanCheck

    merged = SavedPlanCheck(
        *(
            tuple(x for check in checks for x in getattr(check, name))
            for name in ("ready", "applied", "stale", "foreign")
        )
    )
    return merged, objects


def saved_duplicates(saved: Plan, live: Live, objects: LiveState) -> tuple[Duplicate, ...]:
    """The duplicates live now among the objects a saved plan touches (its own were true where it was made)."""
    from orchestrator.engine.sync import live_duplicates

    parts = split_by_kind(saved)
    duplicates = live_duplicates(
        objects, parts.get(live.mapping.object_kind, replace(saved, changes=())), live.mapping.object_kind
    )
    for kind in live.kinds:
        part = parts.get(kind.name)
        if part is not None:
            duplicates += live_duplicates(objects.kinds.get(kind.name, ()), part, kind.name)
    return duplicates


def without_applied(saved: Plan, check: SavedPlanCheck) -> Plan:
    """The saved plan without the changes live state shows applied already (SavedPlanCheck.applied)."""
    done = {id(c) for c in check.applied}
    return replace(saved, changes=tuple(c for c in saved.changes if id(c) not in done))


def saved_plan_preview(
    saved: Plan, selection: Selection, preview: str | None, source: str, *, reporter: Reporter
) -> Selection:
    """The selection a saved plan applies to: a plan made with `diff --preview NAME` records the preview
    (its environment is the preview's owner) and applies to it; `--preview` must then name the same one,
    and a plan of the environment itself is refused for a preview."""
    from orchestrator.app.previews import preview_environment, preview_of

    recorded = preview_of(saved.environment, selection.environment.name)
    if preview is not None and recorded != preview:
        what = f"preview {recorded}" if recorded else f"environment {saved.environment}"
        raise OrchestratorError(
            f"{source} was made for {what}, not for preview {preview} of environment "
            f"{selection.environment.name}; nothing was changed"
        )
    if recorded is None:
        return selection
    reporter.note(
        f"{source} was made for preview {recorded} of environment {selection.environment.name}: applying it "
        "to the preview."
    )
    return replace(selection, environment=preview_environment(selection.environment, recorded))


def _how_to_match(saved: Plan, selection: Selection, plan_file: str) -> str:
    from orchestrator.app.previews import split_owner_environment

    project = selection.project
    environment, preview = split_owner_environment(saved.environment) or (saved.environment, None)
    if saved.project != project.name or environment not in project.environments:
        return ""
    flags = f" -e {environment}"
    if saved.target != project.environments[environment].target:
        flags += f" -t {saved.target}"
    what = f"preview {preview} of environment {environment}" if preview else f"environment {environment}"
    return f". To apply it to {what}, run `orchestrator apply{flags} {plan_file}`"


def _payload_problems(saved: Plan, mapping: Mapping_, root: Path) -> list[str]:
    """Build every payload before anything is sent (pure), so a plan that does not fit the backend fails
    whole and at once; and refuse knowledge or code files that resolve outside the project."""
    problems: list[str] = []
    resolved_root = root.resolve()
    for index, change in enumerate(saved.changes):
        if change.action not in (Action.CREATE, Action.UPDATE) or change.essence is None:
            continue
        where = f"/changes/{index}/apply/essence"
        try:
            if change.action is Action.CREATE:
                mapping.create_payload(change.essence, {})
            else:
                mapping.update_payload(change.essence, change.changed_keys, {})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            detail = f"missing key {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
            problems.append(
                f"{change.kind} `{change.name}` [{where}]: does not fit the {mapping.backend} "
                f"backend ({detail})"
            )
            continue
        knowledge = change.essence.get("knowledge") or {}
        paths = [*(knowledge.get("files") or {}), *(change.essence.get("code_files") or {})]
        if change.kind == "file":
            paths.append(str(change.essence.get("path") or ""))
        for path in paths:
            if path.startswith("(external) "):
                continue
            if not (resolved_root / path).resolve().is_relative_to(resolved_root):
                problems.append(
                    f"{change.kind} `{change.name}` [{where}]: file `{path}` resolves outside "
                    "the project folder"
                )
    return problems


def _adopt_ids(selection: Selection) -> dict[str, str]:
    """spec name -> adopt_id, read from the project's spec files (as in git), for adoption checks."""
    from orchestrator.engine.spec_discovery import discover_spec_files
    from orchestrator.spec.loading import LoadError, load_yaml_file

    found: dict[str, str] = {}
    for path in discover_spec_files(selection.project):
        try:
            data = load_yaml_file(path).data
        except LoadError:
            continue
        if isinstance(data, dict) and isinstance(data.get("adopt_id"), str):
            name = data.get("name") if isinstance(data.get("name"), str) else path.stem
            found[name] = data["adopt_id"]
    return found
