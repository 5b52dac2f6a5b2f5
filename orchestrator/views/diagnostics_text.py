"""Diagnostics for people (file:line:col: severity: message) and for machines (a JSON list)."""

from __future__ import annotations

import json

from orchestrator.diagnostics import Diagnostics, Severity
from orchestrator.secrets import Redacting, active

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m"}
_RESET = "\033[0m"


def render_diagnostics(
    diagnostics: Diagnostics, *, color: bool = False, summary: bool = True, redactor: Redacting | None = None
) -> str:
    redactor = redactor or active()
    lines = []
    for item in diagnostics.sorted():
        label = str(item.severity)
        if color:
            label = f"{_COLORS[item.severity]}{label}{_RESET}"
        pointer = f" [{item.pointer}]" if item.pointer else ""
        lines.append(f"{item.location()}: {label}: {item.message}{pointer}")
        if item.hint:
            lines.append(f"  hint: {item.hint}")
    if summary and diagnostics:
        errors, warnings = len(diagnostics.errors), len(diagnostics.warnings)
        lines.append(f"{_count(errors, 'error')}, {_count(warnings, 'warning')}")
    return redactor.redact("\n".join(lines) + ("\n" if lines else ""))


def render_diagnostics_json(diagnostics: Diagnostics, *, redactor: Redacting | None = None) -> str:
    items = (redactor or active()).redact_data([d.to_json() for d in diagnostics.sorted()])
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
