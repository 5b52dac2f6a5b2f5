"""The GitOps files users copy (the GitHub Actions workflow, the pre-commit hook), and the byte-stable
diff output they rely on to review and compare plans."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.projects import REPO, run_cli, write, write_spec

WORKFLOW = REPO / "examples" / "github-actions" / "orchestrator.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in job["steps"] if "uses" in step]


def test_workflow_plans_on_pull_requests_and_applies_on_push_to_main() -> None:
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["jobs"]["plan"]["if"] == "github.event_name == 'pull_request'"
    assert "github.event_name == 'push'" in workflow["jobs"]["apply"]["if"]


def test_workflow_applies_only_from_the_default_branch_one_apply_at_a_time() -> None:
    """A manual run (workflow_dispatch) from any other branch must not reach the production key."""
    job = _workflow()["jobs"]["apply"]
    condition = " ".join(job["if"].split())
    assert "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)" in condition
    assert condition.startswith("(") and ") &&" in condition, "the branch check applies to every trigger"
    assert job["environment"] == "production"
    assert job["concurrency"] == {"group": "orchestrator-apply-prod", "cancel-in-progress": False}


def test_workflow_plans_pull_requests_without_write_access_or_the_production_key() -> None:
    workflow = _workflow()
    plan = workflow["jobs"]["plan"]
    assert plan["permissions"] == {"contents": "read"}
    assert "environment" not in plan
    assert "secrets.OPENAI_API_KEY" not in str(plan)
    diff_step = next(s for s in plan["steps"] if "orchestrator diff" in s.get("run", ""))
    assert diff_step["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_READONLY_API_KEY }}"
    comment = workflow["jobs"]["comment"]  # the job that may write runs none of the pull request's code
    assert comment["permissions"] == {"pull-requests": "write"}
    assert comment["needs"] == "plan"
    assert not any(u.startswith("actions/checkout@") for u in _uses(comment))
    assert "secrets." not in str(comment) and not any("run" in step for step in comment["steps"])
    assert workflow["permissions"] == {"contents": "read"}


def test_workflow_pull_request_job_validates_diffs_to_the_summary_and_uploads_the_plan() -> None:
    job = _workflow()["jobs"]["plan"]
    runs = _runs(job)
    assert "orchestrator validate" in runs
    diff = next(line for line in runs.splitlines() if line.strip().startswith("orchestrator diff"))
    assert '-e "$ORCHESTRATOR_ENV"' in diff and "--output markdown" in diff and "--out plan.json" in diff
    assert '>> "$GITHUB_STEP_SUMMARY"' in runs
    assert re.search(r"^\s*2\) echo \"changes=true\"", runs, re.M), "exit code 2 means changes, not a failure"
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert "plan.json" in upload["with"]["path"]
    assert any(u.startswith("actions/github-script@") for u in _uses(_workflow()["jobs"]["comment"])), (
        "the plan is also commented on the PR"
    )
    assert _workflow()["env"]["ORCHESTRATOR_ENV"] == "prod"


def test_workflow_applies_the_saved_plan_with_the_key_from_the_production_environment() -> None:
    job = _workflow()["jobs"]["apply"]
    apply_step = next(s for s in job["steps"] if "orchestrator apply" in s.get("run", ""))
    assert re.search(r"orchestrator apply -e \"\$ORCHESTRATOR_ENV\" --yes plan\.json", apply_step["run"])
    for step in job["steps"]:
        if "orchestrator diff" in step.get("run", "") or "orchestrator apply" in step.get("run", ""):
            assert step["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"
    assert "OPENAI_API_KEY" not in str(_workflow().get("env")), (
        "the key is given only to the steps that need it"
    )


def test_pre_commit_hook_runs_validate_for_every_environment_on_every_commit() -> None:
    """A fixed `files:` pattern skipped skills/ and root knowledge/ folders (issue 28): the hook always runs."""
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "orchestrator-validate")
    assert hook["entry"] == "orchestrator validate --all-environments"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert hook["always_run"] is True and "files" not in hook


@pytest.fixture
def planned_project(project: Path) -> Path:
    """One spec in sync, one changed, two new (names out of file order) and an orphan."""
    write(project / "templates" / "t.md.j2", "Hello from {{ company }}.\nLine two.\n")
    for name in ("zeta", "alpha", "orphan", "middle"):
        write_spec(project, name, instructions={"template": "t.md.j2"})
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    (project / "specs" / "orphan.yaml").unlink()
    write_spec(project, "middle", instructions="Changed.", temperature=0.5)
    write_spec(project, "beta", metadata={"team": "b", "area": "a"})
    write_spec(project, "aardvark", tools=["code_interpreter"])
    return project


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_diff_output_and_saved_plan_are_byte_stable_between_runs(
    planned_project: Path, tmp_path: Path, output: str
) -> None:
    runs = []
    for attempt in range(2):
        plan_file = tmp_path / f"plan-{attempt}.json"
        result = run_cli(
            ["-C", str(planned_project), "diff", "--output", output, "--out", str(plan_file)],
            env={"NO_COLOR": "1"},
        )
        assert result.exit_code == 2, result.output
        runs.append((result.stdout, plan_file.read_bytes()))
    assert runs[0] == runs[1]
    stdout, saved = runs[0]
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", stdout + saved.decode()), "no timestamps in a plan"
    names = re.findall(r'"name": "([a-z-]+)",\n\s+"action"', saved.decode())
    assert names == sorted(names), "changes are ordered by name"
