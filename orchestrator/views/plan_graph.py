"""The resource graph of a plan as Mermaid (GitHub renders it in pull requests) or Graphviz DOT.

A node is one resource (`kind name`) marked by its action; an edge `a --> b` says a uses b, so b is created
first and deleted last (the order apply walks). Labels pass the redactor and are escaped for each
language: names of knowledge files come from the tree and may hold quotes, brackets or newlines.
"""

from __future__ import annotations

import re

from orchestrator.engine.planning import Action, Change, Plan, references
from orchestrator.secrets import Redacting, active

MARK = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.NOOP: ""}
DOT_COLOR = {
    Action.CREATE: "darkgreen",
    Action.UPDATE: "darkgoldenrod",
    Action.DELETE: "red3",
    Action.NOOP: "gray50",
}
MERMAID_CLASSES = (
    "classDef create fill:#dafbe1,stroke:#1a7f37",
    "classDef update fill:#fff8c5,stroke:#9a6700",
    "classDef delete fill:#ffebe9,stroke:#cf222e",
    "classDef noop fill:#f6f8fa,stroke:#8c959f,color:#57606a",
)
MAX_MARKDOWN_NODES = 60  # past this a diagram is unreadable: the markdown plan says so instead


def graph_nodes(plan: Plan, *, changes_only: bool) -> tuple[list[Change], list[tuple[int, int]]]:
    """(nodes, edges by index): every change, or the actionable ones and what they use (one step)."""
    by_key = {(c.kind, c.name): c for c in plan.changes}
    if changes_only:
        chosen = list(plan.actionable)
        keys = {(c.kind, c.name) for c in chosen}
        for change in list(chosen):
            for key in references(change):
                if key in by_key and key not in keys:
                    keys.add(key)
                    chosen.append(by_key[key])
    else:
        chosen = list(plan.changes)
    index = {(c.kind, c.name): i for i, c in enumerate(chosen)}
    edges = sorted(
        {(index[(c.kind, c.name)], index[key]) for c in chosen for key in references(c) if key in index}
    )
    return chosen, edges


def label(change: Change) -> str:
    mark = MARK[change.action]
    return f"{mark} {change.kind} {change.name}" if mark else f"{change.kind} {change.name}"


def render_mermaid(plan: Plan, *, changes_only: bool = False, redactor: Redacting | None = None) -> str:
    redactor = redactor or active()
    nodes, edges = graph_nodes(plan, changes_only=changes_only)
    lines = ["flowchart LR"]
    for i, change in enumerate(nodes):
        lines.append(f'  n{i}["{_mermaid_text(redactor.redact(label(change)))}"]:::{change.action.value}')
    lines.extend(f"  n{a} --> n{b}" for a, b in edges)
    lines.extend(f"  {line}" for line in MERMAID_CLASSES)
    return "\n".join(lines) + "\n"


def render_dot(plan: Plan, *, changes_only: bool = False, redactor: Redacting | None = None) -> str:
    redactor = redactor or active()
    nodes, edges = graph_nodes(plan, changes_only=changes_only)
    title = _dot_text(redactor.redact(f"{plan.project} / {plan.environment} -> {plan.target}"))
    lines = [
        "digraph orchestrator {",
        f'  label="{title}";',
        "  rankdir=LR;",
        '  node [shape=box, fontname="sans-serif"];',
    ]
    for i, change in enumerate(nodes):
        style = ", style=dashed" if change.action is Action.NOOP else ""
        lines.append(
            f'  n{i} [label="{_dot_text(redactor.redact(label(change)))}", '
            f"color={DOT_COLOR[change.action]}{style}];"
        )
    lines.extend(f"  n{a} -> n{b};" for a, b in edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def markdown_section(plan: Plan, redactor: Redacting | None = None) -> list[str]:
    """The Mermaid graph of what changes (and what it uses), for the markdown plan; bounded in size."""
    nodes, edges = graph_nodes(plan, changes_only=True)
    if not edges:
        return []  # independent changes: the table says it all
    if len(nodes) > MAX_MARKDOWN_NODES:
        return [
            f"*Graph of {len(nodes)} resources left out (at most {MAX_MARKDOWN_NODES} are drawn); "
            "`orchestrator graph` prints it.*",
            "",
        ]
    return ["```mermaid", *render_mermaid(plan, changes_only=True, redactor=redactor).splitlines(), "```", ""]


def _mermaid_text(text: str) -> str:
    """Inside a quoted Mermaid label: entity codes for what would end or break it, no line breaks."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    for char, code in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;")):
        text = text.replace(char, code)
    return text


def _dot_text(text: str) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    return text.replace("\\", "\\\\").replace('"', '\\"')
