"""Which spec fields each backend can take. A spec using a field its target lacks is an error.

On an agents target, some fields of a spec written for the Assistants API are mapped rather than
refused (docs/how-to/migrate-to-agents.md): knowledge and code files become files of an owned environment template, `code_interpreter` and `file_search`
become commands in it, and `description` goes into the agent's metadata when the project asks for it. Fields with no counterpart at all
(`temperature`, `top_p`, a function's `strict`, knowledge chunking) are deployed without, each with a
warning saying so: never a silent drop.

Fields the openai SDK documents as accepted and ignored by the API (IGNORED_BY_API) are treated the
same way on the backends whose API ignores them: a warning at the spec's line, kept out of the
desired essence and the payload, and not read from the live object, so they are never drift.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from orchestrator.constants import AGENTS_BACKEND, ASSISTANTS_BACKEND

AGENT_SETTINGS = (
    "compaction",
    "multi_agent",
    "experimental",
)  # agent create params a spec writes as the SDK does
AGENTS_ONLY = frozenset({AGENTS_BACKEND})

# top-level spec field -> backends that have it (fields not listed are shared)
FIELD_BACKENDS: dict[str, frozenset[str]] = {
    "description": frozenset(
        {ASSISTANTS_BACKEND}
    ),  # agents: metadata `description` with agents.description_to_metadata
    "verbosity": AGENTS_ONLY,
    "service_tier": AGENTS_ONLY,
    "reasoning_summary": AGENTS_ONLY,
    **{name: AGENTS_ONLY for name in AGENT_SETTINGS},
}

TOOL_BACKENDS: dict[str, frozenset[str]] = {
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


# no Agents API counterpart: the agent is deployed without them (a warning each says so and why)
NOT_DEPLOYED_ON_AGENTS: dict[str, str] = {
    "temperature": "the Agents API has no sampling temperature",
    "top_p": "the Agents API has no top_p",
}


@dataclass(frozen=True, slots=True)
class IgnoredField:
    """A field the API accepts and ignores, as the openai SDK's param types document it."""

    wire: str  # dotted path in the API's params and objects, as the SDK names it ("compaction.async")
    pointer: str  # JSON pointer of the same field in a spec
    since: str  # the first openai release whose types document it as ignored
    wording: str  # the SDK's docstring, quoted in the warning
    backends: frozenset[str]  # the backends whose API ignores it (every target of those backends)


# One row per field the SDK documents as ignored; tests/agents/test_ignored_fields.py fails, naming the
# field, when the installed SDK documents one that is not listed here.
IGNORED_BY_API: tuple[IgnoredField, ...] = (
    IgnoredField(
        "compaction.async",
        "/compaction/async",
        "3.63.0",
        "Accepted for compatibility and ignored. Context compaction is always blocking.",
        AGENTS_ONLY,
    ),
)


API_NAMES = {"agents": "the Agents API", "assistants": "the Assistants API"}


def ignored_by(backend: str) -> tuple[IgnoredField, ...]:
    return tuple(row for row in IGNORED_BY_API if backend in row.backends)


def ignored_fields(spec: Mapping[str, Any], backend: str) -> list[tuple[str, str, str]]:
    """(JSON pointer, what, why) for every field of spec that backend's API accepts and ignores."""
    api = API_NAMES.get(backend, f"the {backend} API")
    return [
        (row.pointer, f"`{row.wire}`", f'{api} ignores it since openai {row.since} ("{row.wording}")')
        for row in ignored_by(backend)
        if _has(spec, row.pointer.strip("/").split("/"))
    ]


def without_ignored(data: Mapping[str, Any], backend: str, *, wire: bool = False) -> dict[str, Any]:
    """data (a spec, or with wire=True a live object) without the fields backend's API ignores; a
    mapping left empty by that is dropped too, so `compaction: {async: true}` leaves nothing behind."""
    result = dict(data)
    for row in ignored_by(backend):
        _drop(result, row.wire.split(".") if wire else row.pointer.strip("/").split("/"))
    return result


def _has(data: Any, keys: list[str]) -> bool:
    for key in keys:
        if not isinstance(data, Mapping) or key not in data:
            return False
        data = data[key]
    return True


def _drop(data: dict[str, Any], keys: list[str]) -> None:
    """Remove data[k0][k1]...; copies each mapping on the way, never changes the caller's."""
    head, rest = keys[0], keys[1:]
    if head not in data:
        return
    if not rest:
        del data[head]
        return
    inner = data[head]
    if not isinstance(inner, Mapping):
        return
    inner = dict(inner)
    _drop(inner, rest)
    if inner:
        data[head] = inner
    else:
        del data[head]


# the fields whose "not deployed" warnings (code `undeployed`) an environment may accept in orchestrator.yaml
ACCEPTABLE_FIELDS: tuple[str, ...] = (
    *NOT_DEPLOYED_ON_AGENTS,
    "functions/*/strict",
    "knowledge/chunking",
    "session/spend_limit_usd",
    "tools/*",
    "response_format/json_schema",
    *(row.pointer.strip("/") for row in IGNORED_BY_API),
)


def pointer_matches(pattern: str, pointer: str) -> bool:
    """An accepted field (`functions/*/strict`, leading `/` optional) covers the JSON pointer of a warning."""
    wanted, got = pattern.strip("/").split("/"), pointer.strip("/").split("/")
    return len(wanted) == len(got) and all(w in ("*", g) for w, g in zip(wanted, got, strict=True))


def is_acceptable(pattern: str) -> bool:
    """pattern names a field a target may deploy without, with `*` or an index for a list item."""
    segments = ["*" if part.isdigit() else part for part in pattern.strip("/").split("/")]
    return any(
        pointer_matches(known, "/".join(segments)) or "/".join(segments) == known
        for known in ACCEPTABLE_FIELDS
    )


STRICT_NOT_DEPLOYED = (
    "agent function tools have no `strict` (run and chat still check arguments against the schema)"
)
CHUNKING_NOT_DEPLOYED = "knowledge files are searched with commands in the agent's environment, not chunked"
DESCRIPTION_SETTING = "agents: {description_to_metadata: true}"


def unsupported_fields(
    spec: dict[str, Any], backend: str, *, description_to_metadata: bool = False
) -> list[tuple[str, str, str | None]]:
    """(JSON pointer, what, hint or None) for every use in spec of something backend cannot take."""
    found: list[tuple[str, str, str | None]] = []
    for field, backends in FIELD_BACKENDS.items():
        if field not in spec or backend in backends:
            continue
        if field == "description" and backend == AGENTS_BACKEND:
            if not description_to_metadata:
                found.append(
                    (
                        "/description",
                        "`description`",
                        f"the Agents API has no description; set `{DESCRIPTION_SETTING}` in orchestrator.yaml "
                        "to deploy it as the agent's metadata key `description`, or remove it",
                    )
                )
            continue
        found.append((f"/{field}", f"`{field}`", None))
    for index, tool in enumerate(spec.get("tools") or []):
        kind = tool if isinstance(tool, str) else tool.get("type") if isinstance(tool, dict) else None
        if kind in TOOL_BACKENDS and backend not in TOOL_BACKENDS[kind]:
            found.append((f"/tools/{index}", f"the `{kind}` tool", None))
    response_format = spec.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, dict) else response_format
    if kind == "json_object" and backend == AGENTS_BACKEND:
        found.append(("/response_format", "`response_format: json_object`", None))
    for index, function in enumerate(spec.get("functions") or []):
        if not isinstance(function, dict):
            continue
        for option, backends in FUNCTION_OPTION_BACKENDS.items():
            if option in function and backend not in backends:
                found.append((f"/functions/{index}/{option}", f"`{option}` on a function", None))
    if backend == AGENTS_BACKEND:
        found.extend(_unplaceable_files(spec))
    return found


def _unplaceable_files(spec: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """Knowledge and code files an environment template cannot hold: ones known only by an id."""
    found: list[tuple[str, str, str | None]] = []
    knowledge = spec.get("knowledge")
    if isinstance(knowledge, dict) and "vector_store_id" in knowledge:
        found.append(
            (
                "/knowledge/vector_store_id",
                "`knowledge.vector_store_id` (an existing vector store)",
                "an agent reads knowledge files from its environment: list them under `knowledge.files`",
            )
        )
    for index, item in enumerate(spec.get("code_files") or []):
        if isinstance(item, dict) and "file_id" in item:
            found.append(
                (
                    f"/code_files/{index}",
                    "a code file given by `file_id`",
                    "an agent reads code files from its environment: name the file by its path in the project",
                )
            )
    return found


def undeployed_fields(spec: dict[str, Any], backend: str) -> list[tuple[str, str, str]]:
    """(JSON pointer, what, why) for every field deployed without its value: it has no counterpart on backend."""
    if backend != AGENTS_BACKEND:
        return []
    found = [
        (f"/{field}", f"`{field}`", why) for field, why in NOT_DEPLOYED_ON_AGENTS.items() if field in spec
    ]
    for index, function in enumerate(spec.get("functions") or []):
        if isinstance(function, dict) and function.get("strict") is True:
            found.append((f"/functions/{index}/strict", "`strict: true` on a function", STRICT_NOT_DEPLOYED))
    knowledge = spec.get("knowledge")
    if isinstance(knowledge, dict) and "chunking" in knowledge:
        found.append(("/knowledge/chunking", "`knowledge.chunking`", CHUNKING_NOT_DEPLOYED))
    return found


# `session:` settings are run-time settings of the conversations run and chat open, never deployed
SESSION_SPEND_LIMIT = "/session/spend_limit_usd"
SPEND_LIMIT_NOT_ON_ASSISTANTS = (
    "threads and runs have no spend limit; run, chat and send_message ignore it "
    "there (agents targets send it as the session's `spend_control.limit`)"
)


def has_spend_limit(backend: str) -> bool:
    """Whether a conversation on backend can be held to a spend limit: agent sessions' `spend_control`;
    threads and runs have none."""
    return backend == AGENTS_BACKEND


def cites_files(backend: str) -> bool:
    """Whether a conversation's replies cite knowledge files: file_search on threads and runs; agent sessions
    read knowledge as files of their environment."""
    return backend != AGENTS_BACKEND


def unused_session_settings(spec: dict[str, Any], backend: str) -> list[tuple[str, str, str]]:
    """(JSON pointer, what, why) for every `session:` setting the backend has no counterpart for."""
    session = spec.get("session")
    if has_spend_limit(backend) or not isinstance(session, dict) or "spend_limit_usd" not in session:
        return []
    return [(SESSION_SPEND_LIMIT, "`session.spend_limit_usd`", SPEND_LIMIT_NOT_ON_ASSISTANTS)]


MAX_SPEND_LIMIT_USD = 1_000_000  # the spec schema's maximum of session.spend_limit_usd


def spend_limit_cents(usd: float) -> int:
    """A spend limit in USD as the API's whole cents, rounded up (2.505 -> 251), never below 1 cent.

    Rounding up keeps every cent the user allowed; the decimal text of the number is used, so 2.51
    is 251 cents, not 250.99999 rounded. Raises ValueError for a value that is not positive and finite,
    or above MAX_SPEND_LIMIT_USD.
    """
    if isinstance(usd, bool) or not isinstance(usd, int | float) or not math.isfinite(usd) or usd <= 0:
        raise ValueError(f"a spend limit must be a positive number of USD, not {usd!r}")
    if usd > MAX_SPEND_LIMIT_USD:
        raise ValueError(f"a spend limit must be at most {MAX_SPEND_LIMIT_USD:,} USD, not {usd:g}")
    cents = (Decimal(str(usd)) * 100).to_integral_value(rounding=ROUND_CEILING)
    return max(int(cents), 1)


def deferred_without_search(spec: dict[str, Any]) -> list[str]:
    """JSON pointers of functions with `defer_loading: true` when no `tool_search` tool can find them."""
    kinds = {
        t if isinstance(t, str) else t.get("type")
        for t in spec.get("tools") or []
        if isinstance(t, str | dict)
    }
    if "tool_search" in kinds:
        return []
    return [
        f"/functions/{index}/defer_loading"
        for index, function in enumerate(spec.get("functions") or [])
        if isinstance(function, dict) and function.get("defer_loading") is True
    ]
