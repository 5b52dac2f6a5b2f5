"""Revisions end to end: a real git repository, the real CLI, a served emulator over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import openai

from orchestrator.engine.ownership import HASH_KEY, parse_revision
from tests.revisions.conftest import Repo, build_history, new_repo, seed, tutor_fields
from tests.support.live import owned_by, request_counts, reset_counts, snapshot, writes
from tests.support.projects import make_project, run_cli, write, write_spec

OWNER = "test-project/dev/"


def live(sdk: openai.OpenAI, name: str) -> object:
    [found] = owned_by(sdk, OWNER + name)
    return found


def revision_of(sdk: openai.OpenAI, name: str) -> str | None:
    return parse_revision(live(sdk, name).metadata)  # type: ignore[attr-defined]


def test_apply_records_the_commit_and_diff_after_apply_is_clean(repo: Repo, sdk: openai.OpenAI) -> None:
    seed(repo.project)
    c1 = repo.commit("c1", "Add tutor, analyst and helper")
    assert repo.cli("apply", "--yes").exit_code == 0
    assert {revision_of(sdk, n) for n in ("tutor", "analyst", "helper")} == {c1}
    value = live(sdk, "tutor").metadata[HASH_KEY]  # type: ignore[attr-defined]
    assert value.endswith(f";rev={c1}") and len(value) <= 512
    assert repo.cli("diff").exit_code == 0


def test_dirty_is_per_spec_files(repo: Repo, sdk: openai.OpenAI) -> None:
    seed(repo.project)
    c1 = repo.commit("c1", "Add tutor, analyst and helper")
    write(repo.project / "templates" / "partials" / "tone.md.j2", "Keep a dry tone.\n")  # tutor and analyst
    write_spec(repo.project, "helper", instructions="You help.", temperature=0.5)  # helper too
    write(repo.project / "notes.txt", "unrelated and untracked\n")
    assert repo.cli("apply", "--yes").exit_code == 0
    assert {n: revision_of(sdk, n) for n in ("tutor", "analyst", "helper")} == dict.fromkeys(
        ("tutor", "analyst", "helper"), f"{c1}+dirty"
    )
    repo.commit("c2", "Dry tone")
    write(repo.project / "schemas" / "exercise.json", '{"type": "object", "properties": {}}\n')  # tutor only
    assert repo.cli("apply", "--yes").exit_code == 0
    c2 = repo.commits["c2"]
    assert revision_of(sdk, "tutor") == f"{c2}+dirty"
    # analyst and helper did not change, so they are not updated and keep what they were applied from
    assert revision_of(sdk, "analyst") == f"{c1}+dirty"
    listed = {r["name"]: r["revision"] for r in json.loads(repo.cli("list", "-o", "json").stdout)}
    assert listed["tutor"]["dirty"] is True and listed["tutor"]["behind"] == 0
    assert listed["tutor"]["summary"] == f"{c2[:7]}, dirty, at HEAD"


def test_a_new_commit_with_the_same_content_changes_nothing_live(
    repo: Repo, sdk: openai.OpenAI, served: object
) -> None:
    seed(repo.project)
    c1 = repo.commit("c1", "Add tutor, analyst and helper")
    assert repo.cli("apply", "--yes").exit_code == 0
    write(repo.top / "CHANGELOG.md", "outside the project\n")
    repo.commit("c2", "Changelog")
    write(repo.project / "templates" / "partials" / "unused.md.j2", "no spec includes this\n")
    repo.commit("c3", "An unused partial")
    reset_counts(served.root_url)  # type: ignore[attr-defined]
    assert repo.cli("diff").exit_code == 0
    result = repo.cli("apply", "--yes")
    assert result.exit_code == 0 and "No changes" in result.stdout
    assert writes(request_counts(served.root_url)) == 0  # type: ignore[attr-defined]
    assert revision_of(sdk, "tutor") == c1
    text = repo.cli("list").stdout
    assert text.splitlines()[0].split() == ["NAME", "ID", "STATUS", "REVISION"]
    assert f"{c1[:7]}, 2 commits behind (same content as HEAD)" in text


def test_list_shows_the_distance_from_head(history_repo: Repo, sdk: openai.OpenAI) -> None:
    repo = history_repo
    assert repo.cli("apply", "--yes", "--rev", repo.commits["c2"]).exit_code == 0
    rows = {r["name"]: r for r in json.loads(repo.cli("list", "-o", "json").stdout)}
    tutor = rows["tutor"]["revision"]
    assert (tutor["commit"], tutor["dirty"], tutor["ahead"], tutor["behind"]) == (
        repo.commits["c2"],
        False,
        0,
        5,
    )
    assert tutor["summary"] == f"{repo.commits['c2'][:7]}, 5 commits behind"
    assert rows["tutor"]["status"] == "changed"


def test_history_lists_the_commits_that_changed_each_spec(history_repo: Repo, sdk: openai.OpenAI) -> None:
    repo = history_repo
    c = repo.commits
    assert repo.cli("apply", "--yes").exit_code == 0  # everything live at c7
    data = json.loads(repo.cli("history", "tutor", "-o", "json").stdout)
    # c5 only moved the spec files: the same payload, so not a revision that changed what tutor deploys
    assert [r["commit"] for r in data["revisions"]] == [c["c6"], c["c3"], c["c2"], c["c1"]]
    assert data["revisions"][1]["files"] == ["templates/partials/tone.md.j2"]
    assert data["revisions"][-1]["created"] is True
    assert [r["live"] for r in data["revisions"]] == [True, False, False, False]
    assert data["live"]["revision"] == {"commit": c["c7"], "dirty": False}
    assert (
        data["revisions"][0]["author"] == "Ana Ruiz"
        and data["revisions"][0]["subject"] == "Tutor: exercises take a topic"
    )
    analyst = json.loads(repo.cli("history", "analyst", "-o", "json").stdout)
    assert [r["commit"] for r in analyst["revisions"]] == [c["c3"], c["c1"]]
    helper = json.loads(repo.cli("history", "helper", "-o", "json").stdout)
    assert [r["commit"] for r in helper["revisions"]] == [c["c4"], c["c1"]]
    text = repo.cli("history", "tutor")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0] == (
        "History of assistant tutor (environment dev, target main): 4 revisions changed what it "
        "deploys, newest first"
    )
    assert lines[3].startswith(f"*  {c['c6'][:7]}") and lines[3].endswith(
        f"Tutor: exercises take a topic  (live, applied from {c['c7'][:7]})"
    )
    assert lines[-1].endswith("Add tutor, analyst and helper  (created)")


def test_history_diff_shows_the_rendered_payload_change(history_repo: Repo) -> None:
    repo = history_repo
    c3 = repo.commits["c3"]
    result = repo.cli("history", "analyst", "--diff", c3[:9])
    assert result.exit_code == 0, result.output
    assert f"assistant analyst at {c3[:7]} (Shared partial: formal tone, Ana Ruiz" in result.stdout
    assert f"--- {repo.commits['c2'][:7]}" in result.stdout and f"+++ {c3[:7]}" in result.stdout
    assert "-Keep a playful tone." in result.stdout and "+Keep a formal tone." in result.stdout
    data = json.loads(repo.cli("history", "analyst", "--diff", c3, "-o", "json").stdout)
    assert data["change"]["action"] == "update"
    assert [f["path"] for f in data["change"]["fields"]] == ["instructions"]
    moved = repo.cli("history", "tutor", "--diff", repo.commits["c5"])
    assert moved.exit_code == 0 and "did not change what tutor deploys" in moved.stdout
    schema = json.loads(repo.cli("history", "tutor", "--diff", repo.commits["c6"], "-o", "json").stdout)
    assert [f["path"] for f in schema["change"]["fields"]] == ["functions.exercise.parameters"]


def test_diff_and_apply_at_a_revision_never_touch_the_working_tree(
    history_repo: Repo, sdk: openai.OpenAI
) -> None:
    repo = history_repo
    write(repo.project / "templates" / "partials" / "tone.md.j2", "Uncommitted tone.\n")
    before = repo.status()
    files = {
        p: p.read_bytes() for p in repo.project.rglob("*") if p.is_file() and ".orchestrator" not in p.parts
    }
    assert repo.cli("apply", "--yes").exit_code == 0
    c1 = repo.commits["c1"]
    result = repo.cli("diff", "--rev", "HEAD~6")
    assert result.exit_code == 2
    assert f"Desired state from revision {c1[:7]} (Add tutor, analyst and helper, Ana Ruiz" in result.stderr
    assert "-Uncommitted tone." in result.stdout and "+Keep a playful tone." in result.stdout
    assert repo.cli("apply", "--rev", "HEAD~6", "--yes").exit_code == 0
    assert "playful" in live(sdk, "tutor").instructions  # type: ignore[attr-defined]
    assert live(sdk, "tutor").metadata["audience"] == "everyone"  # type: ignore[attr-defined]
    assert {revision_of(sdk, n) for n in ("tutor", "analyst", "helper")} == {c1}
    assert repo.cli("diff", "--rev", c1).exit_code == 0
    assert repo.status() == before
    assert files == {
        p: p.read_bytes() for p in repo.project.rglob("*") if p.is_file() and ".orchestrator" not in p.parts
    }
    assert repo.cli("diff").exit_code == 2  # the working tree still says something else


def test_rollback_one_spec_while_the_others_stay(history_repo: Repo, sdk: openai.OpenAI) -> None:
    repo = history_repo
    c = repo.commits
    assert repo.cli("apply", "--yes").exit_code == 0
    others = [o for o in snapshot(sdk) if not o["metadata"]["orchestrator.owner"].endswith("/tutor")]
    first = repo.cli("rollback", "tutor", "--yes")
    assert first.exit_code == 0, first.output
    assert (
        f"Rolling back tutor: live {c['c7'][:7]} -> {c['c5'][:7]} (Move the specs to agents/" in first.stderr
    )
    assert "~ assistant tutor" in first.stdout and "Rollback complete: 0 created, 1 updated" in first.stdout
    assert "topic" not in json.dumps(live(sdk, "tutor").tools[0].model_dump())  # type: ignore[attr-defined]
    assert revision_of(sdk, "tutor") == c["c5"]
    second = repo.cli("rollback", "tutor", "--yes")
    assert second.exit_code == 0, second.output
    # c3 deploys what c5 deploys (c5 only moved files), so the revision before is c2
    assert f"-> {c['c2'][:7]} (Tutor: for adults" in second.stderr
    assert "passing over 1 with the live payload" in second.stderr
    assert "playful" in live(sdk, "tutor").instructions  # type: ignore[attr-defined]
    assert revision_of(sdk, "tutor") == c["c2"]
    assert [o for o in snapshot(sdk) if not o["metadata"]["orchestrator.owner"].endswith("/tutor")] == others
    history = json.loads(repo.cli("history", "tutor", "-o", "json").stdout)
    assert [r["commit"] for r in history["revisions"] if r["live"]] == [c["c2"]]
    first_revision = repo.cli("rollback", "tutor", "--yes")
    assert first_revision.exit_code == 0
    assert revision_of(sdk, "tutor") == c["c1"]
    nothing = repo.cli("rollback", "tutor", "--yes")
    assert nothing.exit_code == 1 and "no earlier revision" in nothing.stderr


def test_rollback_every_spec_goes_back_per_spec(history_repo: Repo, sdk: openai.OpenAI) -> None:
    repo = history_repo
    c = repo.commits
    assert repo.cli("apply", "--yes").exit_code == 0
    result = repo.cli("rollback", "--yes")
    assert result.exit_code == 0, result.output
    # each spec goes to the commit before its own live content: c1 for analyst and helper
    assert {n: revision_of(sdk, n) for n in ("tutor", "analyst", "helper")} == {
        "tutor": c["c5"],
        "analyst": c["c1"],
        "helper": c["c1"],
    }
    assert "Rollback complete: 0 created, 3 updated" in result.stdout


def test_rollback_asks_like_apply(history_repo: Repo, sdk: openai.OpenAI) -> None:
    repo = history_repo
    assert repo.cli("apply", "--yes").exit_code == 0
    refused = repo.cli("rollback", "tutor")
    assert refused.exit_code == 1 and "rollback needs --yes when no terminal is attached" in refused.stderr
    assert revision_of(sdk, "tutor") == repo.commits["c7"]
    unknown = repo.cli("rollback", "nobody", "--yes")
    assert unknown.exit_code == 1 and "spec `nobody` has nothing live" in unknown.stderr


def test_a_saved_plan_keeps_its_revision(history_repo: Repo, sdk: openai.OpenAI, tmp_path: Path) -> None:
    repo = history_repo
    plan = tmp_path / "plan.json"
    assert repo.cli("diff", "--rev", "HEAD~3", "--out", str(plan)).exit_code == 2
    assert repo.cli("apply", str(plan), "--yes").exit_code == 0
    assert revision_of(sdk, "helper") == repo.commits["c4"]
    assert repo.cli("apply", str(plan), "--rev", "HEAD").exit_code == 1


def test_bad_revisions_are_clear_errors(history_repo: Repo) -> None:
    repo = history_repo
    for args, message in (
        (["diff", "--rev", "no-such-branch"], "unknown git revision `no-such-branch`"),
        (["apply", "--rev", "--yes"], "`--yes` is not a git revision"),
        (["history", "tutor", "--diff", "HEAD~99"], "unknown git revision `HEAD~99`"),
        (["history", "nobody"], "spec `nobody` is not in revision"),
    ):
        result = repo.cli(*args)
        assert result.exit_code == 1, args
        assert message in result.stderr and "Traceback" not in result.output


def test_a_revision_that_does_not_validate_changes_nothing(repo: Repo, sdk: openai.OpenAI) -> None:
    seed(repo.project)
    write_spec(repo.project, "helper", instructions="You help.", temprature=0.3)
    repo.commit("bad", "A typo")
    write_spec(repo.project, "helper", instructions="You help.")
    repo.commit("good", "Fix the typo")
    result = repo.cli("apply", "--rev", "HEAD~1", "--yes")
    assert result.exit_code == 1
    assert "specs/helper.yaml" in result.stderr and "temperature" in result.stderr
    assert "does not validate; nothing was changed" in result.stderr
    assert owned_by(sdk, OWNER + "helper") == []


def test_outside_git_the_revision_is_unknown_and_nothing_breaks(project: Path, sdk: openai.OpenAI) -> None:
    write_spec(project, "helper")
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    assert revision_of(sdk, "helper") is None
    assert run_cli(["-C", str(project), "diff"]).exit_code == 0
    rows = json.loads(run_cli(["-C", str(project), "list", "-o", "json"]).stdout)
    assert rows[0]["revision"] == {
        "commit": None,
        "dirty": False,
        "ahead": None,
        "behind": None,
        "summary": "unknown",
    }
    assert run_cli(["-C", str(project), "list"]).stdout.splitlines()[0].split() == ["NAME", "ID", "STATUS"]
    for args in (["history", "helper"], ["rollback", "--yes"], ["diff", "--rev", "HEAD"]):
        result = run_cli(["-C", str(project), *args])
        assert result.exit_code == 1 and "needs a git repository" in result.stderr, args


def test_agents_backend_on_the_embedded_target(tmp_path: Path) -> None:
    """The other backend, and the local target: its database stays the project's own under --rev."""
    repo = new_repo(tmp_path / "agents-repo", base_url=None, backend="agents")
    build_history(repo)
    assert repo.cli("apply", "--yes").exit_code == 0
    database = repo.project / ".orchestrator" / "local.db"
    assert database.is_file()
    first = repo.cli("rollback", "tutor", "--yes")
    assert first.exit_code == 0, first.output
    assert "~ agent tutor" in first.stdout
    rows = {r["name"]: r for r in json.loads(repo.cli("list", "-o", "json").stdout)}
    assert rows["tutor"]["kind"] == "agent" and rows["tutor"]["revision"]["commit"] == repo.commits["c5"]
    assert rows["analyst"]["revision"]["commit"] == repo.commits["c7"]
    data = json.loads(repo.cli("history", "tutor", "-o", "json").stdout)
    assert data["kind"] == "agent" and [r["live"] for r in data["revisions"]][:2] == [False, True]
    assert repo.cli("apply", "--rev", "HEAD", "--yes").exit_code == 0
    assert repo.cli("diff").exit_code == 0
    assert not (repo.project / "agents" / ".orchestrator").exists()


def test_a_project_at_the_top_of_its_repository(tmp_path: Path, served: object, sdk: openai.OpenAI) -> None:
    project = make_project(tmp_path / "top", base_url=served.base_url)  # type: ignore[attr-defined]
    repo = Repo(project, project)
    repo.git("init", "-q", "-b", "main")
    seed(project)
    repo.commit("c1", "Seed")
    write_spec(project, "tutor", **tutor_fields(metadata={"audience": "children"}))
    repo.commit("c2", "Tutor for children")
    assert repo.cli("apply", "--yes").exit_code == 0
    data = json.loads(repo.cli("history", "tutor", "-o", "json").stdout)
    assert [r["commit"] for r in data["revisions"]] == [repo.commits["c2"], repo.commits["c1"]]
    assert repo.cli("rollback", "tutor", "--yes").exit_code == 0
    assert live(sdk, "tutor").metadata["audience"] == "everyone"  # type: ignore[attr-defined]


def test_rollback_of_a_spec_rolls_its_knowledge_store_back_too(repo: Repo, sdk: openai.OpenAI) -> None:
    """The store and files a spec names at the revision rolled back to are planned with it (kinds of the graph)."""
    root = repo.project
    write(root / ".gitignore", ".orchestrator/\n")
    write(root / "specs" / "kb" / "a.md", "# A\nuno\n")
    write_spec(
        root, "tutor", instructions="You teach.", tools=["file_search"], knowledge={"files": ["kb/*.md"]}
    )
    repo.commit("k1", "Tutor with knowledge")
    assert repo.cli("apply", "--yes").exit_code == 0
    write(root / "specs" / "kb" / "a.md", "# A\nuno, dos\n")
    write_spec(
        root, "tutor", instructions="You teach well.", tools=["file_search"], knowledge={"files": ["kb/*.md"]}
    )
    repo.commit("k2", "Tutor: better knowledge")
    assert repo.cli("apply", "--yes").exit_code == 0
    back = repo.cli("rollback", "tutor", "--yes")
    assert back.exit_code == 0, back.output
    assert "vector_store tutor: updated" in back.stdout and "assistant tutor: updated" in back.stdout
    [store] = list(sdk.vector_stores.list())
    [attached] = list(sdk.vector_stores.files.list(store.id))
    assert sdk.files.retrieve(attached.id).bytes == len("# A\nuno\n")
    assert repo.cli("diff", "--rev", repo.commits["k1"]).exit_code == 0
