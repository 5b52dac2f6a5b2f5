"""The built wheel, installed (not editable) in a fresh venv, validates a project and ships the JSON Schemas."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(args: list[str | Path], *, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["ORCHESTRATOR_TODAY"] = "2026-11-26"
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh venv holding the project's wheel (dependencies come from the system site-packages)."""
    root = tmp_path_factory.mktemp("wheel")
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []  # offline when possible
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", root / "dist", REPO], cwd=root)
    (wheel,) = (root / "dist").glob("assistant_orchestrator-*.whl")
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(root / "venv")
    bin_dir = root / "venv" / "bin"
    run([sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "--no-deps", "--force-reinstall",
         "--no-index", wheel], cwd=root)
    return bin_dir


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy2(REPO / "orchestrator.yaml", tmp_path / "orchestrator.yaml")
    for folder in ("specs", "templates", "schemas", "functions"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


@pytest.mark.slow
def test_installed_wheel_validates_the_project(installed: Path, project: Path) -> None:
    result = run([installed / "orchestrator", "validate"], cwd=project)
    assert "specs valid" in result.stderr


@pytest.mark.slow
def test_installed_wheel_prints_the_schemas_it_ships(installed: Path, project: Path) -> None:
    for kind in ("spec", "project"):
        printed = run([installed / "orchestrator", "schema", kind], cwd=project).stdout
        assert json.loads(printed) == json.loads((REPO / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_schemas_come_from_the_installed_package_not_the_checkout(installed: Path, project: Path) -> None:
    code = ("import orchestrator, importlib.resources as r; "
            "print(orchestrator.__file__); "
            "print(r.files('orchestrator').joinpath('_schemas', 'spec.schema.json').is_file())")
    where, shipped = run([installed / "python", "-c", code], cwd=project).stdout.split()
    assert Path(where).is_relative_to(installed.parent)
    assert not Path(where).is_relative_to(REPO)
    assert shipped == "True"
