"""The saved plan's JSON Schema: a kind-free base (schemas/plan.schema.json) plus each kind's part.

A saved plan comes from a branch nobody has reviewed yet, so `apply PLAN` checks it field by field: the
schema names every kind a change may have, on which backend, and the shape of each kind's essence. Those
parts come from the kinds, so a new kind edits nothing here or in the base: the kind registry says which
kinds exist and on which backends, and a kind's own schema file holds the shape of its essence in a saved
plan as `$defs.plan_essence`. The base keeps what belongs to no one kind, and the essences of the kinds it
lists in the change's `kind` enum (assistant, agent, environment template, vector store, file: the
engine's own, most without a schema file of their own).

Assembly keeps the base's order (its kinds first, then the others in the registry's order) so that the
schema, and every message about a bad plan, is what the one hand-kept file said before.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.kind_registry import KindDefinition

PART = "plan_essence"  # the `$defs` entry of a kind's schema file that is its essence in a saved plan
NULL = {"type": "null"}  # the last essence alternative (a change with nothing to write)


class PlanSchemaError(ValueError):
    """A kind's part is missing or does not fit the base (a programming error, caught by the kinds' tests)."""


def assemble(
    base: dict[str, Any], kinds: Iterable[KindDefinition], load: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """The saved plan's schema: base (the parsed schemas/plan.schema.json) completed for kinds (in the
    registry's order); load(kind name) parses that kind's own schema file."""
    schema = copy.deepcopy(base)
    schema.pop("$comment", None)  # it describes the base file, not the schema it becomes
    defs = schema["$defs"]
    change = defs["change"]
    names: list[str] = change["properties"]["kind"]["enum"]
    essences = _essence_alternatives(change)
    kinds = tuple(kinds)
    by_name = {k.name: k for k in kinds}
    strangers = [name for name in names if name not in by_name]
    if strangers:
        raise PlanSchemaError(f"schemas/plan.schema.json names kinds the registry does not have: {strangers}")
    for kind in kinds:
        if kind.name in names:
            continue  # described by the base
        own = load(kind.name) if kind.schema else {}
        part = own.get("$defs", {}).get(PART)
        if not isinstance(part, dict):
            raise PlanSchemaError(
                f"kind `{kind.name}` has no shape for its essence in a saved plan: give "
                f"schemas/{kind.schema or kind.name + '.schema.json'} a `$defs.{PART}` "
                "(see docs/adding-a-kind.md)"
            )
        essence = f"{kind.name}_essence"
        if essence in defs:
            raise PlanSchemaError(f"kind `{kind.name}`: schemas/plan.schema.json already defines `{essence}`")
        defs[essence] = copy.deepcopy(part)
        _copy_references(part, own, defs, kind)
        names.append(kind.name)
        essences.insert(len(essences) - 1, {"$ref": f"#/$defs/{essence}"})
    if "allOf" in schema:
        raise PlanSchemaError(
            "schemas/plan.schema.json: the rules per backend are assembled, not written there"
        )
    rules = [_backend_rule(backend, names, by_name) for backend in schema["properties"]["backend"]["enum"]]
    at = list(schema).index("$defs")  # the rules sit before the definitions, as in the hand-kept file
    items = list(schema.items())
    return dict([*items[:at], ("allOf", rules), *items[at:]])


def _essence_alternatives(change: dict[str, Any]) -> list[Any]:
    """The essence alternatives of every kind but vector stores and files (the change's rule on `kind`
    whose else-branch names them), which the kinds' essences join before the last one, null."""
    found = [
        rule["else"]["properties"]["apply"]["properties"]["essence"]["anyOf"]
        for rule in change.get("allOf", [])
        if "apply" in rule.get("else", {}).get("properties", {})
    ]
    if len(found) != 1 or not found[0] or found[0][-1] != NULL:
        raise PlanSchemaError(
            "schemas/plan.schema.json: expected one rule on the change's `kind` whose else-branch lists "
            "the essence alternatives, ending with null"
        )
    return found[0]


def _copy_references(part: Any, own: dict[str, Any], defs: dict[str, Any], kind: KindDefinition) -> None:
    """The definitions of its own schema file that a kind's part names (`#/$defs/name`), copied into the
    plan schema's; a name the base defines already must mean the same there."""
    pending = list(_references(part))
    while pending:
        name = pending.pop()
        if name not in own.get("$defs", {}):
            raise PlanSchemaError(
                f"kind `{kind.name}`: its `{PART}` names `#/$defs/{name}`, which schemas/{kind.schema} "
                "does not define"
            )
        if name in defs:
            if defs[name] != own["$defs"][name]:
                raise PlanSchemaError(
                    f"kind `{kind.name}`: `$defs.{name}` of schemas/{kind.schema} differs from the one of "
                    "schemas/plan.schema.json"
                )
            continue
        defs[name] = copy.deepcopy(own["$defs"][name])
        pending.extend(_references(own["$defs"][name]))


def _references(node: Any) -> Iterator[str]:
    """The `$defs` names a schema fragment refers to (`{"$ref": "#/$defs/name"}`), in the order written."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/$defs/") or "/" in ref.removeprefix("#/$defs/"):
                raise PlanSchemaError(f"a kind's `{PART}` may only refer to `#/$defs/<name>`, not `{ref}`")
            yield ref.removeprefix("#/$defs/")
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _backend_rule(backend: str, names: list[str], by_name: dict[str, KindDefinition]) -> dict[str, Any]:
    """The kinds a change may have in a plan for backend, in the order of the change's `kind` enum."""
    kinds = [name for name in names if backend in by_name[name].backends]
    return {
        "if": {"properties": {"backend": {"const": backend}}, "required": ["backend"]},
        "then": {"properties": {"changes": {"items": {"properties": {"kind": {"enum": kinds}}}}}},
    }


def schema_json(schema: dict[str, Any]) -> str:
    """The text `orchestrator schema plan` prints."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
