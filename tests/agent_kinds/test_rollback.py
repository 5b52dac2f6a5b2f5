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
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", "-C", str(top), *args], check=True, capture_output=True, env=env, timeout=60)


def test_rollback_of_a_skill_is_instant(tmp_path: Path, served: EmulatorServer, sdk: openai.OpenAI,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)
    root = make_project(tmp_path / "repo", base_url=served.base_url, backend="agents")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, capture_output=True, timeout=60)
    write(root / ".gitignore", ".orchestrator/\n")
    write(root / "specs" / "grammar.yaml", "version: 1\nkind: skill\nname: grammar\nfolder: ../skills/grammar\n")
    write(root / "specs" / "tutor-env.yaml", "version: 1\nkind: environment\nname: tutor-env\nskills: [grammar]\n")
    for body in ("one", "two"):
        write(root / "skills" / "grammar" / "SKILL.md", f"---\nname: grammar\ndescription: Grammar\n---\n{body}\n")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"skill: {body}")
        result = run_cli(["-C", str(root), "apply", "--yes"])
        assert result.exit_code == 0, result.output
    skill = sdk.skills.list().data[0]
    assert (skill.default_version, skill.latest_version) == ("2", "2")

    result = run_cli(["-C", str(root), "apply", "--rev", "HEAD~1", "--yes"])
    assert result.exit_code == 0, result.output
    skill = sdk.skills.retrieve(skill.id)
    assert (skill.default_version, skill.latest_version) == ("1", "2")  # no upload
    template = sdk.beta.agents.environments.templates.list().data[0]
    assert [s.version for s in template.skills] == ["1"]  # type: ignore[union-attr]
    assert (root / "skills" / "grammar" / "SKILL.md").read_text().endswith("two\n")  # the work tree untouched
