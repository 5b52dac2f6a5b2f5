"""The plan as markdown, for a pull-request comment or $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.engine.planning import Action, Change, Plan, describe_uses
from orchestrator.secrets import Redacting, active
from orchestrator.views.plan_graph import markdown_section
from orchestrator.views.plan_text import REASON
from orchestrator.views.values import describe_file_change, file_size, inline, unified, wants_diff

ICON = {
    Action.CREATE: "🟢 create",
    Action.UPDATE: "🟡 update",
    Action.DELETE: "🔴 delete",
    Action.NOOP: "noop",
}


@dataclass(frozen=True, slots=True)
class MarkdownSection:
    """A whole part of a markdown report, kept or left out as one (a bounded comment cuts only between them).

    part: "head" (title, summary, table), "resource" (one change's uses and details), "warnings";
    label: what a reader is told was left out (`details of vault crm`)."""

    part: str
    label: str
    text: str


def render_plan_markdown(plan: Plan, *, redactor: Redacting | None = None) -> str:
    """Every value passes the redactor (the run's own unless one is given) before it is formatted."""
    return (
        "".join(section.text for section in plan_markdown_sections(plan, redactor=redactor)).rstrip("\n")
        + "\n"
    )


def plan_markdown_sections(plan: Plan, *, redactor: Redacting | None = None) -> list[MarkdownSection]:
    """The markdown plan in whole sections, each redacted, each ending with a blank line."""
    redactor = redactor or active()
    if redactor.would_redact(plan.shown()):  # as render_plan_text: in-sync objects are only counted
        plan = redactor.redact_data(plan)
    s = plan.summary()
    lines = [
        f"### Orchestrator plan: `{plan.project}` / `{plan.environment}` → `{plan.target}` ({plan.backend})",
        "",
        f"**{s['create']} to create, {s['update']} to update, {s['delete']} to delete, {s['noop']} unchanged**"
        if plan.has_changes
        else f"**No changes.** {s['noop']} in sync.",
        "",
    ]
    sections: list[MarkdownSection] = []

    def add(part: str, label: str, body: list[str]) -> None:
        if body:
            sections.append(MarkdownSection(part, label, redactor.redact("\n".join(body) + "\n")))

    if plan.has_changes:
        lines += ["| Action | Kind | Name | ID | Why |", "| --- | --- | --- | --- | --- |"]
        for change in plan.actionable:
            why = REASON.get(change.reason, "") or "new"
            lines.append(
                f"| {ICON[change.action]} | {change.kind} | `{change.name}` | "
                f"{f'`{change.id}`' if change.id else ''} | {_cell(why)} |"
            )
        lines.append("")
        notes = [f"- `{c.name}` ({c.kind}): {_cell(n)}" for c in plan.actionable for n in c.notes]
        if notes:
            lines += ["**Notes**", "", *notes, ""]
        lines.extend(markdown_section(plan, redactor))
        add("head", f"plan of environment {plan.environment}", lines)
        for change in plan.actionable:
            add(
                "resource",
                f"details of {change.kind} {change.name}",
                [*_uses(plan, change), *_details(change)],
            )
    else:
        add("head", f"plan of environment {plan.environment}", lines)
    if plan.warnings:
        add(
            "warnings",
            f"warnings of environment {plan.environment}",
            ["**Warnings**", "", *(f"- {_cell(w)}" for w in plan.warnings), ""],
        )
    if plan.diagnostics:
        add(
            "warnings",
            f"validation warnings of environment {plan.environment}",
            [
                "**Validation warnings**",
                "",
                *(
                    f"- `{d.location()}`: {_cell(d.message)}" + (f" ({_cell(d.hint)})" if d.hint else "")
                    for d in plan.diagnostics
                ),
                "",
            ],
        )
    return sections


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
            lines = unified(item.before, item.after)
            fence = _fence(lines)
            diffs += [f"`{item.path}`", "", f"{fence}diff", *lines, fence, ""]
            continue
        before = "(not readable)" if not item.before_known else _code(item.before)
        table.append(f"| `{item.path}` | {before} | {_code(item.after)} |")
    if len(table) > 2:
        out += [*table, ""]
    out += diffs
    out += ["</details>", ""]
    return out


def _fence(lines: list[str]) -> str:
    """A code fence longer than any run of backticks inside (a template's own ``` would close a shorter one)."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _code(value: object) -> str:
    return "" if value is None else f"`{_cell(inline(value))}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
