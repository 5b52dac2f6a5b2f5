"""A real git repository made in the test: a project in a sub-folder, several commits, one shared partial."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from orchestrator.emulator import EmulatorServer
from tests.conftest import TEST_KEY
from tests.support.projects import Result, make_project, run_in, write, write_json, write_spec

if shutil.which("git") is None:  # pragma: no cover - git is on every machine the tests run on
    pytest.skip("git is not installed", allow_module_level=True)

SCHEMA = {
    "type": "object",
    "properties": {"level": {"type": "string"}},
    "required": ["level"],
    "additionalProperties": False,
}


@dataclass
class Repo:
    """A git work tree at `top` holding the project at `project` (a sub-folder, as in a monorepo)."""

    top: Path
    project: Path
    commits: dict[str, str] = field(default_factory=dict)  # label -> commit id
    clock: int = 1_790_000_000

    def git(self, *args: str) -> str:
        self.clock += 60
        stamp = f"{self.clock} +0100"
        env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        done = subprocess.run(
            ["git", "-C", str(self.top), *args],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        )
        return done.stdout.strip()

    def commit(self, label: str, subject: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", subject)
        self.commits[label] = self.git("rev-parse", "HEAD")
        return self.commits[label]

    def status(self) -> str:
        """The work tree's state, but for the project's own target state (.orchestrator/, ignored)."""
        lines = self.git("status", "--porcelain", "--ignored", "--untracked-files=all").splitlines()
        return "\n".join(line for line in lines if "/.orchestrator/" not in line)

    def cli(self, *args: str, **kwargs: Any) -> Result:
        return run_in(self.project, *args, **kwargs)


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Commits by a known author, whatever the machine's git configuration."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Ana Ruiz")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "ana@example.com")
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", TEST_KEY)


def tutor_fields(**extra: Any) -> dict[str, Any]:
    return {
        "instructions": {"template": "tutor.md.j2", "vars": {"language": "Spanish"}},
        "functions": [
            {"name": "exercise", "description": "Make an exercise", "parameters": "../schemas/exercise.json"}
        ],
        **extra,
    }


def seed(root: Path) -> None:
    """The first commit's files: tutor and analyst render through one shared partial, helper is plain."""
    write(root / "templates" / "partials" / "tone.md.j2", "Keep a playful tone.\n")
    write(
        root / "templates" / "tutor.md.j2", "You teach {{ language }}.\n{% include 'partials/tone.md.j2' %}"
    )
    write(root / "templates" / "analyst.md.j2", "You analyse sales.\n{% include 'partials/tone.md.j2' %}")
    write_json(root / "schemas" / "exercise.json", SCHEMA)
    write_spec(root, "tutor", **tutor_fields(metadata={"audience": "everyone"}))
    write_spec(root, "analyst", instructions={"template": "analyst.md.j2"})
    write_spec(root, "helper", instructions="You help.")
    write(root / ".gitignore", ".orchestrator/\n")


def build_history(repo: Repo) -> None:
    """Six commits: c4 touches only helper, c5 moves every spec to another folder."""
    root = repo.project
    seed(root)
    repo.commit("c1", "Add tutor, analyst and helper")
    write_spec(root, "tutor", **tutor_fields(metadata={"audience": "adults"}))
    repo.commit("c2", "Tutor: for adults")
    write(root / "templates" / "partials" / "tone.md.j2", "Keep a formal tone.\n")
    repo.commit("c3", "Shared partial: formal tone")
    write_spec(root, "helper", instructions="You help, briefly.")
    repo.commit("c4", "Helper: shorter answers")
    repo.git("mv", "deploy/specs", "deploy/agents")
    text = (root / "orchestrator.yaml").read_text(encoding="utf-8").replace("specs: specs", "specs: agents")
    (root / "orchestrator.yaml").write_text(text, encoding="utf-8")
    repo.commit("c5", "Move the specs to agents/")
    write_json(
        root / "schemas" / "exercise.json",
        {**SCHEMA, "properties": {"level": {"type": "string"}, "topic": {"type": "string"}}},
    )
    repo.commit("c6", "Tutor: exercises take a topic")
    write(repo.top / "README.md", "Not part of the project.\n")
    repo.commit("c7", "Top-level readme")


def new_repo(top: Path, *, base_url: str | None, backend: str = "assistants") -> Repo:
    top.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(top)], check=True, capture_output=True, timeout=60)
    project = make_project(top / "deploy", base_url=base_url, backend=backend)
    return Repo(top, project)


@pytest.fixture
def repo(tmp_path: Path, served: EmulatorServer) -> Repo:
    """The project in deploy/ of a fresh repository, its dev environment on the served emulator."""
    return new_repo(tmp_path / "repo", base_url=served.base_url)


@pytest.fixture
def history_repo(repo: Repo) -> Repo:
    build_history(repo)
    return repo


@pytest.fixture
def cli(repo: Repo) -> Callable[..., Result]:
    return repo.cli
