"""Preview environments (`--preview NAME`): the real CLI against the embedded emulator (assistants) and a
served one (agents kinds), read back over the real SDK or the emulator's own database."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import openai
import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.agent_kinds import VAULT
from tests.support.projects import make_project, run_in, write, write_spec


def live(root: Path) -> dict[str, tuple[str, str]]:
    """owner label -> (API name, hash value) of every assistant of the embedded target."""
    db = sqlite3.connect(root / ".orchestrator" / "local.db")
    try:
        rows = db.execute("select body from objects where kind = 'assistant'").fetchall()
    finally:
        db.close()
    found = {}
    for (body,) in rows:
        data = json.loads(body)
        found[data["metadata"]["orchestrator.owner"]] = (data["name"], data["metadata"]["orchestrator.hash"])
    return found


def cli(root: Path, *args: str) -> tuple[int, str]:
    """run_in (no traceback), as a tuple the tests compare whole."""
    code, out = run_in(root, *args)
    assert "Traceback" not in out
    return code, out


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project")
    write_spec(root, "tutor")
    write_spec(root, "analyst")
    return root


def test_a_preview_lives_beside_the_environment_and_never_touches_it(root: Path) -> None:
    assert cli(root, "apply", "--yes")[0] == 0
    env_objects = live(root)
    code, out = cli(root, "diff", "--preview", "pr-1")
    assert code == 2 and "2 to create" in out and '"tutor [preview pr-1]"' in out, out
    assert cli(root, "apply", "--preview", "pr-1", "--yes")[0] == 0
    after = live(root)
    assert {k: v for k, v in after.items() if "/dev/" in k} == env_objects  # the environment is untouched
    assert after["test-project/dev~preview-pr-1/tutor"][0] == "tutor [preview pr-1]"
    assert ";at=" in after["test-project/dev~preview-pr-1/tutor"][1]  # the last apply is dated
    # neither sees the other: no orphans, no drift, no changes
    assert cli(root, "diff", "--preview", "pr-1") == (0, cli(root, "diff", "--preview", "pr-1")[1])
    code, out = cli(root, "diff", "--prune")
    assert code == 0 and "No changes" in out, out
    code, out = cli(root, "list")
    assert code == 0 and "orphaned" not in out and "PREVIEW" in out and "pr-1" in out, out
    code, out = cli(root, "list", "-o", "json")
    assert code == 0 and {r["status"] for r in json.loads(out)} == {"in sync"}, out
    # a spec change: the preview shows an update, then applies it
    write_spec(root, "tutor", instructions="You are a better tutor.")
    code, out = cli(root, "diff", "--preview", "pr-1")
    assert code == 2 and "1 to update" in out, out
    assert cli(root, "apply", "--preview", "pr-1", "--yes")[0] == 0
    assert {k: v for k, v in live(root).items() if "/dev/" in k} == env_objects
    # destroy --preview removes exactly the preview; the environment's destroy never the previews
    assert cli(root, "apply", "--preview", "pr-2", "--yes")[0] == 0
    code, out = cli(root, "destroy", "--preview", "pr-1", "--yes")
    assert code == 0, out
    assert sorted(live(root)) == sorted(
        [*env_objects, "test-project/dev~preview-pr-2/analyst", "test-project/dev~preview-pr-2/tutor"]
    )
    code, out = cli(root, "destroy", "--yes")
    assert code == 0 and "not its objects and stay: pr-2" in out, out
    assert sorted(live(root)) == [
        "test-project/dev~preview-pr-2/analyst",
        "test-project/dev~preview-pr-2/tutor",
    ]
    code, out = cli(root, "destroy", "--preview", "pr-1", "--yes")
    assert code == 0 and "preview pr-1 of environment dev" in out, out


@pytest.mark.parametrize("name", ["PR-1", "pr_1", "-pr", "pr-", "a" * 33, "../x", "pr 1"])
def test_a_bad_preview_name_is_refused_before_anything_is_read(root: Path, name: str) -> None:
    for command in ("diff", "apply", "destroy", "list", "test"):
        code, out = cli(
            root, command, "--preview", name, *(["--yes"] if command in ("apply", "destroy") else [])
        )
        assert code == 1 and "lowercase letters, digits and dashes" in out, (command, out)
    assert not (root / ".orchestrator" / "local.db").exists() or live(root) == {}


def test_a_saved_plan_records_its_preview(root: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    assert cli(root, "diff", "--preview", "pr-1", "--out", str(plan))[0] == 2
    assert json.loads(plan.read_text())["environment"] == "dev~preview-pr-1"
    code, out = cli(root, "apply", "--preview", "pr-2", str(plan), "--yes")
    assert code == 1 and "made for preview pr-1" in out and "nothing was changed" in out, out
    code, out = cli(root, "apply", str(plan), "--yes")
    assert code == 0 and "applying it to the preview" in out, out
    assert sorted(live(root)) == [
        "test-project/dev~preview-pr-1/analyst",
        "test-project/dev~preview-pr-1/tutor",
    ]
    env_plan = tmp_path / "env.json"
    assert cli(root, "diff", "--out", str(env_plan))[0] == 2
    code, out = cli(root, "apply", "--preview", "pr-1", str(env_plan), "--yes")
    assert code == 1 and "made for environment dev, not for preview pr-1" in out, out
    assert len(live(root)) == 2  # nothing of the environment was created


def test_a_preview_plan_is_refused_for_another_environment(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", extra_environments={"prod": {"target": "main"}})
    write_spec(root, "tutor")
    plan = tmp_path / "plan.json"
    assert cli(root, "diff", "--preview", "pr-1", "--out", str(plan))[0] == 2
    code, out = cli(root, "apply", "-e", "prod", str(plan), "--yes")
    assert code == 1 and "preview pr-1 of environment dev" in out and "-e dev" in out, out
    assert not (root / ".orchestrator" / "local.db").exists() or live(root) == {}


def test_the_sweeper_removes_previews_not_applied_for_longer_than_the_bound(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator.app import previews

    assert cli(root, "apply", "--yes")[0] == 0
    for name in ("stale", "busy"):
        assert cli(root, "apply", "--preview", name, "--yes")[0] == 0
    start = time.time() + 1  # after every create: ages below are at least the days named
    monkeypatch.setattr(previews, "now", lambda: start + 6 * 86400)
    write_spec(root, "tutor", instructions="Updated on day six.")
    assert cli(root, "apply", "--preview", "busy", "--yes")[0] == 0  # busy: updated, dated day six
    monkeypatch.setattr(previews, "now", lambda: start + 8 * 86400)
    code, out = cli(root, "list", "--previews")
    assert code == 0 and "busy" in out and "stale" in out and "8d" in out and "2d" in out, out
    code, out = cli(root, "destroy", "--previews", "--older-than", "7d")
    assert code == 1 and "needs --yes" in out and "stale (8d)" in out, out
    code, out = cli(root, "destroy", "--previews", "--older-than", "7d", "--yes")
    assert code == 0, out
    owners = sorted(live(root))
    assert not any("~preview-stale/" in o for o in owners)
    assert sum("~preview-busy/" in o for o in owners) == 2 and sum("/dev/" in o for o in owners) == 2
    code, out = cli(root, "destroy", "--previews", "--older-than", "7d", "--yes")
    assert code == 0 and "No preview of environment dev" in out, out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--previews"], "--previews needs --older-than"),
        (["--older-than", "7d"], "--older-than needs --previews"),
        (["--previews", "--older-than", "seven days"], "expected a number and a unit"),
        (["--previews", "--older-than", "7d", "--preview", "pr-1"], "pass one of them"),
    ],
)
def test_bad_sweeper_flags_are_refused(root: Path, args: list[str], message: str) -> None:
    code, out = cli(root, "destroy", "--yes", *args)
    assert code == 1 and message in out, out


AGENT_KINDS = {
    "crm.yaml": VAULT,
    "daily-digest.yaml": """\
        version: 1
        kind: automation
        name: daily-digest
        type: periodic
        expression: "0 7 * * *"
        timezone: Europe/Madrid
        target: {agent: analyst, vaults: [crm], input: "Summarise yesterday's KPIs."}
        """,
}


def test_an_agents_preview_copies_every_kind_with_its_automations_paused(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    monkeypatch.setenv("CRM_TOKEN", "token-value-for-the-preview-test")
    root = make_project(tmp_path / "project", base_url=served.base_url, backend="agents")
    write_spec(root, "analyst")
    for name, text in AGENT_KINDS.items():
        write(root / "specs" / name, text)
    assert cli(root, "apply", "--yes")[0] == 0
    code, out = cli(root, "apply", "--preview", "pr-7", "--yes")
    assert code == 0, out
    automations = {a.metadata["orchestrator.owner"]: a for a in sdk.beta.agents.automations.list().data}
    assert automations["test-project/dev/daily-digest"].status != "paused"
    preview = automations["test-project/dev~preview-pr-7/daily-digest"]
    assert preview.status == "paused" and preview.name == "daily-digest [preview pr-7]"
    vaults = [v.metadata["orchestrator.owner"] for v in sdk.beta.agents.vaults.list().data]
    assert sorted(vaults) == ["test-project/dev/crm", "test-project/dev~preview-pr-7/crm"]
    assert cli(root, "diff", "--preview", "pr-7")[0] == 0
    assert cli(root, "diff", "--prune")[0] == 0
    code, out = cli(root, "destroy", "--preview", "pr-7", "--yes")
    assert code == 0, out
    assert [a.metadata["orchestrator.owner"] for a in sdk.beta.agents.automations.list().data] == [
        "test-project/dev/daily-digest"
    ]
    assert cli(root, "diff")[0] == 0


TEST_SPEC = """
    version: 1
    kind: test
    name: tutor-test
    spec: tutor
    cases:
      - name: greets
        turns:
          - user: "Hola"
            model:
              - reply: "Hola, soy tu tutor"
            expect:
              - reply: {contains: "tutor"}
"""


def test_test_preview_talks_to_the_preview_and_creates_no_copies(root: Path) -> None:
    write(root / "specs" / "tutor-test.yaml", TEST_SPEC)
    assert cli(root, "apply", "--preview", "pr-3", "--yes")[0] == 0
    before = live(root)
    code, out = cli(root, "test", "--preview", "pr-3")
    assert code == 0 and "1 passed" in out, out
    assert live(root) == before and "Created" not in out
    code, out = cli(root, "test", "--preview", "pr-4")
    assert code == 1, out  # no such preview: nothing to talk to


# -- pure pieces ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, seconds", [("30s", 30), ("45m", 2700), ("12h", 43200), ("7d", 604800), ("2w", 1209600), ("0s", 0)]
)
def test_durations_are_a_number_and_a_unit(text: str, seconds: int) -> None:
    from orchestrator.app.previews import parse_duration

    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["7", "d", "7 days", "-1d", "1.5h", "7D", "9999999d"])
def test_a_bad_duration_is_refused(text: str) -> None:
    from orchestrator.app.previews import parse_duration
    from orchestrator.errors import OrchestratorError

    with pytest.raises(OrchestratorError, match="expected a number and a unit"):
        parse_duration(text)


def test_a_preview_owner_environment_is_told_apart_from_environments_and_test_copies() -> None:
    from orchestrator.engine.ownership import apply_hint, split_preview

    assert split_preview("dev~preview-pr-1") == ("dev", "pr-1")
    assert split_preview("dev~preview-test") == ("dev", "test")
    for other in ("dev", "dev~test", "~preview-pr-1", "dev~preview-", "dev~preview-PR", "dev~preview-a/b"):
        assert split_preview(other) is None, other
    assert apply_hint("dev~preview-pr-1") == "orchestrator apply -e dev --preview pr-1"
    assert apply_hint("dev") == "orchestrator apply -e dev"


def test_the_apply_time_rides_in_the_hash_beside_claim_and_revision_and_is_no_change() -> None:
    from orchestrator.engine.ownership import (
        HASH_KEY,
        parse_applied_at,
        parse_claim,
        parse_digests,
        parse_revision,
        with_applied_at,
        with_claim,
        with_revision,
    )

    stamped = {HASH_KEY: "aaa.bbb"}
    stamped = with_applied_at(
        with_revision(with_claim(stamped, "0123456789abcdef"), "abcdef1"), 1_796_000_000
    )
    assert stamped[HASH_KEY] == "aaa.bbb;claim=0123456789abcdef;rev=abcdef1;at=1796000000"
    assert parse_applied_at(stamped) == 1_796_000_000 and parse_claim(stamped) == "0123456789abcdef"
    assert parse_revision(stamped) == "abcdef1" and parse_digests(stamped).full == "aaa"
    assert parse_applied_at({HASH_KEY: "aaa.bbb;at=soon"}) is None and parse_applied_at({}) is None


def test_a_missing_preview_names_the_command_that_makes_it(root: Path) -> None:
    write(root / "specs" / "tutor-test.yaml", TEST_SPEC)
    code, out = cli(root, "test", "--preview", "pr-5")
    assert code == 1 and "run `orchestrator apply -e dev --preview pr-5` first" in out, out


def test_run_preview_talks_to_the_preview_copy(root: Path) -> None:
    assert cli(root, "apply", "--preview", "pr-8", "--yes")[0] == 0
    result = run_in(root, "run", "tutor", "--preview", "pr-8", "-m", "hola", "--output", "json")
    assert result.exit_code == 0, result.output
    run_id = json.loads(result.stdout)["run_id"]
    assert (
        _bodies(root, "thread.run")[run_id]["assistant_id"]
        == _owned(root)["test-project/dev~preview-pr-8/tutor"]
    )
    code, out = cli(root, "run", "tutor", "--preview", "pr-9", "-m", "hola")
    assert code == 1 and "orchestrator apply -e dev --preview pr-9" in out, out


def _bodies(root: Path, kind: str) -> dict[str, dict]:
    db = sqlite3.connect(root / ".orchestrator" / "local.db")
    try:
        rows = db.execute("select body from objects where kind = ?", (kind,)).fetchall()
    finally:
        db.close()
    return {body["id"]: body for body in (json.loads(b) for (b,) in rows)}


def _owned(root: Path) -> dict[str, str]:
    return {b["metadata"]["orchestrator.owner"]: i for i, b in _bodies(root, "assistant").items()}


def test_a_long_name_keeps_its_preview_suffix_within_256_bytes() -> None:
    from dataclasses import dataclass

    from orchestrator.app.previews import _renamed

    @dataclass(frozen=True)
    class Named:
        display_name: str

    renamed = _renamed(Named("ñ" * 200), " [preview pr-1]").display_name
    assert renamed.endswith(" [preview pr-1]") and len(renamed.encode("utf-8")) <= 256
