"""A skill rolled back to the previous commit (`apply --rev HEAD~1`, the state built from git objects): the
kept version with that content becomes the default again (no upload), and its template is re-pinned."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openai
import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import make_project, run_cli, write

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(top: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", "-C", str(top), *args], check=True, capture_output=True, env=env, timeout=60)


def test_rollback_of_a_skill_is_instant(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = skill_project(tmp_path, served, monkeypatch, keep_versions=None)
    skill = sdk.skills.list().data[0]
    assert (skill.default_version, skill.latest_version) == ("2", "2")

    result = run_cli(["-C", str(root), "apply", "--rev", "HEAD~1", "--yes"])
    assert result.exit_code == 0, result.output
    skill = sdk.skills.retrieve(skill.id)
    assert (skill.default_version, skill.latest_version) == ("1", "2")  # no upload
    template = sdk.beta.agents.environments.templates.list().data[0]
    assert [s.version for s in template.skills] == ["1"]  # type: ignore[union-attr]
    assert (root / "skills" / "grammar" / "SKILL.md").read_text().endswith("two\n")  # the work tree untouched


def skill_project(
    tmp_path: Path,
    served: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    *,
    keep_versions: int | None = 5,
    template: str = "tutor-env",
) -> Path:
    """An agents project whose template pins a skill; two commits, each applied: the skill's content one, two.
    keep_versions None leaves the key out of the skill's spec (the default)."""
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    root = make_project(tmp_path / "repo", base_url=served.base_url, backend="agents")
    subprocess.run(
        ["git", "init", "-q", "-b", "main", str(root)], check=True, capture_output=True, timeout=60
    )
    write(root / ".gitignore", ".orchestrator/\n")
    write(
        root / "specs" / "grammar.yaml",
        "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\n"
        + (f"keep_versions: {keep_versions}\n" if keep_versions is not None else ""),
    )
    write(
        root / "specs" / f"{template}.yaml",
        f"version: 1\nkind: environment\nname: {template}\nskills: [grammar]\n",
    )
    for body in ("one", "two"):
        write(
            root / "skills" / "grammar" / "SKILL.md",
            f"---\nname: grammar\ndescription: Grammar\n---\n{body}\n",
        )
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"skill: {body}")
        result = run_cli(["-C", str(root), "apply", "--yes"])
        assert result.exit_code == 0, result.output
    return root


def test_rollback_names_a_skill_and_its_template_follows(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = skill_project(tmp_path, served, monkeypatch)
    listed = run_cli(["-C", str(root), "list"])
    assert "grammar    skill" in listed.stdout and "at HEAD" in listed.stdout, (
        listed.output
    )  # a revision is recorded
    history = run_cli(["-C", str(root), "history", "grammar"])
    assert "History of skill grammar" in history.stdout and "skill: two  (live)" in history.stdout, (
        history.output
    )

    result = run_cli(["-C", str(root), "rollback", "grammar", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Rolling back grammar: live " in result.stderr and "(skill: one, T," in result.stderr
    assert "~ skill grammar" in result.stdout and "~ file SKILL.md" in result.stdout
    assert "~ environment tutor-env" in result.stdout  # re-pinned: sessions in it get the old content
    assert "Rollback complete: 0 created, 2 updated, 0 deleted, 0 failed." in result.stdout
    [skill] = sdk.skills.list().data
    assert (skill.default_version, skill.latest_version) == ("1", "2")  # the kept version again, no upload
    [template] = sdk.beta.agents.environments.templates.list().data
    assert [s.version for s in template.skills] == ["1"]  # type: ignore[union-attr]
    listed = run_cli(["-C", str(root), "list"])
    assert "1 commit behind" in listed.stdout, listed.output
    assert run_cli(["-C", str(root), "diff"]).exit_code == 2  # the working tree (two) is ahead again

    again = run_cli(["-C", str(root), "rollback", "grammar", "--yes"])  # nothing before the first revision
    assert again.exit_code == 1 and "no earlier revision deploys anything else" in again.stderr, again.output
    assert run_cli(["-C", str(root), "apply", "--yes"]).exit_code == 0  # forward again: the kept version 2
    skill = sdk.skills.retrieve(skill.id)
    assert (skill.default_version, skill.latest_version) == ("2", "2")


def test_rollback_of_a_skill_whose_version_was_pruned_uploads_it_again(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = skill_project(tmp_path, served, monkeypatch, keep_versions=1, template="a-env")  # sorts before
    [skill] = sdk.skills.list().data
    assert [v.version for v in sdk.skills.versions.list(skill.id).data] == ["2"]  # keep_versions: 1
    result = run_cli(["-C", str(root), "rollback", "--yes"])  # every spec with a live revision: the skill too
    assert result.exit_code == 0, result.output
    assert "Rolling back grammar" in result.stderr
    skill = sdk.skills.retrieve(skill.id)
    assert (skill.default_version, skill.latest_version) == ("3", "3")
    assert [v.version for v in sdk.skills.versions.list(skill.id).data] == ["3"]
    [template] = sdk.beta.agents.environments.templates.list().data
    assert [s.version for s in template.skills] == ["3"]  # type: ignore[union-attr]


def test_rollback_of_a_skill_refuses_a_template_with_changes_of_its_own(
    tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = skill_project(tmp_path, served, monkeypatch)
    write(
        root / "specs" / "tutor-env.yaml",
        "version: 1\nkind: environment\nname: tutor-env\nskills: [grammar]\npackages: {python: [pandas]}\n",
    )
    [before] = sdk.beta.agents.environments.templates.list().data
    result = run_cli(["-C", str(root), "rollback", "grammar", "--yes"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert (
        "error: rolling back skill `grammar` re-pins the environment templates using it, but environment "
        "`tutor-env` has changes of its own not applied yet"
    ) in result.stderr
    assert "nothing was changed" in result.stderr
    [skill] = sdk.skills.list().data
    assert (skill.default_version, skill.latest_version) == ("2", "2")
    [after] = sdk.beta.agents.environments.templates.list().data
    assert after.model_dump() == before.model_dump()
