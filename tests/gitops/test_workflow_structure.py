"""Issue 28, items 1, 3, 4: the shape of the shipped workflows, read as YAML: which job needs which, which holds
which key and permission, where the approval sits. (test_workflow_steps runs their scripts; actionlint checks
their syntax.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.projects import REPO

GITHUB = REPO / "examples" / "github-actions"
GITLAB = REPO / "examples" / "gitlab-ci" / ".gitlab-ci.yml"


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _text(job: dict[str, Any]) -> str:
    return yaml.safe_dump(job)


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def _secrets(job: dict[str, Any]) -> set[str]:
    return set(re.findall(r"secrets\.([A-Z_]+)", _text(job)))


def test_merge_promotes_dev_then_staging_then_prod_one_stage_after_the_other() -> None:
    jobs = _load(GITHUB / "orchestrator.yml")["jobs"]
    stages = [name for name, job in jobs.items() if job.get("uses", "").endswith("orchestrator-stage.yml")]
    assert stages == ["promote-dev", "promote-staging", "promote-prod"]
    assert [jobs[s]["with"]["environment"] for s in stages] == ["dev", "staging", "prod"]
    assert "needs" not in jobs["promote-dev"] and "github.event_name == 'push'" in jobs["promote-dev"]["if"]
    assert (
        jobs["promote-staging"]["needs"] == "promote-dev"
        and jobs["promote-prod"]["needs"] == "promote-staging"
    )


def test_a_stage_shows_its_plan_before_the_approval_and_applies_exactly_that_plan_then_tests() -> None:
    jobs = _load(GITHUB / "orchestrator-stage.yml")["jobs"]
    plan, apply = jobs["plan"], jobs["apply"]
    # the plan job has no environment (so no approval waits before it) and only the read-only key
    assert "environment" not in plan and _secrets(plan) == {"OPENAI_READONLY_API_KEY"}
    assert "--out" in _runs(plan) and "GITHUB_STEP_SUMMARY" in _runs(plan)
    uploaded = next(s for s in plan["steps"] if "upload-artifact" in s.get("uses", ""))["with"]["name"]
    # the apply job waits for the GitHub environment (its reviewers), downloads that very plan, applies it
    assert apply["needs"] == "plan" and apply["environment"] == "${{ inputs.environment }}"
    downloaded = next(s for s in apply["steps"] if "download-artifact" in s.get("uses", ""))["with"]["name"]
    assert downloaded == uploaded
    steps = [s.get("name", s.get("uses", "")) for s in apply["steps"]]
    applying = next(i for i, s in enumerate(apply["steps"]) if "apply -e" in s.get("run", ""))
    testing = next(i for i, s in enumerate(apply["steps"]) if " test -e" in s.get("run", ""))
    assert applying < testing, steps
    assert '.plan"' in apply["steps"][applying]["run"], "apply takes the saved plan, never a fresh diff"
    assert "--against-live" in apply["steps"][testing]["run"]
    assert apply["concurrency"]["cancel-in-progress"] is False


def test_pull_request_jobs_hold_no_write_key_and_the_comment_job_runs_no_pull_request_code() -> None:
    workflow = _load(GITHUB / "orchestrator-checks.yml")
    jobs = workflow["jobs"]
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in jobs.items():
        assert "OPENAI_API_KEY" not in _secrets(job), f"{name} holds the write key"
        assert "environment" not in job, f"{name} would read an environment's secrets"
    assert jobs["plan"]["permissions"] == {"contents": "read"}
    tests = next(s for s in jobs["plan"]["steps"] if " test -e" in s.get("run", ""))
    assert "--baseline" in tests["run"] and "--output json" in tests["run"]
    assert tests["env"]["BASE"] == "${{ github.event.pull_request.base.sha }}"
    assert tests["if"] == "steps.diff.outputs.changes != ''" and tests["env"]["CHANGES"]
    assert 'if [ "$CHANGES" != "true" ]' in tests["run"], "tests only where the change touches"
    checkout = next(s for s in jobs["plan"]["steps"] if "checkout" in s.get("uses", ""))
    assert checkout["with"]["fetch-depth"] == 0, "the base commit must be there for --baseline"
    comment = jobs["comment"]
    assert comment["permissions"] == {"pull-requests": "write"} and comment["needs"] == "plan"
    assert not any("checkout" in s.get("uses", "") for s in comment["steps"])
    assert "--tests" in _runs(comment) and "--plan" in _runs(comment) and not _secrets(comment)
    script = next(s for s in comment["steps"] if "github-script" in s.get("uses", ""))["with"]["script"]
    assert "<!-- orchestrator-plan -->" in script and "updateComment" in script


def test_drift_runs_on_a_schedule_read_only_and_keeps_one_issue_per_environment() -> None:
    caller = _load(GITHUB / "orchestrator.yml")
    on = caller.get("on", caller.get(True))
    assert on["schedule"] and caller["jobs"]["checks"]["if"].startswith("github.event_name != 'push'")
    jobs = _load(GITHUB / "orchestrator-checks.yml")["jobs"]
    drift, issues = jobs["drift"], jobs["drift-issues"]
    assert "schedule" in drift["if"] and drift["permissions"] == {"contents": "read"}
    assert _secrets(drift) == {"OPENAI_READONLY_API_KEY"}
    assert drift["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.changes.outputs.environments) }}"
    assert issues["permissions"] == {"issues": "write"} and not _secrets(issues)
    assert not any("checkout" in s.get("uses", "") for s in issues["steps"])
    script = next(s for s in issues["steps"] if "github-script" in s.get("uses", ""))["with"]["script"]
    for call in ("issues.create", "issues.update", "state: 'closed'", "orchestrator-drift: ${env}"):
        assert call in script


def _gitlab_jobs() -> dict[str, dict[str, Any]]:
    """The jobs of the GitLab file, each with what it `extends:` merged in (as GitLab does, one level)."""
    gitlab = _load(GITLAB)
    jobs = {}
    for name, job in gitlab.items():
        if not isinstance(job, dict) or name.startswith(".") or name in {"variables", "default", "workflow"}:
            continue
        base = gitlab.get(job.get("extends", ""), {})
        jobs[name] = {**base, **job}
    return jobs


def test_the_gitlab_file_has_the_same_jobs() -> None:
    jobs = _gitlab_jobs()
    scripts = {name: "\n".join(job["script"]) for name, job in jobs.items()}
    assert all(isinstance(line, str) for job in jobs.values() for line in job["script"]), (
        "a script line is YAML"
    )
    # merge requests: validate every environment, plan each, tests with the baseline, one bounded note
    assert "validate --all-environments" in scripts["validate"]
    assert "--baseline" in scripts["plan"] and "OPENAI_TEST_API_KEY" in scripts["plan"]
    assert "$OPENAI_API_KEY" not in scripts["plan"] + scripts["comment"], (
        "merge request jobs hold no write key"
    )
    assert "orchestrator comment" in scripts["comment"] and "--tests" in scripts["comment"]
    assert jobs["comment"]["needs"] == ["plan"]
    # promotion: per environment a plan job, then a manual apply job in its GitLab environment that tests
    previous = None
    for env in ("dev", "staging", "prod"):
        plan, apply = jobs[f"plan-{env}"], jobs[f"apply-{env}"]
        assert plan.get("needs", []) == ([previous] if previous else [])
        assert "environment" not in plan and "OPENAI_READONLY_API_KEY" in scripts[f"plan-{env}"]
        assert apply["needs"] == [f"plan-{env}"] and apply["environment"] == {"name": env}
        assert [rule.get("when") for rule in apply["rules"]] == ["manual"]
        run = scripts[f"apply-{env}"]
        assert run.index("apply -e") < run.index(" test -e") and "--against-live" in run
        previous = f"apply-{env}"
    # drift: scheduled, read-only key, one issue per environment found by its marker
    drift = jobs["drift"]
    assert drift["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert (
        "OPENAI_READONLY_API_KEY" in scripts["drift"]
        and "orchestrator-drift: $ORCHESTRATOR_ENV" in scripts["drift"]
    )
    assert "state_event=close" in scripts["drift"]


def test_the_gitlab_scripts_pass_shellcheck(tmp_path: Path) -> None:
    from tests.gitops.test_actionlint import INSTALL, _required, _tool

    shellcheck = _tool("shellcheck")
    if shellcheck is None:
        if _required():
            pytest.fail(f"shellcheck not installed, and ORCHESTRATOR_REQUIRE_ACTIONLINT=1: {INSTALL}")
        pytest.skip(f"shellcheck not installed: {INSTALL}")
    gitlab = _load(GITLAB)
    before = gitlab["default"]["before_script"]
    for name, job in _gitlab_jobs().items():
        script = tmp_path / f"{name}.sh"
        script.write_text(
            "#!/usr/bin/env bash\n" + "\n".join([*before, *job["script"]]) + "\n", encoding="utf-8"
        )
        done = subprocess.run(
            [shellcheck, "--severity=warning", str(script)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{name}:\n{done.stdout}{done.stderr}"
