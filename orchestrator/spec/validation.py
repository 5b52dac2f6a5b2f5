"""Semantic checks beyond the JSON Schema: names, functions, strict mode, limits, models, backends."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from orchestrator.constants import AGENTS_BACKEND
from orchestrator.diagnostics import UNDEPLOYED, Diagnostic, error, pointer_join
from orchestrator.spec.capabilities import (
    SESSION_SPEND_LIMIT,
    deferred_without_search,
    ignored_fields,
    undeployed_fields,
    unsupported_fields,
    unused_session_settings,
)
from orchestrator.spec.confinement import Refused, read_confined
from orchestrator.spec.loading import Document
from orchestrator.spec.models import TABLE_DATE, close_models, is_known, shutdown_date

MAX_INSTRUCTIONS = 256_000
MAX_TOOLS = 128
MAX_FUNCTION_SCHEMA_BYTES = 512 * 1024


def check_spec_fields(
    doc: Document,
    data: dict[str, Any],
    *,
    backend: str,
    target: str,
    today: date,
    description_to_metadata: bool = False,
) -> list[Diagnostic]:
    """Checks on one schema-valid spec that need no other file."""
    found: list[Diagnostic] = []
    seen: dict[str, int] = {}
    for index, function in enumerate(data.get("functions") or []):
        name = function["name"]
        if name in seen:
            found.append(
                doc.error_at(
                    f"/functions/{index}/name",
                    f"function `{name}` is defined twice (first at /functions/{seen[name]})",
                )
            )
        seen.setdefault(name, index)
    tool_types: dict[str, int] = {}
    for index, tool in enumerate(data.get("tools") or []):
        kind = tool if isinstance(tool, str) else tool["type"]
        if kind in tool_types and kind != "mcp":
            found.append(doc.error_at(f"/tools/{index}", f"tool `{kind}` is listed twice"))
        tool_types.setdefault(kind, index)
    labels: set[str] = set()
    for index, tool in enumerate(data.get("tools") or []):
        if isinstance(tool, dict) and tool["type"] == "mcp":
            if tool["server_label"] in labels:
                found.append(
                    doc.error_at(
                        f"/tools/{index}/server_label",
                        f"MCP server label `{tool['server_label']}` is used twice",
                    )
                )
            labels.add(tool["server_label"])
    count = len(data.get("tools") or []) + len(data.get("functions") or [])
    if count > MAX_TOOLS:
        found.append(
            doc.error_at("/tools", f"{count} tools and functions in all; the API allows at most {MAX_TOOLS}")
        )
    if "temperature" in data and "top_p" in data and data["temperature"] != 1 and data["top_p"] != 1:
        found.append(
            doc.warning_at(
                "/top_p",
                "both `temperature` and `top_p` are changed; OpenAI recommends altering one, not both",
            )
        )
    if "knowledge" in data and "file_search" not in tool_types:
        found.append(
            doc.error_at(
                "/knowledge", "`knowledge` needs the `file_search` tool", hint="add `file_search` to `tools`"
            )
        )
    if "code_files" in data and "code_interpreter" not in tool_types:
        found.append(
            doc.error_at(
                "/code_files",
                "`code_files` needs the `code_interpreter` tool",
                hint="add `code_interpreter` to `tools`",
            )
        )
    spend_limit = (data.get("session") or {}).get("spend_limit_usd")
    if isinstance(spend_limit, float) and not math.isfinite(spend_limit):
        found.append(
            doc.error_at(
                SESSION_SPEND_LIMIT,
                f"`session.spend_limit_usd` must be a finite number of USD, not {spend_limit}",
                hint="write the limit in USD, e.g. 2.50",
            )
        )
    found.extend(model_checks(doc, data["model"], today))
    found.extend(
        capability_checks(
            doc, data, backend=backend, target=target, description_to_metadata=description_to_metadata
        )
    )
    if backend == AGENTS_BACKEND:
        found.extend(
            doc.warning_at(
                pointer,
                "a function with `defer_loading: true` is found only through the "
                "`tool_search` tool, which this spec does not have; the model will not see it",
            )
            for pointer in deferred_without_search(data)
        )
    response_format = data.get("response_format")
    if (
        backend == AGENTS_BACKEND
        and isinstance(response_format, dict)
        and response_format.get("type") == "json_schema"
    ):
        extra = [k for k in ("description", "strict") if k in response_format["json_schema"]]
        if extra:
            found.append(
                doc.warning_at(
                    "/response_format/json_schema",
                    f"the agents backend keeps only the schema of a json_schema format; "
                    f"{', '.join(f'`{k}`' for k in extra)} will not be sent to target `{target}`",
                    code=UNDEPLOYED,
                )
            )
    return found


def capability_checks(
    doc: Document, data: dict[str, Any], *, backend: str, target: str, description_to_metadata: bool = False
) -> list[Diagnostic]:
    """What the target's backend cannot take (errors) or deploys without (warnings); safe on data the
    schema rejected."""
    found = [
        doc.error_at(
            pointer,
            f"{what} is not supported by target `{target}` (backend: {backend})",
            hint=hint or _backend_hint(backend),
        )
        for pointer, what, hint in unsupported_fields(
            data, backend, description_to_metadata=description_to_metadata
        )
    ]
    for pointer, what, why in undeployed_fields(data, backend):
        found.append(
            doc.warning_at(
                pointer,
                f"{what} is not deployed to target `{target}` (backend: {backend}): {why}",
                code=UNDEPLOYED,
                hint="assistants targets still get it; remove it, or accept the difference "
                "in this environment's `accept:` (orchestrator.yaml)",
            )
        )
    for pointer, what, why in unused_session_settings(data, backend):
        found.append(
            doc.warning_at(
                pointer,
                f"{what} has no counterpart on target `{target}` (backend: {backend}): {why}",
                code=UNDEPLOYED,
            )
        )
    for pointer, what, why in ignored_fields(data, backend):
        found.append(
            doc.warning_at(
                pointer,
                f"{what} is not deployed to target `{target}` (backend: {backend}): {why}",
                code=UNDEPLOYED,
                hint="remove it to silence this warning",
            )
        )
    return found


def _backend_hint(backend: str) -> str:
    if backend == AGENTS_BACKEND:
        return "remove it, or deploy this spec to an assistants target"
    return "remove it, or deploy this spec to an agents target"


def model_checks(doc: Document, model: str, today: date) -> list[Diagnostic]:
    day = shutdown_date(model)
    if day is None and not is_known(model):
        close = close_models(model, today)
        return [
            doc.warning_at(
                "/model",
                f"model `{model}` is not in this version's table of models "
                f"(openai SDK models as of {TABLE_DATE.isoformat()})",
                hint=f"did you mean {' or '.join(f'`{name}`' for name in close)}?"
                if close
                else "check the name; a model a compatible server adds is fine",
            )
        ]
    if day is None:
        return []
    if day <= today:
        return [
            doc.error_at(
                "/model", f"model `{model}` was shut down on {day.isoformat()}", hint="choose a current model"
            )
        ]
    return [doc.warning_at("/model", f"model `{model}` is announced to shut down on {day.isoformat()}")]


def check_instructions_length(doc: Document, text: str) -> list[Diagnostic]:
    if len(text) > MAX_INSTRUCTIONS:
        return [
            doc.error_at(
                "/instructions",
                f"rendered instructions are {len(text):,} characters long; "
                f"the API allows {MAX_INSTRUCTIONS:,}",
            )
        ]
    return []


def load_json_file(path: Path, shown: str, root: Path) -> tuple[Any, Diagnostic | None]:
    """Read a JSON file referred to by a spec (inside root, bounded in size); a diagnostic instead of an exception."""
    try:
        raw = read_confined(path, root, limit=MAX_FUNCTION_SCHEMA_BYTES, what="a schema file")
    except Refused as exc:
        return None, error(shown, f"file {exc.reason}", hint=exc.hint)
    except FileNotFoundError:
        return None, error(shown, "file not found")
    except IsADirectoryError:
        return None, error(shown, "expected a JSON file, found a directory")
    except OSError as exc:
        return None, error(shown, f"cannot read file: {exc.strerror or exc}")
    try:
        return json.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError:
        return None, error(shown, "file is not valid UTF-8")
    except RecursionError:
        return None, error(shown, "JSON nesting is too deep")
    except json.JSONDecodeError as exc:
        return None, error(shown, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno)


@cache
def _metaschema_validator() -> Any:
    from jsonschema import Draft202012Validator, FormatChecker

    # `pattern` values must compile; other formats of the metaschema (URIs) are left to the API
    return Draft202012Validator(
        Draft202012Validator.META_SCHEMA, format_checker=FormatChecker(formats=("regex",))
    )


def json_schema_problems(schema: Any) -> list[tuple[str, str]]:
    """(pointer inside the schema, message) for every way schema is not a valid JSON Schema of an object."""
    if not isinstance(schema, dict):
        return [("", f"a JSON Schema here must be a mapping (an object), got {_type_name(schema)}")]
    # Identical schemas (shared files, copied inline schemas) are checked once: the metaschema is costly.
    problems = list(_metaschema_problems(json.dumps(schema, sort_keys=True, separators=(",", ":"))))
    if schema.get("type", "object") != "object":
        problems.append(("/type", f"the root must be a schema of `type: object`, got `{schema.get('type')}`"))
    return problems


@lru_cache(maxsize=8192)
def _metaschema_problems(text: str) -> tuple[tuple[str, str], ...]:
    from orchestrator.spec.schema_errors import explain, surely_valid

    schema = json.loads(text)
    if surely_valid(_metaschema_validator().schema, schema, formats=True):
        return ()
    found = [
        (p.pointer, p.message) for err in _metaschema_validator().iter_errors(schema) for p in explain(err)
    ]
    return tuple(dict.fromkeys(found))


def clear_caches() -> None:
    """Forget which schemas were already checked (benchmarks; the cache itself is always correct)."""
    _metaschema_problems.cache_clear()


def _type_name(value: Any) -> str:
    from orchestrator.spec.schema_errors import describe_type

    return describe_type(value)


def check_schema(schema: Any, *, strict: bool) -> list[tuple[str, str]]:
    """Metaschema problems; when there are none and strict is set, OpenAI strict-mode problems."""
    problems = json_schema_problems(schema)
    if strict and not problems:
        problems = list(strict_mode_problems(schema))
    return problems


def place_schema_problems(
    doc: Document,
    where: str,
    problems: Sequence[tuple[str, str]],
    *,
    what: str,
    file_display: str | None = None,
    file_doc: Document | None = None,
) -> list[Diagnostic]:
    """Diagnostics for problems inside a JSON Schema at `where` in a spec.

    Inline schemas are reported in the spec; a schema read from a file is reported in that file (line and
    column when it can be located), with a hint naming the spec field that uses it.
    """
    if file_display is None:
        return [doc.error_at(where + inner, f"{what}: {message}") for inner, message in problems]
    ref = doc.position(where)
    used_by = f"used by {doc.display}" + (f":{ref.line}:{ref.column}" if ref else "") + f" [{where}]"
    found = []
    for inner, message in problems:
        position = file_doc.position(inner) if file_doc is not None else None
        found.append(
            error(
                file_display,
                f"{what}: {message}",
                line=position.line if position else None,
                column=position.column if position else None,
                pointer=inner,
                hint=used_by,
            )
        )
    return found


def strict_mode_problems(schema: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """OpenAI's structured-output rules: every object closes additionalProperties and requires all properties."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from strict_mode_problems(item, pointer_join(pointer, index))
        return
    if not isinstance(schema, dict):
        return
    is_object = (
        schema.get("type") == "object"
        or (isinstance(schema.get("type"), list) and "object" in schema["type"])
        or "properties" in schema
    )
    if is_object:
        if schema.get("additionalProperties") is not False:
            yield (
                pointer,
                (
                    "strict mode needs `additionalProperties: false` on every object"
                    + ("" if not pointer else f" (this one is {_describe_place(pointer)})")
                ),
            )
        properties = schema.get("properties") or {}
        missing = [name for name in properties if name not in (schema.get("required") or [])]
        if missing:
            yield (
                pointer,
                (
                    "strict mode needs every property listed in `required`; missing: "
                    + ", ".join(f"`{m}`" for m in missing)
                    + " (to make one optional, keep it in `required` and allow null)"
                ),
            )
    for key in ("properties", "$defs", "definitions", "patternProperties"):
        for name, sub in (schema.get(key) or {}).items() if isinstance(schema.get(key), dict) else ():
            yield from strict_mode_problems(sub, pointer_join(pointer, key, name))
    for key in ("items", "anyOf", "allOf", "oneOf", "prefixItems", "not", "additionalProperties"):
        if key in schema and isinstance(schema[key], dict | list):
            yield from strict_mode_problems(schema[key], pointer_join(pointer, key))


def _describe_place(pointer: str) -> str:
    parts = pointer.strip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "properties":
        return f"property `{parts[-1]}`"
    return f"at `{pointer}`"
