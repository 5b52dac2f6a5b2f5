"""Every agent create/update field and tool type of the installed openai SDK has a home in the spec
language. The SDK's TypedDicts are walked, so a field or tool type that a new SDK release adds (and
that the spec schema does not know) fails here, in CI, instead of being met by users."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from typing import Any, get_args, get_origin, get_type_hints

import typing_extensions
from openai.types.beta.agent_create_params import AgentCreateParams
from openai.types.beta.agent_update_params import AgentUpdateParams
from openai.types.beta.persisted_agent_tool_param import PersistedAgentToolParam

from orchestrator.spec.schemas import load_schema

# SDK parameter path -> where the spec language holds it (a path into the spec schema, see schema_paths)
SPEC_FOR: dict[str, str] = {
    "model": "model",
    "name": "display_name",
    "instructions": "instructions",
    "metadata": "metadata",
    "service_tier": "service_tier",
    "reasoning.effort": "reasoning_effort",
    "reasoning.summary": "reasoning_summary",
    "text.format": "response_format",
    "text.format[text]": "response_format",
    "text.format[json_schema]": "response_format[json_schema]",
    "text.format[json_schema].schema": "response_format[json_schema].json_schema.schema",
    "text.verbosity": "verbosity",
    "compaction.async": "compaction.async",
    "multi_agent.enabled": "multi_agent.enabled",
    "multi_agent.max_concurrent_subagents": "multi_agent.max_concurrent_subagents",
    "experimental.time_awareness": "experimental.time_awareness",
    "tools": "tools",
    "tools[function]": "functions",
    "tools[function].name": "function.name",
    "tools[function].description": "function.description",
    "tools[function].parameters": "function.parameters",
    "tools[function].defer_loading": "function.defer_loading",
    "tools[function].async": "function.async",
    "tools[tool_search]": "tool[tool_search]",
    "tools[programmatic_tool_calling]": "tool[programmatic_tool_calling]",
    "tools[programmatic_tool_calling].enabled": "tool[programmatic_tool_calling].enabled",
    "tools[computer_use]": "tool[computer_use]",
    "tools[computer_use].include_screenshots": "tool[computer_use].include_screenshots",
    "tools[automations]": "tool[automations]",
    "tools[web_search]": "tool[web_search]",
    "tools[web_search].allowed_domains": "tool[web_search].allowed_domains",
    "tools[web_search].context_size": "tool[web_search].context_size",
    "tools[web_search].mode": "tool[web_search].mode",
    "tools[web_search].location.city": "tool[web_search].location.city",
    "tools[web_search].location.country": "tool[web_search].location.country",
    "tools[web_search].location.region": "tool[web_search].location.region",
    "tools[web_search].location.timezone": "tool[web_search].location.timezone",
    "tools[mcp]": "tool[mcp]",
    "tools[mcp].server_label": "tool[mcp].server_label",
    "tools[mcp].allowed_tools": "tool[mcp].allowed_tools",
    "tools[mcp].required": "tool[mcp].required",
    "tools[mcp].transport[http].server_url": "tool[mcp].server_url",
    "tools[mcp].transport[http].headers": "tool[mcp].headers",
    "tools[mcp].transport[stdio].command": "tool[mcp].transport[stdio].command",
    "tools[mcp].transport[stdio].cwd": "tool[mcp].transport[stdio].cwd",
    "tools[mcp].transport[stdio].args": "tool[mcp].transport[stdio].args",
    "tools[mcp].transport[stdio].env_vars": "tool[mcp].transport[stdio].env_vars",
}
# read for drift but never written: a spec cannot set them, so apply strips them (docs/how-to/agents-api.md: "How a spec maps to an agent")
NOT_WRITTEN = frozenset(
    {"tools[mcp].connection_origin", "tools[mcp].credential_id", "tools[mcp].request_metadata"}
)
# the wire's own discriminators and the pieces walked into rather than mapped whole
STRUCTURAL = frozenset(
    {
        "reasoning",
        "text",
        "compaction",
        "multi_agent",
        "experimental",
        "tools[web_search].location",
        "tools[mcp].transport",
        "tools[mcp].transport[http]",
        "tools[mcp].transport[stdio]",
    }
)


def unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Required/Optional/Annotated/Iterable/Union, None dropped."""
    origin = get_origin(annotation)
    if origin in (typing.Annotated, typing.Union, types.UnionType) or str(origin).endswith(
        ("Required", "NotRequired")
    ):
        return [t for arg in get_args(annotation) for t in unwrap(arg) if t is not type(None)]
    if (
        isinstance(origin, type)
        and origin is not dict
        and issubclass(origin, Iterable)
        and get_args(annotation)
    ):
        return unwrap(get_args(annotation)[0])
    return [annotation]


def alias(annotation: Any, key: str) -> str:
    """The wire name of a key (`async_` is sent as `async`)."""
    for meta in getattr(annotation, "__metadata__", ()):
        if getattr(meta, "alias", None):
            return str(meta.alias)
    return key


def is_typeddict(value: Any) -> bool:
    return isinstance(value, type) and typing_extensions.is_typeddict(
        value
    )  # the SDK's TypedDicts are typing_extensions'


def tool_type(typed: Any) -> str:
    [literal] = get_args(unwrap(get_type_hints(typed, include_extras=True)["type"])[0])
    return str(literal)


def sdk_paths(typed: Any, prefix: str = "") -> set[str]:
    """Every parameter path of a TypedDict: `a.b`, and `tools[kind].field` through discriminated unions."""
    found: set[str] = set()
    for key, annotation in get_type_hints(typed, include_extras=True).items():
        name = alias(annotation, key)
        if name == "type" and prefix.endswith("]"):
            continue  # the discriminator itself
        path = f"{prefix}.{name}" if prefix else name
        found.add(path)
        members = [t for t in unwrap(annotation) if is_typeddict(t)]
        tagged = len(members) > 1 or (members and "type" in get_type_hints(members[0]))
        for member in members:
            if tagged:
                found.add(f"{path}[{tool_type(member)}]")
                found |= sdk_paths(member, f"{path}[{tool_type(member)}]")
            else:
                found |= sdk_paths(member, path)
    return found


def schema_paths(schema: dict[str, Any]) -> set[str]:
    """Every field path of the spec schema: top-level keys walked, `function.x`, `tool[kind].x`."""
    found: set[str] = set()

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, sub in (node.get("properties") or {}).items():
            path = f"{prefix}.{key}" if prefix else key
            found.add(path)
            walk(sub, path)
        for option in node.get("oneOf") or []:
            kind = ((option.get("properties") or {}).get("type") or {}).get("const")
            if kind:
                found.add(f"{prefix}[{kind}]")
                walk(option, f"{prefix}[{kind}]")
            else:
                walk(option, prefix)

    walk(schema, "")
    for option in schema["$defs"]["tool"]["oneOf"]:
        for kind in option.get("enum") or [option["properties"]["type"]["const"]]:
            found.add(f"tool[{kind}]")
        if "properties" in option:
            walk(option, f"tool[{option['properties']['type']['const']}]")
    walk(schema["$defs"]["function"], "function")
    return found


def test_every_create_field_and_tool_type_of_the_sdk_has_a_spec_field() -> None:
    walked = sdk_paths(AgentCreateParams)
    unknown = sorted(walked - SPEC_FOR.keys() - NOT_WRITTEN - STRUCTURAL)
    assert not unknown, f"the openai SDK has agent fields the spec language does not know: {unknown}"
    missing = sorted(path for path, spec in SPEC_FOR.items() if spec not in schema_paths(load_schema("spec")))
    assert not missing, f"mapped to spec fields the schema lacks: {missing}"


def test_the_walk_sees_the_tool_union_and_aliased_keys() -> None:
    walked = sdk_paths(AgentCreateParams)
    kinds = {tool_type(member) for member in get_args(PersistedAgentToolParam)}
    assert {f"tools[{kind}]" for kind in kinds} <= walked
    assert {"compaction.async", "tools[function].async", "tools[mcp].transport[stdio].env_vars"} <= walked


def test_update_params_are_the_create_params() -> None:
    assert sdk_paths(AgentUpdateParams) == sdk_paths(AgentCreateParams)


def test_nothing_is_mapped_that_the_sdk_no_longer_has() -> None:
    """A field a newer SDK dropped leaves the table stale; it must then be removed from the spec too."""
    stale = sorted(SPEC_FOR.keys() - sdk_paths(AgentCreateParams))
    assert not stale, stale
