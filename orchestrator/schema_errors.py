"""jsonschema errors turned into positioned diagnostics a person can act on."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema.exceptions import ValidationError

from orchestrator.diagnostics import Diagnostic, pointer_join
from orchestrator.loading import Document

JSON_TYPES = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
              float: "a number", type(None): "null"}
SCHEMA_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "boolean": "a boolean",
                     "integer": "an integer", "number": "a number", "null": "null"}


def describe_type(value: Any) -> str:
    for kind, label in JSON_TYPES.items():
        if type(value) is kind:
            return label
    return type(value).__name__


def schema_diagnostics(document: Document, validator: Any, base_pointer: str = "") -> list[Diagnostic]:
    """Every schema violation in document.data, each at its own line and column."""
    found: list[Diagnostic] = []
    for err in validator.iter_errors(document.data):
        found.extend(_diagnose(document, err, base_pointer))
    return found


def _pointer(err: ValidationError, base: str) -> str:
    return pointer_join(base, *err.absolute_path)


def _diagnose(doc: Document, err: ValidationError, base: str) -> Iterator[Diagnostic]:
    pointer = _pointer(err, base)
    validator = err.validator
    instance = err.instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    if validator in ("oneOf", "anyOf") and err.context:
        yield from _diagnose(doc, _best_branch_error(err), base)
        return
    if validator == "additionalProperties" and isinstance(instance, dict):
        known = sorted(schema.get("properties", {}))
        for key in sorted(set(instance) - set(known), key=str):
            if any(re.search(p, str(key)) for p in schema.get("patternProperties", {})):
                continue
            hint = _did_you_mean(str(key), known)
            expected = ", ".join(f"`{k}`" for k in known)
            message = f"unknown key `{key}`" + (f"; did you mean `{hint}`?" if hint else f"; expected one of {expected}")
            yield doc.error_at(pointer_join(pointer, key), message, key=True,
                               hint=f"rename it to `{hint}`" if hint else None)
        return
    if validator == "required":
        missing = [k for k in validator_value(err) if isinstance(instance, dict) and k not in instance]
        for key in missing:
            yield doc.error_at(pointer, f"missing required key `{key}`" + _where(pointer))
        return
    if validator == "propertyNames":
        yield doc.error_at(pointer, _property_name_message(err), key=True)
        return
    yield doc.error_at(pointer, _message(err, instance, schema))


def validator_value(err: ValidationError) -> Any:
    return err.validator_value


def _where(pointer: str) -> str:
    return f" in `{pointer}`" if pointer else ""


def _property_name_message(err: ValidationError) -> str:
    key = err.instance
    inner = err.context[0] if err.context else None
    if inner is not None and inner.validator == "maxLength":
        return f"key `{key}` is {len(str(key))} characters long; the limit is {inner.validator_value}"
    if inner is not None and inner.validator == "not":
        return f"key `{key}` is reserved for the orchestrator's ownership metadata"
    if inner is not None and inner.validator == "pattern":
        return f"key `{key}` is not a valid name (expected to match {inner.validator_value})"
    return f"key `{key}` is not allowed: {err.message}"


def _message(err: ValidationError, instance: Any, schema: dict[str, Any]) -> str:
    v = err.validator
    val = err.validator_value
    if v == "type":
        wanted = val if isinstance(val, list) else [val]
        names = " or ".join(SCHEMA_TYPE_NAMES.get(t, t) for t in wanted)
        return f"expected {names}, got {describe_type(instance)}" + _got(instance)
    if v == "enum":
        options = ", ".join(f"`{o}`" for o in val)
        hint = _did_you_mean(str(instance), [str(o) for o in val]) if isinstance(instance, str) else None
        text = f"`{instance}` is not one of {options}"
        return text + (f"; did you mean `{hint}`?" if hint else "")
    if v == "const":
        return f"expected `{val}`, got `{instance}`"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        relation = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
        return f"must be {relation} {val}, got {instance}"
    if v == "maxLength":
        return f"is {len(instance)} characters long; the limit is {val}"
    if v == "minLength":
        return "must not be empty" if val == 1 else f"must be at least {val} characters long"
    if v == "maxItems":
        return f"has {len(instance)} items; the limit is {val}"
    if v == "minItems":
        return f"must have at least {val} item{'s' if val != 1 else ''}"
    if v == "maxProperties":
        return f"has {len(instance)} keys; the limit is {val}" + (
            " (the API allows 16 metadata pairs and the orchestrator reserves 2 for ownership)" if val == 14 else "")
    if v == "pattern":
        description = schema.get("description")
        return f"`{instance}` is not valid" + (f": {description}" if description else f" (expected to match {val})")
    if v == "not":
        return f"this combination is not allowed here: {err.message}"
    return err.message


def _got(instance: Any) -> str:
    if isinstance(instance, str | int | float | bool) and not isinstance(instance, bool | str):
        return f" ({instance})"
    if isinstance(instance, str) and len(instance) <= 40:
        return f" (`{instance}`)"
    return ""


def _did_you_mean(word: str, options: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _best_branch_error(err: ValidationError) -> ValidationError:
    """Of a oneOf/anyOf's branch errors, the one from the branch the user most likely meant."""
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in err.context or []:
        branch = sub.schema_path[0] if sub.schema_path else 0
        by_branch.setdefault(int(branch), []).append(sub)

    def score(item: tuple[int, list[ValidationError]]) -> tuple[int, int, int]:
        _, errors = item
        shallow_type = sum(1 for e in errors if e.validator in ("type", "const", "enum")
                           and list(e.relative_path) in ([], ["type"]))
        missing_type = sum(1 for e in errors if e.validator == "required" and "type" in (e.validator_value or []))
        depth = max((len(e.relative_path) for e in errors), default=0)
        return (shallow_type + missing_type, -depth, len(errors))

    branch_errors = sorted(by_branch.items(), key=score)[0][1]
    # within a branch prefer the deepest error
    return sorted(branch_errors, key=lambda e: -len(e.relative_path))[0]
