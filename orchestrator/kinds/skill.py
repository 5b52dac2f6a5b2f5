"""`skill`: a folder of the project (SKILL.md first) uploaded as versions of a skill."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.kind_registry import KindDefinition

if TYPE_CHECKING:  # the registry imports every definition to list the kinds: a definition imports little
    from orchestrator.diagnostics import Diagnostic
    from orchestrator.engine.planning import Change, FieldChange
    from orchestrator.spec.agent_kinds import SkillSpec
    from orchestrator.spec.loading import Document


def read(doc: Document, data: dict[str, Any], root: Path, found: list[Diagnostic]) -> SkillSpec:
    """Its spec checks (orchestrator.spec.agent_kinds), imported when a spec of the kind is read."""
    from orchestrator.spec.agent_kinds import read_skill

    return read_skill(doc, data, root, found)


def plan_details(
    change: Change, item: FieldChange, before: dict[str, Any], after: dict[str, Any]
) -> list[str] | None:
    """Its files one line each (views.plan_text)."""
    from orchestrator.secrets import escape_line

    if item.path != "files":
        return None
    lines = [f"+ file {escape_line(path)}" for path in sorted(set(after) - set(before))]
    lines += [
        f"~ file {escape_line(path)}"
        for path in sorted(set(after) & set(before))
        if after[path] != before[path]
    ]
    lines += [f"- file {escape_line(path)}" for path in sorted(set(before) - set(after))]
    return lines


DEFINITION = KindDefinition(
    "skill",
    schema="skill.schema.json",
    read=read,
    plan_details=plan_details,
    importer="orchestrator.engine.importing_kinds:import_skill",
    mapping="orchestrator.backends.skills:SkillsMapping",
    client="orchestrator.backends.skills:skill_kind",
    plan_rank=3,
)
