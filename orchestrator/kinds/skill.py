"""`skill`: a folder of the project (SKILL.md first) uploaded as versions of a skill."""

from orchestrator.kind_registry import KindDefinition
from orchestrator.spec.agent_kinds import read_skill

DEFINITION = KindDefinition(
    "skill",
    schema="skill.schema.json",
    read=read_skill,
    importer="orchestrator.engine.importing_kinds:import_skill",
    mapping="orchestrator.backends.skills:SkillsMapping",
    client="orchestrator.backends.skills:skill_kind",
    plan_rank=3,
)
