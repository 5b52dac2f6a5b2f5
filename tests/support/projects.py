"""Build throw-away projects on disk and drive the real CLI against them."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from orchestrator.cli import main

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __iter__(self) -> Iterator[Any]:
        """`code, out = run_in(...)`: the exit code and the whole output."""
        return iter((self.exit_code, self.output))


def run_cli(args: list[str], *, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run `orchestrator ARGS` in-process through main() (our error handling and exit codes included)."""
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _):
        code = main(args)
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace") if err is not None else ""
    return Result(code, stdout, stderr)


def run_in(
    root: Path,
    *args: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    hidden: Iterable[str] = (),
) -> Result:
    """`orchestrator -C ROOT ARGS...`; fails the test if a traceback or any of `hidden` (secrets) shows.

    The one way tests run the CLI on a project; bind `hidden` once per module with functools.partial.
    """
    result = run_cli(["-C", str(root), *args], input=input, env=env)
    shown = result.output
    assert "Traceback (most recent call last)" not in shown, shown
    for secret in hidden:
        assert secret not in shown, f"a secret shows in the output of {args}"
    return result


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def make_project(
    root: Path,
    *,
    base_url: str | None = None,
    backend: str = "assistants",
    project: str = "test-project",
    api_key_env: str = "TEST_ORCHESTRATOR_KEY",
    vars: dict[str, Any] | None = None,
    extra_environments: dict[str, Any] | None = None,
    extra_targets: dict[str, Any] | None = None,
) -> Path:
    """A project whose `dev` environment points at base_url (a served emulator) or the embedded target."""
    if base_url is None:
        target = {"type": "local"} if backend == "assistants" else {"type": "local", "protocol": "agents"}
    else:
        target = {"type": backend, "base_url": base_url, "api_key_env": api_key_env}
    data = {
        "version": 1,
        "project": project,
        "specs": "specs",
        "templates": "templates",
        "vars": vars or {"company": "Acme"},
        "default_environment": "dev",
        "environments": {"dev": {"target": "main"}, **(extra_environments or {})},
        "targets": {"main": target, **(extra_targets or {})},
    }
    write_yaml(root / "orchestrator.yaml", data)
    (root / "specs").mkdir(exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    return root


def spec(name: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": 1,
        "name": name,
        "model": "gpt-5.4",
        "instructions": f"You are {name}.",
    }
    data.update(fields)
    return data


def write_spec(root: Path, name: str, **fields: Any) -> Path:
    return write_yaml(root / "specs" / f"{name}.yaml", spec(name, **fields))
