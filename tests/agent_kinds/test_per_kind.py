"""Each Agents API kind through the CLI on a served emulator: what test_cli's lifecycle does not cover.

Vault: a settings update, drift, ownership, prune. Skill: drift of the default version, keep_versions
alone, prune, ownership, an explicit pin, a saved plan refused once the folder changed. Automation:
ownership. Credential and skill references: unknown names at file:line, the `VAULT/NAME` form, and a
credential id changed by hand shown by name.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import openai
import pytest

from tests.conftest import TEST_KEY
from tests.support.agent_kinds import SKILL, VAULT, write_skill
from tests.support.projects import run_in, write, write_spec

SENTINEL = "s3cr3t-SENTINEL-per-kind-3e7a"
SECOND_VAULT = VAULT.replace("name: crm\n", "name: billing\n")
MCP = {
    "type": "mcp",
    "server_label": "crm",
    "server_url": "https://mcp.example.com",
    "credential": "crm-token",
}


@pytest.fixture
def root(agents_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRM_TOKEN", SENTINEL)
    return agents_project


cli = partial(run_in, hidden=(SENTINEL, TEST_KEY))


def applied(root: Path, *args: str) -> str:
    code, out = cli(root, "apply", "--yes", *args)
    assert code == 0, out
    code, again = cli(root, "diff")
    assert code == 0, again
    return out


def test_vault_update_drift_ownership_and_prune(root: Path, sdk: openai.OpenAI) -> None:
    write(root / "specs" / "crm.yaml", VAULT)
    applied(root)
    vault = sdk.beta.agents.vaults.list().data[0]
    foreign = sdk.beta.agents.vaults.create(name="crm", metadata={"orchestrator.owner": "other/dev/crm"})

    # a settings update: a second credential added (its secret from the same variable), the first kept
    write(
        root / "specs" / "crm.yaml",
        VAULT
        + """\
  - name: sandbox
    auth:
      type: environment_variable
      secret_name: SERVICE_KEY
      networking: {type: unrestricted}
      secret_value: {from_env: CRM_TOKEN}
""",
    )
    code, out = cli(root, "diff")
    assert code == 2 and "+ credential sandbox (environment_variable)" in out, out
    applied(root)
    names = sorted(c.name for c in sdk.beta.agents.vaults.credentials.list(vault.id).data)
    assert names == ["crm-token", "sandbox"]

    # drift: renamed by hand; seen as drift and put back
    sdk.beta.agents.vaults.update(vault.id, name="renamed")
    code, out = cli(root, "diff")
    assert code == 2 and "drift" in out and "renamed" in out, out
    applied(root)
    assert sdk.beta.agents.vaults.retrieve(vault.id).name == "crm"

    # prune: the spec removed; an orphan until --prune, and the other project's vault is never touched
    (root / "specs" / "crm.yaml").unlink()
    code, out = cli(root, "diff")
    assert code == 0 and "orphan: vault `crm`" in out, out
    applied(root, "--prune")
    assert [v.id for v in sdk.beta.agents.vaults.list().data] == [foreign.id]


def test_skill_drift_keep_versions_pin_prune_and_ownership(
    root: Path, sdk: openai.OpenAI, tmp_path: Path
) -> None:
    write(root / "specs" / "grammar.yaml", SKILL)
    write(
        root / "specs" / "tutor-env.yaml",
        "version: 1\nkind: environment\nname: tutor-env\nskills: [grammar]\n",
    )
    for body in ("one", "two", "three"):
        write_skill(root, body)
        applied(root)
    skill = sdk.skills.list().data[0]
    assert [v.version for v in sdk.skills.versions.list(skill.id, order="asc").data] == ["1", "2", "3"]

    # drift: the default version moved by hand; diff names the file, apply puts the default back
    sdk.skills.update(skill.id, default_version="1")
    code, out = cli(root, "diff")
    assert code == 2 and "drift" in out and "SKILL.md" in out, out
    applied(root)
    assert sdk.skills.retrieve(skill.id).default_version == "3"

    # an explicit pin of the previous version: the template only, instantly (no upload)
    write(
        root / "specs" / "tutor-env.yaml",
        "version: 1\nkind: environment\nname: tutor-env\nskills: [{name: grammar, version: 2}]\n",
    )
    code, out = cli(root, "diff")
    assert code == 2 and "~ environment tutor-env" in out and "~ skill grammar" not in out, out
    applied(root)
    template = sdk.beta.agents.environments.templates.list().data[0]
    assert [(s.skill_id, s.version) for s in template.skills] == [(skill.id, "2")]  # type: ignore[union-attr]

    # keep_versions alone: planned, and apply keeps only that many (versions 1 and 2 pruned: 2 was the pin)
    write(
        root / "specs" / "tutor-env.yaml",
        "version: 1\nkind: environment\nname: tutor-env\nskills: [grammar]\n",
    )
    write(root / "specs" / "grammar.yaml", SKILL.replace("keep_versions: 3", "keep_versions: 1"))
    code, out = cli(root, "diff")
    assert code == 2 and "keep_versions" in out, out
    applied(root)
    kept = [v.version for v in sdk.skills.versions.list(skill.id, order="asc").data]
    assert len(kept) == 1 and sdk.skills.retrieve(skill.id).default_version == kept[0]
    template = sdk.beta.agents.environments.templates.list().data[0]
    assert [(s.skill_id, s.version) for s in template.skills] == [
        (skill.id, kept[0])
    ]  # re-pinned, same apply

    # a saved plan is refused once the folder changed after it was made; nothing is uploaded
    write_skill(root, "four")
    plan = tmp_path / "plan.json"
    assert cli(root, "diff", "--out", str(plan)).exit_code == 2
    write_skill(root, "five")
    code, out = cli(root, "apply", "--yes", str(plan))
    assert code == 1 and "skill folder `skills/grammar` changed since the plan was made" in out, out
    assert [v.version for v in sdk.skills.versions.list(skill.id, order="asc").data] == kept

    # prune, and ownership: an unmanaged skill is never touched
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("other/SKILL.md", "---\nname: other\ndescription: not ours\n---\n")
    unmanaged = sdk.skills.create(files=("skill.zip", buffer.getvalue(), "application/zip"))
    (root / "specs" / "grammar.yaml").unlink()
    (root / "specs" / "tutor-env.yaml").unlink()
    applied(root, "--prune")
    assert [s.id for s in sdk.skills.list().data] == [unmanaged.id]


def test_unmanaged_automation_is_never_touched(root: Path, sdk: openai.OpenAI) -> None:
    agent = sdk.beta.agents.create(model="gpt-5.4")
    other = sdk.beta.agents.automations.create(
        type="periodic",
        name="not ours",
        expression="0 7 * * *",
        timezone="UTC",
        target={
            "type": "new_session",
            "agent_id": agent.id,
            "environment": {"type": "none"},
            "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}],
        },
    )
    write_spec(root, "analyst")
    write(
        root / "specs" / "digest.yaml",
        """\
version: 1
kind: automation
name: digest
type: once
run_at: "2027-01-01T07:00:00Z"
target: {agent: analyst, input: "Go."}
""",
    )
    applied(root)
    assert cli(root, "destroy", "--yes").exit_code == 0
    assert [a.id for a in sdk.beta.agents.automations.list().data] == [other.id]
    assert sdk.beta.agents.automations.retrieve(other.id).status == "active"


def test_credential_reference_forms_and_drift_by_name(root: Path, sdk: openai.OpenAI) -> None:
    write(root / "specs" / "crm.yaml", VAULT)
    write(root / "specs" / "billing.yaml", SECOND_VAULT)
    write_spec(root, "analyst", tools=[{**MCP, "credential": "crm/crm-token"}])
    out = applied(root)
    crm = next(v for v in sdk.beta.agents.vaults.list().data if v.name == "crm")
    billing = next(v for v in sdk.beta.agents.vaults.list().data if v.name == "billing")
    wanted = sdk.beta.agents.vaults.credentials.list(crm.id).data[0].id
    agent = sdk.beta.agents.list().data[0]
    assert next(t for t in agent.tools if t.type == "mcp").credential_id == wanted, out

    # drift: the tool pointed at another vault's credential by hand; shown by name, and put back
    other = sdk.beta.agents.vaults.credentials.list(billing.id).data[0].id
    tools = [t.model_dump(exclude_none=True) for t in agent.tools]
    for tool in tools:
        if tool["type"] == "mcp":
            tool["credential_id"] = other
    sdk.beta.agents.update(agent.id, tools=tools)  # type: ignore[arg-type]
    code, out = cli(root, "diff")
    assert (
        code == 2 and '"credential": "billing/crm-token"' in out and '"credential": "crm/crm-token"' in out
    ), out
    assert other not in out
    applied(root)
    agent = sdk.beta.agents.retrieve(agent.id)
    assert next(t for t in agent.tools if t.type == "mcp").credential_id == wanted


def test_unknown_and_ambiguous_references_are_diagnosed_at_their_line(root: Path, sdk: openai.OpenAI) -> None:
    write(root / "specs" / "crm.yaml", VAULT)
    write(root / "specs" / "billing.yaml", SECOND_VAULT)
    write_spec(root, "analyst", tools=[MCP])  # `crm-token` is in both vaults
    write_spec(root, "helper", tools=[{**MCP, "credential": "crm/crm-tokn"}])
    write(
        root / "specs" / "tutor-env.yaml",
        "version: 1\nkind: environment\nname: tutor-env\nskills: [gramar]\n",
    )
    for command in ("validate", "diff"):
        code, out = cli(root, command)
        assert code == 1, out
        assert "specs/analyst.yaml:" in out and "credential `crm-token` is in several vaults" in out, out
        assert "specs/helper.yaml:" in out and "vault `crm` has no credential `crm-tokn`" in out, out
        assert "specs/tutor-env.yaml:4" in out and "unknown skill `gramar`" in out, out
    assert sdk.beta.agents.list().data == [] and sdk.beta.agents.vaults.list().data == []


def test_a_recreated_credential_is_re_pointed_in_the_same_apply(root: Path, sdk: openai.OpenAI) -> None:
    write(root / "specs" / "crm.yaml", VAULT)
    write_spec(root, "analyst", tools=[MCP])
    applied(root)
    vault = sdk.beta.agents.vaults.list().data[0]
    first = sdk.beta.agents.vaults.credentials.list(vault.id).data[0].id
    # a new server URL: the API keeps a credential's method and URL, so the credential is made again
    write(
        root / "specs" / "crm.yaml",
        VAULT.replace(
            'mcp_server_url: "https://mcp.example.com"', 'mcp_server_url: "https://mcp2.example.com"'
        ),
    )
    code, out = cli(root, "diff")
    assert code == 2 and "~ vault crm" in out and "~ agent analyst" in out and "credential_settings" in out, (
        out
    )
    applied(root)
    second = sdk.beta.agents.vaults.credentials.list(vault.id).data[0].id
    agent = sdk.beta.agents.list().data[0]
    assert second != first and next(t for t in agent.tools if t.type == "mcp").credential_id == second


def test_a_new_value_at_the_source_is_a_rotation(
    root: Path, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(root / "specs" / "crm.yaml", VAULT)
    applied(root)
    monkeypatch.setenv("CRM_TOKEN", SENTINEL + "-new")  # revision unchanged: noticed by its salted digest
    code, out = cli(root, "diff")
    assert code == 2 and "~ credential crm-token: (secret changed)" in out, out
    applied(root)
    monkeypatch.delenv("CRM_TOKEN")  # diff needs no secret: without it, nothing to compare, nothing shown
    assert cli(root, "diff").exit_code == 0
