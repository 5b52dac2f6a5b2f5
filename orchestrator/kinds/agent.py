"""`agent`: the Agents API target's own kind (an assistant spec deployed as an agent)."""

from orchestrator.kind_registry import KindDefinition

DEFINITION = KindDefinition(
    "agent",
    # its environment template (and through it skills and uploads), the vaults its MCP tools' credentials are in
    refers_to=frozenset({"environment", "vault", "skill", "file"}),
    mapping="orchestrator.backends.agents:AgentsMapping",
    primary=True,
    plan_rank=6,
)
