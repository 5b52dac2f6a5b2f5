"""`environment`: an environment template (built by engine.building.Builder, also from an assistant's files)."""

from orchestrator.kind_registry import KindDefinition

DEFINITION = KindDefinition(
    "environment",
    refers_to=frozenset({"skill", "file"}),  # the skills it pins, the uploads it mounts
    schema="environment.schema.json",
    mapping="orchestrator.backends.environments:EnvironmentsMapping",
    client="orchestrator.backends.environments:environment_kind",
    plan_rank=5,
)
