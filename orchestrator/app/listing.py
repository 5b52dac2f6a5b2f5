"""Listing: each spec's live id, status and the git revision its live object was applied from."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.app.live import state_and_live
from orchestrator.app.report import Reporter
from orchestrator.engine.planning import Reason

if TYPE_CHECKING:
    from orchestrator.engine.desired import DesiredState
    from orchestrator.engine.live import LiveState
    from orchestrator.engine.planning import Plan

STATUS = {
    Reason.IN_SYNC: "in sync",
    Reason.NEW: "missing",
    Reason.SPEC_CHANGED: "changed",
    Reason.DRIFT: "drifted",
    Reason.SPEC_CHANGED_AND_DRIFT: "changed, drifted",
    Reason.INCOMPLETE: "incomplete",
    Reason.ADOPT: "to adopt",
    Reason.ORPHAN: "orphaned",
    Reason.DUPLICATE: "duplicate",
    Reason.UNUSED: "unused",
}


def listed(
    root: Path, environment: str | None, target: str | None, *, reporter: Reporter, preview: str | None = None
) -> tuple[DesiredState, Plan, LiveState]:
    """(state, plan with prune, live objects) of the working tree, live state read while the specs load."""
    from orchestrator.engine.sync import make_plan

    with state_and_live(root, environment, target, reporter=reporter, preview=preview) as (state, early):
        live, objects = early.result(state)
        plan = make_plan(state, objects, live.mapping, prune=True, kinds=live.kinds)
    return state, plan, objects


def plan_rows(state: DesiredState, plan: Plan, objects: LiveState) -> tuple[list[dict[str, Any]], bool]:
    """The `-o json` rows of a plan, with the git revision each live object was applied from."""
    from orchestrator.engine.desired import DERIVED_KINDS
    from orchestrator.engine.revisions import REVISIONED_KINDS, describe_live_revisions

    kinds = getattr(objects, "kinds", {})  # the kinds whose objects record a revision too (skills)
    revisioned = [*objects, *(o for k in REVISIONED_KINDS if k in kinds for o in kinds[k].objects)]
    revisions, in_git = describe_live_revisions(state, plan, revisioned)
    return [
        {
            "name": c.name,
            "kind": c.kind,
            "id": c.id,
            "status": STATUS[c.reason],
            "revision": revisions.get(c.id) if c.id else None,
        }
        for c in plan.changes
        if c.kind not in DERIVED_KINDS
    ], in_git  # specs, not the files they name
