"""The Assistants API backend (`/v1/assistants`): a pure mapping and an openai SDK client."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from orchestrator.backends.knowledge import (
    EXTERNAL,
    KnowledgeView,
    assistant_references,
    desired_code_files,
    desired_knowledge,
)
from orchestrator.backends.rest import ASSISTANTS
from orchestrator.backends.wire import ASSISTANT, Known, check_deleted, read_list, read_object
from orchestrator.engine.live import LiveObject, References
from orchestrator.engine.normalising import canonical, number
from orchestrator.engine.ownership import parse_owner, user_metadata
from orchestrator.spec.capabilities import without_ignored

if TYPE_CHECKING:  # the SDK is imported where a call needs it; desired values are only named here
    from openai import OpenAI

    from orchestrator.engine.desired import DesiredSpec


class AssistantsMapping:
    backend = "assistants"
    object_kind = "assistant"
    # The assistant object does not return reasoning_effort: it is checked through the digest only.
    write_only = frozenset({"reasoning_effort"})

    def desired_essence(self, spec: DesiredSpec) -> dict[str, Any]:
        tools: dict[str, Any] = {}
        for tool in spec.tools:
            options = {k: v for k, v in tool.items() if k != "type"}
            tools[tool["type"]] = _tool_options(tool["type"], canonical(options), spec.model)
        return {
            "name": spec.display_name,
            "description": spec.description,
            "model": spec.model,
            "instructions": spec.instructions,
            "tools": tools,
            "functions": {
                f.name: {
                    "description": f.description,
                    "parameters": canonical(f.parameters),
                    "strict": f.strict,
                }
                for f in sorted(spec.functions, key=lambda f: f.name)
            },
            "temperature": number(1.0 if spec.temperature is None else spec.temperature),
            "top_p": number(1.0 if spec.top_p is None else spec.top_p),
            "response_format": canonical(spec.response_format)
            if spec.response_format is not None
            else "auto",
            "reasoning_effort": spec.reasoning_effort,
            "metadata": dict(spec.metadata),
            "knowledge": desired_knowledge(spec),
            "code_files": desired_code_files(spec),
        }

    def live_essence(
        self, raw: Mapping[str, Any], view: KnowledgeView | None = None, references: References | None = None
    ) -> dict[str, Any]:
        raw = without_ignored(raw, self.backend, wire=True)  # spec.capabilities.IGNORED_BY_API: never drift
        tools: dict[str, Any] = {}
        functions: dict[str, Any] = {}
        model = raw.get("model") or ""
        for tool in raw.get("tools") or []:
            kind = tool.get("type")
            if kind == "function":
                fn = tool.get("function") or {}
                functions[fn.get("name", "")] = {
                    "description": fn.get("description") or "",
                    "parameters": canonical(fn.get("parameters") or {"type": "object", "properties": {}}),
                    "strict": bool(fn.get("strict") or False),
                }
            elif kind == "file_search":
                tools[kind] = _tool_options(kind, canonical(tool.get("file_search") or {}), model)
            elif kind:
                tools[kind] = {}
        response_format = raw.get("response_format")
        return {
            "name": raw.get("name"),
            "description": raw.get("description"),
            "model": model,
            "instructions": raw.get("instructions") or "",
            "tools": tools,
            "functions": dict(sorted(functions.items())),
            "temperature": number(1.0 if raw.get("temperature") is None else raw["temperature"]),
            "top_p": number(1.0 if raw.get("top_p") is None else raw["top_p"]),
            "response_format": _live_response_format(response_format),
            "reasoning_effort": None,
            "metadata": user_metadata(raw.get("metadata")),
            "knowledge": _live_knowledge(raw, view),
            "code_files": view.live_code_files(raw) if view is not None else _bare_code_files(raw),
        }

    def uses(self, essence: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Its vector store (by spec name) and code files (by path): the graph makes them first."""
        return assistant_references(essence)

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
        payload = {
            "model": essence["model"],
            "name": essence["name"],
            "description": essence["description"],
            "instructions": essence["instructions"],
            "tools": _wire_tools(essence),
            "metadata": dict(metadata),
            "temperature": essence["temperature"],
            "top_p": essence["top_p"],
            "response_format": essence["response_format"],
            "reasoning_effort": essence["reasoning_effort"],
        }
        return {k: v for k, v in payload.items() if v is not None}

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool:
        """Whether applying this change must sync knowledge files and send tool_resources."""
        if creating:
            return bool(essence.get("knowledge") or essence.get("code_files"))
        return "knowledge" in changed or "code_files" in changed

    def update_payload(
        self, essence: Mapping[str, Any], changed: Sequence[str], metadata: Mapping[str, str]
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"metadata": dict(metadata)}
        for key in changed:
            if key in ("tools", "functions"):
                payload["tools"] = _wire_tools(essence)
            elif key not in (
                "metadata",
                "knowledge",
                "code_files",
            ):  # tool_resources come from knowledge sync
                payload[key] = essence[key]
        return payload


def _live_knowledge(raw: Mapping[str, Any], view: KnowledgeView | None) -> Any:
    if view is not None:
        return view.live_knowledge(raw, parse_owner(raw.get("metadata")))
    ids = ((raw.get("tool_resources") or {}).get("file_search") or {}).get("vector_store_ids") or []
    return {"vector_store_id": ids[0]} if ids else None


def _bare_code_files(raw: Mapping[str, Any]) -> Any:
    ids = ((raw.get("tool_resources") or {}).get("code_interpreter") or {}).get("file_ids") or []
    return {f"{EXTERNAL}{i}": {"sha256": None, "bytes": None} for i in sorted(ids)} or None


def _tool_options(kind: str, options: dict[str, Any], model: str) -> dict[str, Any]:
    """Drop server-filled defaults so a tool with default settings compares equal to the bare tool."""
    if kind != "file_search":
        return options
    result = {k: v for k, v in options.items() if v is not None}
    default_results = 5 if model.startswith("gpt-3.5") else 20
    if result.get("max_num_results") == default_results:
        result.pop("max_num_results")
    ranking = result.get("ranking_options")
    if isinstance(ranking, dict):
        ranking = {k: number(v) if k == "score_threshold" else v for k, v in ranking.items()}
        if ranking.get("ranker") in ("auto", "default_2024_08_21"):
            ranking.pop("ranker")
        if ranking == {"score_threshold": 0.0} or not ranking:
            result.pop("ranking_options")
        else:
            result["ranking_options"] = ranking
    return result


def _live_response_format(value: Any) -> Any:
    if value is None or value == "auto":
        return "auto"
    value = canonical(value)
    if isinstance(value, dict) and value.get("type") == "json_schema":
        schema = dict(value.get("json_schema") or {})
        if schema.get("strict") is None:
            schema.pop("strict", None)
        if schema.get("description") is None:
            schema.pop("description", None)
        return {"type": "json_schema", "json_schema": schema}
    return value


def _wire_tools(essence: Mapping[str, Any]) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    for kind in sorted(essence["tools"]):
        options = essence["tools"][kind]
        tools.append({"type": kind, kind: options} if options else {"type": kind})
    for name, fn in sorted(essence["functions"].items()):
        tools.append(
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": fn["description"],
                    "parameters": fn["parameters"],
                    "strict": fn["strict"],
                },
            }
        )
    return tools


PAGE_SIZE = 100


class AssistantsClient:
    """/v1/assistants through the SDK's low-level client (rest.ASSISTANTS: the requests of
    client.beta.assistants without importing it), paging at 100 so reading N objects costs ceil(N/100)
    requests; every answer is read as wire JSON with its shape checked (wire.py)."""

    def __init__(self, sdk: OpenAI) -> None:
        self._sdk = sdk
        # creates are never retried blindly (applying recovers them); one copy, not one per call
        self._sdk_once = sdk.with_options(max_retries=0)
        self._known = Known()  # a listing after this client's own (apply's check for duplicates) reads ahead

    def list_all(self, on_page: Callable[[list[LiveObject]], None] | None = None) -> list[LiveObject]:
        """Oldest first, 100 a page, read as wire JSON (no pydantic model per object: 5x faster at 1,000);
        the envelope, every object and the paging are checked (wire.read_list). on_page sees each page's
        objects while the next page is on its way."""

        def fetch(query: dict[str, Any]) -> Any:
            return ASSISTANTS.list_page(self._sdk, {"limit": PAGE_SIZE, "order": "asc", **query})

        objects: list[LiveObject] = []

        def page(items: list[dict[str, Any]]) -> None:
            built = [LiveObject.from_raw(item) for item in items]
            objects.extend(built)
            if on_page is not None:
                on_page(built)

        self._known.listed(
            read_list(fetch, ASSISTANT, page_size=PAGE_SIZE, on_page=page, hint=self._known.hint())
        )
        return objects

    def retrieve(self, object_id: str) -> LiveObject | None:
        import openai

        try:
            response = ASSISTANTS.retrieve(self._sdk, object_id)
        except openai.NotFoundError:
            return None
        return LiveObject.from_raw(read_object(response, ASSISTANT))

    def create(self, payload: Mapping[str, Any]) -> LiveObject:
        # the wire JSON as it is: no pydantic model per create (CPU under the GIL is what limits parallel applies)
        response = ASSISTANTS.create(self._sdk_once, payload)
        created = LiveObject.from_raw(read_object(response, ASSISTANT))
        self._known.created(created.id, created.created_at)
        return created

    def update(self, object_id: str, payload: Mapping[str, Any]) -> LiveObject:
        response = ASSISTANTS.update(self._sdk, object_id, payload)
        return LiveObject.from_raw(read_object(response, ASSISTANT))

    def delete(self, object_id: str) -> None:
        import openai

        try:
            response = ASSISTANTS.delete(self._sdk, object_id)
        except openai.NotFoundError:
            self._known.deleted(object_id)
            return
        check_deleted(response, ASSISTANT, object_id)
        self._known.deleted(object_id)
