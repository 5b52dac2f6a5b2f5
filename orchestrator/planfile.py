"""Plan <-> JSON (DESIGN.md's format), plus what a saved plan needs to be applied exactly and safely."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from orchestrator.errors import OrchestratorError
from orchestrator.planning import Action, Change, FieldChange, Plan, Reason

FORMAT_VERSION = 1


def plan_to_data(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "project": plan.project,
        "environment": plan.environment,
        "target": plan.target,
        "backend": plan.backend,
        "changes": [_change_to_data(c) for c in plan.changes],
        "summary": plan.summary(),
        "warnings": list(plan.warnings),
    }


def plan_to_json(plan: Plan) -> str:
    return json.dumps(plan_to_data(plan), indent=2, ensure_ascii=False) + "\n"


def _change_to_data(change: Change) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": change.kind,
        "name": change.name,
        "action": change.action.value,
        "id": change.id,
        "drift": change.drift,
        "reason": change.reason.value,
        "fields": [_field(f) for f in change.fields],
    }
    if change.action is Action.NOOP:
        return data
    data["apply"] = {
        "essence": change.essence,
        "metadata": change.metadata,
        "changed_keys": list(change.changed_keys),
        "fingerprint": change.fingerprint,
    }
    return data


def _field(item: FieldChange) -> dict[str, Any]:
    data = {"path": item.path, "before": item.before, "after": item.after}
    if not item.before_known:
        data["before_unknown"] = True
    return data


def plan_from_json(text: str, source: str) -> Plan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OrchestratorError(f"{source}: not a plan file (invalid JSON at line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise OrchestratorError(f"{source}: not a plan file of format_version {FORMAT_VERSION}")
    try:
        changes = tuple(_change_from_data(c) for c in data["changes"])
        return Plan(data["project"], data["environment"], data["target"], data["backend"], changes,
                    tuple(data.get("warnings") or ()))
    except (KeyError, TypeError, ValueError) as exc:
        raise OrchestratorError(f"{source}: malformed plan file ({type(exc).__name__}: {exc})") from None


def _change_from_data(data: dict[str, Any]) -> Change:
    apply = data.get("apply") or {}
    return Change(
        kind=data["kind"],
        name=data["name"],
        action=Action(data["action"]),
        reason=Reason(data["reason"]),
        id=data.get("id"),
        drift=bool(data.get("drift")),
        fields=tuple(FieldChange(f["path"], f.get("before"), f.get("after"), not f.get("before_unknown", False))
                     for f in data.get("fields") or []),
        essence=apply.get("essence"),
        metadata=apply.get("metadata"),
        changed_keys=tuple(apply.get("changed_keys") or ()),
        fingerprint=apply.get("fingerprint"),
    )


def stale_changes(saved: Plan, fingerprints: Mapping[str, str], owned: Mapping[str, str]) -> list[str]:
    """Why the saved plan no longer fits live state (empty when it still does).

    fingerprints: live object id -> fingerprint; owned: spec name -> id of the live object owning it.
    """
    problems: list[str] = []
    for change in saved.actionable:
        if change.action is Action.CREATE:
            if change.name in owned:
                problems.append(f"{change.kind} `{change.name}` was planned as a create, but {owned[change.name]} now exists")
            continue
        now = fingerprints.get(change.id or "")
        if now is None:
            problems.append(f"{change.kind} `{change.name}` ({change.id}) no longer exists")
        elif now != change.fingerprint:
            problems.append(f"{change.kind} `{change.name}` ({change.id}) changed since the plan was made")
    return problems
