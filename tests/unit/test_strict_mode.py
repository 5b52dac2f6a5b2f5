"""Function parameter schemas: valid JSON Schema (metaschema) and OpenAI's strict-mode rules."""

from __future__ import annotations

import copy
import sys
from typing import Any

import pytest

from orchestrator.spec import schema_errors, validation
from orchestrator.spec.validation import check_schema, json_schema_problems, strict_mode_problems

CLOSED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {"type": "string"},
        "filters": {
            "type": "object",
            "properties": {"city": {"type": ["string", "null"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["query", "filters", "tags"],
    "additionalProperties": False,
}


def problems(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return list(strict_mode_problems(schema))


def test_a_closed_schema_with_every_property_required_passes() -> None:
    assert problems(CLOSED) == []
    assert check_schema(CLOSED, strict=True) == []


def test_the_root_object_must_close_additional_properties() -> None:
    schema = {k: v for k, v in CLOSED.items() if k != "additionalProperties"}
    assert problems(schema) == [("", "strict mode needs `additionalProperties: false` on every object")]


def test_additional_properties_true_is_not_closed() -> None:
    assert problems({**CLOSED, "additionalProperties": True})[0][0] == ""


def test_every_property_must_be_required() -> None:
    schema = {**CLOSED, "required": ["query"]}
    ((pointer, message),) = problems(schema)
    assert pointer == ""
    assert "missing: `filters`, `tags`" in message


def test_a_nested_object_is_checked_too() -> None:
    schema = copy.deepcopy(CLOSED)
    del schema["properties"]["filters"]["additionalProperties"]
    ((pointer, message),) = problems(schema)
    assert pointer == "/properties/filters"
    assert "property `filters`" in message


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("items", "/properties/tags/items"),
        ("defs", "/$defs/address"),
        ("anyOf", "/properties/choice/anyOf/1"),
    ],
)
def test_objects_under_items_defs_and_any_of_are_checked(place: str, expected: str) -> None:
    schema = copy.deepcopy(CLOSED)
    open_object = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    if place == "items":
        schema["properties"]["tags"]["items"] = open_object
    elif place == "defs":
        schema["$defs"] = {"address": open_object}
    else:
        schema["properties"]["choice"] = {"anyOf": [{"type": "string"}, open_object]}
        schema["required"].append("choice")
    assert [pointer for pointer, _ in problems(schema)] == [expected]


def test_strict_rules_are_not_applied_without_strict() -> None:
    assert check_schema({"type": "object", "properties": {"q": {"type": "string"}}}, strict=False) == []


def test_metaschema_problems_come_before_strict_problems() -> None:
    found = check_schema({"type": "object", "properties": {"q": {"type": "text"}}}, strict=True)
    assert found == [
        (
            "/properties/q/type",
            "`type` must be one of `array`, `boolean`, `integer`, `null`, `number`, `object`, `string`, got `text`",
        )
    ]


@pytest.mark.parametrize(
    ("schema", "pointer", "words"),
    [
        ({"type": "object", "required": "q"}, "/required", "`required` must be a list, got a string"),
        ({"type": "object", "properties": []}, "/properties", "`properties` must be a mapping, got a list"),
        (
            {"type": "object", "properties": {"n": {"type": "integer", "minimum": "one"}}},
            "/properties/n/minimum",
            "`minimum` must be a number",
        ),
        ({"type": "string"}, "/type", "the root must be a schema of `type: object`"),
        (
            {"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}},
            "/properties/a/pattern",
            "`pattern` `(` is not a valid regex",
        ),
    ],
)
def test_invalid_json_schemas_are_explained(schema: dict[str, Any], pointer: str, words: str) -> None:
    found = json_schema_problems(schema)
    assert [p for p, _ in found] == [pointer]
    assert words in found[0][1]


def test_a_parameters_value_that_is_not_a_mapping_is_refused() -> None:
    assert json_schema_problems(["type", "object"]) == [  # type: ignore[arg-type]
        ("", "a JSON Schema here must be a mapping (an object), got a list")
    ]


def test_identical_schemas_are_checked_once() -> None:
    validation.clear_caches()
    bad = {"type": "object", "required": "q"}
    first = json_schema_problems(dict(bad))
    second = json_schema_problems({"required": "q", "type": "object"})  # same schema, other key order
    assert first == second
    assert validation._metaschema_problems.cache_info().hits == 1


def test_metaschema_answers_are_the_same_without_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    schemas = [
        CLOSED,
        {"type": "object", "required": "q"},
        {"type": "object", "properties": {"q": {"type": "text"}}},
        {"type": "object", "properties": {"q": {"pattern": "("}}},
    ]
    with_fast_path = [json_schema_problems(s) for s in schemas]
    validation.clear_caches()
    monkeypatch.setitem(sys.modules, "jsonschema_rs", None)
    monkeypatch.setattr(schema_errors, "_compiled", {})
    assert [json_schema_problems(s) for s in schemas] == with_fast_path
    validation.clear_caches()
