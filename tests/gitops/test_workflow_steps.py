"""The shipped workflows' scripted steps, run here as GitHub runs them (bash -eo pipefail, the step's env,
GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files) against a served emulator: pull-request plan -> one bounded
comment body -> a promotion stage's saved plan, shown, then applied exactly (refused when stale) -> drift."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import REPO, make_project, write, write_spec

WORKFLOWS = REPO / "examples" / "github-actions"
ENVIRONMENTS = ("dev", "staging", "prod")
RUN_URL = "https://github.com/acme/assistants/actions/runs/7"


def _jobs(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))["jobs"]


def _step(job: dict[str, Any], needle: str) -> str:
    return next(step["run"] for step in job["steps"] if needle in step.get("run", ""))


def run_step(script: str, workdir: Path, env: dict[str, str]) -> tuple[int, dict[str, str], str, str]:
    """(exit code, the step's outputs, its job summary, its stdout+stderr), run as a GitHub `run:` step."""
    workdir.mkdir(parents=True, exist_ok=True)
    outputs, summary = workdir / ".github_output", workdir / ".github_summary"
    outputs.write_text(""), summary.write_text("")
    full = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(workdir),
        "NO_COLOR": "1",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        **env,
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=workdir,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return done.returncode, found, summary.read_text(), done.stdout + done.stderr


@pytest.fixture
def project(tmp_path: Path, served: EmulatorServer) -> Path:
    root = make_project(
        tmp_path / "repo",
        base_url=served.base_url,
        api_key_env="OPENAI_API_KEY",
        extra_environments={"staging": {"target": "main"}, "prod": {"target": "main"}},
    )
    for name in ("tutor", "analyst"):
        write_spec(root, name)
    return root


def test_pull_request_plans_become_one_comment_then_each_stage_applies_its_reviewed_plan(
    project: Path, tmp_path: Path, sdk: openai.OpenAI
) -> None:
    checks, stage = _jobs("orchestrator-checks.yml"), _jobs("orchestrator-stage.yml")
    key = {"OPENAI_API_KEY": TEST_KEY, "PROJECT": str(project)}

    # pull request: one plan per environment, then the comment body from all of them
    pr = tmp_path / "pr"
    for env in ENVIRONMENTS:
        code, outputs, summary, log = run_step(
            _step(checks["plan"], "orchestrator -C"),
            pr,
            {**key, "ORCHESTRATOR_ENV": env, "FROM_FORK": "false"},
        )
        assert code == 0, log
        assert outputs == {"changes": "true"} and f"/ `{env}` →" in summary
    code, _, _, log = run_step(_step(checks["comment"], "orchestrator comment"), pr, {"RUN_URL": RUN_URL})
    assert code == 0, log
    body = (pr / "comment.md").read_text(encoding="utf-8")
    assert body.startswith("<!-- orchestrator-plan -->\n") and len(body) <= 65_536
    assert all(f"/ `{env}` →" in body for env in ENVIRONMENTS)
    assert sdk.beta.assistants.list().data == [], "a pull request writes nothing"

    # merge: the dev stage's plan job saves and shows the plan; its apply job applies exactly that file
    merged = tmp_path / "merge-dev"
    code, outputs, summary, log = run_step(
        _step(stage["plan"], "orchestrator -C"), merged, {**key, "ORCHESTRATOR_ENV": "dev"}
    )
    assert code == 0 and outputs == {"changes": "true"}, log
    assert "**2 to create, 0 to update, 0 to delete, 0 unchanged**" in summary
    assert (merged / "stage" / "dev.plan").is_file()
    code, _, _, log = run_step(_step(stage["apply"], "apply -e"), merged, {**key, "ORCHESTRATOR_ENV": "dev"})
    assert code == 0, log
    assert len(sdk.beta.assistants.list().data) == 2
    assert (merged / "stage" / "events.jsonl").read_text().count("assistant_created") == 2
    code, _, _, log = run_step(_step(stage["apply"], " test -e"), merged, {**key, "ORCHESTRATOR_ENV": "dev"})
    assert code == 0, log  # no tests in this project: the stage's test step passes and says so

    # the next stage's plan, made before the approval, is refused once live state moved under it
    staged = tmp_path / "merge-staging"
    code, outputs, _, log = run_step(
        _step(stage["plan"], "orchestrator -C"), staged, {**key, "ORCHESTRATOR_ENV": "staging"}
    )
    assert code == 0 and outputs == {"changes": "true"}, log
    write_spec(project, "tutor", instructions="Changed after the review.")
    code, _, _, log = run_step(
        _step(stage["apply"], "apply -e"), staged, {**key, "ORCHESTRATOR_ENV": "staging"}
    )
    assert code == 0, "a new spec is not live state: the reviewed plan still applies as it was reviewed"
    write_spec(project, "tutor")
    code, outputs, _, log = run_step(
        _step(stage["plan"], "orchestrator -C"), staged, {**key, "ORCHESTRATOR_ENV": "staging"}
    )
    assert code == 0 and outputs == {"changes": "false"}, log
    # the tutor itself (the plan's change), not whichever staging object the listing happens to give first
    staging_tutor = next(
        a
        for a in sdk.beta.assistants.list().data
        if "staging" in (owner := a.metadata.get("orchestrator.owner", "")) and owner.endswith("/tutor")
    )
    write_spec(project, "tutor", instructions="Reviewed change.")
    code, outputs, _, log = run_step(
        _step(stage["plan"], "orchestrator -C"), staged, {**key, "ORCHESTRATOR_ENV": "staging"}
    )
    assert outputs == {"changes": "true"}, log
    sdk.beta.assistants.update(staging_tutor.id, instructions="Edited by hand after the plan was made.")
    code, _, _, log = run_step(
        _step(stage["apply"], "apply -e"), staged, {**key, "ORCHESTRATOR_ENV": "staging"}
    )
    assert code == 1 and "the saved plan is stale; nothing was changed" in log, log


def test_scheduled_drift_check_reports_each_environment_clean_or_drifted(
    project: Path, tmp_path: Path, sdk: openai.OpenAI
) -> None:
    from tests.support.projects import run_cli

    assert (
        run_cli(
            ["-C", str(project), "apply", "-e", "prod", "--yes"], env={"OPENAI_API_KEY": TEST_KEY}
        ).exit_code
        == 0
    )
    drift = _step(_jobs("orchestrator-checks.yml")["drift"], "orchestrator -C")
    env = {
        "OPENAI_API_KEY": TEST_KEY,
        "PROJECT": str(project),
        "ORCHESTRATOR_ENV": "prod",
        "RUN_URL": RUN_URL,
    }
    code, _, summary, log = run_step(drift, tmp_path / "drift", env)
    assert code == 0, log
    assert (tmp_path / "drift" / "drift" / "prod.state").read_text().strip() == "clean" and summary == ""
    [one, _] = sdk.beta.assistants.list().data
    sdk.beta.assistants.update(one.id, instructions="Edited by hand.")
    code, _, summary, log = run_step(drift, tmp_path / "drift", env)
    assert code == 0, log
    assert (tmp_path / "drift" / "drift" / "prod.state").read_text().strip() == "drifted"
    report = (tmp_path / "drift" / "drift" / "prod.md").read_text()
    assert (
        report.startswith("<!-- orchestrator-drift: prod -->\n")
        and "drift: the live object was edited" in report
    )
    assert summary == report


def test_the_first_job_says_whether_a_change_can_change_what_the_project_deploys(
    project: Path, tmp_path: Path
) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(project), *args],
            check=True,
            capture_output=True,
            text=True,
            env={
                **os.environ,
                "GIT_AUTHOR_NAME": "t",
                "GIT_AUTHOR_EMAIL": "t@example.com",
                "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@example.com",
            },
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "start")
    base = git("rev-parse", "HEAD")
    step = _step(_jobs("orchestrator-checks.yml")["changes"], "paths -o regex")
    env = {"EVENT": "pull_request", "BASE": base, "PROJECT": "."}
    write(project / "docs" / "notes.md", "not deployed\n")
    git("add", "-A")
    git("commit", "-qm", "docs")
    code, outputs, _, log = run_step(step, project, env)
    assert code == 0 and outputs == {"relevant": "false"}, log
    write_spec(project, "tutor", instructions="Changed.")
    git("add", "-A")
    git("commit", "-qm", "spec")
    code, outputs, _, log = run_step(step, project, env)
    assert code == 0 and outputs == {"relevant": "true"}, log
    code, outputs, _, log = run_step(step, project, {**env, "EVENT": "schedule"})
    assert outputs == {"relevant": "true"}, log


def test_pull_request_tests_run_against_the_base_and_reach_the_comment(project: Path, tmp_path: Path) -> None:
    from tests.support.projects import run_cli

    if "--baseline" not in run_cli(["test", "--help"]).stdout:
        pytest.skip("`orchestrator test --baseline` is not in this build yet")
    write(
        project / "specs" / "tutor-test.yaml",
        """
        version: 1
        kind: test
        name: tutor-test
        spec: tutor
        cases:
          - name: echo
            turns:
              - user: hi
                model: [{reply: hello}]
                expect: [{reply: {equals: hello}}]
    """,
    )
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-C", str(project), *args], check=True, env=env, capture_output=True)
    base = subprocess.run(
        ["git", "-C", str(project), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    write_spec(project, "tutor", instructions="Changed in the pull request.")
    checks = _jobs("orchestrator-checks.yml")
    pr = tmp_path / "pr"
    key = {"OPENAI_API_KEY": TEST_KEY, "PROJECT": str(project), "ORCHESTRATOR_ENV": "dev"}
    code, outputs, _, log = run_step(
        _step(checks["plan"], "orchestrator -C"), pr, {**key, "FROM_FORK": "false"}
    )
    assert code == 0 and outputs == {"changes": "true"}, log
    code, outputs, _, log = run_step(
        _step(checks["plan"], " test -e"), pr, {**key, "OPENAI_API_KEY": "", "BASE": base, "CHANGES": "true"}
    )
    assert code == 0 and not (pr / "plans" / "dev.tests.json").exists(), "no test key: the tests are skipped"
    code, outputs, _, log = run_step(
        _step(checks["plan"], " test -e"), pr, {**key, "BASE": base, "CHANGES": "true"}
    )
    assert code == 0 and outputs == {"failed": "false"}, log
    code, _, _, log = run_step(_step(checks["comment"], "orchestrator comment"), pr, {"RUN_URL": RUN_URL})
    assert code == 0, log
    body = (pr / "comment.md").read_text(encoding="utf-8")
    assert "Behaviour tests: `dev`" in body and "tutor-test / echo" in body and "baseline" in body


def test_pull_request_tests_run_where_the_plan_changes_or_a_behaviour_test_changed(
    project: Path, tmp_path: Path
) -> None:
    """The step's choice, without running a test: no test key, so where it would run it says so instead."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }

    def commit(message: str) -> str:
        for args in (["add", "-A"], ["commit", "-qm", message]):
            subprocess.run(["git", "-C", str(project), *args], check=True, env=env, capture_output=True)
        return subprocess.run(
            ["git", "-C", str(project), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
        ).stdout.strip()

    test_spec = """
        version: 1
        kind: test
        name: tutor-test
        spec: tutor
        cases:
          - name: echo
            turns:
              - user: hi
                model: [{reply: {reply}}]
                expect: [{reply: {equals: {reply}}}]
    """
    write(project / "specs" / "tutor-test.yaml", test_spec.replace("{reply}", "hello"))
    subprocess.run(["git", "-C", str(project), "init", "-q", "-b", "main"], check=True, capture_output=True)
    base = commit("base")
    step = _step(_jobs("orchestrator-checks.yml")["plan"], " test -e")
    step_env = {"PROJECT": str(project), "ORCHESTRATOR_ENV": "dev", "OPENAI_API_KEY": "", "BASE": base}
    write(project / "docs" / "notes.md", "not deployed, not a test\n")
    commit("docs")
    code, _, summary, log = run_step(step, tmp_path / "docs-only", {**step_env, "CHANGES": "false"})
    assert code == 0 and summary == "", log
    code, _, summary, log = run_step(step, tmp_path / "planned", {**step_env, "CHANGES": "true"})
    assert code == 0 and "No OPENAI_TEST_API_KEY" in summary, log
    write(project / "specs" / "tutor-test.yaml", test_spec.replace("{reply}", "hi there"))
    commit("a test changed")
    code, _, summary, log = run_step(step, tmp_path / "test-only", {**step_env, "CHANGES": "false"})
    assert code == 0 and "No OPENAI_TEST_API_KEY" in summary, log
