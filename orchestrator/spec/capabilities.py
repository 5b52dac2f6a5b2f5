"""Which spec fields each backend can take. A spec using a field its target lacks is an error."""

from __future__ import annotations

from typing import Any

AGENT_SETTINGS = ("compaction", "multi_agent", "experimental")  # agent create params a spec writes as the SDK does
AGENTS_ONLY = frozenset({"agents"})

# top-level spec field -> backends that have it (fields not listed are shared)
FIELD_BACKENDS: dict[str, frozenset[str]] = {
    "description": frozenset({"assistants"}),
    "temperature": frozenset({"assistants"}),
    "top_p": frozenset({"assistants"}),
    "knowledge": frozenset({"assistants"}),
    "code_files": frozenset({"assistants"}),
    "verbosity": AGENTS_ONLY,
    "service_tier": AGENTS_ONLY,
    "reasoning_summary": AGENTS_ONLY,
    **{name: AGENTS_ONLY for name in AGENT_SETTINGS},
}

TOOL_BACKENDS: dict[str, frozenset[str]] = {
    "code_interpreter": frozenset({"assistants"}),
    "file_search": frozenset({"assistants"}),
    "web_search": AGENTS_ONLY,
    "mcp": AGENTS_ONLY,
    "tool_search": AGENTS_ONLY,
    "programmatic_tool_calling": AGENTS_ONLY,
    "computer_use": AGENTS_ONLY,
    "automations": AGENTS_ONLY,
}

FUNCTION_OPTION_BACKENDS: dict[str, frozenset[str]] = {
    "defer_loading": AGENTS_ONLY,
    "async": AGENTS_ONLY,
}


def unsupported_fields(spec: dict[str, Any], backend: str) -> list[tuple[str, str]]:
    """(JSON pointer, what) for every use in spec of something backend cannot take."""
    found: list[tuple[str, str]] = []
    for field, backends in FIELD_BACKENDS.items():
        if field in spec and backend not in backends:
            found.append((f"/{field}", f"`{field}`"))
    for index, tool in enumerate(spec.get("tools") or []):
        kind = tool if isinstance(tool, str) else tool.get("type") if isinstance(tool, dict) else None
        if kind in TOOL_BACKENDS and backend not in TOOL_BACKENDS[kind]:
            found.append((f"/tools/{index}", f"the `{kind}` tool"))
    response_format = spec.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, dict) else response_format
    if kind == "json_object" and backend == "agents":
        found.append(("/response_format", "`response_format: json_object`"))
    for index, function in enumerate(spec.get("functions") or []):
        if not isinstance(function, dict):
            continue
        if function.get("strict") is True and backend == "agents":
            found.append((f"/functions/{index}/strict", "`strict: true` on a function"))
        for option, backends in FUNCTION_OPTION_BACKENDS.items():
            if option in function and backend not in backends:
                found.append((f"/functions/{index}/{option}", f"`{option}` on a function"))
    return found


def deferred_without_search(spec: dict[str, Any]) -> list[str]:
    """JSON pointers of functions with `defer_loading: true` when no `tool_search` tool can find them."""
    kinds = {t if isinstance(t, str) else t.get("type") for t in spec.get("tools") or [] if isinstance(t, str | dict)}
    if "tool_search" in kinds:
        return []
    return [f"/functions/{index}/defer_loading" for index, function in enumerate(spec.get("functions") or [])
            if isinstance(function, dict) and function.get("defer_loading") is True]
