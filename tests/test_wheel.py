"""From nothing: the README's first line, exactly as written, in a new venv without system site-packages.

The venv sees none of the machine's packages, so a dependency the project forgot to declare fails
here, as it would for a new user. Dependencies come from the package registry (pip's cache keeps
that quick); the project itself is the built wheel, then `pip install .` of a copy of the repo.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def readme_commands() -> list[str]:
    """The commands of the README's first shell block, without their trailing comments."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "the README must open with a ```sh block of set-up commands"
    return [re.sub(r"\s+#.*$", "", line).strip() for line in block.group(1).splitlines() if line.strip()]


def run(
    args: list[str | Path] | str, *, cwd: Path, env: dict[str, str], timeout: int = 600, expect: int = 0
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args if isinstance(args, str) else [str(a) for a in args],
        cwd=cwd,
        env=env,
        shell=isinstance(args, str),
        executable="/bin/bash" if isinstance(args, str) else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == expect, (
        f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def tracked_files() -> list[str]:
    """The files a clone of this repo has (plus new ones not ignored), or the tree when git is absent."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        listed = [str(p.relative_to(REPO)) for p in REPO.rglob("*") if p.is_file() and ".git" not in p.parts]
    return [name for name in listed if (REPO / name).is_file()]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(venv bin/, copy of the repo, environment) with the README's first line already run in the copy."""
    root = tmp_path_factory.mktemp("fresh")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["ORCHESTRATOR_TODAY"] = "2026-11-26"
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", root / "dist", REPO],
        cwd=root,
        env=env,
    )
    (wheel,) = (root / "dist").glob("assistant_orchestrator-*.whl")

    venv.EnvBuilder(system_site_packages=False, with_pip=True).create(root / "venv")
    bin_dir = root / "venv" / "bin"
    env["VIRTUAL_ENV"] = str(root / "venv")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    run([bin_dir / "python", "-m", "pip", "install", "--quiet", wheel], cwd=root, env=env)

    project = root / "project"
    for name in tracked_files():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, project / name, follow_symlinks=False)
    run(readme_commands()[0], cwd=project, env=env)
    return bin_dir, project, env


def test_the_venv_sees_no_system_packages(fresh: tuple[Path, Path, dict[str, str]]) -> None:
    bin_dir, project, env = fresh
    config = (bin_dir.parent / "pyvenv.cfg").read_text(encoding="utf-8")
    assert re.search(r"include-system-site-packages\s*=\s*false", config)
    probe = "import sys; print(any('site-packages' in p and not p.startswith(sys.prefix) for p in sys.path))"
    assert run([bin_dir / "python", "-c", probe], cwd=project, env=env).stdout.strip() == "False"


def test_readme_first_line_deploys_every_spec_then_diff_is_clean(
    fresh: tuple[Path, Path, dict[str, str]],
) -> None:
    bin_dir, project, env = fresh
    run([bin_dir / "orchestrator", "diff"], cwd=project, env=env)  # exit 0: nothing to change
    listed = json.loads(
        run([bin_dir / "orchestrator", "list", "--output", "json"], cwd=project, env=env).stdout
    )
    names = {
        m.group(1)
        for spec in (project / "specs").rglob("*.yaml")
        if (m := re.search(r"^name:\s*(\S+)", spec.read_text(encoding="utf-8"), re.M))
        and not re.search(r"^kind: test$", spec.read_text(encoding="utf-8"), re.M)
    }  # tests are never deployed
    assert {row["name"] for row in listed} == names
    assert {row["status"] for row in listed} == {"in sync"}


def test_installed_wheel_prints_the_schemas_it_ships(fresh: tuple[Path, Path, dict[str, str]]) -> None:
    bin_dir, project, env = fresh
    for kind in ("spec", "project", "test"):
        printed = run([bin_dir / "orchestrator", "schema", kind], cwd=project, env=env).stdout
        assert json.loads(printed) == json.loads(
            (REPO / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8")
        )


def test_schemas_come_from_the_installed_package_not_the_checkout(
    fresh: tuple[Path, Path, dict[str, str]],
) -> None:
    bin_dir, project, env = fresh
    code = (
        "import orchestrator, importlib.resources as r; "
        "print(orchestrator.__file__); "
        "print(r.files('orchestrator').joinpath('_schemas', 'spec.schema.json').is_file())"
    )
    where, shipped = run([bin_dir / "python", "-c", code], cwd=project.parent, env=env).stdout.split()
    assert Path(where).is_relative_to(bin_dir.parent)
    assert not Path(where).is_relative_to(REPO) and not Path(where).is_relative_to(project)
    assert shipped == "True"


def test_every_command_starts_in_the_fresh_venv(fresh: tuple[Path, Path, dict[str, str]]) -> None:
    """`--help` of each command imports its module: an undeclared import fails here, not for a user."""
    bin_dir, project, env = fresh
    shown = run([bin_dir / "orchestrator", "--help"], cwd=project, env=env).stdout.split("Commands:")[1]
    shown = shown.split("\n\n", 1)[0]  # the list ends at the blank line before the epilog
    names = re.findall(r"^  (\w+)\s", shown, re.M)
    assert {"validate", "diff", "apply", "serve", "chat"} <= set(names)
    for name in names:
        run([bin_dir / "orchestrator", name, "--help"], cwd=project, env=env)
