"""`orchestrator import` of live objects carrying secrets or terminal tricks (issue 25): a known secret in
live data is a refusal naming the field, never a file or a line of output; names are shown escaped,
one line each."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from tests.conftest import TEST_KEY
from tests.support.projects import run_cli

VAULT_SECRET = "vault-s3cr3t-SENTINEL-4d2e"


def files_under(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".orchestrator" not in p.parts
    }


@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry-run"])
def test_live_metadata_holding_the_api_key_is_refused_not_written(
    project: Path, sdk: openai.OpenAI, dry_run: bool
) -> None:
    made = sdk.beta.assistants.create(
        model="gpt-5.4", name="Leaky", instructions="Be brief.", metadata={"note": TEST_KEY, "team": "data"}
    )
    before = files_under(project)
    result = run_cli(["-C", str(project), "import", made.id, *(["--dry-run"] if dry_run else [])])
    assert result.exit_code == 1, result.output
    assert f"error: {made.id}: the live assistant holds a secret value at `/metadata/note`" in result.stderr
    assert "Nothing was written." in result.stderr and "Traceback" not in result.output
    assert TEST_KEY not in result.output
    assert files_under(project) == before


def test_a_vault_secret_in_live_instructions_is_refused(
    project: Path, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_TOKEN", VAULT_SECRET)  # what a vault's `from_env: CRM_TOKEN` reads
    made = sdk.beta.assistants.create(
        model="gpt-5.4", name="Leaky", instructions=f"Call the CRM with token {VAULT_SECRET}."
    )
    before = files_under(project)
    result = run_cli(["-C", str(project), "import", made.id])
    assert result.exit_code == 1, result.output
    assert "secret value at `/instructions`" in result.stderr or "secret value in " in result.stderr
    assert VAULT_SECRET not in result.output and files_under(project) == before


def test_names_with_terminal_escapes_are_shown_escaped_on_one_line(project: Path, sdk: openai.OpenAI) -> None:
    hostile = "Evil\x1b]0;owned\x07 \u202eBot\x00\nPWNED: fake line"
    made = sdk.beta.assistants.create(model="gpt-5.4", name=hostile, instructions="Be brief.")
    for flags in (["--dry-run"], []):
        result = run_cli(["-C", str(project), "import", made.id, *flags])
        assert result.exit_code == 0, result.output
        for char in ("\x1b", "\x07", "\u202e", "\x00"):
            assert char not in result.output
        assert (
            f'  + {made.id} "Evil\\u001b]0;owned\\u0007 \\u202eBot\\u0000\\nPWNED: fake line" -> '
            in result.stdout
        )
        assert not any(line.startswith("PWNED") for line in result.output.splitlines())
