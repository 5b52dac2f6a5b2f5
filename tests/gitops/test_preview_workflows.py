"""The shipped preview jobs (GitHub's orchestrator-preview.yml and the GitLab review app): their shape, and
their scripted steps run as the CI runs them against a served emulator: a labelled pull request gets a
preview and one comment body, closing it destroys exactly the preview, the sweep removes old ones; the
environment's own objects are never touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.gitops.test_workflow_steps import RUN_URL, WORKFLOWS, run_step
from tests.support.projects import REPO, make_project, run_cli, write_spec

PREVIEW = WORKFLOWS / "orchestrator-preview.yml"
GITLAB = REPO / "examples" / "gitlab-ci" / ".gitlab-ci.yml"


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _on(workflow: dict[str, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def _step(job: dict[str, Any], needle: str) -> str:
    return next(step["run"] for step in job["steps"] if needle in step.get("run", ""))


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_caller_runs_previews_on_labels_and_closes_and_the_checks_skip_closed_pull_requests() -> None:
    workflow = _load(WORKFLOWS / "orchestrator.yml")
    types = _on(workflow)["pull_request"]["types"]
    assert {"opened", "synchronize", "reopened", "labeled", "unlabeled", "closed"} <= set(types)
    jobs = workflow["jobs"]
    assert jobs["previews"]["uses"] == "./.github/workflows/orchestrator-preview.yml"
    assert jobs["previews"]["secrets"] == "inherit" and jobs["previews"]["with"]["label"] == "preview"
    assert "github.event.action != 'closed'" in jobs["checks"]["if"]


def test_preview_jobs_apply_on_the_label_destroy_on_close_and_sweep_on_a_schedule() -> None:
    workflow = _load(PREVIEW)
    assert {"project", "environment", "label", "older-than", "package"} <= set(
        _on(workflow)["workflow_call"]["inputs"]
    )
    jobs = workflow["jobs"]
    apply, comment, destroy, sweep = (
        jobs[n] for n in ("preview", "preview-comment", "preview-destroy", "preview-sweep")
    )
    condition = _flat(apply["if"])
    assert "contains(github.event.pull_request.labels.*.name, inputs.label)" in condition
    assert "github.event.action != 'closed'" in condition
    assert "head.repo.full_name == github.repository" in condition, "no preview for forks"
    assert apply["permissions"] == {"contents": "read"}, "the pull request's code runs with no writing token"
    assert 'apply -e "$ORCHESTRATOR_ENV" --preview "$PREVIEW" --yes' in _step(apply, "apply -e")
    assert apply["steps"][-1]["uses"].startswith("actions/upload-artifact")
    assert comment["needs"] == "preview" and comment["permissions"] == {"pull-requests": "write"}
    assert not any("actions/checkout" in s.get("uses", "") for s in comment["steps"]), (
        "runs no pull-request code"
    )
    assert "<!-- orchestrator-preview -->" in comment["steps"][-1]["with"]["script"]
    assert "github.event.action == 'closed'" in _flat(destroy["if"])
    assert destroy["steps"][0]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert '--preview "$PREVIEW" --yes' in _step(destroy, "destroy")
    assert "schedule" in sweep["if"]
    assert '--previews --older-than "$OLDER_THAN" --yes' in _step(sweep, "destroy")
    assert apply["concurrency"]["group"] == destroy["concurrency"]["group"], (
        "an apply never races its destroy"
    )


def test_gitlab_review_apps_apply_and_stop_previews() -> None:
    pipeline = _load(GITLAB)
    preview, stop, sweep = pipeline["preview"], pipeline["preview-stop"], pipeline["preview-sweep"]
    assert preview["environment"] == {
        "name": "review/$CI_MERGE_REQUEST_IID",
        "on_stop": "preview-stop",
        "auto_stop_in": "1 week",
    }
    assert stop["environment"] == {"name": "review/$CI_MERGE_REQUEST_IID", "action": "stop"}
    assert "preview" in preview["rules"][0]["if"] and stop["rules"][0]["when"] == "manual"
    assert '--preview "mr-$CI_MERGE_REQUEST_IID" --yes' in str(preview["script"])
    assert 'destroy -e "$ORCHESTRATOR_ENV" --preview "mr-$CI_MERGE_REQUEST_IID" --yes' in str(stop["script"])
    assert "--previews --older-than 7d --yes" in str(sweep["script"])
    assert "schedule" in str(sweep["rules"])


@pytest.fixture
def project(tmp_path: Path, served: EmulatorServer) -> Path:
    root = make_project(tmp_path / "repo", base_url=served.base_url, api_key_env="OPENAI_API_KEY")
    for name in ("tutor", "analyst"):
        write_spec(root, name)
    return root


def owners(sdk: openai.OpenAI) -> list[str]:
    return sorted(a.metadata.get("orchestrator.owner", "") for a in sdk.beta.assistants.list().data)


def test_a_labelled_pull_request_gets_a_preview_and_closing_it_leaves_the_environment_untouched(
    project: Path, tmp_path: Path, sdk: openai.OpenAI
) -> None:
    assert run_cli(["-C", str(project), "apply", "--yes"], env={"OPENAI_API_KEY": TEST_KEY}).exit_code == 0
    environment = {a.id: a.model_dump() for a in sdk.beta.assistants.list().data}
    jobs = _load(PREVIEW)["jobs"]
    env = {
        "OPENAI_API_KEY": TEST_KEY,
        "PROJECT": str(project),
        "ORCHESTRATOR_ENV": "dev",
        "PREVIEW": "pr-42",
        "HEAD_SHA": "0123456789abcdef",
        "RUN_URL": RUN_URL,
    }
    code, _, summary, log = run_step(_step(jobs["preview"], "apply -e"), tmp_path / "pr", env)
    assert code == 0, log
    body = (tmp_path / "pr" / "preview" / "comment.md").read_text()
    assert body.startswith("<!-- orchestrator-preview -->\n") and "`pr-42`" in body and "0123456" in body
    assert "tutor" in body and "in sync" in body and summary == body
    assert owners(sdk) == [
        "test-project/dev/analyst",
        "test-project/dev/tutor",
        "test-project/dev~preview-pr-42/analyst",
        "test-project/dev~preview-pr-42/tutor",
    ]
    # a second push: the same preview, updated in place
    write_spec(project, "tutor", instructions="Changed in the pull request.")
    code, _, _, log = run_step(_step(jobs["preview"], "apply -e"), tmp_path / "pr", env)
    assert code == 0 and "1 updated" in log, log
    assert len(owners(sdk)) == 4
    # closed: exactly the preview goes; the environment's objects are as they were
    code, _, _, log = run_step(_step(jobs["preview-destroy"], "destroy"), tmp_path / "closed", env)
    assert code == 0, log
    assert {a.id: a.model_dump() for a in sdk.beta.assistants.list().data} == environment
    code, _, _, log = run_step(_step(jobs["preview-destroy"], "destroy"), tmp_path / "closed", env)
    assert code == 0 and "Nothing to destroy" in log, log
    # the sweep: nothing is old enough yet, nothing goes
    run_step(_step(jobs["preview"], "apply -e"), tmp_path / "pr", env)
    code, _, _, log = run_step(
        _step(jobs["preview-sweep"], "destroy"), tmp_path / "sweep", {**env, "OLDER_THAN": "7d"}
    )
    assert code == 0 and "No preview of environment dev" in log and len(owners(sdk)) == 4, log
    code, _, _, log = run_step(
        _step(jobs["preview-sweep"], "destroy"), tmp_path / "sweep", {**env, "OLDER_THAN": "0s"}
    )
    assert code == 0 and "pr-42" in log, log
    assert owners(sdk) == ["test-project/dev/analyst", "test-project/dev/tutor"]
