"""Pure pieces: signature checks, the registry's error objects, and the dated price table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestrator.diagnostics import Severity
from orchestrator.runtime.handlers import FunctionRegistry, signature_problems
from orchestrator.runtime.pricing import PRICES_AS_OF, estimate_cost, price_for

SCHEMA = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
    "additionalProperties": False,
}


def test_kwargs_accepts_every_schema_property() -> None:
    def handler(**fields: Any) -> None: ...

    assert signature_problems(handler, SCHEMA) == []


def test_a_parameter_the_schema_may_omit_needs_a_default() -> None:
    def handler(a: int, b: int) -> None: ...

    schema = {**SCHEMA, "required": ["a"]}
    assert signature_problems(handler, schema) == [
        (
            Severity.WARNING,
            "parameter `b` has no default but the schema does not require it: a call without it will fail",
        )
    ]


def test_a_near_miss_parameter_name_is_pointed_out() -> None:
    def handler(a: int, bb: int = 0) -> None: ...

    [(severity, message)] = signature_problems(handler, SCHEMA)
    assert severity is Severity.ERROR and "(a parameter is named `bb`)" in message


def test_registry_runs_async_handlers_and_encodes_outputs() -> None:
    async def greet(name: str) -> dict[str, str]:
        return {"greeting": f"hola {name}"}

    registry = FunctionRegistry.from_callables({"greet": greet})
    result = registry.invoke("greet", '{"name": "Eva"}')
    assert result.ok and json.loads(result.output) == {"greeting": "hola Eva"}


def test_registry_turns_non_object_arguments_into_an_error() -> None:
    registry = FunctionRegistry.from_callables({"add": lambda a, b: a + b}, {"add": SCHEMA})
    result = registry.invoke("add", "[1, 2]")
    assert not result.ok and result.error_type == "invalid_arguments"
    assert json.loads(result.output)["error"]["message"] == "at /: [1, 2] is not of type 'object'"


def test_empty_arguments_mean_no_arguments() -> None:
    registry = FunctionRegistry.from_callables({"ping": lambda: "pong"})
    assert registry.invoke("ping", "").output == "pong"


def test_prices_are_dated_and_cover_current_models() -> None:
    assert PRICES_AS_OF.isoformat() == "2026-11-01"
    for model in ("gpt-5.5", "gpt-5.4", "gpt-5.4-mini", "gpt-4.1", "gpt-4o"):
        assert price_for(model) is not None


def test_dated_snapshots_are_priced_as_their_model() -> None:
    assert price_for("gpt-4.1-2025-04-14") == price_for("gpt-4.1")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4.1", 0.024),  # 10k x $2.00/1M in + 500 x $8.00/1M out
        ("unknown-model", None),
    ],
)
def test_estimate_cost(model: str, expected: float | None) -> None:
    cost = estimate_cost(model, 10_000, 500)
    assert cost == (pytest.approx(expected) if expected is not None else None)
