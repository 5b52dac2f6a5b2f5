"""`file`: an uploaded knowledge or data file, derived from the specs that name it (no spec files)."""

from orchestrator.kind_registry import KindDefinition

DEFINITION = KindDefinition(
    "file",
    backends=frozenset({"assistants", "agents"}),
    mapping="orchestrator.backends.knowledge:FilesMapping",  # takes the backend
    client="orchestrator.backends:file_kind",  # uploads read with the templates' files view
    plan_rank=1,
)
