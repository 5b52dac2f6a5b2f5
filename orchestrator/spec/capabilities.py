"""Which spec fields each backend can take. A spec using a field its target lacks is an error."""

from __future__ import annotations

from typing import Any

# top-level spec field -> backends that have it (fields not listed are shared)
FIELD_BACKENDS: dict[str, frozenset[str]] = {
    "description": frozenset({"assistants"}),
    "temperature": frozenset({"assistants"}),
    "top_p": frozenset({"assistants"}),
    "knowledge": frozenset({"assistants"}),
    "code_files": frozenset({"assistants"}),
    "verbosity": frozenset({"agents"}),
    "service_tier": frozenset({"agents"}),
}

TOOL_BACKENDS: dict[str, frozenset[str]] = {
    "code_interpreter": frozenset({"assistants"}),
    "file_search": frozenset({"assistants"}),
    "web_search": frozenset({"agents"}),
    "mcp": frozenset({"agents"}),
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
        if isinstance(function, dict) and function.get("strict") is True and backend == "agents":
            found.append((f"/functions/{index}/strict", "`strict: true` on a function"))
    return found
