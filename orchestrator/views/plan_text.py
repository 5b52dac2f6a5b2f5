"""The human view of a plan: + ~ - markers, field changes, unified diffs for instructions."""

from __future__ import annotations

from typing import Any

from orchestrator.engine.planning import Action, Change, Plan, Reason, describe_uses
from orchestrator.kind_registry import definition
from orchestrator.secrets import Redacting, active, escape_line
from orchestrator.views.values import describe_file_change, file_size, inline, unified, wants_diff

SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.NOOP: " "}
COLOR = {Action.CREATE: "\033[32m", Action.UPDATE: "\033[33m", Action.DELETE: "\033[31m", Action.NOOP: ""}
VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated",
    Action.DELETE: "will be deleted",
    Action.NOOP: "is in sync",
}
REASON = {
    Reason.NEW: "",
    Reason.SPEC_CHANGED: "spec changed",
    Reason.DRIFT: "drift: the live object was edited outside orchestrator",
    Reason.SPEC_CHANGED_AND_DRIFT: "spec changed, and the live object was edited outside orchestrator",
    Reason.INCOMPLETE: "incomplete: an earlier apply failed before its credentials were written",
    Reason.ADOPT: "adopt: an existing object is taken over, keeping its id",
    Reason.ORPHAN: "orphan: its spec is gone",
    Reason.DUPLICATE: "duplicate: another object claims the same spec",
    Reason.DESTROY: "destroy",
    Reason.UNUSED: "unused: no spec uses it any more",
    Reason.IN_SYNC: "",
}
RESET = "\033[0m"


def render_plan_text(plan: Plan, *, color: bool = False, redactor: Redacting | None = None) -> str:
    """Every value passes the redactor (the run's own unless one is given) before it is formatted."""
    redactor = redactor or active()
    if redactor.would_redact(plan.shown()):  # else the copy would be equal where shown: spared for thousands
        plan = redactor.redact_data(
            plan
        )  # (in-sync objects are named in `uses` lines: the text pass masks those)
    lines = [
        f"Plan for project {plan.project}, environment {plan.environment}, "
        f"target {plan.target} ({plan.backend})",
        "",
    ]
    for change in plan.actionable:
        lines.extend(_change(change, color))
        if change.action is not Action.DELETE:
            lines.extend(f"      uses {text}" for text in describe_uses(plan, change))
            lines.extend(f"      note: {note}" for note in change.notes)
        lines.append("")
    if plan.warnings:
        lines.append("Warnings:")
        lines.extend(f"  ! {w}" for w in plan.warnings)
        lines.append("")
    summary = plan.summary()
    if plan.has_changes:
        lines.append(
            f"Plan: {summary['create']} to create, {summary['update']} to update, "
            f"{summary['delete']} to delete, {summary['noop']} unchanged."
        )
    else:
        noun = "object" if summary["noop"] == 1 else "objects"
        lines.append(f"No changes. {summary['noop']} {noun} in sync.")
    return redactor.redact("\n".join(lines) + "\n")


def _paint(text: str, action: Action, color: bool) -> str:
    return f"{COLOR[action]}{text}{RESET}" if color and COLOR[action] else text


def render_change_fields(
    change: Change,
    *,
    color: bool = False,
    labels: tuple[str, str] = ("live", "desired"),
    redactor: Redacting | None = None,
) -> list[str]:
    """One change's field lines as a plan shows them (without its head line), for views that head it their way;
    labels name the two sides of unified diffs."""
    redactor = redactor or active()
    return [redactor.redact(line) for line in _change(redactor.redact_data(change), color, labels)[1:]]


def _change(change: Change, color: bool, labels: tuple[str, str] = ("live", "desired")) -> list[str]:
    ident = f" ({change.id})" if change.id else ""
    reason = REASON.get(change.reason, "")
    head = f"  {SYMBOL[change.action]} {change.kind} {change.name}{ident} {VERB[change.action]}"
    if reason:
        head += f" [{reason}]"
    out = [_paint(head, change.action, color)]
    if change.kind == "file" and change.action is not Action.DELETE:
        return [*out, *_upload_lines(change, color)]
    for item in change.fields:
        special = _agent_kind_lines(change, item)
        if special is not None:
            out.extend(
                _paint(
                    f"      {line}",
                    {"+": Action.CREATE, "-": Action.DELETE}.get(line[0], Action.UPDATE),
                    color,
                )
                for line in special
            )
            continue
        if change.action is Action.CREATE:
            if item.after in (None, {}, []):
                continue
            if change.kind == "environment" and item.path == "files" and isinstance(item.after, dict):
                out.extend(
                    f"      + file {to} from {meta['from']} ({file_size(meta)})"
                    for to, meta in item.after.items()
                )
                continue
            if item.path in ("knowledge", "code_files", "functions") and isinstance(item.after, dict):
                out.extend(_created_entries(item.path, item.after))
                continue
            if wants_diff(None, item.after) and isinstance(item.after, str):
                out.append(f"      {item.path}:")
                out.extend(
                    _paint(f"        + {line}", Action.CREATE, color) for line in item.after.splitlines()
                )
            else:
                out.append(f"      {item.path}: {inline(item.after)}")
            continue
        described = describe_file_change(item.path, item.before, item.after)
        if described is not None:
            symbol, text = described
            action = {"+": Action.CREATE, "-": Action.DELETE}.get(symbol, Action.UPDATE)
            out.append(_paint(f"      {symbol} {text}", action, color))
        elif not item.before_known:
            out.append(
                _paint(
                    f"      ~ {item.path}: (not readable from the API) -> {inline(item.after)}",
                    Action.UPDATE,
                    color,
                )
            )
        elif item.before is None and item.after is not None:
            out.append(_paint(f"      + {item.path}: {inline(item.after)}", Action.CREATE, color))
        elif item.after is None and item.before is not None:
            out.append(_paint(f"      - {item.path}: {inline(item.before)}", Action.DELETE, color))
        elif wants_diff(item.before, item.after):
            out.append(_paint(f"      ~ {item.path}:", Action.UPDATE, color))
            for line in unified(item.before, item.after, labels):
                action = (
                    Action.CREATE
                    if line.startswith("+") and not line.startswith("+++")
                    else Action.DELETE
                    if line.startswith("-") and not line.startswith("---")
                    else Action.NOOP
                )
                out.append(_paint(f"          {line}", action, color))
        else:
            out.append(
                _paint(
                    f"      ~ {item.path}: {inline(item.before)} -> {inline(item.after)}",
                    Action.UPDATE,
                    color,
                )
            )
    return out


def _upload_lines(change: Change, color: bool) -> list[str]:
    """A `file` node: its size and hash, or how its content changed (a new upload)."""
    after = {f.path: f.after for f in change.fields}
    before = {f.path: f.before for f in change.fields}
    if change.action is Action.CREATE:
        return [f"      {file_size(after)}, sha256 {after.get('sha256')}…"]
    if not after:
        return []
    size = (
        f"{file_size(before)} -> {file_size(after)}" if "bytes" in after else file_size(change.essence or {})
    )
    hashes = f"sha256 {before.get('sha256')}… -> {after.get('sha256')}…" if "sha256" in after else ""
    return [
        _paint(
            f"      ~ content changed: {size}" + (f", {hashes}" if hashes else "") + " (a new upload)",
            Action.UPDATE,
            color,
        )
    ]


def _agent_kind_lines(change: Change, item: Any) -> list[str] | None:
    """A field its kind's definition shows its own way (vault credentials, skill files: one line each; a
    secret only ever as `(secret changed)`), or an environment's files."""
    after = item.after if isinstance(item.after, dict) else {}
    before = item.before if isinstance(item.before, dict) and item.before_known else {}
    defined = definition(change.kind)
    if defined is not None and defined.plan_details is not None:
        lines = defined.plan_details(change, item, before, after)
        if lines is not None:
            return lines
    if (
        change.kind == "environment"
        and item.path == "files"
        and change.action is Action.UPDATE
        and item.before_known
    ):
        lines = [
            f"+ file {escape_line(to)} from {after[to].get('from')} ({file_size(after[to])})"
            for to in sorted(set(after) - set(before))
        ]
        lines += [
            f"~ file {escape_line(to)} from {after[to].get('from')} ({file_size(before[to])} -> {file_size(after[to])}"
            + (", content changed)" if after[to].get("sha256") != before[to].get("sha256") else ")")
            for to in sorted(set(after) & set(before))
            if after[to] != before[to]
        ]
        lines += [
            f"- file {escape_line(to)}" + (f" from {before[to]['from']}" if before[to].get("from") else "")
            for to in sorted(set(before) - set(after))
        ]
        return lines
    return None


def _created_entries(path: str, value: dict) -> list[str]:
    if path == "functions":
        return [f"      functions.{name}: {inline(spec)}" for name, spec in value.items()]
    if path == "knowledge" and "files" not in value:
        return [f"      knowledge: {inline(value)}"]
    files = value.get("files", {}) if path == "knowledge" else value
    label = "knowledge file" if path == "knowledge" else "code file"
    lines = [f"      + {label} {escape_line(name)} ({file_size(meta)})" for name, meta in files.items()]
    if path == "knowledge" and value.get("chunking"):
        lines.append(f"      knowledge.chunking: {inline(value['chunking'])}")
    return lines
