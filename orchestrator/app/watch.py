"""Watch's per-target session: the open target as the engine's Reconciler reads and applies through it
(engine/watching.LiveSession), applying through the same appliers as apply (deploy.run_plan)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from orchestrator.app.deploy import run_plan
from orchestrator.app.live import connect, read_live
from orchestrator.app.report import Reporter
from orchestrator.spec.project import Environment, Project, Target

if TYPE_CHECKING:
    from orchestrator.app.live import Live
    from orchestrator.engine.desired import DesiredState
    from orchestrator.engine.live import LiveState
    from orchestrator.engine.planning import Plan
    from orchestrator.events import EventBus


class TargetSession:
    """The open target as watch's Reconciler uses it: reads, and applies through the engine's Applier."""

    def __init__(self, live: Live, bus: EventBus, parallelism: int, specs: Any = None) -> None:
        self.live = live
        self.specs = (
            specs  # () -> the reconciler's DesiredSpecs by name: each apply records their git revision
        )
        self.mapping = live.mapping
        self.bus = bus
        self.parallelism = parallelism

    def read_all(self, state: DesiredState) -> LiveState:
        return read_live(self.live, state)

    def read_one(self, object_id: str) -> Any:
        self.live.connection.begin_read()  # a new cycle's read: the names it resolves are listed anew
        return self.live.client.retrieve(object_id)

    def needs_full_read(self, specs: Iterable[Any], raws: Iterable[Mapping[str, Any]]) -> bool:
        if self.live.knowledge is None:
            return False
        from orchestrator.backends.knowledge import needs_view

        return needs_view(specs, raws)

    @property
    def kinds(self) -> tuple[Any, ...]:
        return tuple(self.live.kinds)

    def apply(self, plan: Plan) -> Any:
        from orchestrator.engine.applying import ApplyResult, Outcome

        refused = _missing_secrets_refusal(plan)
        if refused is not None:  # before the first write, as `apply` does: every change fails, retried later
            return ApplyResult(tuple(Outcome(change, ok=False, error=refused) for change in plan.actionable))
        if self.specs is None:
            return run_plan(plan, self.live, self.parallelism, self.bus)
        from orchestrator.engine.revisions import REVISIONED_KINDS, stamp_revisions, working_tree_revisions

        specs = self.specs()
        recorded = {self.live.mapping.object_kind, *REVISIONED_KINDS}  # as apply records them
        changed = {c.name: specs[c.name] for c in plan.actionable if c.name in specs and c.kind in recorded}
        stamped = stamp_revisions(plan, working_tree_revisions(self.live.connection.project.root, changed))
        result = run_plan(stamped, self.live, self.parallelism, self.bus)
        # the reconciler knows its plan's changes by identity: report outcomes against them
        original = {id(new): old for new, old in zip(stamped.changes, plan.changes, strict=True)}
        return replace(
            result,
            outcomes=tuple(replace(o, change=original.get(id(o.change), o.change)) for o in result.outcomes),
        )


def _missing_secrets_refusal(plan: Plan) -> str | None:
    import os

    from orchestrator.app.secret_check import missing_secrets

    missing = missing_secrets(plan, os.environ)
    if not missing:
        return None
    return f"not attempted: a secret this plan writes is not available ({'; '.join(missing)})"


def open_session(
    bus: EventBus, parallelism: int, specs: Any = None, *, reporter: Reporter | None = None
) -> Any:
    @contextmanager
    def opener(project: Project, environment: Environment, target: Target) -> Iterator[TargetSession]:
        # watch retries failed cycles itself (with backoff, between cycles): the SDK must not sleep inside one
        quick = target if target.max_retries is not None else replace(target, max_retries=0)
        with connect(project, quick, environment, reporter=reporter) as live:
            yield TargetSession(live, bus, parallelism, specs)

    return opener
