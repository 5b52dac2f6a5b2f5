"""Knowledge files and vector stores as kinds of the resource graph, through the CLI against a served emulator:
`file <path>` and `vector_store <spec>` nodes in the plan with references by name, applied files -> store ->
assistant and deleted in reverse, `--only`, destroy, and uploads shared by two environments."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import make_project, write, write_spec
from tests.support.projects import run_in as cli


def tutor(project: Path, name: str = "tutor", **fields: object) -> None:
    write(project / "specs" / "kb" / "a.md", "# A\nuno\n")
    write(project / "specs" / "kb" / "b.md", "# B\ndos\n")
    write(project / "specs" / "data" / "verbs.csv", "verb,english\nser,to be\n")
    write_spec(
        project,
        name,
        tools=["file_search", "code_interpreter"],
        knowledge={"files": ["kb/*.md"]},
        code_files=["data/verbs.csv"],
        **fields,
    )


def uploads(sdk: openai.OpenAI) -> list[str]:
    return sorted(
        f.filename for f in sdk.files.list(purpose="assistants") if f.filename.startswith("orchestrator--")
    )


def test_plan_shows_files_then_the_store_then_the_assistant_with_references_by_name(project: Path) -> None:
    tutor(project)
    shown = cli(project, "diff")
    assert shown.exit_code == 2, shown.output
    out = shown.stdout
    assert (
        out.index("+ file specs/kb/a.md will be created")
        < out.index("+ vector_store tutor will be created")
        < out.index("+ assistant tutor will be created")
    )
    assert "+ knowledge file specs/kb/a.md (8 bytes)" in out
    assert "uses file specs/kb/a.md (created in this plan)" in out  # under the store
    assert "uses vector_store tutor (created in this plan)" in out  # under the assistant
    assert "uses file specs/data/verbs.csv (created in this plan)" in out
    assert "Plan: 5 to create" in out and TEST_KEY not in shown.output
    markdown = cli(project, "diff", "--output", "markdown").stdout
    assert (
        "`assistant tutor` uses vector_store tutor (created in this plan), file specs/data/verbs.csv"
        in markdown
    )
    data = json.loads(cli(project, "diff", "--output", "json").stdout)
    assert [(c["kind"], c["name"]) for c in data["changes"]] == [
        ("file", "specs/data/verbs.csv"),
        ("file", "specs/kb/a.md"),
        ("file", "specs/kb/b.md"),
        ("vector_store", "tutor"),
        ("assistant", "tutor"),
    ]
    applied = cli(project, "apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert (
        applied.stdout.index("file specs/kb/b.md: created")
        < applied.stdout.index("vector_store tutor: created")
        < applied.stdout.index("assistant tutor: created")
    )
    again = cli(project, "diff")
    assert again.exit_code == 0 and "No changes. 5 objects in sync." in again.stdout


def test_knowledge_removed_from_a_spec_deletes_its_store_and_files_after_the_assistant(
    project: Path, sdk: openai.OpenAI
) -> None:
    tutor(project)
    assert cli(project, "apply", "--yes").exit_code == 0
    write_spec(project, "tutor", tools=["code_interpreter"], code_files=["data/verbs.csv"])
    shown = cli(project, "diff")
    assert shown.exit_code == 2
    assert "- vector_store tutor" in shown.stdout and "[unused: no spec uses it any more]" in shown.stdout
    assert "- file specs/kb/a.md" in shown.stdout and "- file specs/data/verbs.csv" not in shown.stdout
    applied = cli(project, "apply", "--yes")  # no --prune: its spec is there, the store is no orphan
    assert applied.exit_code == 0, applied.output
    out = applied.stdout
    assert (
        out.index("assistant tutor: updated")
        < out.index("vector_store tutor: deleted")
        < out.index("file specs/kb/a.md: deleted")
    )
    assert list(sdk.vector_stores.list()) == [] and uploads(sdk) == [
        next(name for name in uploads(sdk) if name.endswith("specs__data__verbs.csv"))
    ]
    assert cli(project, "diff").exit_code == 0


def test_only_a_spec_plans_the_store_and_files_it_names(project: Path) -> None:
    tutor(project)
    write_spec(project, "other", instructions="Other.")
    shown = cli(project, "diff", "--only", "tutor", "--output", "json")
    assert shown.exit_code == 2
    names = {(c["kind"], c["name"]) for c in json.loads(shown.stdout)["changes"]}
    assert ("vector_store", "tutor") in names and ("file", "specs/kb/a.md") in names
    assert ("assistant", "other") not in names
    assert cli(project, "apply", "--yes", "--only", "tutor").exit_code == 0
    assert cli(project, "diff", "--only", "tutor").exit_code == 0


def test_destroy_deletes_the_assistant_its_store_and_the_uploads_nothing_else_uses(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    project = make_project(
        tmp_path / "p", base_url=served.base_url, extra_environments={"prod": {"target": "main"}}
    )
    tutor(project)
    assert cli(project, "apply", "--yes").exit_code == 0
    first = uploads(sdk)
    reused = cli(project, "apply", "--yes", "-e", "prod")  # the same bytes: prod reuses dev's uploads
    assert reused.exit_code == 0, reused.output
    assert "file specs/kb/a.md: created" not in reused.stdout and uploads(sdk) == first
    gone = cli(project, "destroy", "--yes")
    assert gone.exit_code == 0, gone.output
    assert "vector_store tutor: deleted" in gone.stdout and "file specs/kb/a.md: deleted" not in gone.stdout
    assert uploads(sdk) == first, "prod still uses every upload"
    assert cli(project, "diff", "-e", "prod").exit_code == 0
    assert cli(project, "destroy", "--yes", "-e", "prod").exit_code == 0
    assert (
        uploads(sdk) == [] and list(sdk.vector_stores.list()) == [] and list(sdk.beta.assistants.list()) == []
    )


def test_a_saved_plan_is_stale_once_its_store_changed(project: Path, sdk: openai.OpenAI) -> None:
    tutor(project)
    assert cli(project, "apply", "--yes").exit_code == 0
    write(project / "specs" / "kb" / "b.md", "# B\ndos, tres\n")
    plan = project / "plan.json"
    assert cli(project, "diff", "--out", str(plan)).exit_code == 2
    [store] = list(sdk.vector_stores.list())
    stray = sdk.files.create(file=("stray.md", b"# stray\n"), purpose="assistants")
    sdk.vector_stores.files.create(store.id, file_id=stray.id)  # someone edits the store after the review
    refused = cli(project, "apply", "--yes", str(plan))
    assert refused.exit_code == 1
    assert f"vector_store `tutor` ({store.id}) changed since the plan was made" in refused.stderr


def test_a_second_store_claiming_a_spec_is_a_duplicate_pruned_after_the_assistant_moves(
    project: Path, sdk: openai.OpenAI
) -> None:
    tutor(project)
    assert cli(project, "apply", "--yes").exit_code == 0
    [kept] = list(sdk.vector_stores.list())
    extra = sdk.vector_stores.create(name="copy", metadata=dict(kept.metadata or {}))
    shown = cli(project, "diff")
    assert shown.exit_code == 2
    assert f"duplicate: vector_store `tutor` is claimed by {extra.id} as well as by {kept.id}" in shown.stdout
    pruned = cli(project, "apply", "--yes", "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert [s.id for s in sdk.vector_stores.list()] == [kept.id]
    assert cli(project, "diff").exit_code == 0


def test_a_saved_plan_with_a_new_file_version_applies_exactly(project: Path, sdk: openai.OpenAI) -> None:
    tutor(project)
    assert cli(project, "apply", "--yes").exit_code == 0
    write(project / "specs" / "kb" / "b.md", "# B\ndos, tres\n")
    plan = project / "plan.json"
    assert cli(project, "diff", "--out", str(plan)).exit_code == 2
    changes = json.loads(plan.read_text(encoding="utf-8"))["changes"]
    assert {(c["kind"], c["action"]) for c in changes if c["name"] == "specs/kb/b.md"} == {
        ("file", "update"),
        ("file", "delete"),
    }
    applied = cli(project, "apply", "--yes", str(plan))
    assert applied.exit_code == 0, applied.output
    assert len(uploads(sdk)) == 3 and cli(project, "diff").exit_code == 0


def test_on_the_local_target_an_upload_a_template_uses_is_never_freed(tmp_path: Path) -> None:
    """`local` serves both protocols from one database: the Agents environment's template and the assistants
    environment's store share an upload; a new version for the store leaves the template's upload alone."""
    project = make_project(
        tmp_path / "p",
        extra_environments={"agents": {"target": "agents"}},
        extra_targets={"agents": {"type": "local", "protocol": "agents"}},
    )
    write(project / "specs" / "kb" / "a.md", "# A\nuno\n")
    write_spec(
        project, "tutor", tools=["file_search"], knowledge={"files": ["kb/*.md"]}, environments=["dev"]
    )
    write(
        project / "specs" / "tutor-env.yaml",
        "version: 1\nkind: environment\nname: tutor-env\n"
        "environments: [agents]\nfiles: [{from: kb/a.md, to: /workspace/a.md}]\n",
    )
    assert cli(project, "apply", "--yes", "-e", "agents").exit_code == 0
    reused = cli(project, "apply", "--yes")
    assert reused.exit_code == 0 and "file specs/kb/a.md: created" not in reused.stdout, reused.output
    write(project / "specs" / "kb" / "a.md", "# A\nuno, dos\n")
    shown = cli(project, "diff")
    # a new version for dev's store; the upload the template uses stays (used by another environment)
    assert "+ file specs/kb/a.md will be created" in shown.stdout and "- file" not in shown.stdout, (
        shown.stdout
    )
    assert cli(project, "apply", "--yes").exit_code == 0
    template = json.loads(cli(project, "diff", "-e", "agents", "--output", "json").stdout)
    (change,) = [c for c in template["changes"] if c["kind"] == "environment"]
    (moved,) = change["fields"]
    assert moved["before"]["/workspace/a.md"]["from"] == "specs/kb/a.md", (
        "the template's upload is still there"
    )
