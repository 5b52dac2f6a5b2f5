"""Knowledge files end to end: content-hash uploads, vector stores, drift, faults (real SDK, served emulator)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import openai
import pytest

from orchestrator.constants import ADMIN_FAULTS_PATH, ADMIN_REQUESTS_PATH
from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import run_cli, run_in, write, write_spec

UPLOAD = "POST /v1/files"


def counts(server: EmulatorServer) -> dict[str, int]:
    return httpx2.get(server.root_url + ADMIN_REQUESTS_PATH).json()["by_route"]


def reset(server: EmulatorServer) -> None:
    httpx2.delete(server.root_url + ADMIN_REQUESTS_PATH)


def writes(server: EmulatorServer) -> dict[str, int]:
    return {route: n for route, n in counts(server).items() if not route.startswith("GET")}


def tutor(project: Path, files: list[str], **fields: object) -> None:
    write_spec(
        project, "tutor", tools=["file_search", "code_interpreter"], knowledge={"files": files}, **fields
    )


def notes(project: Path, count: int = 3) -> list[Path]:
    return [
        write(project / "specs" / "kb" / f"note{i}.md", f"# Note {i}\nsubjuntivo regla {i}\n")
        for i in range(count)
    ]


def apply(project: Path, *extra: str) -> None:
    result = run_in(project, "apply", "--yes", *extra)
    assert result.exit_code == 0, result.output


def diff(project: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_in(project, "diff", *extra)


def project_files(sdk: openai.OpenAI) -> list[str]:
    return sorted(
        f.filename for f in sdk.files.list(purpose="assistants") if f.filename.startswith("orchestrator--")
    )


def store_of(sdk: openai.OpenAI, assistant_name: str = "tutor") -> str:
    for assistant in sdk.beta.assistants.list(limit=100):
        if assistant.name == assistant_name:
            return assistant.tool_resources.file_search.vector_store_ids[0]
    raise AssertionError("assistant not found")


def test_first_apply_uploads_every_file_and_reapply_uploads_none(
    project: Path, served: EmulatorServer, sdk: openai.OpenAI
) -> None:
    notes(project)
    tutor(project, ["kb/*.md"])
    reset(served)
    assert diff(project).exit_code == 2
    assert not writes(served), "diff must only read"
    apply(project)
    assert counts(served)[UPLOAD] == 3
    store = store_of(sdk)
    attached = list(sdk.vector_stores.files.list(store))
    assert len(attached) == 3 and all(f.status == "completed" for f in attached)
    assert {f.attributes["orchestrator.path"] for f in attached} == {f"specs/kb/note{i}.md" for i in range(3)}
    reset(served)
    apply(project)
    assert UPLOAD not in counts(served)
    assert not writes(served), writes(served)
    assert diff(project).exit_code == 0


def test_one_edited_file_costs_one_upload_and_one_replacement(
    project: Path, served: EmulatorServer, sdk: openai.OpenAI
) -> None:
    paths = notes(project)
    tutor(project, ["kb/*.md"])
    apply(project)
    before = {f.id for f in sdk.vector_stores.files.list(store_of(sdk))}
    paths[1].write_text("# Note 1\nchanged text\n", encoding="utf-8")
    shown = diff(project)
    assert shown.exit_code == 2
    assert "knowledge file specs/kb/note1.md" in shown.stdout and "content changed" in shown.stdout
    reset(served)
    apply(project)
    assert counts(served)[UPLOAD] == 1
    after = {f.id for f in sdk.vector_stores.files.list(store_of(sdk))}
    assert len(after) == 3 and len(before - after) == 1 and len(after - before) == 1
    assert len(project_files(sdk)) == 3, "the replaced file is deleted"
    assert diff(project).exit_code == 0


def test_file_removed_from_globs_is_detached_and_deleted(project: Path, sdk: openai.OpenAI) -> None:
    notes(project)
    tutor(project, ["kb/*.md"])
    apply(project)
    tutor(project, ["kb/note0.md", "kb/note1.md"])
    shown = diff(project, "--output", "json")
    data = json.loads(shown.stdout)
    fields = [f for c in data["changes"] for f in c["fields"]]
    (removed,) = fields
    assert removed["path"] == "knowledge.files.specs/kb/note2.md" and removed["after"] is None
    assert removed["before"]["bytes"] == len("# Note 2\nsubjuntivo regla 2\n")
    apply(project)
    attached = {f.attributes["orchestrator.path"] for f in sdk.vector_stores.files.list(store_of(sdk))}
    assert attached == {"specs/kb/note0.md", "specs/kb/note1.md"}
    assert not any("note2" in name for name in project_files(sdk))


def test_a_file_shared_by_two_specs_is_uploaded_once(
    project: Path, served: EmulatorServer, sdk: openai.OpenAI
) -> None:
    notes(project, 2)
    tutor(project, ["kb/*.md"])
    write_spec(project, "coach", tools=["file_search"], knowledge={"files": ["kb/note0.md"]})
    reset(served)
    apply(project)
    assert counts(served)[UPLOAD] == 2
    assert len(project_files(sdk)) == 2
    assert diff(project).exit_code == 0


def test_a_hand_attached_file_shows_as_drift_and_is_removed(project: Path, sdk: openai.OpenAI) -> None:
    notes(project, 1)
    tutor(project, ["kb/*.md"])
    apply(project)
    stray = sdk.files.create(file=("stray.md", b"# stray\n"), purpose="assistants")
    sdk.vector_stores.files.create(store_of(sdk), file_id=stray.id)
    shown = diff(project, "--output", "json")
    assert shown.exit_code == 2
    (change,) = [c for c in json.loads(shown.stdout)["changes"] if c["action"] != "noop"]
    assert (change["kind"], change["name"], change["drift"]) == ("vector_store", "tutor", True)
    assert any(
        f["path"] == f"knowledge.files.(external) {stray.id}" and f["after"] is None for f in change["fields"]
    )
    apply(project)
    assert [f.id for f in sdk.vector_stores.files.list(store_of(sdk))] != [stray.id]
    assert stray.id not in {f.id for f in sdk.vector_stores.files.list(store_of(sdk))}
    assert sdk.files.retrieve(stray.id).id == stray.id, "a file we do not own is detached, never deleted"
    assert diff(project).exit_code == 0


def test_a_hand_removed_file_shows_as_drift(project: Path, sdk: openai.OpenAI) -> None:
    notes(project, 2)
    tutor(project, ["kb/*.md"])
    apply(project)
    store = store_of(sdk)
    victim = next(iter(sdk.vector_stores.files.list(store)))
    sdk.vector_stores.files.delete(victim.id, vector_store_id=store)
    shown = diff(project)
    assert shown.exit_code == 2 and "drift" in shown.stdout
    apply(project)
    assert diff(project).exit_code == 0


def test_ingestion_failure_is_reported_and_apply_fails(project: Path) -> None:
    write(project / "specs" / "kb" / "FAIL_INGEST.md", "# bad\n")
    tutor(project, ["kb/*.md"])
    result = run_cli(["-C", str(project), "apply", "--yes"])
    assert result.exit_code == 1
    assert "FAIL_INGEST.md: ingestion failed" in result.output


def test_attach_that_races_ingestion_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.projects import make_project

    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    with EmulatorServer(tmp_path / "db" / "local.db", attach_race_ms=150, ingest_ms=100) as server:
        project = make_project(tmp_path / "p", base_url=server.base_url)
        notes(project, 2)
        tutor(project, ["kb/*.md"])
        apply(project)
        assert diff(project).exit_code == 0


@pytest.mark.parametrize("seed", [2, 7, 11])
def test_an_apply_that_succeeds_under_faults_leaves_everything_converged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Faults (lost responses included) hit uploads, stores and attaches; an apply that exits 0
    must have left live state exactly as planned: no duplicate files or stores, diff clean."""
    from tests.support.projects import make_project

    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    with EmulatorServer(tmp_path / "db" / "local.db") as server:
        project = make_project(tmp_path / "p", base_url=server.base_url)
        for i in range(1, 6):
            write(project / "specs" / "kn" / f"f{i}.md", f"# note {i}\nsubjuntivo {i}\n")
        for i in range(12):
            write_spec(
                project,
                f"s{i}",
                tools=["file_search"],
                knowledge={"files": [f"kn/f{i % 5 + 1}.md", f"kn/f{(i + 1) % 5 + 1}.md"]},
            )
        httpx2.post(server.root_url + ADMIN_FAULTS_PATH, json={"fault_rate": 0.25, "seed": seed})
        succeeded = False
        for _ in range(8):
            if run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0:
                succeeded = True
                break
        httpx2.post(server.root_url + ADMIN_FAULTS_PATH, json={"fault_rate": 0.0})
        assert succeeded, "no apply succeeded under faults"
        after = diff(project)
        assert after.exit_code == 0, after.output
        with openai.OpenAI(base_url=server.base_url, api_key="x") as sdk:
            names = project_files(sdk)
            assert len(names) == len(set(names)) == 5
            assert len(list(sdk.beta.assistants.list(limit=100))) == 12
            assert len(list(sdk.vector_stores.list(limit=100))) == 12


def test_saved_plan_with_knowledge_is_refused_when_a_file_changed(project: Path, sdk: openai.OpenAI) -> None:
    paths = notes(project, 2)
    tutor(project, ["kb/*.md"])
    plan = project / "plan.json"
    assert run_cli(["-C", str(project), "diff", "--out", str(plan)]).exit_code == 2
    paths[0].write_text("# changed after review\n", encoding="utf-8")
    result = run_cli(["-C", str(project), "apply", "--yes", str(plan)])
    assert result.exit_code == 1
    assert "changed since the plan was made" in result.output


def test_saved_plan_with_knowledge_applies_exactly(project: Path, sdk: openai.OpenAI) -> None:
    notes(project, 2)
    tutor(project, ["kb/*.md"])
    plan = project / "plan.json"
    assert run_cli(["-C", str(project), "diff", "--out", str(plan)]).exit_code == 2
    assert run_cli(["-C", str(project), "apply", "--yes", str(plan)]).exit_code == 0
    assert diff(project).exit_code == 0


def test_code_files_are_uploaded_and_attached_to_code_interpreter(project: Path, sdk: openai.OpenAI) -> None:
    write(project / "specs" / "data" / "verbs.csv", "verb,english\nser,to be\n")
    notes(project, 1)
    tutor(project, ["kb/*.md"], code_files=["data/*.csv"])
    apply(project)
    assistant = next(iter(sdk.beta.assistants.list(limit=100)))
    (file_id,) = assistant.tool_resources.code_interpreter.file_ids
    assert sdk.files.retrieve(file_id).filename.endswith("--specs__data__verbs.csv")
    assert diff(project).exit_code == 0
    write_spec(project, "tutor", tools=["file_search"], knowledge={"files": ["kb/*.md"]})
    apply(project)
    assert diff(project).exit_code == 0
    assert not any("verbs" in name for name in project_files(sdk))


def test_pruning_an_orphan_deletes_its_vector_store(project: Path, sdk: openai.OpenAI) -> None:
    notes(project, 1)
    tutor(project, ["kb/*.md"])
    apply(project)
    (project / "specs" / "tutor.yaml").unlink()
    apply(project, "--prune")
    assert list(sdk.vector_stores.list()) == []
    assert project_files(sdk) == []


def test_knowledge_referencing_an_existing_vector_store_is_kept_as_a_reference(
    project: Path, sdk: openai.OpenAI
) -> None:
    store = sdk.vector_stores.create(name="shared")
    write_spec(project, "tutor", tools=["file_search"], knowledge={"vector_store_id": store.id})
    apply(project)
    assert store_of(sdk) == store.id
    assert diff(project).exit_code == 0
    assert sdk.vector_stores.retrieve(store.id).id == store.id
