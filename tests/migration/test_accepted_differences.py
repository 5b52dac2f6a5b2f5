"""Issue 29: an environment's `accept:` in orchestrator.yaml acknowledges the fields its target deploys
without (the tutor's `temperature` and `strict` on an Agents API target). Accepted, they are summarised
once by `validate` and kept in the plan's diagnostics, not repeated by every run, list and diff. Driven
through the CLI on a copy of this repository's project and its embedded emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import TEST_KEY
from tests.support.projects import REPO, run_cli
from tests.support.projects import run_in as cli

CALL = (
    '/call generate_exercise {"topic": "subjuntivo", "level": "B1", "kind": "fill_in_the_blank", "count": 2}'
)
UNDEPLOYED = "is not deployed to target `local-agents`"
ACCEPTED = [("/functions/0/strict", 16), ("/functions/1/strict", 21), ("/temperature", 23)]
# the commands run after an apply that used to repeat the accepted warnings every time
AFTER_APPLY = (
    ["diff", "-e", "agents"],
    ["list", "-e", "agents"],
    ["run", "spanish-tutor", "-e", "agents", "-m", CALL],
)


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("ORCHESTRATOR_TODAY", "2026-11-26")


def set_accept(root: Path, environment: str, accept: list[dict[str, str]] | None) -> None:
    data = yaml.safe_load((root / "orchestrator.yaml").read_text(encoding="utf-8"))
    if accept is None:
        data["environments"][environment].pop("accept", None)
    else:
        data["environments"][environment]["accept"] = accept
    (root / "orchestrator.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_without_accept_every_run_list_and_diff_repeats_the_warnings(clone: Path) -> None:
    """The friction itself: with nothing to acknowledge them, the same three warnings come every time."""
    set_accept(clone, "agents", None)
    assert cli(clone, "apply", "-e", "agents", "--yes").exit_code == 0
    for args in AFTER_APPLY:
        result = cli(clone, *args)
        assert result.exit_code == 0, result.output
        assert result.stderr.count(UNDEPLOYED) == 3, (args, result.stderr)


def test_accepted_differences_are_summarised_once_and_not_repeated(clone: Path) -> None:
    validated = cli(clone, "validate", "-e", "agents")
    assert validated.exit_code == 0, validated.output
    assert "warning" not in validated.stderr
    assert (
        "3 accepted differences in environment agents (see orchestrator.yaml:17; `diff -o json` lists them)"
        in validated.stderr
    )

    plan = cli(clone, "diff", "-e", "agents", "-o", "json")
    assert plan.exit_code == 2, plan.output
    assert UNDEPLOYED not in plan.stderr
    found = json.loads(plan.stdout)["diagnostics"]
    assert sorted((d["pointer"], d["line"]) for d in found) == ACCEPTED  # the plan keeps them, for reviewers
    assert {d["code"] for d in found} == {"undeployed"}
    assert {d["hint"] for d in found} == {
        "accepted in environment `agents` (orchestrator.yaml:18)",
        "accepted in environment `agents` (orchestrator.yaml:19)",
    }

    applied = cli(clone, "apply", "-e", "agents", "--yes")
    assert applied.exit_code == 0, applied.output
    assert UNDEPLOYED not in applied.stderr
    for args in AFTER_APPLY:
        result = cli(clone, *args)
        assert result.exit_code == 0, result.output
        assert "warning" not in result.stderr, (args, result.stderr)


def test_the_repos_agents_and_prod_environments_validate_without_warnings() -> None:
    for environment in ("agents", "prod"):
        result = run_cli(["-C", str(REPO), "validate", "-e", environment])
        assert result.exit_code == 0, result.output
        assert "warning" not in result.stderr, result.stderr
        assert f"3 accepted differences in environment {environment}" in result.stderr


def test_an_acceptance_covers_only_its_spec_and_environment(clone: Path) -> None:
    analyst = yaml.safe_load((clone / "specs" / "retail-analyst.yaml").read_text(encoding="utf-8"))
    analyst["temperature"] = 0.2
    (clone / "specs" / "retail-analyst.yaml").write_text(
        yaml.safe_dump(analyst, sort_keys=False), encoding="utf-8"
    )
    result = cli(clone, "validate", "-e", "agents", "-o", "json")
    assert result.exit_code == 0, result.output
    [left] = json.loads(result.stdout)
    assert (left["file"], left["pointer"], left["code"]) == (
        "specs/retail-analyst.yaml",
        "/temperature",
        "undeployed",
    )
    # the same field accepted for every spec of the environment
    set_accept(clone, "agents", [{"field": "temperature"}, {"field": "functions/*/strict"}])
    quiet = cli(clone, "validate", "-e", "agents")
    assert quiet.exit_code == 0, quiet.output
    assert "warning" not in quiet.stderr
    assert "4 accepted differences in environment agents" in quiet.stderr
    # an environment without `accept:` still warns: acceptances are per environment
    other = cli(clone, "validate", "-e", "dev", "-t", "local-agents")
    assert other.stderr.count(UNDEPLOYED) == 4, other.stderr


def test_a_spec_edit_that_leaves_an_acceptance_covering_nothing_is_reported(clone: Path) -> None:
    tutor = clone / "specs" / "spanish-tutor.yaml"
    tutor.write_text(tutor.read_text(encoding="utf-8").replace("temperature: 0.7\n", ""), encoding="utf-8")
    result = cli(clone, "validate", "-e", "agents")
    assert result.exit_code == 0, result.output
    assert (
        "orchestrator.yaml:18:9: warning: accepted difference `temperature` of spec `spanish-tutor` matches "
        "no warning in environment `agents` (target `local-agents`) [/environments/agents/accept/0]"
        in result.stderr
    )
    assert "2 accepted differences in environment agents" in result.stderr


def test_watch_does_not_repeat_accepted_differences(clone: Path) -> None:
    from tests.watch.conftest import WatchProcess

    watch = WatchProcess(["-C", str(clone), "-e", "agents", "--dry-run", "--resync", "0"], cwd=clone)
    try:
        watch.wait_for_cycles(1, timeout=60)
        assert "not deployed" not in watch.output, watch.output
    finally:
        watch.stop()


def test_the_mcp_validate_tool_returns_accepted_differences_apart(clone: Path) -> None:
    from orchestrator.mcp.tools import Workspace

    result = Workspace(root=clone).validate(environment="agents")
    assert result["valid"] is True and result["diagnostics"] == []
    assert sorted((d["pointer"], d["line"]) for d in result["accepted"]) == ACCEPTED
