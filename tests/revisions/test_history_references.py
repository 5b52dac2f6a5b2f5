"""A spec built at a past revision sees the specs it refers to at that same revision: an agent's MCP
credential names a vault spec, its `environment` an environment spec, an environment's `skills` skill specs,
an automation its agent, environment and vaults. `history`, `history --diff`, `rollback` and `apply --rev`
build them from the revision's tree. A real git repository, the real CLI, the embedded emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.engine.revisions import spec_files_named
from orchestrator.spec.project import load_project
from tests.revisions.conftest import Repo, new_repo
from tests.support.agent_kinds import SKILL, WORK_ENVIRONMENT, WORK_MCP, WORK_VAULT, write_work_kinds
from tests.support.projects import make_project, write, write_spec


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """w1: analyst (MCP credential crm/token, environment work-env), crm, work-env, digest; w2: analyst's
    instructions change; w3: only the vault changes (a new credential); w4: analyst uses the new one."""
    monkeypatch.setenv("CRM_TOKEN", "crm-secret-value")
    repo = new_repo(tmp_path / "repo", base_url=None, backend="agents")
    root = repo.project
    write(root / ".gitignore", ".orchestrator/\n")
    write_work_kinds(root)
    repo.commit("w1", "Analyst with the CRM")
    write_spec(root, "analyst", environment="work-env", tools=WORK_MCP, instructions="You analyse the CRM.")
    repo.commit("w2", "Analyst: about the CRM")
    write(
        root / "specs" / "crm.yaml",
        WORK_VAULT
        + "  - name: reports\n    revision: 1\n"
        + '    auth: {type: static_bearer, mcp_server_url: "https://reports.example.com", '
        + "token: {from_env: CRM_TOKEN}}\n",
    )
    repo.commit("w3", "CRM vault: a reports credential")
    tools = [{**WORK_MCP[0], "credential": "crm/reports"}]
    write_spec(root, "analyst", environment="work-env", tools=tools, instructions="You analyse the CRM.")
    repo.commit("w4", "Analyst: the reports credential")
    return repo


def test_history_of_an_agent_whose_mcp_credential_names_a_vault(work: Repo) -> None:
    c = work.commits
    result = work.cli("history", "analyst", "-o", "json")
    assert result.exit_code == 0, result.output
    revisions = json.loads(result.stdout)["revisions"]
    assert [r["commit"] for r in revisions] == [c["w4"], c["w2"], c["w1"]]
    assert all(r["valid"] for r in revisions), revisions
    shown = work.cli("history", "analyst")
    assert shown.exit_code == 0 and "does not validate" not in shown.output, shown.output


def test_history_diff_of_an_agent_whose_mcp_credential_names_a_vault(work: Repo) -> None:
    c = work.commits
    for label in ("w2", "w4"):
        result = work.cli("history", "analyst", "--diff", c[label], "-o", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["change"]["action"] == "update"
    result = work.cli("history", "analyst", "--diff", "HEAD~1")  # w3: the vault changed, not the agent
    assert result.exit_code == 0, result.output
    assert "not a vault spec" not in result.output
    assert "crm-secret-value" not in result.output


def test_a_commit_to_the_vault_alone_is_listed_when_it_changes_the_agents_payload(work: Repo) -> None:
    """w5 moves the credential the analyst uses to another MCP server: the analyst's payload changes."""
    text = (work.project / "specs" / "crm.yaml").read_text(encoding="utf-8")
    write(work.project / "specs" / "crm.yaml", text.replace("reports.example.com", "reports2.example.com"))
    c = work.commits
    work.commit("w5", "CRM vault: reports moved")
    result = work.cli("history", "analyst", "-o", "json")
    assert result.exit_code == 0, result.output
    revisions = json.loads(result.stdout)["revisions"]
    assert [r["commit"] for r in revisions] == [c["w5"], c["w4"], c["w2"], c["w1"]]
    assert revisions[0]["files"] == ["specs/crm.yaml"]
    diff = work.cli("history", "analyst", "--diff", "HEAD", "-o", "json")
    assert diff.exit_code == 0 and json.loads(diff.stdout)["change"]["action"] == "update", diff.output


def test_rollback_and_apply_rev_of_an_agent_whose_mcp_credential_names_a_vault(work: Repo) -> None:
    c = work.commits
    applied = work.cli("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    back = work.cli("rollback", "analyst", "--yes")
    assert back.exit_code == 0, back.output
    rows = {r["name"]: r for r in json.loads(work.cli("list", "-o", "json").stdout)}
    # w3 (the vault's new credential) deploys the analyst of w2: the newest revision with w2's payload
    assert rows["analyst"]["revision"]["commit"] == c["w3"]
    data = json.loads(work.cli("history", "analyst", "-o", "json").stdout)
    assert [r["commit"] for r in data["revisions"] if r["live"]] == [c["w2"]]
    at = work.cli("apply", "--rev", c["w2"], "--yes")
    assert at.exit_code == 0, at.output
    assert "crm-secret-value" not in back.output + at.output


def test_a_spec_at_a_revision_is_read_with_the_specs_it_refers_to(tmp_path: Path) -> None:
    """What a build of some specs reads (engine.revisions.spec_files_named): the specs they refer to, at any
    depth, and no other; a spec that refers to nothing, only its own file."""
    root = make_project(tmp_path / "p", backend="agents")
    write_work_kinds(root)  # analyst -> work-env, crm; digest -> analyst, work-env, crm
    write(root / "specs" / "work-env.yaml", WORK_ENVIRONMENT + "skills: [grammar]\n")
    write(root / "specs" / "grammar.yaml", SKILL)
    write(root / "specs" / "other.yaml", WORK_VAULT.replace("name: crm", "name: other"))
    write_spec(root, "helper", instructions="You help.")
    write_spec(root, "bare", tools=[{**WORK_MCP[0], "credential": "token"}])
    project, _ = load_project(root)
    assert project is not None

    def read(*names: str) -> set[str]:
        files, complete = spec_files_named(project, set(names), referred=True)
        assert complete
        return {path.stem for path in files}

    assert read("helper") == {"helper"}
    assert read("analyst") == {"analyst", "work-env", "grammar", "crm"}
    assert read("digest") == {"digest", "analyst", "work-env", "grammar", "crm"}
    assert read("bare") == {"bare", "crm", "other"}  # a bare credential name: any vault may hold it
    assert {p.stem for p in spec_files_named(project, {"analyst"})[0]} == {"analyst"}
