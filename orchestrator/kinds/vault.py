"""`vault`: credentials whose secret values come from the environment or files outside the project."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.kind_registry import KindDefinition

if TYPE_CHECKING:  # the registry imports every definition to list the kinds: a definition imports little
    from orchestrator.diagnostics import Diagnostic
    from orchestrator.engine.planning import Change, FieldChange
    from orchestrator.spec.agent_kinds import VaultSpec
    from orchestrator.spec.loading import Document


def read(doc: Document, data: dict[str, Any], root: Path, found: list[Diagnostic]) -> VaultSpec:
    """Its spec checks (orchestrator.spec.agent_kinds), imported when a spec of the kind is read."""
    from orchestrator.spec.agent_kinds import read_vault

    return read_vault(doc, data, root, found)


def before_schema(doc: Document) -> list[Diagnostic]:
    """A secret written as a value is refused before the schema could quote it (orchestrator.spec.agent_kinds)."""
    from orchestrator.spec.agent_kinds import written_secrets

    return written_secrets(doc)


def plan_details(
    change: Change, item: FieldChange, before: dict[str, Any], after: dict[str, Any]
) -> list[str] | None:
    """Its credentials one line each, a secret only ever as `(secret changed)`; where secrets come from is
    shown through the credentials, never as values (views.plan_text)."""
    from orchestrator.secrets import escape_line

    if item.path == "secret_sources":
        return []
    if item.path != "credentials":
        return None
    lines = []
    for name in sorted(set(after) | set(before)):
        new, old = after.get(name), before.get(name)
        if old is None:
            lines.append(f"+ credential {escape_line(name)} ({(new or {}).get('auth', {}).get('type', '?')})")
        elif new is None:
            lines.append(f"- credential {escape_line(name)}")
        elif new != old:
            what = [part for part in ("auth", "metadata") if new.get(part) != old.get(part)]
            if new.get("secret") != old.get("secret"):
                what.append("(secret changed)")
            lines.append(f"~ credential {escape_line(name)}: " + ", ".join(what))
    return lines


DEFINITION = KindDefinition(
    "vault",
    schema="vault.schema.json",
    read=read,
    before_schema=before_schema,
    plan_details=plan_details,
    importer="orchestrator.engine.importing_kinds:import_vault",
    mapping="orchestrator.backends.vaults:VaultsMapping",
    client="orchestrator.backends.vaults:vault_kind",
    plan_rank=2,
)
