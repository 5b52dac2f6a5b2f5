"""Planning: the desired state of the working tree or of a git revision, against live state, as a Plan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.app.live import Live, apply_lock, connect, read_live, state_and_live
from orchestrator.app.report import Reporter
from orchestrator.app.state import Source, desired_source, parse_only, stamp
from orchestrator.engine.desired import DesiredState
from orchestrator.engine.planning import Plan

if TYPE_CHECKING:
    from orchestrator.events import EventBus


@dataclass(frozen=True, slots=True)
class Planned:
    """A plan, the open target it was read from, the desired state it was made of and the run's event bus."""

    plan: Plan
    live: Live
    state: DesiredState
    bus: EventBus


@contextmanager
def planned(
    root: Path,
    environment: str | None,
    target: str | None,
    *,
    reporter: Reporter,
    bus: Callable[[], EventBus],
    only: tuple[str, ...] = (),
    prune: bool = False,
    rev: str | None = None,
    preview: str | None = None,
    lock: bool = False,
) -> Iterator[Planned]:
    """The plan of the working tree, or of git revision rev, against live state; the target stays open (and
    with lock, the apply lock held) while the caller uses it. bus: makes the event bus once the state is
    valid. Raises Invalid (diagnostics reported) when the state does not validate.

    The working tree's live state is read on the side while the specs load (live.EarlyRead); with lock,
    nothing is read before the lock is held."""
    from orchestrator.engine.sync import make_plan

    if rev is None:
        with state_and_live(root, environment, target, reporter=reporter, lock=lock, preview=preview) as (
            state,
            early,
        ):
            selected = parse_only(only, state)
            events = bus()
            desired = early.desired(state)
            live, objects = early.result(state)
            plan = make_plan(
                state,
                objects,
                live.mapping,
                prune=prune,
                only=selected,
                kinds=live.kinds,
                desired=desired,
                prepared=early.prepared,
            )
            yield Planned(stamp(plan, Source(state, state.project)), live, state, events)
        return
    with ExitStack() as stack:  # a git revision's state: built from git objects, then read and planned
        source = stack.enter_context(desired_source(root, environment, target, rev, reporter=reporter))
        if preview is not None:
            from orchestrator.app.previews import preview_state

            source = replace(source, state=preview_state(source.state, preview))
        state = source.state
        selected = parse_only(only, state)
        events = bus()
        live = stack.enter_context(
            connect(
                source.project,
                state.target,
                state.environment,
                reporter=reporter,
                files_root=source.files_root,
            )
        )
        if lock:
            stack.enter_context(apply_lock(source.project, state.target, reporter))
        objects = read_live(live, state)
        plan = make_plan(state, objects, live.mapping, prune=prune, only=selected, kinds=live.kinds)
        yield Planned(stamp(plan, source), live, state, events)


def with_warnings(plan: Plan, state: DesiredState) -> Plan:
    """The run's validation warnings travel with the plan, so a pull-request comment shows them; so does each
    secret its writes need that is not available here (presence only, no value is read)."""
    import os

    from orchestrator.app.secret_check import with_secret_warnings
    from orchestrator.diagnostics import Severity

    plan = with_secret_warnings(plan, os.environ, state)
    shown = [d for d in state.diagnostics if d.severity is Severity.WARNING]
    accepted = getattr(state, "accepted", ())  # once here, for reviewers, rather than on every run
    return replace(plan, diagnostics=tuple(sorted([*shown, *accepted], key=lambda d: d.sort_key())))
