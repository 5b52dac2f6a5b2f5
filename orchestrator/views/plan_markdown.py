"""The plan as markdown, for a pull-request comment or $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from orchestrator.engine.planning import Action, Change, Plan, describe_uses
from orchestrator.secrets import Redactor, current
from orchestrator.views.plan_graph import markdown_section
from orchestrator.views.plan_text import REASON
from orchestrator.views.values import describe_file_change, file_size, inline, unified, wants_diff

ICON = {Action.CREATE: "🟢 create", Action.UPDATE: "🟡 update", Action.DELETE: "🔴 delete", Action.NOOP: "noop"}


def render_plan_markdown(plan: Plan, *, redactor: Redactor | None = None) -> str:
    """Every value passes the redactor (the run's own unless one is given) before it is formatted."""
    redactor = redactor or current()
    if redactor.would_redact(plan.shown()):  # as render_plan_text: in-sync objects are only counted
        plan = redactor.redact_data(plan)
    s = plan.summary()
    lines = [
        f"### Orchestrator plan: `{plan.project}` / `{plan.environment}` → `{plan.target}` ({plan.backend})",
        "",
        f"**{s['create']} to create, {s['update']} to update, {s['delete']} to delete, {s['noop']} unchanged**"
        if plan.has_changes else f"**No changes.** {s['noop']} in sync.",
        "",
    ]
    if plan.has_changes:
        lines += ["| Action | Kind | Name | ID | Why |", "| --- | --- | --- | --- | --- |"]
        for change in plan.actionable:
            why = REASON.get(change.reason, "") or "new"
            lines.append(f"| {ICON[change.action]} | {change.kind} | `{change.name}` | "
                         f"{f'`{change.id}`' if change.id else ''} | {_cell(why)} |")
        lines.append("")
        notes = [f"- `{c.name}` ({c.kind}): {_cell(n)}" for c in plan.actionable for n in c.notes]
        if notes:
            lines += ["**Notes**", "", *notes, ""]
        lines.extend(markdown_section(plan, redactor))
        for change in plan.actionable:
            lines.extend(_uses(plan, change))
            lines.extend(_details(change))
    if plan.warnings:
        lines.append("**Warnings**")
        lines.append("")
        lines.extend(f"- {_cell(w)}" for w in plan.warnings)
        lines.append("")
    if plan.diagnostics:
        lines.append("**Validation warnings**")
        lines.append("")
        lines.extend(f"- `{d.location()}`: {_cell(d.message)}" + (f" ({_cell(d.hint)})" if d.hint else "")
                     for d in plan.diagnostics)
        lines.append("")
    return redactor.redact("\n".join(lines).rstrip("\n") + "\n")


def _uses(plan: Plan, change: Change) -> list[str]:
    """The resources a change refers to, by spec name, as the text plan's `uses` lines say them."""
    if change.action is Action.DELETE:
        return []
    found = describe_uses(plan, change)
    if not found:
        return []
    return [f"`{change.kind} {change.name}` uses " + ", ".join(f"{_cell(text)}" for text in found), ""]


def _details(change: Change) -> list[str]:
    if not change.fields:
        return []
    out = [f"<details><summary><code>{change.name}</code>: {len(change.fields)} field(s)</summary>", ""]
    table = ["| Field | Before | After |", "| --- | --- | --- |"]
    diffs: list[str] = []
    for item in change.fields:
        described = describe_file_change(item.path, item.before, item.after)
        if described is not None:
            state = {"+": "new", "-": "removed"}.get(described[0], "content changed")
            before = "" if item.before is None else file_size(item.before)
            after = state if item.after is None else f"{file_size(item.after)}, {state}"
            table.append(f"| `{item.path}` | {before} | {after} |")
            continue
        if wants_diff(item.before, item.after):
            diffs += [f"`{item.path}`", "", "```diff", *unified(item.before, item.after), "```", ""]
            continue
        before = "(not readable)" if not item.before_known else _code(item.before)
        table.append(f"| `{item.path}` | {before} | {_code(item.after)} |")
    if len(table) > 2:
        out += [*table, ""]
    out += diffs
    out += ["</details>", ""]
    return out


def _code(value: object) -> str:
    return "" if value is None else f"`{_cell(inline(value))}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
