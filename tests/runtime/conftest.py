"""Fixtures of the run-time tests: a deployed spec whose functions are bound to handlers written
into the throw-away project (on its python_path), against the served emulator."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.projects import Result, run_in, write, write_spec

HANDLERS = """
import asyncio
import time


def add(a: int, b: int) -> dict:
    return {"sum": a + b}


def nap(ms: int) -> dict:
    time.sleep(ms / 1000)
    return {"slept_ms": ms}


def boom(reason: str) -> str:
    raise RuntimeError(reason)


def hang(seconds: float) -> str:
    time.sleep(seconds)
    return "too late"


def shout(**fields):
    return " ".join(str(v).upper() for v in fields.values())


async def greet(name: str) -> str:
    await asyncio.sleep(0)
    return f"hola, {name}"
"""

INT = {"type": "integer"}


def function(name: str, handler: str | None, properties: dict, required: list[str]) -> dict:
    data = {
        "name": name,
        "description": f"test function {name}",
        "parameters": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    }
    if handler is not None:
        data["handler"] = handler
    return data


@dataclass(frozen=True)
class Deployed:
    root: Path
    spec: str
    package: str  # unique per test: handler modules stay cached in sys.modules

    def cli(self, *args: str, **kwargs: Any) -> Result:
        """The shared run_in, on the deployed project."""
        return run_in(self.root, *args, **kwargs)


def add_python_path(root: Path, folders: list[str]) -> None:
    path = root / "orchestrator.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["python_path"] = folders
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def write_handlers(root: Path, package: str, source: str = HANDLERS) -> None:
    write(root / "pyhandlers" / package / "__init__.py", "")
    write(root / "pyhandlers" / package / "tools.py", source)


@pytest.fixture
def package() -> str:
    return f"rt_{uuid.uuid4().hex[:12]}"


def deploy_helper(project: Path, package: str, kind: str = "assistant") -> Deployed:
    """Spec `helper` (model gpt-5.4) with bound test handlers, applied to the project's target."""
    add_python_path(project, ["pyhandlers"])
    write_handlers(project, package)
    tools = f"{package}.tools"
    write_spec(
        project,
        "helper",
        functions=[
            function("add", f"{tools}:add", {"a": INT, "b": INT}, ["a", "b"]),
            function(
                "nap", f"{tools}:nap", {"ms": {"type": "integer", "minimum": 0, "maximum": 5000}}, ["ms"]
            ),
            function("boom", f"{tools}:boom", {"reason": {"type": "string"}}, ["reason"]),
            function("hang", f"{tools}:hang", {"seconds": {"type": "number"}}, ["seconds"]),
            function("shout", f"{tools}:shout", {"word": {"type": "string"}}, ["word"]),
            function("greet", f"{tools}:greet", {"name": {"type": "string"}}, ["name"]),
            function("unbound", None, {}, []),
        ],
    )
    applied = run_in(project, "apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert f"{kind} helper: created" in applied.stdout
    return Deployed(project, "helper", package)


@pytest.fixture
def deployed(project: Path, package: str) -> Deployed:
    """The helper spec deployed as an assistant."""
    return deploy_helper(project, package)
