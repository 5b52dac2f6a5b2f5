"""`vector_store`: one per assistant spec with knowledge files, derived from it (no spec files of its own)."""

from orchestrator.kind_registry import KindDefinition

DEFINITION = KindDefinition(
    "vector_store",
    backends=frozenset({"assistants"}),
    refers_to=frozenset({"file"}),
    mapping="orchestrator.backends.knowledge:VectorStoresMapping",
    plan_rank=4,
)
