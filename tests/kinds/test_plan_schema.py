"""The saved plan's schema is assembled from a kind-free base and each kind's part (orchestrator.spec.plan_schema),
and says exactly what the hand-kept schemas/plan.schema.json said (tests/kinds/fixtures/plan.schema.before.json):
the same schema, the same verdict on every plan and the same messages about every bad one.

The corpus: the plans `orchestrator diff --out` wrote for the repository's project (assistants and agents
environments) and examples/shop (agent, environment, vault, skill, automation), to create, update and delete
(tests/kinds/fixtures/plans/), and hand-made mutations of each change: an unknown kind, a kind of the other
backend, another kind's essence, extra, missing and mistyped fields.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from orchestrator import kind_registry
from orchestrator.spec.plan_schema import PlanSchemaError, assemble
from orchestrator.spec.schema_errors import explain
from orchestrator.spec.schemas import file_text, load_schema
from tests.support.projects import run_cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BEFORE = json.loads((FIXTURES / "plan.schema.before.json").read_text(encoding="utf-8"))
BEFORE_KINDS = BEFORE["$defs"]["change"]["properties"]["kind"]["enum"]
PLANS = {
    p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((FIXTURES / "plans").glob("*.json"))
}


def base() -> dict[str, Any]:
    return json.loads(file_text("plan"))


def assembled_for_the_kinds_of_before() -> dict[str, Any]:
    """The schema assembled for the kinds the hand-kept file knew (a kind added later joins the real one)."""
    return assemble(base(), [d for d in kind_registry.definitions() if d.name in BEFORE_KINDS], load_schema)


NEW = Draft202012Validator(assembled_for_the_kinds_of_before())
OLD = Draft202012Validator(BEFORE)


def test_the_assembled_schema_is_the_hand_kept_one() -> None:
    schema = assembled_for_the_kinds_of_before()
    assert schema == BEFORE
    assert list(schema) == list(
        BEFORE
    )  # the same order of keys, so `orchestrator schema plan` reads the same
    Draft202012Validator.check_schema(schema)


def test_the_base_names_no_kind_that_has_a_part_of_its_own() -> None:
    text = file_text("plan")
    for defined in kind_registry.definitions():
        if defined.schema and "plan_essence" in load_schema(defined.name).get("$defs", {}):
            assert f'"{defined.name}"' not in text and f"{defined.name}_essence" not in text, defined.name


def test_every_kind_of_the_registry_is_in_the_real_schema() -> None:
    schema = load_schema("plan")
    assert set(schema["$defs"]["change"]["properties"]["kind"]["enum"]) == {
        d.name for d in kind_registry.definitions()
    }
    for backend, kinds in backend_kinds(schema).items():
        assert set(kinds) == {d.name for d in kind_registry.on_backend(backend)}, backend
    assert json.loads(run_cli(["schema", "plan"]).stdout) == schema


def backend_kinds(schema: dict[str, Any]) -> dict[str, list[str]]:
    """The kinds each backend's rule lets a change have."""
    found = {}
    for rule in schema["allOf"]:
        changes = rule["then"]["properties"]["changes"]
        found[rule["if"]["properties"]["backend"]["const"]] = changes["items"]["properties"]["kind"]["enum"]
    return found


def verdict(validator: Draft202012Validator, plan: Any) -> list[tuple[Any, ...]]:
    """What a validator says of plan: jsonschema's errors (message, where, which keyword) and the messages
    `apply PLAN` shows for them (orchestrator.spec.schema_errors), in the order given."""
    errors = list(validator.iter_errors(plan))
    raw = [(e.message, e.json_path, e.validator, list(e.relative_schema_path)) for e in errors]
    shown = [(p.pointer, p.message, p.at_key, p.hint) for e in errors for p in explain(e)]
    return [*raw, *shown]


@pytest.mark.parametrize("name", sorted(PLANS))
def test_the_plans_diff_wrote_are_valid_for_both(name: str) -> None:
    assert verdict(OLD, PLANS[name]) == [] and verdict(NEW, PLANS[name]) == []
    assert list(Draft202012Validator(load_schema("plan")).iter_errors(PLANS[name])) == []


def essences() -> dict[str, dict[str, Any]]:
    """One essence of each kind from the corpus."""
    found: dict[str, dict[str, Any]] = {}
    for plan in PLANS.values():
        for change in plan["changes"]:
            essence = (change.get("apply") or {}).get("essence")
            if isinstance(essence, dict):
                found.setdefault(change["kind"], essence)
    return found


def mutations(change: dict[str, Any], backend: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Hand-made bad (and some good) variants of one change of a plan for backend."""
    other = {
        "assistants": ["agent", "vault", "skill", "automation", "environment"],
        "agents": ["assistant", "vector_store"],
    }
    for kind in ["robot", "Vault", *other[backend]]:
        yield f"kind {kind}", {**change, "kind": kind}
    yield "extra field", {**change, "bogus": 1}
    yield "name not a spec name", {**change, "name": "../x"}
    apply = change.get("apply")
    if not isinstance(apply, dict):
        return
    yield "extra apply field", {**change, "apply": {**apply, "bogus": True}}
    for kind, essence in essences().items():
        if kind != change["kind"]:
            yield f"essence of {kind}", {**change, "apply": {**apply, "essence": essence}}
    essence = apply.get("essence")
    for value in (None, "text", [], 7):
        yield f"essence {value!r}", {**change, "apply": {**apply, "essence": value}}
    if not isinstance(essence, dict):
        return
    yield "extra essence field", {**change, "apply": {**apply, "essence": {**essence, "bogus": 1}}}
    for key in essence:
        for value in (KeyError, None, 12345, "x", [], {"bogus": {"nested": [1]}}):
            edited = copy.deepcopy(essence)
            if value is KeyError:
                del edited[key]
            else:
                edited[key] = value
            yield f"essence {key}={value!r}", {**change, "apply": {**apply, "essence": edited}}


def corpus() -> Iterator[tuple[str, dict[str, Any]]]:
    seen: set[tuple[str, str, str]] = set()
    for name, plan in PLANS.items():
        for change in plan["changes"]:
            if (plan["backend"], change["kind"], change["action"]) in seen:
                continue
            seen.add((plan["backend"], change["kind"], change["action"]))
            for what, mutated in mutations(change, plan["backend"]):
                yield f"{name} {change['kind']} {change['action']}: {what}", {**plan, "changes": [mutated]}
        yield (
            f"{name}: other backend",
            {**plan, "backend": "agents" if plan["backend"] == "assistants" else "assistants"},
        )
        yield f"{name}: unknown backend", {**plan, "backend": "responses"}


def test_every_mutated_plan_gets_the_same_verdict_and_messages_from_both() -> None:
    checked = refused = 0
    for what, plan in corpus():
        before, after = verdict(OLD, plan), verdict(NEW, plan)
        assert after == before, what
        checked += 1
        refused += bool(before)
    assert checked > 900 and refused > 500, (checked, refused)  # 1,006 and 588 when written


def test_a_refused_plan_reads_the_same_through_the_cli(tmp_path: Path) -> None:
    plan = copy.deepcopy(PLANS["shop-create"])
    plan["changes"][0]["kind"] = "assistant"  # a kind of the other backend
    plan["changes"][1]["apply"]["essence"] = {"name": "x"}  # every kind's essence lacks something
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    shown = run_cli(["show", str(path)])
    assert shown.exit_code == 1
    assert (
        "error: `kind` must be one of `agent`, `environment`, `file`, `vault`, `skill`, `automation`, "
        "got `assistant` [/changes/0/kind]" in shown.stderr
    )
    assert (
        "error: `essence` needs `model`, `instructions`, `metadata`, `files`, `packages`, `network`, "
        "`credentials`, `secret_sources`, `folder`, `type`, `paused` or `target` [/changes/1/apply/essence]"
        in shown.stderr
    )


# -- a kind's part: missing or not fitting is a clear error ---------------------------------------------


def kinds_with(automation: dict[str, Any]) -> tuple[list[kind_registry.KindDefinition], Any]:
    """The registry's kinds, automation's schema replaced by the one given."""

    def load(name: str) -> dict[str, Any]:
        return automation if name == "automation" else load_schema(name)

    return list(kind_registry.definitions()), load


def test_a_kind_without_its_part_is_named_with_the_file_to_fix() -> None:
    own = copy.deepcopy(load_schema("automation"))
    del own["$defs"]["plan_essence"]
    with pytest.raises(
        PlanSchemaError,
        match=r"kind `automation` has no shape for its essence in a saved plan: "
        r"give schemas/automation.schema.json a `\$defs.plan_essence`",
    ):
        assemble(base(), *kinds_with(own))
    bare = replace(kind_registry.definition("automation"), schema=None)  # type: ignore[arg-type]
    with pytest.raises(PlanSchemaError, match=re.escape("schemas/automation.schema.json a `")):
        assemble(
            base(), [*[d for d in kind_registry.definitions() if d.name != "automation"], bare], load_schema
        )


def test_a_part_refers_only_to_definitions_of_its_own_file_that_agree_with_the_base() -> None:
    own = copy.deepcopy(load_schema("automation"))
    own["$defs"]["plan_essence"]["properties"] = {"where": {"$ref": "#/$defs/project_path"}}
    with pytest.raises(PlanSchemaError, match="names `#/\\$defs/project_path`, which schemas/automation"):
        assemble(base(), *kinds_with(own))
    own["$defs"]["project_path"] = {"type": "string"}
    with pytest.raises(PlanSchemaError, match=re.escape("differs from the one of schemas/plan.schema.json")):
        assemble(base(), *kinds_with(own))
    own["$defs"]["project_path"] = BEFORE["$defs"]["project_path"]
    assert assemble(base(), *kinds_with(own))["$defs"]["automation_essence"]["properties"] == {
        "where": {"$ref": "#/$defs/project_path"}
    }
    own["$defs"]["plan_essence"]["properties"] = {"where": {"$ref": "https://example.com/x.json"}}
    with pytest.raises(PlanSchemaError, match="may only refer to"):
        assemble(base(), *kinds_with(own))


def test_a_new_kind_joins_the_schema_from_its_own_file_alone() -> None:
    """A kind added later: its definition and its schema's part are all the plan schema needs."""
    widget = kind_registry.KindDefinition("widget", schema="widget.schema.json", read=lambda *_: None)
    part = {"type": "object", "required": ["size"], "properties": {"size": {"type": "integer"}}}

    def load(name: str) -> dict[str, Any]:
        return {"$defs": {"plan_essence": part}} if name == "widget" else load_schema(name)

    schema = assemble(base(), [*kind_registry.definitions(), widget], load)
    assert schema["$defs"]["change"]["properties"]["kind"]["enum"][-1] == "widget"
    assert schema["$defs"]["widget_essence"] == part
    kinds = backend_kinds(schema)
    assert "widget" in kinds["agents"] and "widget" not in kinds["assistants"]
    validator = Draft202012Validator(schema)
    change = {"kind": "widget", "name": "w", "action": "create", "reason": "new", "id": None}
    plan = {**PLANS["shop-create"], "changes": [{**change, "apply": {"essence": {"size": 3}}}]}
    assert verdict(validator, plan) == []
    assert verdict(validator, {**plan, "changes": [{**change, "apply": {"essence": {"size": "big"}}}]})
    assert verdict(validator, {**plan, "backend": "assistants"})
