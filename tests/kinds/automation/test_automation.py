"""`kind: automation` as one unit: its definition (orchestrator/kinds/automation.py) read, resolved,
planned, applied and imported through the real CLI on the embedded agents target."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.kind_registry import definition
from orchestrator.kinds.automation import AutomationSpec
from orchestrator.spec.agent_kinds import read_resource
from orchestrator.spec.loading import load_yaml_file
from tests.support.projects import make_project, run_in, write, write_spec

AUTOMATION = """\
version: 1
kind: automation
name: daily-digest
type: periodic
expression: "0 7 * * *"
timezone: Europe/Madrid
target: {agent: analyst, input: "Summarise yesterday's KPIs."}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project", backend="agents")
    write_spec(root, "analyst")
    write(root / "specs" / "daily-digest.yaml", AUTOMATION)
    return root


def test_the_definition_reads_and_resolves_an_automation(project: Path) -> None:
    path = project / "specs" / "daily-digest.yaml"
    doc = load_yaml_file(path, "specs/daily-digest.yaml", root=project)
    spec, found = read_resource(doc, project)
    assert found == [] and isinstance(spec, AutomationSpec) and spec.agent == "analyst"
    defined = definition("automation")
    assert defined is not None and defined.resolve is not None
    resolved, problems = defined.resolve(spec, doc, {"analyst": frozenset({"assistant"})})
    assert problems == [] and resolved.metadata["orchestrator.agent"] == "analyst"
    missing, problems = defined.resolve(spec, doc, {})
    assert missing is None and [p.message for p in problems] == ["`analyst` is not a spec of this project"]


def test_an_unknown_agent_is_a_diagnostic_at_its_line(project: Path) -> None:
    write(project / "specs" / "daily-digest.yaml", AUTOMATION.replace("agent: analyst", "agent: ghost"))
    result = run_in(project, "validate")
    assert result.exit_code != 0
    assert (
        "specs/daily-digest.yaml:7" in result.output
        and "`ghost` is not a spec of this project" in result.output
    )


def test_apply_creates_the_automation_after_its_agent_and_diff_is_clean(project: Path) -> None:
    result = run_in(project, "apply", "--yes")
    assert result.exit_code == 0, result.output
    created = [line.split(":")[0].strip() for line in result.output.splitlines() if "created (" in line]
    assert created.index("agent analyst") < created.index("automation daily-digest"), result.output
    assert run_in(project, "diff").exit_code == 0
    (project / "specs" / "daily-digest.yaml").unlink()
    (project / "specs" / "analyst.yaml").unlink()
    pruned = run_in(project, "apply", "--yes", "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "automation daily-digest: deleted" in pruned.output and "agent analyst: deleted" in pruned.output


def test_a_saved_plan_applies_and_goes_stale_when_the_automation_changes_live(
    project: Path, tmp_path: Path
) -> None:
    # the fingerprint a saved plan holds covers the names the automation's references resolved to
    assert run_in(project, "apply", "--yes").exit_code == 0
    spec = project / "specs" / "daily-digest.yaml"
    write(spec, AUTOMATION.replace("KPIs.", "KPIs!"))
    plan = tmp_path / "plan.json"
    assert run_in(project, "diff", "--out", str(plan)).exit_code == 2
    applied = run_in(project, "apply", "--yes", str(plan))
    assert applied.exit_code == 0 and "automation daily-digest: updated" in applied.output, applied.output
    assert run_in(project, "diff").exit_code == 0

    write(spec, AUTOMATION.replace("KPIs.", "KPIs?"))
    assert run_in(project, "diff", "--out", str(plan)).exit_code == 2
    write(spec, AUTOMATION + "paused: true\n")
    assert run_in(project, "apply", "--yes").exit_code == 0  # the automation changes after the plan was made
    stale = run_in(project, "apply", "--yes", str(plan))
    assert stale.exit_code != 0 and "changed since the plan was made" in stale.output, stale.output
