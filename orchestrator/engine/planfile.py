"""Plan <-> JSON (DESIGN.md's format), plus what a saved plan needs to be applied exactly and safely.

A saved plan is untrusted input, like any file in a pull request: it is checked against
schemas/plan.schema.json, its ownership metadata is recomputed from the project (never read from
the file), and every object it updates or deletes is checked live before anything is changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from orchestrator.diagnostics import Diagnostic, Diagnostics, error
from orchestrator.engine.ownership import (
    HASH_KEY,
    OWNER_KEY,
    Owner,
    digest,
    parse_revision,
    stamp,
    with_revision,
)
from orchestrator.engine.planning import Action, Change, FieldChange, LiveItem, Plan, Reason, essence_digests
from orchestrator.errors import OrchestratorError
from orchestrator.secrets import Redacting, active

FORMAT_VERSION = 1
MAX_PLAN_BYTES = 256 * 1024 * 1024  # 500 specs at the 256,000-character instructions limit, twice over


def plan_to_data(plan: Plan, *, redactor: Redacting | None = None) -> dict[str, Any]:
    """The JSON form; every string passes the redactor first (the run's own unless one is given). In-sync
    changes carry no `apply` part."""
    plan = (redactor or active()).redact_data(plan.shown(in_sync=True))
    return {
        "format_version": FORMAT_VERSION,
        "project": plan.project,
        "environment": plan.environment,
        "target": plan.target,
        "backend": plan.backend,
        "changes": [_change_to_data(c) for c in plan.changes],
        "summary": plan.summary(),
        "warnings": list(plan.warnings),
        "diagnostics": [d.to_json() for d in plan.diagnostics],
    }


def plan_to_json(plan: Plan, *, redactor: Redacting | None = None) -> str:
    return json.dumps(plan_to_data(plan, redactor=redactor), indent=2, ensure_ascii=False) + "\n"


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
    if change.notes:
        data["notes"] = list(change.notes)
    if change.action is Action.NOOP:
        return data
    data["apply"] = {
        "essence": change.essence,
        "metadata": change.metadata,
        "changed_keys": list(change.changed_keys),
        "fingerprint": change.fingerprint,
    }
    if change.uses:
        data["apply"]["uses"] = [list(use) for use in change.uses]
    return data


def _field(item: FieldChange) -> dict[str, Any]:
    data = {"path": item.path, "before": item.before, "after": item.after}
    if not item.before_known:
        data["before_unknown"] = True
    return data


# -- reading a saved plan (untrusted) -------------------------------------------------------------


class PlanFileError(OrchestratorError):
    """A file that is not a valid saved plan; its diagnostics say where and why."""

    def __init__(self, diagnostics: Diagnostics) -> None:
        super().__init__("; ".join(f"{d.location()}: {d.message}" for d in diagnostics.errors))
        self.diagnostics = diagnostics


def read_plan(path: Path, display: str | None = None) -> Plan | Diagnostics:
    """Read, parse and check a saved plan file; diagnostics (never an exception) when it is not one."""
    shown = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PLAN_BYTES:
            return Diagnostics(
                [
                    error(
                        shown, f"the file is {size:,} bytes; a saved plan is at most {MAX_PLAN_BYTES:,} bytes"
                    )
                ]
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        return Diagnostics([error(shown, "plan file not found")])
    except IsADirectoryError:
        return Diagnostics([error(shown, "expected a plan file, found a directory")])
    except OSError as exc:
        return Diagnostics([error(shown, f"cannot read the plan file: {exc.strerror or exc}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Diagnostics(
            [
                error(
                    shown,
                    f"not a plan file: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                )
            ]
        )
    return parse_plan(text, shown, path)


def plan_from_json(text: str, source: str) -> Plan:
    """parse_plan, raising PlanFileError instead of returning diagnostics."""
    parsed = parse_plan(text, source)
    if isinstance(parsed, Diagnostics):
        raise PlanFileError(parsed)
    return parsed


def parse_plan(text: str, display: str, path: Path | None = None) -> Plan | Diagnostics:
    """JSON -> schema check -> consistency checks -> Plan; every problem found, each with its pointer."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Diagnostics(
            [error(display, f"not a plan file: invalid JSON ({exc.msg})", line=exc.lineno, column=exc.colno)]
        )
    except RecursionError:
        return Diagnostics([error(display, "not a plan file: JSON nested too deeply")])
    if not isinstance(data, dict):
        return Diagnostics(
            [
                error(
                    display,
                    "not a plan file: expected a JSON object with `format_version` "
                    f"{FORMAT_VERSION} and `changes`",
                    line=1,
                    column=1,
                )
            ]
        )
    if data.get("format_version") != FORMAT_VERSION:
        return Diagnostics(
            [
                error(
                    display,
                    f"not a plan file of format_version {FORMAT_VERSION} (got "
                    f"{json.dumps(data.get('format_version'))[:40]}); make it again "
                    "with this version's `orchestrator diff --out PLAN`",
                    pointer="/format_version",
                )
            ]
        )
    diagnostics = _schema_diagnostics(data, text, display, path)
    if not diagnostics:
        diagnostics.extend(_consistency_diagnostics(data, display))
    if diagnostics:
        return diagnostics
    changes = tuple(_change_from_data(c) for c in data["changes"])
    return Plan(
        data["project"],
        data["environment"],
        data["target"],
        data["backend"],
        changes,
        tuple(data.get("warnings") or ()),
    )


def _schema_diagnostics(data: dict[str, Any], text: str, display: str, path: Path | None) -> Diagnostics:
    from orchestrator.spec.loading import Document, LoadError, load_yaml_bytes
    from orchestrator.spec.schema_errors import schema_diagnostics
    from orchestrator.spec.schemas import validator_for

    validator = validator_for("plan")
    try:
        if validator.is_valid(data):
            return Diagnostics()
    except RecursionError:
        return Diagnostics([error(display, "not a plan file: JSON nested too deeply")])
    try:  # positions for the messages, from the text already read (JSON is YAML); none when it is too big
        located = load_yaml_bytes(text.encode("utf-8"), path or Path(display), display)
    except LoadError:
        located = None
    document = Document(
        path or Path(display),
        display,
        data,
        located.values if located else {},
        located.keys if located else {},
    )
    return Diagnostics(schema_diagnostics(document, validator))


def _consistency_diagnostics(data: dict[str, Any], display: str) -> list[Diagnostic]:
    """What a schema cannot say: one change per live object, one create or update per spec."""
    found: list[Diagnostic] = []
    ids: dict[Any, int] = {}
    specs: dict[tuple[str, str], int] = {}
    for index, change in enumerate(data["changes"]):
        pointer = f"/changes/{index}"
        if change["action"] == "noop":
            continue
        object_id = change.get("id")
        if object_id is not None:
            # an upload is updated (a new version uploaded) and then deleted (the old version, once unused)
            key = (object_id, change["action"]) if change.get("kind") == "file" else object_id
            if key in ids:
                found.append(
                    error(
                        display,
                        f"{object_id} is changed twice (also by change {ids[object_id] + 1})",
                        pointer=pointer + "/id",
                    )
                )
            ids.setdefault(key, index)
        if change["action"] in ("create", "update"):
            name = change["name"]
            if (change.get("kind", ""), name) in specs:
                found.append(
                    error(
                        display,
                        f"spec `{name}` is created or updated twice (also by change "
                        f"{specs[(change.get('kind', ''), name)] + 1})",
                        pointer=pointer + "/name",
                    )
                )
            specs.setdefault((change.get("kind", ""), name), index)
    return found


def _change_from_data(data: dict[str, Any]) -> Change:
    apply = data.get("apply") or {}
    return Change(
        kind=data["kind"],
        name=data["name"],
        action=Action(data["action"]),
        reason=Reason(data["reason"]),
        id=data.get("id"),
        drift=bool(data.get("drift")),
        fields=tuple(
            FieldChange(f["path"], f.get("before"), f.get("after"), not f.get("before_unknown", False))
            for f in data.get("fields") or []
        ),
        essence=apply.get("essence"),
        metadata=apply.get("metadata"),
        changed_keys=tuple(apply.get("changed_keys") or ()),
        fingerprint=apply.get("fingerprint"),
        notes=tuple(data.get("notes") or ()),
        uses=tuple((str(kind), str(name)) for kind, name in apply.get("uses") or ()),
    )


# -- applying a saved plan safely -----------------------------------------------------------------


def restamp(plan: Plan, *, project: str, environment: str, write_only: frozenset[str]) -> Plan:
    """The plan with the ownership metadata of every create and update recomputed from the project's
    identity and the essence the plan sends; whatever metadata the file held is ignored but the git revision
    the plan was made from (a well-formed commit id: it only labels the stamp, it never steers ownership)."""
    changes = []
    for change in plan.changes:
        if change.action in (Action.CREATE, Action.UPDATE) and change.essence is not None:
            owner = Owner(project, environment, change.name)
            digests = essence_digests(change.essence, write_only)
            user = change.essence.get("metadata")
            if user is None:  # a kind without metadata (environment templates): only its graph references are
                user = _references_of(change.metadata)  # kept from the file; they order apply, nothing more
            stamped = stamp(user, owner, digests)
            change = replace(change, metadata=with_revision(stamped, parse_revision(change.metadata)))
        changes.append(change)
    return replace(plan, changes=tuple(changes))


def _references_of(metadata: Mapping[str, str] | None) -> dict[str, str]:
    from orchestrator.engine.planning import REFERENCE_PREFIX

    return {
        k: v
        for k, v in (metadata or {}).items()
        if isinstance(k, str)
        and isinstance(v, str)
        and k.startswith(REFERENCE_PREFIX)
        and k not in (OWNER_KEY, HASH_KEY)
    }


@dataclass(frozen=True, slots=True)
class SavedPlanCheck:
    """How a saved plan stands against live state; apply goes ahead only when nothing is stale or foreign."""

    ready: tuple[Change, ...]  # still exactly as planned
    applied: tuple[Change, ...]  # live state already is what the change produces (the plan ran before)
    stale: tuple[str, ...]  # why a change no longer fits live state
    foreign: tuple[str, ...]  # a change would touch an object this project and environment do not own

    @property
    def already_applied(self) -> bool:
        return bool(self.applied) and not (self.ready or self.stale or self.foreign)


def check_saved_plan(
    saved: Plan,
    live: Sequence[LiveItem],
    *,
    project: str,
    environment: str,
    write_only: frozenset[str],
    adopt_ids: Mapping[str, str] | None = None,
) -> SavedPlanCheck:
    """Compare each change of a saved plan with live state, re-checking ownership of every object it
    updates or deletes from the live object's own metadata (the file's word is never taken for it).

    adopt_ids: spec name -> the unmanaged object id the project's spec says to adopt.
    """
    by_id = {item.id: item for item in live}
    claims: dict[str, list[LiveItem]] = {}
    for item in sorted(live, key=lambda i: i.created_at):
        if item.owner and (item.owner.project, item.owner.environment) == (project, environment):
            claims.setdefault(item.owner.spec, []).append(item)
    ready: list[Change] = []
    applied: list[Change] = []
    stale: list[str] = []
    foreign: list[str] = []
    for change in saved.actionable:
        label = f"{change.kind} `{change.name}`"
        wanted = Owner(project, environment, change.name)
        if change.action is Action.CREATE:
            group = claims.get(change.name, [])
            if not group:
                ready.append(change)
            elif any(_produced(item, change, write_only) for item in group):
                applied.append(change)
            else:
                stale.append(f"{label} was planned as a create, but {group[0].id} now exists")
            continue
        item = by_id.get(change.id or "")
        if item is None:
            if change.action is Action.DELETE:
                applied.append(change)
            else:
                stale.append(f"{label} ({change.id}) no longer exists")
            continue
        adopting = change.reason is Reason.ADOPT and item.owner is None
        if adopting and (adopt_ids or {}).get(change.name) != change.id:
            foreign.append(
                f"{label} would adopt {change.id}, an unmanaged object, but the project's spec "
                f"`{change.name}` does not name it in `adopt_id`"
            )
            continue
        if not adopting and item.owner != wanted:
            owner = item.owner.label() if item.owner else "nobody (unmanaged)"
            foreign.append(
                f"{label} would {change.action.value} {change.id}, which is owned by {owner}, "
                f"not by {wanted.label()}"
            )
            continue
        if item.fingerprint == change.fingerprint:
            ready.append(change)
        elif change.action is Action.UPDATE and _produced(item, change, write_only):
            applied.append(change)
        else:
            stale.append(f"{label} ({change.id}) changed since the plan was made")
    return SavedPlanCheck(tuple(ready), tuple(applied), tuple(stale), tuple(foreign))


def _produced(item: LiveItem, change: Change, write_only: frozenset[str]) -> bool:
    """Whether the live object is what applying change leaves behind: its stamp carries the digests of
    the change's essence, and its readable content still matches that stamp (no edit since)."""
    if item.digests is None or change.essence is None:
        return False
    wanted = essence_digests(change.essence, write_only)
    readable = digest({k: v for k, v in item.essence.items() if k not in write_only})
    return item.digests == wanted and readable == wanted.readable
