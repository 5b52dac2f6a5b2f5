"""Issue 29: `history NAME` and `history NAME --diff REV` share one definition of "changed what NAME deploys":
the payload apply would send for it (its rendered object and the content of the files it uploads), not the
files it was rendered from. A real git repository, the real CLI, the embedded emulator (nothing live read
but the history's own marker)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.revisions.conftest import Repo, new_repo, seed, tutor_fields
from tests.support.projects import write, write_spec


def history(repo: Repo, name: str) -> list[str]:
    result = repo.cli("history", name, "-o", "json")
    assert result.exit_code == 0, result.output
    return [r["commit"] for r in json.loads(result.stdout)["revisions"]]


def diff_says_changed(repo: Repo, name: str, commit: str) -> bool:
    result = repo.cli("history", name, "--diff", commit, "-o", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return data["change"]["action"] != "noop" or bool(data.get("uploads"))


def same_payload_commits(repo: Repo) -> None:
    """c2..c4 touch files the tutor renders from but render the same payload; c5 changes it."""
    root = repo.project
    seed(root)
    repo.commit("c1", "Add tutor, analyst and helper")
    write(
        root / "templates" / "tutor.md.j2",
        "{# reviewed by the language team #}You teach {{ language }}.\n{% include 'partials/tone.md.j2' %}",
    )
    repo.commit("c2", "Tutor template: a comment")
    project = yaml.safe_load((root / "orchestrator.yaml").read_text(encoding="utf-8"))
    project["environments"]["prod"] = {"target": "main", "vars": {"company": "Acme Prod"}}
    (root / "orchestrator.yaml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    repo.commit("c3", "A prod environment with its own vars")
    write(root / "templates" / "partials" / "unused.md.j2", "no spec includes this\n")
    spec = root / "specs" / "tutor.yaml"
    spec.write_text("# the tutor\n" + spec.read_text(encoding="utf-8"), encoding="utf-8")
    repo.commit("c4", "Tutor spec: a comment")
    write_spec(root, "tutor", **tutor_fields(metadata={"audience": "adults"}))
    repo.commit("c5", "Tutor: for adults")
    write(repo.top / "README.md", "Not part of the project.\n")
    repo.commit("c6", "Top-level readme")


def test_history_lists_only_commits_whose_diff_shows_a_change(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo", base_url=None)
    same_payload_commits(repo)
    c = repo.commits
    listed = history(repo, "tutor")
    assert listed == [c["c5"], c["c1"]]
    for label in ("c2", "c3", "c4", "c5"):  # the two commands agree on every commit
        assert diff_says_changed(repo, "tutor", c[label]) == (c[label] in listed), label
    text = repo.cli("history", "tutor", "--diff", c["c2"])
    assert f"{c['c2'][:7]} did not change what tutor deploys" in text.stdout
    assert "it changed templates/tutor.md.j2, which renders the same payload" in text.stdout
    outside = repo.cli("history", "tutor", "--diff", c["c6"])
    assert outside.exit_code == 0, outside.output
    assert f"{c['c6'][:7]} did not change what tutor deploys.\n" in outside.stdout
    assert "it changed" not in outside.stdout
    moved = json.loads(repo.cli("history", "tutor", "--diff", c["c3"], "-o", "json").stdout)
    assert (moved["change"]["action"], moved["files"], moved["uploads"]) == (
        "noop",
        ["orchestrator.yaml"],
        [],
    )


def tutor_with_knowledge(tmp_path: Path) -> Repo:
    """A repo whose spec `tutor` has knowledge file kb/a.md: commit k1 adds them, k2 edits only the file."""
    repo = new_repo(tmp_path / "repo", base_url=None)
    root = repo.project
    write(root / ".gitignore", ".orchestrator/\n")
    write(root / "specs" / "kb" / "a.md", "# A\nuno\n")
    write_spec(
        root, "tutor", instructions="You teach.", tools=["file_search"], knowledge={"files": ["kb/*.md"]}
    )
    repo.commit("k1", "Tutor with knowledge")
    write(root / "specs" / "kb" / "a.md", "# A\nuno, dos\n")
    repo.commit("k2", "Knowledge: dos")
    return repo


def test_a_knowledge_file_edit_changes_what_the_spec_deploys(tmp_path: Path) -> None:
    repo = tutor_with_knowledge(tmp_path)
    assert history(repo, "tutor") == [repo.commits["k2"], repo.commits["k1"]]
    assert diff_says_changed(repo, "tutor", repo.commits["k2"])
    text = repo.cli("history", "tutor", "--diff", repo.commits["k2"])
    assert text.exit_code == 0, text.output
    assert "~ specs/kb/a.md" in text.stdout


def test_rollback_goes_back_over_a_knowledge_file_edit(tmp_path: Path) -> None:
    """The same definition picks the revision rollback goes to: k1 deploys other knowledge than live k2."""
    repo = tutor_with_knowledge(tmp_path)
    assert repo.cli("apply", "--yes").exit_code == 0
    back = repo.cli("rollback", "tutor", "--yes")
    assert back.exit_code == 0, back.output
    assert f"-> {repo.commits['k1'][:7]} (Tutor with knowledge" in back.stderr
    assert "vector_store tutor: updated" in back.stdout
    assert repo.cli("diff", "--rev", repo.commits["k1"]).exit_code == 0
