"""Specs of the Agents API kinds (vault, skill, environment, automation) that several tests deploy together.

VAULT is the `crm` vault whose `crm-token` comes from $CRM_TOKEN; SKILL the `grammar` skill of
../skills/grammar, whose SKILL.md write_skill writes. write_work_kinds writes an agent `analyst` that runs
in the environment `work-env`, with an MCP tool using the credential `crm/token` of its own `crm`
vault, and a daily automation `digest` of all three: kinds that name one another.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.projects import write, write_spec

VAULT = """\
version: 1
kind: vault
name: crm
credentials:
  - name: crm-token
    revision: 1
    auth: {type: static_bearer, mcp_server_url: "https://mcp.example.com", token: {from_env: CRM_TOKEN}}
"""
SKILL = "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\nkeep_versions: 3\n"


def write_skill(root: Path, body: str) -> None:
    write(
        root / "skills" / "grammar" / "SKILL.md",
        f"---\nname: grammar\ndescription: Spanish grammar\n---\n{body}\n",
    )


WORK_VAULT = """\
version: 1
kind: vault
name: crm
credentials:
  - name: token
    revision: 1
    auth: {type: static_bearer, mcp_server_url: "https://mcp.example.com", token: {from_env: CRM_TOKEN}}
"""
WORK_ENVIRONMENT = "version: 1\nkind: environment\nname: work-env\n"
WORK_AUTOMATION = """\
version: 1
kind: automation
name: digest
type: periodic
expression: "0 7 * * *"
timezone: UTC
target: {agent: analyst, environment: work-env, vaults: [crm], input: Summarise.}
"""
WORK_MCP = [
    {"type": "mcp", "server_label": "crm", "server_url": "https://mcp.example.com", "credential": "crm/token"}
]


def write_work_kinds(root: Path) -> None:
    """The agent `analyst`, the vault `crm`, the environment `work-env` and the automation `digest`."""
    write_spec(root, "analyst", environment="work-env", tools=WORK_MCP)
    write(root / "specs" / "crm.yaml", WORK_VAULT)
    write(root / "specs" / "work-env.yaml", WORK_ENVIRONMENT)
    write(root / "specs" / "digest.yaml", WORK_AUTOMATION)
