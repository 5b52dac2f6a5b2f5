"""The bundled JSON Schemas, read from the installed package or, in a checkout, from schemas/."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

OWN_SCHEMAS = {  # the schemas of no resource kind; each kind names its own (orchestrator.kind_registry)
    "spec": "spec.schema.json",
    "project": "project.schema.json",
    "plan": "plan.schema.json",
    "test": "test.schema.json",  # behaviour tests (kind: test), never deployed
}


class _SchemaFiles(Mapping[str, str]):
    """Every bundled schema by what it checks: OWN_SCHEMAS and each kind definition's, read on first use
    (the kinds are found when asked for, not when this module is imported)."""

    @cached_property
    def _found(self) -> dict[str, str]:
        from orchestrator.kind_registry import schema_files

        return {**OWN_SCHEMAS, **schema_files()}

    def __getitem__(self, kind: str) -> str:
        return self._found[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)


SCHEMA_FILES: Mapping[str, str] = _SchemaFiles()


def schema_text(kind: str) -> str:
    """What `orchestrator schema KIND` prints: the schema file, or for a saved plan the schema assembled
    from its base file and the kinds' parts (orchestrator.spec.plan_schema)."""
    if kind == "plan":
        from orchestrator.spec.plan_schema import schema_json

        return schema_json(load_schema(kind))
    return file_text(kind)


def file_text(kind: str) -> str:
    """The bundled schema file of kind, as written."""
    name = SCHEMA_FILES[kind]
    bundled = resources.files("orchestrator").joinpath("_schemas", name)
    if bundled.is_file():
        return bundled.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "schemas" / name).read_text(encoding="utf-8")


@cache
def load_schema(kind: str) -> dict[str, Any]:
    if kind == "plan":  # the kind-free base completed with every kind's part
        from orchestrator.kind_registry import definitions
        from orchestrator.spec.plan_schema import assemble

        return assemble(json.loads(file_text(kind)), definitions(), load_schema)
    return json.loads(file_text(kind))


@cache
def validator_for(kind: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = load_schema(kind)
    return Draft202012Validator(schema, format_checker=None)
