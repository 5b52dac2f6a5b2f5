"""jsonschema errors turned into positioned diagnostics a person can act on."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orchestrator.diagnostics import Diagnostic, pointer_join
from orchestrator.spec.loading import Document

if TYPE_CHECKING:  # jsonschema is imported by whoever builds the validator; keep this module cheap to import
    from jsonschema.exceptions import ValidationError

JSON_TYPES = {
    dict: "a mapping",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}
SCHEMA_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "null": "null",
}

# what a pattern means, in words (the schema's own `description` is used for other patterns)
PATTERN_WORDS = {
    "^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$": "lowercase letters, digits and dashes, starting and ending with a letter or digit, at most 64 characters",
    "^[A-Za-z0-9_-]{1,64}$": "letters, digits, underscores and dashes, at most 64 characters",
    "^[A-Za-z_][A-Za-z0-9_]*$": "a letter or underscore, then letters, digits or underscores",
    "^https?://": "an http:// or https:// URL",
    "^vs_[A-Za-z0-9_-]+$": "a vector store id such as `vs_abc123`",
    "^(?![/\\\\])(?![A-Za-z]:)(?!(.*[/\\\\])?\\.\\.([/\\\\]|$))[^\\u0000]+$": "a path relative to the project folder, without `..`",  # saved plans: knowledge and code files
    "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$": "`package.module:function`",
}


def describe_type(value: Any) -> str:
    for kind, label in JSON_TYPES.items():
        if type(value) is kind:
            return label
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class Problem:
    """One schema violation in words; at_key: the position is the mapping key's, not its value's."""

    pointer: str
    message: str
    at_key: bool = False
    hint: str | None = None


def schema_diagnostics(document: Document, validator: Any, base_pointer: str = "") -> list[Diagnostic]:
    """Every schema violation in document.data, each at its own line and column."""
    if surely_valid(validator.schema, document.data):
        return []
    problems = dict.fromkeys(
        p for err in validator.iter_errors(document.data) for p in explain(err, base_pointer)
    )
    return [document.error_at(p.pointer, p.message, key=p.at_key, hint=p.hint) for p in problems]


_compiled: dict[int, tuple[Any, Any]] = {}


def surely_valid(schema: Any, instance: Any, *, formats: bool = False) -> bool:
    """A fast yes from jsonschema-rs when it is installed; False means "ask jsonschema", which explains errors.

    jsonschema (pure Python) stays the reference: it runs whenever this says anything but a clear yes.
    With formats, jsonschema-rs checks every `format` (a superset of what the caller's validator checks).
    """
    key = id(schema) * 2 + formats
    entry = _compiled.get(key)
    if entry is None or entry[0] is not schema:
        try:
            import jsonschema_rs
        except ImportError:
            return False
        try:
            entry = (schema, jsonschema_rs.validator_for(schema, validate_formats=formats))
        except Exception:  # a schema it cannot compile: jsonschema decides
            entry = (schema, None)
        _compiled[key] = entry
    if entry[1] is None:
        return False
    try:
        return bool(entry[1].is_valid(instance))
    except Exception:  # values it cannot convert (non-string keys, huge integers): jsonschema decides
        return False


def explain(err: ValidationError, base: str = "") -> Iterator[Problem]:
    """The problems one jsonschema error stands for (one per unknown or missing key)."""
    return _diagnose(err, base)


def _pointer(err: ValidationError, base: str) -> str:
    return pointer_join(base, *err.absolute_path)


def subject(pointer: str) -> str:
    """How to name the value at pointer in a sentence: `temperature`, item 2 of `tools`, the file."""
    if not pointer:
        return "the document"
    parent, _, last = pointer.rpartition("/")
    last = last.replace("~1", "/").replace("~0", "~")
    if last.isdigit():
        return (
            f"item {int(last) + 1} of `{parent.rpartition('/')[2] or parent}`"
            if parent
            else f"item {int(last) + 1}"
        )
    return f"`{last}`"


def _diagnose(err: ValidationError, base: str) -> Iterator[Problem]:
    pointer = _pointer(err, base)
    validator = err.validator
    instance = err.instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    if "propertyNames" in err.relative_schema_path:
        key_pointer = pointer_join(pointer, instance)
        yield Problem(key_pointer, _property_name_message(err, pointer), at_key=True)
        return
    if validator in ("oneOf", "anyOf") and err.context:
        combined = _all_branches_mismatch_type(err)
        if combined is not None:
            yield Problem(
                pointer,
                f"{subject(pointer)} must be {combined}, got {describe_type(instance)}{_got(instance)}",
            )
            return
        needed = _only_missing_keys(err)
        if needed is not None:
            options = (
                " or ".join(f"`{k}`" for k in needed)
                if len(needed) < 3
                else (", ".join(f"`{k}`" for k in needed[:-1]) + f" or `{needed[-1]}`")
            )
            yield Problem(pointer, f"{subject(pointer)} needs {options}")
            return
        yield from _diagnose(_best_branch_error(err), base)
        return
    if validator == "additionalProperties" and isinstance(instance, dict):
        known = sorted(schema.get("properties", {}))
        for key in sorted(set(instance) - set(known), key=str):
            if any(re.search(p, str(key)) for p in schema.get("patternProperties", {})):
                continue
            hint = _did_you_mean(str(key), known)
            expected = ", ".join(f"`{k}`" for k in known)
            where = f" in {subject(pointer)}" if pointer else ""
            message = f"unknown key `{key}`{where}" + (
                f"; did you mean `{hint}`?"
                if hint
                else f"; expected one of {expected}"
                if known
                else "; no keys are allowed here"
            )
            yield Problem(
                pointer_join(pointer, key),
                message,
                at_key=True,
                hint=f"rename it to `{hint}`" if hint else None,
            )
        return
    if validator == "required":
        missing = [k for k in err.validator_value if isinstance(instance, dict) and k not in instance]
        condition = ""
        if "then" in err.relative_schema_path and isinstance(instance, dict) and "type" in instance:
            condition = f" (required when `type` is `{instance['type']}`)"
        for key in missing:
            where = f" in {subject(pointer)}" if pointer else ""
            yield Problem(pointer_join(pointer, key), f"missing required key `{key}`{where}{condition}")
        return
    if validator == "not" and "then" in err.relative_schema_path and isinstance(instance, dict):
        kind = instance.get("type")
        yield Problem(
            pointer,
            f"{subject(pointer)} has keys that a target of type `{kind}` does not take",
            hint="`local` targets take `protocol` and `db`; `assistants` and `agents` targets take "
            "`base_url` and `api_key_env`",
        )
        return
    yield Problem(pointer, _message(err, instance, schema, pointer))


def _property_name_message(err: ValidationError, parent: str) -> str:
    key = err.instance
    kind = "key" if not parent else f"{subject(parent).strip('`')} key"
    if err.validator == "maxLength":
        return f"{kind} `{key}` is {len(str(key))} characters long; the limit is {err.validator_value}"
    if err.validator == "minLength":
        return f"{kind} must not be empty"
    if err.validator == "not":
        return f"{kind} `{key}` uses the reserved prefix `orchestrator.`, kept for ownership metadata"
    if err.validator == "pattern":
        return f"{kind} `{key}` is not valid; expected {_pattern_words(err.validator_value, {})}"
    return f"{kind} `{key}` is not allowed: {err.message}"


def _message(err: ValidationError, instance: Any, schema: dict[str, Any], pointer: str) -> str:
    v = err.validator
    val = err.validator_value
    what = subject(pointer)
    if v == "type":
        wanted = val if isinstance(val, list) else [val]
        names = " or ".join(SCHEMA_TYPE_NAMES.get(t, t) for t in wanted)
        return f"{what} must be {names}, got {describe_type(instance)}{_got(instance)}"
    if v == "enum":
        options = ", ".join(f"`{o}`" for o in val)
        hint = _did_you_mean(str(instance), [str(o) for o in val]) if isinstance(instance, str) else None
        text = f"{what} must be one of {options}, got `{instance}`"
        return text + (f"; did you mean `{hint}`?" if hint else "")
    if v == "const":
        return f"{what} must be `{val}`, got `{instance}`"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        relation = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "greater than",
            "exclusiveMaximum": "less than",
        }[v]
        return f"{what} must be {relation} {val}, got {instance}"
    if v == "maxLength":
        return f"{what} is {len(instance):,} characters long; the limit is {val:,}"
    if v == "minLength":
        return f"{what} must not be empty" if val == 1 else f"{what} must be at least {val} characters long"
    if v == "maxItems":
        return f"{what} has {len(instance)} items; the limit is {val}"
    if v == "minItems":
        return f"{what} must have at least {val} item{'s' if val != 1 else ''}"
    if v == "maxProperties":
        return f"{what} has {len(instance)} keys; the limit is {val}" + (
            " (the API allows 16 metadata pairs and the orchestrator reserves 2 for ownership)"
            if val == 14
            else ""
        )
    if v == "minProperties":
        return f"{what} must have at least {val} key{'s' if val != 1 else ''}"
    if v == "pattern":
        return f"invalid {what} `{instance}`; expected {_pattern_words(val, schema)}"
    if v == "format":
        return f"{what} `{instance}` is not a valid {val}"
    if v == "uniqueItems":
        return f"{what} lists the same item twice"
    if v == "not":
        banned = _required_names(val)
        present = [k for k in banned if isinstance(instance, dict) and k in instance]
        if present and isinstance(instance, dict):
            others = [k for k in instance if k not in banned]
            path = list(err.relative_schema_path)
            if "dependentSchemas" in path:  # banned because of one key: name that one
                others = [str(path[path.index("dependentSchemas") + 1])]
            together = f" together with {', '.join(f'`{k}`' for k in others)}" if others else ""
            return f"{what}: {', '.join(f'`{k}`' for k in present)} cannot be used{together}"
        return f"{what}: this combination is not allowed here"
    return f"{what}: {err.message}"


def _required_names(schema: Any) -> list[str]:
    """Key names a `not` schema forbids: its `required`, or those of its `anyOf` branches."""
    if not isinstance(schema, dict):
        return []
    names = list(schema.get("required") or [])
    for branch in schema.get("anyOf") or []:
        names.extend(_required_names(branch))
    return names


def _pattern_words(pattern: str, schema: dict[str, Any]) -> str:
    words = PATTERN_WORDS.get(pattern)
    if words:
        return words
    description = schema.get("description")
    return (
        f"{description.rstrip('.')} (pattern `{pattern}`)" if description else f"a value matching `{pattern}`"
    )


def _got(instance: Any) -> str:
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        return f" ({instance})"
    if isinstance(instance, str) and len(instance) <= 40:
        return f" (`{instance}`)"
    return ""


def did_you_mean(word: str, options: Iterable[str]) -> str | None:
    """The closest option to word, if one is close enough to be a typo."""
    return _did_you_mean(word, options)


def _did_you_mean(word: str, options: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _branches(err: ValidationError) -> dict[int, list[ValidationError]]:
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in err.context or []:
        branch = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        by_branch.setdefault(int(branch), []).append(sub)
    return by_branch


def _all_branches_mismatch_type(err: ValidationError) -> str | None:
    """When no branch takes the value's type at all: `a string or a mapping` (else None)."""
    schemas = err.validator_value if isinstance(err.validator_value, list) else []
    wanted: list[str] = []
    by_branch = _branches(err)
    for index, branch in enumerate(schemas):
        errors = by_branch.get(index, [])
        root = [e for e in errors if not e.relative_path]
        if not any(e.validator in ("type", "enum", "const") for e in root):
            return None
        if (
            isinstance(branch, dict)
            and "enum" in branch
            and any(_same_kind(err.instance, o) for o in branch["enum"])
        ):
            return None  # a string that is not one of the names: the enum branch's message says more
        if not isinstance(branch, dict):
            return None
        if "type" in branch:
            names = branch["type"] if isinstance(branch["type"], list) else [branch["type"]]
            wanted.extend(SCHEMA_TYPE_NAMES.get(n, n) for n in names)
        elif "enum" in branch:
            wanted.append("one of " + ", ".join(f"`{o}`" for o in branch["enum"]))
        elif "const" in branch:
            wanted.append(f"`{branch['const']}`")
        else:
            return None
    for index, errors in by_branch.items():
        branch = schemas[index] if index < len(schemas) else {}
        if "enum" in branch or "const" in branch:
            continue  # judged by the kinds of its values above
        if not any(e.validator == "type" and not e.relative_path for e in errors):
            return None  # the value's type fits this branch; a closer look at that branch says more
    unique = list(dict.fromkeys(wanted))
    return " or ".join(unique) if unique else None


def _same_kind(value: Any, option: Any) -> bool:
    return describe_type(value) == describe_type(option)


def _only_missing_keys(err: ValidationError) -> list[str] | None:
    """When every branch fails only for want of a key: the keys that would satisfy one branch each."""
    keys: list[str] = []
    for errors in _branches(err).values():
        if any(e.validator == "type" and not e.relative_path for e in errors):
            continue  # a branch for another type of value
        if not errors or any(
            e.validator not in ("required", "additionalProperties") or e.relative_path for e in errors
        ):
            return None
        if not any(e.validator == "required" for e in errors):
            return None  # this branch only objects to extra keys: it is the one meant
        for e in errors:
            if e.validator == "required":
                keys.extend(
                    k for k in e.validator_value if isinstance(e.instance, dict) and k not in e.instance
                )
    return list(dict.fromkeys(keys)) or None


def _best_branch_error(err: ValidationError) -> ValidationError:
    """Of a oneOf/anyOf's branch errors, the one from the branch the user most likely meant."""
    by_branch = _branches(err)
    if not by_branch:
        return err

    def score(item: tuple[int, list[ValidationError]]) -> tuple[int, int, int, int]:
        _, errors = item
        shallow = [e for e in errors if list(e.relative_path) in ([], ["type"])]
        wrong_type = sum(1 for e in shallow if e.validator == "type")
        wrong_discriminator = sum(1 for e in shallow if e.validator in ("const", "enum"))
        missing_type = sum(
            1
            for e in errors
            if e.validator == "required"
            and "type" in (e.validator_value or [])
            and isinstance(e.instance, dict)
            and "type" not in e.instance
        )
        depth = max((len(e.relative_path) for e in errors), default=0)
        return (wrong_type, wrong_discriminator + missing_type, -depth, len(errors))

    branch_errors = sorted(by_branch.items(), key=score)[0][1]
    # within a branch prefer the deepest error
    return sorted(branch_errors, key=lambda e: -len(e.relative_path))[0]
