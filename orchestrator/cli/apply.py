"""`orchestrator apply [PLAN]`: make live objects match the specs, or apply exactly a saved plan."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.common import (
    directory_option,
    environment_option,
    only_option,
    output_option,
    stdout_color,
    target_option,
)
from orchestrator.cli.engine import (
    Invalid,
    apply_lock,
    connect,
    events_option,
    load_selection,
    make_bus,
    parse_only,
    read_live,
)
from orchestrator.cli.output import echo
from orchestrator.cli.previews import preview_option
from orchestrator.cli.revision_state import desired_source, rev_option, stamp
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
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a terminal).")
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Independent changes applied at once.",
)
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
    if plan_file is None and rev is None:
        return _apply_working_tree(
            directory, environment, target, only, prune, yes, parallelism, bus, output, preview=preview
        )
    with ExitStack() as stack:
        try:
            if plan_file is not None:
                if only or prune or rev:
                    raise OrchestratorError(
                        "--only, --prune and --rev are fixed by the saved plan; don't pass them with PLAN"
                    )
                return _apply_saved(
                    plan_file, directory, environment, target, yes, parallelism, bus, output, preview=preview
                )
            source = stack.enter_context(desired_source(directory, environment, target, rev))
        except Invalid:
            return 1
        if preview is not None:
            from orchestrator.cli.previews import preview_state

            source = replace(source, state=preview_state(source.state, preview))
        state = source.state
        selected = parse_only(only, state)
        from orchestrator.engine.sync import make_plan

        with (
            connect(source.project, state.target, state.environment, files_root=source.files_root) as live,
            apply_lock(source.project, state.target),
        ):
            objects = read_live(live, state)
            plan = stamp(
                make_plan(state, objects, live.mapping, prune=prune, only=selected, kinds=live.kinds), source
            )
            return _confirm_and_apply(plan, live, yes, parallelism, bus, output=output, state=state)


def _apply_working_tree(
    directory: Path | None,
    environment: str | None,
    target: str | None,
    only: tuple[str, ...],
    prune: bool,
    yes: bool,
    parallelism: int,
    bus: Any,
    output: str = "text",
    *,
    preview: str | None = None,
) -> int:
    """The working tree's specs: the apply lock taken and live state read on the side while they load and
    render (state_and_live); nothing is read before the lock is held, nothing written before the whole
    project validated and the whole plan was shown (and confirmed)."""
    from orchestrator.cli.engine import state_and_live
    from orchestrator.cli.revision_state import Source
    from orchestrator.engine.sync import make_plan

    try:
        with state_and_live(directory, environment, target, lock=True, preview=preview) as (state, early):
            selected = parse_only(only, state)
            desired = early.desired(state)
            live, objects = early.result(state)
            plan = stamp(
                make_plan(
                    state,
                    objects,
                    live.mapping,
                    prune=prune,
                    only=selected,
                    kinds=live.kinds,
                    desired=desired,
                    prepared=early.prepared,
                ),
                Source(state, state.project),
            )
            return _confirm_and_apply(plan, live, yes, parallelism, bus, output=output, state=state)
    except Invalid:
        return 1


def prepare_saved_plan(saved: Plan, selection: Any, source: str) -> Plan:
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


def check_saved_live(saved: Plan, live: Any, selection: Any) -> Any:
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
    from orchestrator.cli.common import caller_path, print_diagnostics
    from orchestrator.diagnostics import Diagnostics
    from orchestrator.engine.planfile import read_plan

    plan_file = caller_path(plan_file)
    # the project decides the environment and target (flags, or its defaults), never the file
    selection = load_selection(directory, environment, target)
    parsed = read_plan(plan_file, str(plan_file))
    if isinstance(parsed, Diagnostics):
        print_diagnostics(parsed, summary=False)
        echo(f"error: {plan_file} is not a valid saved plan; nothing was changed", err=True)
        return 1
    selection = _saved_plan_preview(parsed, selection, preview, str(plan_file))
    saved = prepare_saved_plan(parsed, selection, str(plan_file))
    project, env, chosen = selection.project, selection.environment, selection.target
    with connect(project, chosen, env) as live, apply_lock(project, chosen):
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
        from orchestrator.engine.sync import live_duplicates

        duplicates = live_duplicates(
            objects,
            split_by_kind(saved).get(live.mapping.object_kind, replace(saved, changes=())),
            live.mapping.object_kind,
        )
        for kind in live.kinds:
            part = split_by_kind(saved).get(kind.name)
            if part is not None:
                duplicates += live_duplicates(objects.kinds.get(kind.name, ()), part, kind.name)
        saved = replace(saved, duplicates=duplicates)
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
            done = {id(c) for c in check.applied}
            saved = replace(saved, changes=tuple(c for c in saved.changes if id(c) not in done))
        return _confirm_and_apply(saved, live, yes, parallelism, bus, output=output)


def _saved_plan_preview(saved: Plan, selection: Any, preview: str | None, source: str) -> Any:
    """The selection a saved plan applies to: a plan made with `diff --preview NAME` records the preview
    (its environment is the preview's owner) and applies to it; `--preview` must then name the same one,
    and a plan of the environment itself is refused for a preview."""
    from orchestrator.cli.previews import preview_environment, preview_of

    recorded = preview_of(saved.environment, selection.environment.name)
    if preview is not None and recorded != preview:
        what = f"preview {recorded}" if recorded else f"environment {saved.environment}"
        raise OrchestratorError(
            f"{source} was made for {what}, not for preview {preview} of environment "
            f"{selection.environment.name}; nothing was changed"
        )
    if recorded is None:
        return selection
    echo(
        f"{source} was made for preview {recorded} of environment {selection.environment.name}: applying it "
        "to the preview.",
        err=True,
    )
    return replace(selection, environment=preview_environment(selection.environment, recorded))


def _how_to_match(saved: Plan, selection: Any, plan_file: Path) -> str:
    from orchestrator.cli.previews import split_owner_environment

    project = selection.project
    environment, preview = split_owner_environment(saved.environment) or (saved.environment, None)
    if saved.project != project.name or environment not in project.environments:
        return ""
    flags = f" -e {environment}"
    if saved.target != project.environments[environment].target:
        flags += f" -t {saved.target}"
    what = f"preview {preview} of environment {environment}" if preview else f"environment {environment}"
    return f". To apply it to {what}, run `orchestrator apply{flags} {plan_file}`"


def _payload_problems(saved: Plan, mapping: Any, root: Path) -> list[str]:
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


def _adopt_ids(selection: Any) -> dict[str, str]:
    """spec name -> adopt_id, read from the project's spec files (as in git), for adoption checks."""
    from orchestrator.engine.desired import discover_spec_files
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


def _confirm_and_apply(
    plan: Plan,
    live: Any,
    yes: bool,
    parallelism: int,
    bus: Any,
    *,
    command: str = "apply",
    run: Any = None,
    output: str = "text",
    state: Any = None,
) -> int:
    """Show the plan, check every secret its writes read is there, ask (or take --yes), then apply it with
    run (default: execute). state: the run's specs, to name a missing secret's file and line.

    With output json the plan and each outcome are shown on stderr and stdout gets one JSON object
    (the plan, every outcome, the summary); --yes is needed, as no one can be asked."""
    import os

    from orchestrator.cli.secret_check import SECRET_WARNING, refusal_of
    from orchestrator.views.plan_text import render_plan_text

    # a saved plan's warnings about secrets were true where it was made; here they are checked again
    plan = replace(plan, warnings=tuple(w for w in plan.warnings if not w.startswith(SECRET_WARNING)))
    from orchestrator.cli.previews import split_owner_environment, stamp_applied_at

    if command == "apply" and split_owner_environment(plan.environment) is not None:
        plan = stamp_applied_at(plan)  # the sweeper dates a preview by its last write

    as_json = output == "json"
    echo(
        render_plan_text(plan, color=False if as_json else stdout_color()), nl=False, err=as_json, styled=True
    )
    if not plan.has_changes:
        if as_json:
            echo(render_result_json(plan, None, command=command))
        if plan.duplicates:  # nothing to do, but live state is not what the specs say: never a success
            echo(render_remaining(plan.duplicates), nl=False, err=True)
            return 1
        return 0
    refusal = refusal_of(plan, os.environ, state) if command != "destroy" else None
    if refusal is not None:  # before the first write: a missing secret fails the plan, not half an apply
        echo(refusal, err=True)
        return 1
    if not yes:
        if as_json:
            echo(
                f"error: {command} --output json needs --yes (the answer goes to stdout, no one can be "
                "asked); nothing was changed",
                err=True,
            )
            return 1
        if not sys.stdin.isatty():
            echo(f"error: {command} needs --yes when no terminal is attached; nothing was changed", err=True)
            return 1
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
            return 1
    if run is not None:
        return run(plan, live, parallelism, bus, command=command)
    return execute(plan, live, parallelism, bus, command=command, output=output)


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


def execute(
    plan: Plan, live: Any, parallelism: int, bus: Any, *, command: str = "apply", output: str = "text"
) -> int:
    """Apply the plan, printing each result as it finishes (so an interrupted apply still shows what it did);
    with output json the lines go to stderr and stdout gets the result as one JSON object."""
    import threading

    from orchestrator.cli.progress import Activity
    from orchestrator.secrets import redact

    as_json = output == "json"
    total = len(plan.actionable)
    done = 0
    printed = threading.Lock()
    activity = Activity(f"applying {total} change{'s' if total != 1 else ''}")

    streamed: set[int] = set()

    def report(outcome: Any) -> None:
        nonlocal done
        with printed:
            streamed.add(id(outcome))
            done += 1
            activity.update(f"applying: {done} of {total} done")
            line = redact(render_outcome(outcome))
            if activity.enabled:
                activity.say(line)
            else:
                echo(line, err=as_json)

    with activity:
        result = run_plan(plan, live, parallelism, bus, on_outcome=report, progress=activity.note)
    for (
        outcome
    ) in result.outcomes:  # what the duplicate check after the writes changed since they were printed
        if id(outcome) not in streamed:
            echo(redact(render_outcome(outcome)) + " (after the duplicate check)", err=as_json)
    echo(redact(render_summary(result, command=command)), nl=False, err=as_json)
    if as_json:
        echo(render_result_json(plan, result, command=command))
    return 0 if result.ok else 1


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


def run_plan(
    plan: Plan, live: Any, parallelism: int, bus: Any, *, on_outcome: Any = None, progress: Any = None
) -> Any:
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
    appliers = {
        kind.name: Applier(
            kind.client,
            kind.mapping,
            bus,
            parallelism=parallelism,
            claim=applier.claim,
            on_outcome=on_outcome,
            garbage=garbage_of(kind, knowledge),
        )
        for kind in kinds
        if kind.name not in AFTER_TARGET
    }
    appliers[live.mapping.object_kind] = applier  # the target's own kind refers to the kinds before it ...
    appliers.update(
        {
            kind.name: Applier(
                kind.client,
                kind.mapping,
                bus,
                parallelism=parallelism,
                claim=applier.claim,
                on_outcome=on_outcome,
            )
            for kind in kinds
            if kind.name in AFTER_TARGET
        }
    )
    # ... and automations refer to agents: created after them, deleted before them
    return apply_graph(plan, appliers, parallelism=parallelism)


def garbage_of(kind: Any, knowledge: Any) -> Any:
    """What collects the uploads an apply left unused: the `file` kind's, on the assistants backend."""
    return knowledge.collect_garbage if knowledge is not None and kind.name == "file" else None


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
