"""What each MCP tool does, as plain functions over one project: the same core calls as the CLI commands.

Every call reloads the project from disk, so edits made while the server runs are seen. Results are the
JSON objects of orchestrator/mcp/shapes.py; failures raise ToolFailure (a message plus data such as
diagnostics), which the server turns into an MCP error result. Nothing here writes to stdout.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.diagnostics import Diagnostics, error
from orchestrator.errors import OrchestratorError
from orchestrator.events import EventBus
from orchestrator.spec.project import PROJECT_FILE

READ_ONLY_HINT = "this server is read-only; restart it with `orchestrator mcp --allow-apply` to allow writes"
MAX_PLANS = 100  # plans kept for apply; the oldest is forgotten first


class ToolFailure(OrchestratorError):
    """A tool call that did not do its job: the message, and data (diagnostics, stale changes) to show."""

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


@dataclass
class PlanStore:
    """Plans made by `diff` in this server's lifetime, kept as saved-plan JSON text under a random id."""

    limit: int = MAX_PLANS
    _plans: OrderedDict[str, str] = field(default_factory=OrderedDict)
    _applied: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, text: str) -> str:
        plan_id = "plan_" + secrets.token_hex(8)
        with self._lock:
            self._plans[plan_id] = text
            while len(self._plans) > self.limit:
                forgotten, _ = self._plans.popitem(last=False)
                self._applied.discard(forgotten)
        return plan_id

    def take(self, plan_id: str) -> str:
        """The plan's text; refuses ids this server never returned and plans already applied."""
        with self._lock:
            if plan_id in self._applied:
                raise ToolFailure(f"plan {plan_id} was already applied; run `diff` again for a new plan")
            text = self._plans.get(plan_id)
        if text is None:
            raise ToolFailure(
                f"unknown plan id {plan_id!r}: apply takes only a plan_id that `diff` returned "
                f"in this server's lifetime (the last {self.limit} are kept)"
            )
        return text

    def mark_applied(self, plan_id: str) -> None:
        with self._lock:
            self._applied.add(plan_id)


@dataclass
class Workspace:
    """One project folder, as the MCP server sees it: read-only unless allow_apply."""

    root: Path
    allow_apply: bool = False
    bus: EventBus = field(default_factory=EventBus)
    plans: PlanStore = field(default_factory=PlanStore)

    # -- offline: validate, render, the resources ------------------------------------------------

    def validate(
        self, environment: str | None = None, target: str | None = None, handlers: bool = False
    ) -> dict[str, Any]:
        from orchestrator.app.project import select, today
        from orchestrator.engine.building import build_desired

        try:
            selection = select(self._root(), environment, target)
        except OrchestratorError as problem:
            return _validated(Diagnostics([error(PROJECT_FILE, str(problem))]))
        if isinstance(selection, Diagnostics):
            return _validated(selection)
        state = build_desired(selection.project, selection.environment, selection.target, today=today())
        diagnostics = Diagnostics(selection.diagnostics)
        diagnostics.extend(state.diagnostics)
        if handlers and not diagnostics.has_errors:
            from orchestrator.runtime.handlers import check_handlers

            diagnostics.extend(check_handlers(state))
        return _validated(diagnostics, selection, sorted(state.specs), state.skipped, state.accepted)

    def render(self, name: str, environment: str | None = None, target: str | None = None) -> dict[str, Any]:
        from orchestrator.app.project import today
        from orchestrator.app.render import build_payload
        from orchestrator.engine.building import build_desired

        selection = self._selection(environment, target)
        state = build_desired(selection.project, selection.environment, selection.target, today=today())
        payload, shown = build_payload(state, name)
        if payload is None:
            raise _invalid(shown)
        return {
            "spec": name,
            "environment": selection.environment.name,
            "target": selection.target.name,
            "backend": selection.target.backend,
            "payload": payload,
            "diagnostics": _diagnostics(shown),
        }

    def spec_source(self, name: str) -> str:
        """The text of spec NAME's file, found by the spec's name (or, in a broken project, the file's)."""
        from orchestrator.app.project import today
        from orchestrator.engine.building import build_desired
        from orchestrator.engine.spec_discovery import discover_spec_files

        selection = self._selection(None, None)
        state = build_desired(selection.project, selection.environment, selection.target, today=today())
        if name in state.specs:
            return state.specs[name].path.read_text(encoding="utf-8")
        for path in discover_spec_files(selection.project):
            if path.stem == name:
                return path.read_text(encoding="utf-8")
        raise ToolFailure(f"unknown spec `{name}` (known: {', '.join(sorted(state.specs)) or 'none'})")

    def spec_names(self) -> list[str]:
        """Every spec's `name` (what spec:// and payload:// resolve), read from each file without building
        anything (for listing resources). A file that cannot be read or names nothing is listed by its
        file name, so reading that resource says what is wrong with it."""
        from orchestrator.engine.spec_discovery import discover_spec_files
        from orchestrator.spec.loading import LoadError, load_yaml_file
        from orchestrator.spec.project import load_project

        project, _ = load_project(self.root)
        if project is None:
            return []
        names: set[str] = set()
        for path in discover_spec_files(project):
            try:
                data = load_yaml_file(path, root=project.root, what="a spec").data
            except LoadError:
                data = None
            name = data.get("name") if isinstance(data, dict) else None
            names.add(name if isinstance(name, str) and name else path.stem)
        return sorted(names)

    def environments(self) -> dict[str, Any]:
        selection = self._selection(None, None)
        project = selection.project
        return {
            "project": project.name,
            "default_environment": project.default_environment,
            "environments": [
                {
                    "name": env.name,
                    "target": env.target,
                    "backend": project.targets[env.target].backend,
                    "target_type": project.targets[env.target].type,
                    "vars": dict(env.vars),
                }
                for env in project.environments.values()
            ],
            "targets": [
                {
                    "name": t.name,
                    "type": t.type,
                    "backend": t.backend,
                    "base_url": t.base_url,
                    "api_key_env": t.api_key_env,
                }
                for t in project.targets.values()
            ],
        }

    # -- live, read-only: diff, list ---------------------------------------------------------------

    def diff(
        self,
        environment: str | None = None,
        target: str | None = None,
        only: Sequence[str] = (),
        prune: bool = False,
    ) -> dict[str, Any]:
        import os

        from orchestrator.app.planning import planned
        from orchestrator.app.project import Invalid
        from orchestrator.app.report import Collector
        from orchestrator.app.secret_check import with_secret_warnings
        from orchestrator.engine.planfile import plan_to_data, plan_to_json

        said = Collector()
        try:  # the plan path of `diff` (app.planning): live state read on the side while the specs load
            with planned(
                self._root(),
                environment,
                target,
                reporter=said,
                bus=lambda: self.bus,
                only=tuple(only),
                prune=prune,
            ) as made:
                plan, diagnostics = made.plan, made.state.diagnostics
        except Invalid:
            raise _invalid(said.found[-1]) from None
        plan = with_secret_warnings(plan, os.environ, made.state)  # as `diff`: a missing source is a warning
        self.bus.publish(
            "plan_created",
            project=plan.project,
            environment=plan.environment,
            target=plan.target,
            summary=plan.summary(),
        )
        plan_id = self.plans.add(plan_to_json(plan))
        return {"plan_id": plan_id, **plan_to_data(plan), "diagnostics": _diagnostics(diagnostics)}

    def list(self, environment: str | None = None, target: str | None = None) -> dict[str, Any]:
        from orchestrator.app.listing import listed, plan_rows
        from orchestrator.app.project import Invalid
        from orchestrator.app.report import Collector

        said = Collector()
        try:  # the path of `list`: live state read on the side while the specs load
            state, plan, objects = listed(self._root(), environment, target, reporter=said)
        except Invalid:
            raise _invalid(said.found[-1]) from None
        return {
            "project": state.project.name,
            "environment": state.environment.name,
            "target": state.target.name,
            "specs": plan_rows(state, plan, objects)[0],
        }

    def history(self, name: str, environment: str | None = None, target: str | None = None) -> dict[str, Any]:
        from orchestrator.app.history import history_data

        return history_data(self._selection(environment, target), name)

    # -- writes: apply, import ---------------------------------------------------------------------

    def apply(self, plan_id: str, parallelism: int = 8) -> dict[str, Any]:
        """Apply exactly the plan `diff` returned, refused as a saved plan is when live state moved since."""
        import os

        from orchestrator.app.deploy import check_saved_live, deploy, prepare_saved_plan, without_applied
        from orchestrator.app.live import apply_lock, connect
        from orchestrator.app.report import ApplyCollector
        from orchestrator.app.secret_check import missing_secrets
        from orchestrator.engine.planfile import plan_from_json

        if not self.allow_apply:
            raise ToolFailure(f"apply refused: {READ_ONLY_HINT}; nothing was changed")
        source = f"plan {plan_id}"
        saved = plan_from_json(self.plans.take(plan_id), source)
        selection = self._selection(saved.environment, saved.target)
        saved = prepare_saved_plan(saved, selection, source)
        said = ApplyCollector(yes=True)  # the server's log is the client's: waits and reads are not narrated
        with (
            connect(selection.project, selection.target, selection.environment, reporter=said) as live,
            apply_lock(selection.project, selection.target, said),
        ):
            check, _ = check_saved_live(saved, live, selection)
            if check.foreign:
                raise ToolFailure(
                    "the plan would change objects this project does not own; nothing was changed",
                    foreign=list(check.foreign),
                )
            if check.stale:
                raise ToolFailure(
                    "the plan is stale (live state changed since `diff`); nothing was changed. "
                    "Run `diff` again and review the new plan.",
                    stale=list(check.stale),
                )
            saved = without_applied(saved, check)
            # the one plan-and-apply path of `apply`: a missing secret refuses the plan before the first write
            deployed = deploy(saved, live, reporter=said, parallelism=parallelism, bus=self.bus)
            if deployed.status == "refused":
                missing = missing_secrets(saved, os.environ)
                raise ToolFailure(
                    f"{len(missing)} secret(s) this plan writes are not available; nothing was changed",
                    missing_secrets=missing,
                )
            result = deployed.result
        self.plans.mark_applied(plan_id)
        applied = _applied(plan_id, saved, result)
        if not applied["ok"]:
            failed = applied["summary"]["failed"]
            raise ToolFailure(
                f"apply finished with errors: {failed} change{'s' if failed != 1 else ''} failed", **applied
            )
        return applied

    def import_objects(
        self,
        ids: Sequence[str] = (),
        all_unmanaged: bool = False,
        name_from: str = "display",
        dry_run: bool = True,
        environment: str | None = None,
        target: str | None = None,
    ) -> dict[str, Any]:
        from orchestrator.app.importing import import_result, prepare_import, write_imports

        if not ids and not all_unmanaged:
            raise ToolFailure("name the ids to import, or pass all_unmanaged: true")
        if name_from not in ("display", "id"):
            raise ToolFailure(f"name_from must be `display` or `id`, not {name_from!r}")
        if not dry_run and not self.allow_apply:
            raise ToolFailure(f"import with dry_run: false refused: {READ_ONLY_HINT}; nothing was written")
        selection = self._selection(environment, target)
        found = prepare_import(selection, list(ids), all_unmanaged=all_unmanaged, name_from=name_from)
        if found.errors:
            raise ToolFailure("nothing was imported: " + "; ".join(found.errors), errors=list(found.errors))
        if not dry_run:
            write_imports(selection.project.root, found.imports)
        return import_result(found, selection, dry_run=dry_run)

    # -- run time: send_message --------------------------------------------------------------------

    def send_message(
        self,
        name: str,
        message: str,
        thread_id: str | None = None,
        environment: str | None = None,
        target: str | None = None,
        timeout: float = 300.0,
        tool_timeout: float = 30.0,
        max_tool_rounds: int = 8,
        spend_limit_usd: float | None = None,
    ) -> dict[str, Any]:
        """One turn with the deployed assistant or agent of spec NAME, its bound handlers executed here."""
        from orchestrator.app.conversation import session_on
        from orchestrator.runtime.conversation import Limits, TurnFailed, unknown_spec
        from orchestrator.spec.capabilities import has_spend_limit, spend_limit_cents

        if not message.strip():
            raise ToolFailure("message needs some text to send")
        try:
            cents = None if spend_limit_usd is None else spend_limit_cents(spend_limit_usd)
        except ValueError as problem:
            raise ToolFailure(f"spend_limit_usd: {problem}") from None
        state, _ = self._state(environment, target)
        if name not in state.specs:
            raise ToolFailure(unknown_spec(name, state))
        limits = Limits(turn_timeout_s=timeout, tool_timeout_s=tool_timeout, max_tool_rounds=max_tool_rounds)
        with session_on(
            state, name, thread_id=thread_id, limits=limits, bus=self.bus, spend_limit_cents=cents
        ) as session:
            warnings = [
                f"function `{function}`: {problem}; its calls return an error"
                for function, problem in session.registry.problems().items()
            ]
            if cents is not None and not has_spend_limit(state.target.backend):
                warnings.append(
                    f"spend_limit_usd has no effect on target `{state.target.name}` (backend: "
                    f"{state.target.backend}): threads and runs have no spend limit"
                )
            try:
                reply = session.send(message, on_tool_done=show_printed)
            except TurnFailed as failed:
                turn = failed.to_json()
                turn["status"] = turn.pop("error")["status"]  # the message becomes the result's error
                text = failed.message
                if failed.status == "budget_reached":
                    text += "; raise it with the spend_limit_usd argument (and this thread_id) or session.spend_limit_usd"
                raise ToolFailure(text, **turn, warnings=warnings) from None
        return {**reply.to_json(), "warnings": warnings}

    # -- loading -----------------------------------------------------------------------------------

    def _root(self) -> Path:
        """The project folder (found again each call: the server's folder may be a subfolder of it)."""
        from orchestrator.app.project import find_root

        return find_root(self.root, given=True)

    def _selection(self, environment: str | None, target: str | None) -> Any:
        from orchestrator.app.project import select

        selection = select(self._root(), environment, target)
        if isinstance(selection, Diagnostics):
            raise _invalid(selection, "the project file is invalid")
        return selection

    def _state(self, environment: str | None, target: str | None) -> tuple[Any, Diagnostics]:
        from orchestrator.app.state import build_state

        state, diagnostics = build_state(self._root(), environment, target)
        if state is None:
            raise _invalid(diagnostics)
        return state, diagnostics


def show_printed(call: Any) -> None:
    """What a handler printed goes to stderr (the server's log), redacted and escaped; on stdio, stdout
    carries protocol messages only."""
    import sys

    from orchestrator.secrets import shown

    for line in call.printed.splitlines():
        sys.stderr.write(shown(f"{call.name}| {line}") + "\n")
    sys.stderr.flush()


def _diagnostics(diagnostics: Diagnostics) -> list[dict[str, object]]:
    return [d.to_json() for d in diagnostics.sorted()]


def _invalid(diagnostics: Diagnostics, what: str = "the project did not validate") -> ToolFailure:
    from orchestrator.views.diagnostics_text import render_diagnostics

    text = render_diagnostics(diagnostics, color=False).rstrip()
    return ToolFailure(f"{what}; nothing live was touched:\n{text}", diagnostics=_diagnostics(diagnostics))


def _validated(
    diagnostics: Diagnostics,
    selection: Any = None,
    specs: Sequence[str] = (),
    skipped: Sequence[str] = (),
    accepted: Sequence[Any] = (),
) -> dict[str, Any]:
    return {
        "valid": not diagnostics.has_errors,
        "environment": selection.environment.name if selection else None,
        "target": selection.target.name if selection else None,
        "backend": selection.target.backend if selection else None,
        "specs": list(specs),
        "not_deployed": list(skipped),
        "diagnostics": _diagnostics(diagnostics),
        "accepted": [d.to_json() for d in accepted],
    }


def _applied(plan_id: str, plan: Any, result: Any) -> dict[str, Any]:
    outcomes = [
        {
            "kind": o.change.kind,
            "name": o.change.name,
            "action": o.change.action.value,
            "ok": o.ok,
            "id": o.id,
            "adopted": o.change.reason.value == "adopt",
            "error": o.error,
        }
        for o in (result.outcomes if result is not None else ())
    ]
    summary = {"created": 0, "updated": 0, "deleted": 0, "failed": 0}
    verbs = {"create": "created", "update": "updated", "delete": "deleted"}
    for outcome in outcomes:
        summary[verbs[outcome["action"]] if outcome["ok"] else "failed"] += 1
    return {
        "plan_id": plan_id,
        "project": plan.project,
        "environment": plan.environment,
        "target": plan.target,
        "ok": all(o["ok"] for o in outcomes),
        "outcomes": outcomes,
        "summary": summary,
    }
