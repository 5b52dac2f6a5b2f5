"""`assistant`: the Assistants API target's own kind (built by engine.building.Builder from spec files)."""

from orchestrator.kind_registry import KindDefinition

DEFINITION = KindDefinition(
    "assistant",
    backends=frozenset({"assistants"}),
    refers_to=frozenset({"vector_store", "file"}),  # its file_search store and code-interpreter files
    mapping="orchestrator.backends.assistants:AssistantsMapping",
    primary=True,
    plan_rank=6,
)
