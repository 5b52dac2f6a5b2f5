"""Versioned releases: one version everywhere, a changelog section for it, the release workflow's checks."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import yaml

from orchestrator import __version__
from tests.support.projects import REPO, run_cli

CHANGELOG = REPO / "docs" / "changelog.md"
RELEASE = REPO / "examples" / "github-actions" / "release.yml"


def _version() -> str:
    found = re.search(r'^__version__ = "([^"]+)"$', (REPO / "orchestrator" / "__init__.py").read_text(), re.M)
    assert found, "orchestrator/__init__.py has no __version__ line"
    return found.group(1)


def test_version_prints_the_package_version_written_in_one_place() -> None:
    result = run_cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"orchestrator, version {_version()}"
    assert __version__ == _version() and re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "orchestrator/__init__.py"


def test_the_shipped_workflows_install_this_release() -> None:
    for path in (
        REPO / "examples" / "github-actions" / "orchestrator-checks.yml",
        REPO / "examples" / "github-actions" / "orchestrator-stage.yml",
        REPO / "examples" / "gitlab-ci" / ".gitlab-ci.yml",
    ):
        pins = re.findall(r"assistant-orchestrator==([\w.]+)", path.read_text(encoding="utf-8"))
        assert pins == [_version()], path


def test_the_changelog_has_a_section_for_this_version_newest_first() -> None:
    text = CHANGELOG.read_text(encoding="utf-8")
    versions = re.findall(r"^## (\d+\.\d+\.\d+) ", text, re.M)
    assert versions[0] == _version() and versions == sorted(
        versions, key=lambda v: tuple(map(int, v.split("."))), reverse=True
    )


def test_the_release_workflow_builds_with_python_m_build_on_a_tag_and_checks_tag_and_changelog(
    tmp_path: Path,
) -> None:
    workflow = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    assert workflow.get("on", workflow.get(True)) == {"push": {"tags": ["v*.*.*"]}}
    build = workflow["jobs"]["build"]
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert "python -m build" in runs
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "build" and publish["permissions"]["id-token"] == "write"
    # the tag and changelog step, run as the runner would, on a copy of the two files it reads
    check = next(step for step in build["steps"] if "release-notes.md" in step.get("run", ""))
    for part in ("docs", "orchestrator", "examples/github-actions", "examples/gitlab-ci"):
        (tmp_path / part).mkdir(parents=True)
    for part in (
        "orchestrator/__init__.py",
        "docs/changelog.md",
        "examples/github-actions/orchestrator-checks.yml",
        "examples/github-actions/orchestrator-stage.yml",
        "examples/gitlab-ci/.gitlab-ci.yml",
    ):
        shutil.copy(REPO / part, tmp_path / part)
    for tag, code in ((f"v{_version()}", 0), ("v9.9.9", 1)):
        done = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", check["run"]],
            cwd=tmp_path,
            text=True,
            capture_output=True,
            env={"TAG": tag, "PATH": _path()},
            timeout=60,
        )
        assert done.returncode == code, done.stdout + done.stderr
        if code == 0:
            notes = (tmp_path / "release-notes.md").read_text(encoding="utf-8")
            assert "Secrets checked before the first write" in notes and "## 0.1.0" not in notes
        else:
            assert "does not match version" in done.stdout
    # a workflow still pinning the release before: refused, naming the file
    stage = tmp_path / "examples" / "github-actions" / "orchestrator-stage.yml"
    stage.write_text(stage.read_text().replace(f"=={_version()}", "==0.1.0"))
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", check["run"]],
        cwd=tmp_path,
        text=True,
        capture_output=True,
        env={"TAG": f"v{_version()}", "PATH": _path()},
        timeout=60,
    )
    assert done.returncode == 1
    assert f"orchestrator-stage.yml does not pin assistant-orchestrator=={_version()}" in done.stdout


def _path() -> str:
    import os
    import sys

    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
