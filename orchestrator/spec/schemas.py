"""The bundled JSON Schemas, read from the installed package or, in a checkout, from schemas/."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

SCHEMA_FILES = {
    "spec": "spec.schema.json",
    "environment": "environment.schema.json",
    "project": "project.schema.json",
    "plan": "plan.schema.json",
}
# the other Agents API resource kinds, one schema each (chosen by the spec's `kind`)
SCHEMA_FILES.update({kind: f"{kind}.schema.json" for kind in ("vault", "skill", "automation")})
SCHEMA_FILES["test"] = "test.schema.json"  # behaviour tests (kind: test), never deployed


def schema_text(kind: str) -> str:
    name = SCHEMA_FILES[kind]
    bundled = resources.files("orchestrator").joinpath("_schemas", name)
    if bundled.is_file():
        return bundled.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "schemas" / name).read_text(encoding="utf-8")


@cache
def load_schema(kind: str) -> dict[str, Any]:
    return json.loads(schema_text(kind))


@cache
def validator_for(kind: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = load_schema(kind)
    return Draft202012Validator(schema, format_checker=None)
