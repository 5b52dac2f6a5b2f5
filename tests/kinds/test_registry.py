"""The kind registry: one definition per kind, and every kind-specific list a view of it.

The views are compared with what the hand-kept lists held before the registry (backends.kinds_for,
kind_mappings, AFTER_TARGET, engine.desired.AGENT_KINDS, KIND_IMPORTERS/kind_importers, SCHEMA_FILES), and
the apply order is shown to follow the graph's edges, not the order the appliers were given in. A kind
the saved plan's schema does not describe itself brings its essence's shape in its own schema file.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import openai
import pytest

from orchestrator import kind_registry
from orchestrator.backends import AFTER_TARGET, kind_mappings, kinds_for, mapping_for
from orchestrator.engine.applying import ApplyResult, Outcome, apply_graph, change_graph
from orchestrator.engine.importing_kinds import kind_importers
from orchestrator.engine.planning import Action, Change, Plan, Reason
from orchestrator.spec.schemas import SCHEMA_FILES, file_text, load_schema

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_every_kind_has_every_part_it_needs() -> None:
    names = [d.name for d in kind_registry.definitions()]
    assert len(names) == len(set(names))
    # the kinds whose essence in a saved plan the base of the plan schema describes (the engine's own);
    # every other kind's comes from its own schema file (orchestrator.spec.plan_schema)
    described = json.loads(file_text("plan"))["$defs"]["change"]["properties"]["kind"]["enum"]
    for defined in kind_registry.definitions():
        assert defined.backends and defined.mapping, defined.name
        for backend in defined.backends:
            assert defined.mapping_for(backend).object_kind == defined.name
        if not defined.primary and "agents" in defined.backends:
            assert callable(defined.resolved(defined.client)), defined.name
        if defined.read is not None:  # a kind written as spec files: schema, checks, importer
            assert defined.schema and (SCHEMAS / defined.schema).is_file(), defined.name
            assert load_schema(defined.name)["properties"]["kind"]["const"] == defined.name
            assert callable(defined.resolved(defined.importer)), defined.name
        assert defined.refers_to <= set(names), defined.name
        if defined.read is not None or defined.name not in described:
            assert defined.name not in described, f"kind {defined.name}: its plan part goes in its schema"
            assert defined.schema and "plan_essence" in load_schema(defined.name).get("$defs", {}), (
                f"kind {defined.name}: schemas/{defined.schema or defined.name + '.schema.json'} has no "
                "`$defs.plan_essence`, the shape of its essence in a saved plan (docs/adding-a-kind.md)"
            )


def test_the_views_equal_the_lists_they_replace() -> None:
    sdk = openai.OpenAI(api_key="sk-unused", base_url="http://127.0.0.1:9/v1")  # nothing is sent
    project = SimpleNamespace(name="demo", root=Path("/nonexistent"), default_environment="dev")
    assert [k.name for k in kinds_for("agents", sdk, project)] == [
        "file",
        "vault",
        "skill",
        "environment",
        "automation",
    ]
    assert kinds_for("assistants", sdk, project) == ()
    made = {k.name: k for k in kinds_for("agents", sdk, project)}
    assert made["environment"].client._skills is made["skill"].client  # one client per kind and run
    assert made["vault"].written_after == frozenset({"credentials"})
    assert made["file"].in_view_of == "environment" and made["file"].planner is not None
    assert {"automation"} == set(AFTER_TARGET)
    assert {k: type(m).__name__ for k, m in kind_mappings("agents").items()} == {
        "agent": "AgentsMapping",
        "environment": "EnvironmentsMapping",
        "file": "FilesMapping",
        "vault": "VaultsMapping",
        "skill": "SkillsMapping",
        "automation": "AutomationsMapping",
    }
    assert kind_mappings("agents")["file"].backend == "agents"
    assert {k: type(m).__name__ for k, m in kind_mappings("assistants").items()} == {
        "assistant": "AssistantsMapping",
        "file": "FilesMapping",
        "vector_store": "VectorStoresMapping",
    }
    assert kind_mappings("assistants")["file"].backend == "assistants"
    assert type(mapping_for("agents")).__name__ == "AgentsMapping"
    assert type(mapping_for("assistants")).__name__ == "AssistantsMapping"
    assert kind_registry.spec_kinds() == ("vault", "skill", "automation")  # engine.desired's AGENT_KINDS
    assert list(kind_importers()) == ["vault", "skill", "automation"]
    assert dict(SCHEMA_FILES) == {
        "spec": "spec.schema.json",
        "environment": "environment.schema.json",
        "project": "project.schema.json",
        "plan": "plan.schema.json",
        "vault": "vault.schema.json",
        "skill": "skill.schema.json",
        "automation": "automation.schema.json",
        "test": "test.schema.json",
    }


def test_the_order_follows_the_edges() -> None:
    edges = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset()}
    assert kind_registry.dependency_order(edges) == ["c", "b", "a"]
    assert kind_registry.referrers("c", edges) == {"a", "b"}
    assert kind_registry.referrers("agent") == {"automation"}
    assert kind_registry.referrers("vault") == {"agent", "automation"}
    with pytest.raises(ValueError, match="cycle"):
        kind_registry.dependency_order({"a": frozenset({"b"}), "b": frozenset({"a"})})
    assert kind_registry.graph_order(["automation", "agent", "environment"]) == (
        "environment",
        "agent",
        "automation",
    )


def change(kind: str, name: str, action: Action) -> Change:
    return Change(kind, name, action, Reason.SPEC_CHANGED, id=f"{kind}-{name}")


class Recorder:
    """Stands in for an Applier of one kind: records the order changes reach it (pure engine logic)."""

    def __init__(self, log: list[str]) -> None:
        self.log, self.bus, self.on_outcome = log, None, None
        self.lock = threading.Lock()

    def apply_change(self, plan: Plan, found: Change) -> Outcome:
        with self.lock:
            self.log.append(f"{found.action.value} {found.kind} {found.name}")
        return Outcome(found, True, found.id)

    def settle(self, plan: Plan, outcomes: list[Outcome]) -> ApplyResult:
        return ApplyResult(tuple(outcomes))


@pytest.mark.parametrize("given", [("agent", "automation"), ("automation", "agent")])
def test_deletes_follow_the_graph_not_the_order_of_the_appliers(given: tuple[str, ...]) -> None:
    """An automation refers to its agent: deleted before it, whichever applier the caller listed first
    (watch listed the agents' applier last, so an agent could go before the automation naming it)."""
    plan = Plan(
        "demo",
        "dev",
        "emulator",
        "agents",
        (change("agent", "analyst", Action.DELETE), change("automation", "digest", Action.DELETE)),
    )
    graph = change_graph(plan, kind_registry.graph_order(given))
    assert graph.depends[0] == {1}  # the agent's delete waits for the automation's
    log: list[str] = []
    appliers = {kind: Recorder(log) for kind in given}
    apply_graph(plan, appliers, parallelism=4)  # type: ignore[arg-type]
    assert log == ["delete automation digest", "delete agent analyst"]
