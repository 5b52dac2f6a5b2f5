"""`orchestrator destroy` on both backends: plans and deletes what the project and environment own,
never unmanaged or foreign objects, with apply's confirmation rules."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.engine.ownership import HASH_KEY, OWNER_KEY
from tests.agents.live_agents import agents, apply_clean, assistants, cli, owned, snapshot
from tests.support.projects import write_spec

FOREIGN = {OWNER_KEY: "other-project/next/helper", HASH_KEY: "a.b"}
OTHER_ENV = {OWNER_KEY: "test-project/prod/helper", HASH_KEY: "a.b"}


def live_objects(sdk: openai.OpenAI, environment: str) -> list[Any]:
    return assistants(sdk) if environment == "dev" else agents(sdk)


def make_bystanders(sdk: openai.OpenAI, environment: str) -> None:
    """An unmanaged object, one of another project and one of another environment, on the env's backend."""
    for metadata in ({"team": "hand-made"}, FOREIGN, OTHER_ENV):
        if environment == "dev":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                sdk.beta.assistants.create(model="gpt-5.4", name="helper", metadata=metadata)
        else:
            sdk.beta.agents.create(model="gpt-5.4", name="helper", metadata=metadata)


@pytest.mark.parametrize("environment", ["dev", "next"], ids=["assistants", "agents"])
def test_destroy_deletes_every_owned_object_and_nothing_else(
    both_project: Path, sdk: openai.OpenAI, environment: str
) -> None:
    write_spec(both_project, "helper")
    apply_clean(both_project, "-e", environment)
    (both_project / "specs" / "helper.yaml").unlink()  # an orphan is owned too
    make_bystanders(sdk, environment)
    bystanders = [
        o.id
        for o in live_objects(sdk, environment)
        if (o.metadata or {}).get(OWNER_KEY, "").split("/")[:2] != ["test-project", environment]
    ]
    result = cli(both_project, "destroy", "-e", environment, "--yes")
    assert result.exit_code == 0, result.output
    assert "retail-analyst" in result.stdout and "helper" in result.stdout and "[destroy]" in result.stdout
    left = live_objects(sdk, environment)
    assert sorted(o.id for o in left) == sorted(bystanders)
    assert owned(left, f"test-project/{environment}/retail-analyst") == []


@pytest.mark.parametrize("environment", ["dev", "next"], ids=["assistants", "agents"])
def test_destroy_leaves_the_other_backend_alone(
    both_project: Path, sdk: openai.OpenAI, environment: str
) -> None:
    apply_clean(both_project, "-e", "dev")
    apply_clean(both_project, "-e", "next")
    other = "next" if environment == "dev" else "dev"
    before = snapshot(live_objects(sdk, other))
    assert cli(both_project, "destroy", "-e", environment, "--yes").exit_code == 0
    assert live_objects(sdk, environment) == []
    assert snapshot(live_objects(sdk, other)) == before


@pytest.mark.parametrize("environment", ["dev", "next"], ids=["assistants", "agents"])
def test_destroy_without_a_terminal_needs_yes(
    both_project: Path, sdk: openai.OpenAI, environment: str
) -> None:
    apply_clean(both_project, "-e", environment)
    before = snapshot(live_objects(sdk, environment))
    refused = cli(both_project, "destroy", "-e", environment)
    assert refused.exit_code == 1
    assert "destroy needs --yes" in refused.stderr
    assert snapshot(live_objects(sdk, environment)) == before


def test_destroy_with_nothing_owned_changes_nothing(both_project: Path, sdk: openai.OpenAI) -> None:
    make_bystanders(sdk, "next")
    before = snapshot(agents(sdk))
    result = cli(both_project, "destroy", "-e", "next")
    assert result.exit_code == 0, result.output
    assert snapshot(agents(sdk)) == before


def test_destroy_then_apply_recreates(both_project: Path, sdk: openai.OpenAI) -> None:
    apply_clean(both_project, "-e", "next")
    assert cli(both_project, "destroy", "-e", "next", "--yes").exit_code == 0
    assert cli(both_project, "diff", "-e", "next").exit_code == 2
    apply_clean(both_project, "-e", "next")
    assert len(owned(agents(sdk), "test-project/next/retail-analyst")) == 1
