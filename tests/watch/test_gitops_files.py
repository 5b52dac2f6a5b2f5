"""The GitOps files users copy (the GitHub Actions workflow, the pre-commit hook), and the byte-stable
diff output they rely on to review and compare plans."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.projects import REPO, run_cli, write, write_spec

WORKFLOWS = REPO / "examples" / "github-actions"
WORKFLOW = WORKFLOWS / "orchestrator.yml"
CHECKS = WORKFLOWS / "orchestrator-checks.yml"
STAGE = WORKFLOWS / "orchestrator-stage.yml"
GITLAB = REPO / "examples" / "gitlab-ci" / ".gitlab-ci.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _on(workflow: dict[str, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in job["steps"] if "uses" in step]


def test_workflow_checks_pull_requests_and_schedules_and_promotes_on_push_to_main() -> None:
    workflow = _load(WORKFLOW)
    triggers = _on(workflow)
    assert {"pull_request", "push", "schedule", "workflow_dispatch"} <= set(triggers)
    assert triggers["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert jobs["checks"]["uses"] == "./.github/workflows/orchestrator-checks.yml"
    assert jobs["checks"]["secrets"] == "inherit"
    stages = [jobs[name] for name in ("promote-dev", "promote-staging", "promote-prod")]
    assert [s["with"]["environment"] for s in stages] == ["dev", "staging", "prod"]
    assert all(s["uses"] == "./.github/workflows/orchestrator-stage.yml" for s in stages)
    assert stages[1]["needs"] == "promote-dev" and stages[2]["needs"] == "promote-staging", "promotion order"
    condition = " ".join(stages[0]["if"].split())
    assert "github.event_name == 'push'" in condition
    assert "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)" in condition
    assert workflow["permissions"] == {"contents": "read"}


def test_reusable_workflows_take_a_project_path_and_environments() -> None:
    checks = _on(_load(CHECKS))["workflow_call"]["inputs"]
    assert {"project", "environments", "package"} <= set(checks)
    stage = _on(_load(STAGE))["workflow_call"]["inputs"]
    assert stage["environment"]["required"] is True and {"project", "package", "secret-names"} <= set(stage)


def test_the_first_job_computes_relevant_changes_from_orchestrator_paths() -> None:
    jobs = _load(CHECKS)["jobs"]
    runs = _runs(jobs["changes"])
    assert 'orchestrator -C "$PROJECT" paths -o regex' in runs
    for name in ("validate", "plan"):
        assert "needs.changes.outputs.relevant == 'true'" in jobs[name]["if"]
    assert (
        jobs["plan"]["strategy"]["matrix"]["environment"]
        == "${{ fromJSON(needs.changes.outputs.environments) }}"
    )
    assert "validate --all-environments" in _runs(jobs["validate"])


def test_pull_requests_plan_every_environment_with_a_read_only_key_and_no_write_access() -> None:
    jobs = _load(CHECKS)["jobs"]
    plan = jobs["plan"]
    assert plan["permissions"] == {"contents": "read"}
    assert "environment" not in plan
    assert "secrets.OPENAI_API_KEY" not in str(plan)
    diff_step = next(s for s in plan["steps"] if "orchestrator" in s.get("run", "") and " diff " in s["run"])
    assert diff_step["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_READONLY_API_KEY }}"
    assert '--out "$PWD/plans/$ORCHESTRATOR_ENV.plan"' in diff_step["run"]
    assert re.search(r"^\s*2\) echo \"changes=true\"", diff_step["run"], re.M), (
        "exit 2 means changes, not a failure"
    )
    assert '>> "$GITHUB_STEP_SUMMARY"' in diff_step["run"]
    assert any(u.startswith("actions/upload-artifact@") for u in _uses(plan))


def test_one_bounded_comment_is_edited_in_place_by_a_job_that_runs_no_pull_request_code() -> None:
    comment = _load(CHECKS)["jobs"]["comment"]
    assert comment["permissions"] == {"pull-requests": "write"}
    assert comment["needs"] == "plan"
    assert not any(u.startswith("actions/checkout@") for u in _uses(comment))
    assert "secrets." not in str(comment)
    assert 'orchestrator comment "${args[@]}" --link "$RUN_URL" --out comment.md' in _runs(comment)
    script = next(s for s in comment["steps"] if s.get("uses", "").startswith("actions/github-script@"))
    text = script["with"]["script"]
    assert "updateComment" in text and "createComment" in text and "<!-- orchestrator-plan -->" in text


def test_each_stage_shows_its_plan_before_the_approval_and_applies_exactly_that_plan() -> None:
    jobs = _load(STAGE)["jobs"]
    plan, apply = jobs["plan"], jobs["apply"]
    assert "environment" not in plan, "the plan is shown before the job that waits for the approval"
    assert 'orchestrator show "stage/$ORCHESTRATOR_ENV.plan" -o markdown >> "$GITHUB_STEP_SUMMARY"' in _runs(
        plan
    )
    assert apply["needs"] == "plan" and apply["environment"] == "${{ inputs.environment }}"
    assert apply["concurrency"] == {
        "group": "orchestrator-apply-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }
    assert re.search(
        r'orchestrator -C "\$PROJECT" apply -e "\$ORCHESTRATOR_ENV" --yes "\$PWD/stage/\$ORCHESTRATOR_ENV\.plan"',
        _runs(apply),
    )
    assert " diff " not in _runs(apply), "the apply job never plans again: it applies the reviewed plan"
    download = next(s for s in apply["steps"] if s.get("uses", "").startswith("actions/download-artifact@"))
    assert download["with"]["name"] == "orchestrator-stage-${{ inputs.environment }}"
    assert "secrets.OPENAI_API_KEY" not in str(plan)


def test_drift_is_checked_on_a_schedule_with_no_write_access_and_kept_in_one_issue_per_environment() -> None:
    jobs = _load(CHECKS)["jobs"]
    drift, issues = jobs["drift"], jobs["drift-issues"]
    assert "github.event_name == 'schedule'" in drift["if"]
    assert drift["permissions"] == {"contents": "read"}
    assert "secrets.OPENAI_API_KEY" not in str(drift) and "environment" not in drift
    assert issues["permissions"] == {"issues": "write"}
    assert not any(u.startswith("actions/checkout@") for u in _uses(issues))
    text = next(s for s in issues["steps"] if "script" in s.get("with", {}))["with"]["script"]
    for call in ("issues.create(", "issues.update(", "state: 'closed'", "orchestrator-drift"):
        assert call in text


def test_gitlab_ci_has_the_same_flow() -> None:
    pipeline = _load(GITLAB)
    assert "validate --all-environments" in str(pipeline["validate"]["script"])
    assert pipeline["plan"]["parallel"]["matrix"][0]["ORCHESTRATOR_ENV"] == ["dev", "staging", "prod"]
    assert "orchestrator comment" in str(pipeline["comment"]["script"])
    for env in ("dev", "staging", "prod"):
        apply = pipeline[f"apply-{env}"]
        assert apply["needs"] == [f"plan-{env}"] and apply["environment"] == {"name": env}
        assert apply["extends"] == ".stage-apply"
    assert pipeline[".stage-apply"]["rules"][0]["when"] == "manual"
    assert pipeline["plan-staging"]["needs"] == ["apply-dev"] and pipeline["plan-prod"]["needs"] == [
        "apply-staging"
    ]
    assert '$CI_PIPELINE_SOURCE == "schedule"' in str(pipeline["drift"]["rules"])


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
