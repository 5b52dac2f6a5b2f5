"""Issue 28, item 6: every secret a planned write needs is checked before the first write (presence only).

Real CLI, real served emulator (agents target): a vault whose credential comes from a variable that is not
set is a warning of `diff` (a pull request plans without write secrets) and an error of `apply`, which then
writes nothing at all; an object half made by an earlier failure is named as such, not as a hand edit.
"""

from __future__ import annotations

import os
from pathlib import Path

import openai
import pytest

from tests.agent_kinds.test_cli import AUTOMATION, SENTINEL, VAULT, cli
from tests.support.projects import write

VAULT2 = VAULT.replace("name: crm\n", "name: crm2\n").replace("crm-token", "crm2-token")


def _second_vault(root: Path, source: str) -> None:
    write(root / "specs" / "crm2.yaml", VAULT2.replace("{from_env: CRM_TOKEN}", source))
    write(root / "specs" / "daily-digest.yaml", AUTOMATION.replace("vaults: [crm]", "vaults: [crm, crm2]"))


def _nothing_live(sdk: openai.OpenAI) -> bool:
    return (
        sdk.beta.agents.vaults.list().data == []
        and sdk.beta.agents.list().data == []
        and sdk.beta.agents.automations.list().data == []
        and sdk.skills.list().data == []
    )


def test_a_missing_variable_warns_in_diff_and_apply_writes_nothing(
    kinds_project: Path, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = kinds_project
    monkeypatch.delenv("CRM2_TOKEN", raising=False)
    _second_vault(root, "{from_env: CRM2_TOKEN}")
    code, out = cli(root, "diff")
    assert code == 2, out
    assert (
        "secret not available here (apply refuses until it is): specs/crm2.yaml:7: vault `crm2`, "
        "credential `crm2-token`: environment variable `CRM2_TOKEN` is not set"
    ) in out
    assert "CRM_TOKEN`" not in out.replace("CRM2_TOKEN`", ""), "the variable that is set is not named"
    code, out = cli(root, "diff", "--output", "markdown")
    assert code == 2 and "`CRM2_TOKEN` is not set" in out, out

    code, out = cli(root, "apply", "--yes")
    assert code == 1, out
    assert "error: 1 secret this plan writes is not available; nothing was changed:" in out
    assert (
        "specs/crm2.yaml:7: vault `crm2`, credential `crm2-token`: environment variable `CRM2_TOKEN`" in out
    )
    assert "FAILED" not in out and ": created (" not in out
    assert _nothing_live(sdk), "nothing at all is written, not even the resources that need no secret"

    code, out = cli(root, "apply", "--yes", "-o", "json")
    assert code == 1 and "nothing was changed" in out and _nothing_live(sdk)


def test_a_saved_plan_is_checked_again_where_it_is_applied(
    kinds_project: Path, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The plan job of a pull request has no write secrets; the apply job has them, or is refused whole."""
    root = kinds_project
    monkeypatch.delenv("CRM2_TOKEN", raising=False)
    _second_vault(root, "{from_env: CRM2_TOKEN}")
    plan = tmp_path / "plan.json"
    code, out = cli(root, "diff", "--out", str(plan))
    assert code == 2 and "`CRM2_TOKEN` is not set" in out, out
    code, out = cli(root, "apply", "--yes", str(plan))
    assert code == 1, out
    assert "vault `crm2`, credential `crm2-token`: environment variable `CRM2_TOKEN` is not set" in out
    assert _nothing_live(sdk)
    monkeypatch.setenv("CRM2_TOKEN", SENTINEL + "-2")
    code, out = cli(root, "apply", "--yes", str(plan))
    assert code == 0, out
    assert "secret not available" not in out, "the warning of where the plan was made is not repeated"
    assert len(sdk.beta.agents.vaults.list().data) == 2
    assert cli(root, "diff").exit_code == 0


@pytest.mark.parametrize("problem", ["missing", "directory", "empty", "unreadable"])
def test_a_secret_file_that_cannot_be_read_refuses_apply(
    kinds_project: Path, sdk: openai.OpenAI, tmp_path: Path, problem: str
) -> None:
    root = kinds_project
    secret = tmp_path / "secrets" / "crm2.token"
    secret.parent.mkdir()
    if problem == "directory":
        secret.mkdir()
    elif problem == "empty":
        secret.write_text("")
    elif problem == "unreadable":
        secret.write_text("value")
        secret.chmod(0)
        if os.access(secret, os.R_OK):
            pytest.skip("running as a user who reads every file (root)")
    _second_vault(root, f"{{from_file: {secret}}}")
    code, out = cli(root, "apply", "--yes")
    assert code == 1, out
    assert _nothing_live(sdk)
    if problem == "directory":  # refused offline already, as validate refuses it
        assert f"specs/crm2.yaml:7:95: error: `{secret}` is a folder, not a regular file" in out
        return
    why = {"missing": "cannot be found", "empty": "is empty", "unreadable": "is not readable by this user"}[
        problem
    ]
    assert f"specs/crm2.yaml:7: vault `crm2`, credential `crm2-token`: secret file `{secret}` {why}" in out
    assert _nothing_live(sdk)


def test_only_writes_that_read_a_secret_are_checked(
    kinds_project: Path, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vault in sync (or changed only in its name) sends no credential: its secret may be absent."""
    root = kinds_project
    assert cli(root, "apply", "--yes").exit_code == 0
    monkeypatch.delenv("CRM_TOKEN")
    write(
        root / "specs" / "analyst.yaml",
        (root / "specs" / "analyst.yaml").read_text().replace("You are analyst.", "You are the analyst."),
    )
    code, out = cli(root, "apply", "--yes")
    assert code == 0, out
    write(root / "specs" / "crm.yaml", VAULT.replace("revision: 1", "revision: 2"))
    code, out = cli(root, "apply", "--yes")
    assert code == 1 and "environment variable `CRM_TOKEN` is not set" in out, out


def test_a_vault_half_made_by_a_failed_apply_is_incomplete_not_drift(
    kinds_project: Path, sdk: openai.OpenAI, tmp_path: Path
) -> None:
    """A file present at the check but unreadable at the write (not UTF-8) still leaves a vault without its
    credential: the next plan says what happened and apply finishes it."""
    root = kinds_project
    secret = tmp_path / "crm2.token"
    secret.write_bytes(b"\xff\xfe not text")
    _second_vault(root, f"{{from_file: {secret}}}")
    code, out = cli(root, "apply", "--yes")
    assert code == 1 and "vault crm2: FAILED to create" in out and "is not UTF-8 text" in out, out
    code, out = cli(root, "diff")
    assert code == 2, out
    assert (
        "vault crm2" in out
        and "[incomplete: an earlier apply failed before its credentials were written]" in out
    )
    assert "drift" not in out
    code, out = cli(root, "list")
    assert "incomplete" in out and "drifted" not in out, out
    code, out = cli(root, "diff", "-o", "json")
    assert '"reason": "incomplete"' in out and '"drift": false' in out
    secret.write_text("now-text-" + SENTINEL)
    code, out = cli(root, "apply", "--yes")
    assert code == 0, out
    assert cli(root, "diff").exit_code == 0


def test_a_hand_edit_of_a_made_vault_is_still_drift(kinds_project: Path, sdk: openai.OpenAI) -> None:
    root = kinds_project
    assert cli(root, "apply", "--yes").exit_code == 0
    [vault] = sdk.beta.agents.vaults.list().data
    sdk.beta.agents.vaults.update(vault.id, name="renamed by hand")
    code, out = cli(root, "diff")
    assert code == 2 and "drift: the live object was edited outside orchestrator" in out, out
    assert "incomplete" not in out


def test_the_mcp_apply_tool_checks_the_secrets_too(
    kinds_project: Path, sdk: openai.OpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.mcp.conftest import Session, over_stdio, server_env

    root = kinds_project
    monkeypatch.delenv("CRM2_TOKEN", raising=False)
    _second_vault(root, "{from_env: CRM2_TOKEN}")

    async def scenario(session: Session) -> tuple:
        plan = await session.ok("diff")
        return plan, await session.fails("apply", {"plan_id": plan["plan_id"]})

    env = {k: v for k, v in server_env(CRM_TOKEN=SENTINEL).items() if k != "CRM2_TOKEN"}
    plan, refused = over_stdio(root, scenario, "--allow-apply", errlog=tmp_path / "mcp.log", env=env)
    assert any("`CRM2_TOKEN` is not set" in w for w in plan["warnings"])
    assert "1 secret(s) this plan writes are not available; nothing was changed" in refused["error"]
    assert refused["missing_secrets"] == [
        "vault `crm2`, credential `crm2-token`: environment variable `CRM2_TOKEN` is not set"
    ]
    assert _nothing_live(sdk)


@pytest.mark.slow
def test_watch_writes_nothing_while_a_secret_its_plan_needs_is_missing(
    kinds_project: Path, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.watch.conftest import WatchProcess, wait_until

    root = kinds_project
    monkeypatch.delenv("CRM2_TOKEN", raising=False)
    _second_vault(root, "{from_env: CRM2_TOKEN}")
    watch = WatchProcess(["-C", str(root), "--resync", "0"], cwd=root)
    try:
        wait_until(lambda: "`CRM2_TOKEN` is not set" in watch.output, what="the missing secret reported")
        assert _nothing_live(sdk), watch.output
    finally:
        watch.stop()
    assert SENTINEL not in watch.output
