"""`vault`: credentials whose secret values come from the environment or files outside the project."""

from orchestrator.kind_registry import KindDefinition
from orchestrator.spec.agent_kinds import read_vault

DEFINITION = KindDefinition(
    "vault",
    schema="vault.schema.json",
    read=read_vault,
    importer="orchestrator.engine.importing_kinds:import_vault",
    mapping="orchestrator.backends.vaults:VaultsMapping",
    client="orchestrator.backends.vaults:vault_kind",
    plan_rank=2,
)
