"""Look at a served emulator's agents from the outside, through the SDK's own agents API."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import openai

from orchestrator.engine.ownership import OWNER_KEY
from tests.support.projects import Result
from tests.support.projects import run_in as cli

RETAIL_ANALYST = Path(__file__).resolve().parents[2] / "specs" / "retail-analyst.yaml"


def agents(sdk: openai.OpenAI) -> list[Any]:
    """Every agent on the server, oldest first."""
    return list(sdk.beta.agents.list(limit=100, order="asc"))


def assistants(sdk: openai.OpenAI) -> list[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return list(sdk.beta.assistants.list(limit=100, order="asc"))


def owned(items: list[Any], owner: str) -> list[Any]:
    """Live objects whose ownership key is `project/environment/spec`."""
    return [item for item in items if (item.metadata or {}).get(OWNER_KEY) == owner]


def only_agent(sdk: openai.OpenAI, owner: str) -> Any:
    found = owned(agents(sdk), owner)
    assert len(found) == 1, [a.id for a in found]
    return found[0]


def snapshot(items: list[Any]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items]


def plan_json(project: Path, *args: str) -> dict[str, Any]:
    result = cli(project, "diff", "--output", "json", *args)
    assert result.exit_code in (0, 2), result.output
    return json.loads(result.stdout)


def apply_clean(project: Path, *args: str) -> Result:
    """Apply, then check that diff finds nothing left to do."""
    applied = cli(project, "apply", "--yes", *args)
    assert applied.exit_code == 0, applied.output
    again = cli(project, "diff", *args)
    assert again.exit_code == 0, again.output
    return applied
