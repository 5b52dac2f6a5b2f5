"""OpenAI's Agents API backend (`/v1/agents`, header OpenAI-Beta: agents=v1).

Every create and update field of the SDK's AgentCreateParams has a spec field (docs/how-to/agents-api.md:
"How a spec maps to an agent"). Payloads carry only what the spec sets: a value equal to the documented server
default is never sent on create, and server-resolved values (the model's default reasoning effort,
service_tier `auto`, the `text` format and medium verbosity, tool defaults such as
`defer_loading: false`) are compared on read, so apply-then-diff is clean and a server lacking an
optional feature still takes a plain spec. The settings added since the first agents release
(reasoning_summary, compaction, multi_agent, experimental) enter the essence only when set, so
the digest of an agent that uses none of them is what it always was. Fields the API accepts and
ignores (spec.capabilities.IGNORED_BY_API: `compaction.async` since openai 3.63) are neither sent
nor read.

A spec written for the Assistants API is mapped, not refused (docs/how-to/migrate-to-agents.md): its knowledge and code files are files of an environment template synthesised for it (engine.desired),
`code_interpreter` and `file_search` have no agent tool (the SDK's PersistedAgentToolParam has none)
and become shell commands in that environment, and the instructions gain one line saying where
the files are (engine.migration.WORKSPACE_LINE), so the plan, `render` and the digest all show it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

from orchestrator.backends import listings
from orchestrator.backends.listings import Listings, SeparateListings
from orchestrator.backends.rest import AGENTS
from orchestrator.backends.wire import AGENT, Known, check_deleted, read_list, read_object
from orchestrator.engine.live import CredentialRefs, LiveObject, ObjectReferences, ResourceView
from orchestrator.engine.migration import DATA_FOLDER, KNOWLEDGE_FOLDER, with_workspace_line
from orchestrator.engine.normalising import canonical
from orchestrator.engine.ownership import digest, parse_digests, user_metadata
from orchestrator.spec.capabilities import without_ignored

if TYPE_CHECKING:  # the SDK is imported where a call needs it; desired values are only named here
    from openai import OpenAI

    from orchestrator.engine.desired import DesiredSpec

PAGE_SIZE = 100
TEXT_FORMAT_DEFAULT = {"type": "text"}
VERBOSITY_DEFAULT = "medium"
SERVICE_TIER_DEFAULT = "auto"
SUBAGENTS_DEFAULT = 6  # max_concurrent_subagents when multi_agent is enabled without one
WEB_SEARCH_DEFAULTS = {"context_size": "medium", "mode": "live"}
# options of the other tools that read back as their documented default when the spec leaves them out
TOOL_DEFAULTS: dict[str, dict[str, Any]] = {
    "programmatic_tool_calling": {"enabled": True},
    "computer_use": {"include_screenshots": False},
}
FUNCTION_FLAGS = ("defer_loading", "async")  # default false; the essence holds them only when true
OPTIONAL_KEYS = (
    "reasoning_summary",
    "compaction",
    "multi_agent",
    "experimental",
)  # essence keys only when set
OPEN = object()  # "the spec leaves it open": the key is absent from the essence
# essence fields the server may resolve when the spec leaves them open -> the essence of "left open"
# (the Agent's `reasoning` is "the resolved reasoning configuration, including the model default for an
# omitted effort"; the default compaction changed from background to blocking between API releases)
RESOLVED_WHEN_OPEN: dict[str, Any] = {"reasoning_effort": None, "compaction": OPEN}
# essence values of fields the API now ignores (spec.capabilities.IGNORED_BY_API) that an apply from before
# then may have recorded in the ownership digest: read back that way, the first diff after an upgrade
# shows the spec change (the field no longer deployed), not drift
SENT_BEFORE_IGNORED: dict[str, Any] = {"compaction": {"async": True}}
TEXT_KEYS = ("response_format", "verbosity")
REASONING_KEYS = ("reasoning_effort", "reasoning_summary")
PLAIN_KEYS = ("name", "model", "instructions", "service_tier")
# Assistants API tools that an agent does through shell commands in its environment (no tool entry)
COMMAND_TOOLS = ("code_interpreter", "file_search")


class AgentsMapping:
    backend = "agents"
    object_kind = "agent"
    write_only: frozenset[str] = frozenset()

    def desired_essence(self, spec: DesiredSpec) -> dict[str, Any]:
        tools: dict[str, Any] = {}
        for tool in spec.tools:
            options = canonical({k: v for k, v in tool.items() if k != "type"})
            if tool["type"] in COMMAND_TOOLS:
                continue  # shell commands in the agent's environment (plan_notes says so)
            if tool["type"] == "mcp":
                label = options.pop("server_label")
                auth = options.pop("credential_auth", None)  # the named credential's settings (desired state)
                if auth is not None:
                    from orchestrator.backends.vaults import credential_settings

                    options["credential_settings"] = credential_settings(auth)
                tools[f"mcp:{label}"] = _mcp_options(_spec_mcp(options))
            elif tool["type"] == "web_search":
                tools["web_search"] = _web_search_options(options)
            else:
                tools[tool["type"]] = _tool_options(tool["type"], options)
        functions: dict[str, Any] = {}
        for f in sorted(spec.functions, key=lambda f: f.name):
            functions[f.name] = {"description": f.description, "parameters": canonical(f.parameters)}
            for flag, on in (("defer_loading", f.defer_loading), ("async", f.run_async)):
                if on:
                    functions[f.name][flag] = True
        essence = {
            "name": spec.display_name,
            "model": spec.model,
            "instructions": with_workspace_line(spec.instructions, spec.workspace_files),
            "tools": dict(sorted(tools.items())),
            "functions": functions,
            "reasoning_effort": spec.reasoning_effort,
            "verbosity": spec.verbosity or VERBOSITY_DEFAULT,
            "service_tier": spec.service_tier or SERVICE_TIER_DEFAULT,
            "response_format": _desired_format(spec.response_format),
            "metadata": dict(spec.metadata),
        }
        settings = dict(spec.agent_settings)
        essence.update(
            _optional_settings(
                spec.reasoning_summary,
                (settings.get("compaction") or {}).get("async"),
                settings.get("multi_agent"),
                settings.get("experimental"),
            )
        )
        return essence

    def plan_notes(self, spec: DesiredSpec) -> tuple[str, ...]:
        """How the spec's Assistants API parts are deployed on the agent, one line each (shown in the plan)."""
        where = spec.environment
        kinds = {t["type"] for t in spec.tools}
        folders = {f.to.startswith(KNOWLEDGE_FOLDER) for f in spec.workspace_files}
        notes: list[str] = []
        if True in folders:
            notes.append(
                f"knowledge files -> environment {where} at {KNOWLEDGE_FOLDER}"
                + (" (file_search becomes command search)" if "file_search" in kinds else "")
            )
        elif "file_search" in kinds and where is not None:
            notes.append(f"file_search -> command search of environment {where}'s files")
        if False in folders:
            notes.append(f"code files -> environment {where} at {DATA_FOLDER}")
        if "code_interpreter" in kinds and where is not None:
            notes.append(f"code_interpreter -> command execution in environment {where}")
        if spec.description is not None and spec.metadata.get("description") == spec.description:
            notes.append("description -> metadata.description (agents.description_to_metadata)")
        return tuple(notes)

    def live_essence(
        self,
        raw: Mapping[str, Any],
        view: ResourceView | None = None,
        references: ObjectReferences | None = None,
    ) -> dict[str, Any]:
        """references: the credentials of the agent's project's vaults (LiveObject.references, CredentialRefs),
        which name its MCP tools' credential_ids; whatever else a server's answer holds names none."""
        credentials = references if isinstance(references, CredentialRefs) else CredentialRefs()
        raw = without_ignored(
            raw, self.backend, wire=True
        )  # whatever the server reports there, it is not drift
        tools: dict[str, Any] = {}
        functions: dict[str, Any] = {}
        for tool in raw.get("tools") or []:
            kind = tool.get("type")
            if kind == "function":
                functions[tool.get("name", "")] = _live_function(tool)
            elif kind == "mcp":
                tools[f"mcp:{tool.get('server_label')}"] = _live_mcp(tool, credentials)
            elif kind == "web_search":
                tools[kind] = _live_web_search(tool)
            elif kind:
                tools[kind] = _tool_options(kind, {k: v for k, v in canonical(tool).items() if k != "type"})
        reasoning = raw.get("reasoning") or {}
        text = raw.get("text") or {}
        essence = {
            "name": raw.get("name"),
            "model": raw.get("model") or "",
            "instructions": raw.get("instructions") or "",
            "tools": dict(sorted(tools.items())),
            "functions": dict(sorted(functions.items())),
            "reasoning_effort": reasoning.get("effort"),
            "verbosity": text.get("verbosity") or VERBOSITY_DEFAULT,
            "service_tier": raw.get("service_tier") or SERVICE_TIER_DEFAULT,
            "response_format": _live_format(text.get("format")),
            "metadata": user_metadata(raw.get("metadata")),
        }
        essence.update(
            _optional_settings(
                reasoning.get("summary"),
                (raw.get("compaction") or {}).get("async"),
                raw.get("multi_agent"),
                raw.get("experimental"),
            )
        )
        return _settle_resolved(essence, raw.get("metadata"))

    def create_payload(self, essence: Mapping[str, Any], metadata: Mapping[str, str]) -> dict[str, Any]:
        """Only what the spec sets: documented defaults are left to the server, never sent."""
        payload: dict[str, Any] = {
            "model": essence["model"],
            "name": essence["name"],
            "instructions": essence["instructions"],
            "metadata": dict(metadata),
        }
        tools = _wire_tools(essence)
        if tools:
            payload["tools"] = tools
        text = _wire_text(essence, sparse=True)
        if text:
            payload["text"] = text
        if essence["service_tier"] != SERVICE_TIER_DEFAULT:
            payload["service_tier"] = essence["service_tier"]
        reasoning = {k: v for k, v in _wire_reasoning(essence).items() if v is not None}
        if reasoning:
            payload["reasoning"] = reasoning
        for key in ("compaction", "multi_agent", "experimental"):
            if key in essence:
                payload[key] = dict(essence[key])
        return payload

    def needs_resources(self, essence: Mapping[str, Any], changed: Sequence[str], creating: bool) -> bool:
        return False

    def update_payload(
        self, essence: Mapping[str, Any], changed: Sequence[str], metadata: Mapping[str, str]
    ) -> dict[str, Any]:
        """Partial update: omitted = unchanged, null = back to the default, tools and metadata replaced whole.

        Metadata is always sent: its ownership hash changes with every update. `text` and `reasoning`
        go whole once one of their parts changed (so a replacing server and a merging one agree), and
        null when every part is back to its default.
        """
        payload: dict[str, Any] = {"metadata": dict(metadata)}
        for key in changed:
            if key in ("tools", "functions"):
                payload["tools"] = _wire_tools(essence)
            elif key in TEXT_KEYS:
                payload["text"] = (
                    _wire_text(essence, sparse=False) if _wire_text(essence, sparse=True) else None
                )
            elif key in REASONING_KEYS:
                reasoning = _wire_reasoning(essence)
                payload["reasoning"] = reasoning if any(v is not None for v in reasoning.values()) else None
            elif (
                key == "experimental"
            ):  # merged by key on the server: a setting going back to default is sent false
                payload["experimental"] = essence.get("experimental") or {"time_awareness": False}
            elif key in ("compaction", "multi_agent"):
                payload[key] = dict(essence[key]) if key in essence else None
            elif key in PLAIN_KEYS:
                payload[key] = essence[key]
        return payload


def _optional_settings(summary: Any, background: Any, multi_agent: Any, experimental: Any) -> dict[str, Any]:
    """The essence of the later agent settings, each only when it differs from the server default."""
    found: dict[str, Any] = {}
    if summary is not None:
        found["reasoning_summary"] = summary
    if background:
        found["compaction"] = {"async": True}
    if isinstance(multi_agent, Mapping) and multi_agent.get("enabled"):
        limit = multi_agent.get("max_concurrent_subagents")
        found["multi_agent"] = {"enabled": True}
        if limit not in (None, SUBAGENTS_DEFAULT):
            found["multi_agent"]["max_concurrent_subagents"] = limit
    flags = {k: True for k, v in sorted((experimental or {}).items()) if v is True}
    if flags:
        found["experimental"] = flags
    return found


def _settle_resolved(essence: dict[str, Any], metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """Read a server-resolved value as "left open" when that is what the last apply sent.

    The server may fill in the model's default reasoning effort (or its own default compaction).
    When the live object matches the last-applied digest only with such fields put back to "open",
    they are read that way, so apply-then-diff is clean whatever the server resolves. (The price:
    an effort set elsewhere on an agent whose spec leaves it open reads as the model default.)
    A field the API has ignored since (SENT_BEFORE_IGNORED) is read as what an older apply sent.
    """
    digests = parse_digests(metadata)
    if digests is None or digest(essence) == digests.readable:
        return essence
    candidates = [
        (k, open_value)
        for k, open_value in RESOLVED_WHEN_OPEN.items()
        if essence.get(k, OPEN) is not open_value
    ]
    candidates.extend((k, sent) for k, sent in SENT_BEFORE_IGNORED.items() if k not in essence)
    for size in range(1, len(candidates) + 1):
        for pairs in combinations(candidates, size):
            settled = dict(essence)
            for key, value in pairs:
                if value is OPEN:
                    settled.pop(key)
                else:
                    settled[key] = value
            if digest(settled) == digests.readable:
                return settled
    return essence


def _desired_format(value: Any) -> dict[str, Any]:
    if value is None or value == "auto" or value == {"type": "text"}:
        return dict(TEXT_FORMAT_DEFAULT)
    if isinstance(value, Mapping) and value.get("type") == "json_schema":
        return {"type": "json_schema", "schema": canonical(value["json_schema"]["schema"])}
    return canonical(value)


def _live_format(value: Any) -> dict[str, Any]:
    if not value:
        return dict(TEXT_FORMAT_DEFAULT)
    value = canonical(value)
    if value.get("type") == "json_schema":
        return {"type": "json_schema", "schema": value.get("schema") or {}}
    return {"type": value.get("type")}


def _live_function(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A function tool's essence; server defaults (`defer_loading: false`, no `async`) are dropped."""
    result: dict[str, Any] = {
        "description": tool.get("description") or "",
        "parameters": canonical(tool.get("parameters") or {"type": "object", "properties": {}}),
    }
    for flag in FUNCTION_FLAGS:
        if tool.get(flag):
            result[flag] = True
    return result


def _tool_options(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    defaults = TOOL_DEFAULTS.get(kind, {})
    return {k: v for k, v in options.items() if v is not None and defaults.get(k, OPEN) != v}


def _spec_mcp(options: dict[str, Any]) -> dict[str, Any]:
    """A spec's MCP tool in the essence's shape: an http transport as server_url and headers."""
    transport = options.pop("transport", None)
    if transport is None:
        return options
    if transport["type"] == "http":
        return {**options, "server_url": transport["server_url"], "headers": transport.get("headers")}
    return {**options, "transport": _stdio_transport(transport)}


def _stdio_transport(transport: Mapping[str, Any]) -> dict[str, Any]:
    """A stdio transport without its empty `args` and `env_vars` (what the server fills in)."""
    return canonical({k: v for k, v in transport.items() if v not in (None, [])})


def _live_mcp(tool: Mapping[str, Any], credentials: CredentialRefs) -> dict[str, Any]:
    """An MCP tool's essence; `connection_origin: service`, empty request_metadata and headers,
    `required: false` and a null credential are server defaults and dropped. The other values of
    those three are shown as drift (a spec never sets them), so apply strips them."""
    transport = canonical(tool.get("transport") or {})
    options: dict[str, Any] = {"allowed_tools": tool.get("allowed_tools"), "required": tool.get("required")}
    if transport.get("type", "http") == "http":
        options["server_url"] = transport.get("server_url")
        options["headers"] = transport.get("headers")
    else:
        options["transport"] = _stdio_transport(transport)
    if tool.get("connection_origin") not in (None, "service"):
        options["connection_origin"] = tool["connection_origin"]
    options["request_metadata"] = tool.get("request_metadata")
    credential = tool.get("credential_id")
    named = credentials.name_of(credential)
    if named is not None:  # a credential of this project's vaults
        ref, settings = named
        options["credential"] = ref  # by spec name: `vault/credential`, and the settings it was made with
        options["credential_settings"] = settings
    else:
        options["credential_id"] = credential
    return _mcp_options(canonical(options))


def _live_web_search(tool: Mapping[str, Any]) -> dict[str, Any]:
    options = canonical({k: tool.get(k) for k in ("context_size", "mode", "allowed_domains")})
    location = {k: v for k, v in canonical(tool.get("location") or {}).items() if v is not None}
    if location:
        options["location"] = location
    return _web_search_options(options)


def _web_search_options(options: dict[str, Any]) -> dict[str, Any]:
    result = {k: v for k, v in options.items() if v is not None}
    for key, default in WEB_SEARCH_DEFAULTS.items():
        if result.get(key) == default:
            result.pop(key)
    return result


def _mcp_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v not in (None, {}, False)}


def _wire_text(essence: Mapping[str, Any], *, sparse: bool) -> dict[str, Any]:
    """The `text` parameter; sparse: only the parts that differ from the default."""
    text = {"format": essence["response_format"], "verbosity": essence["verbosity"]}
    if not sparse:
        return text
    defaults = {"format": TEXT_FORMAT_DEFAULT, "verbosity": VERBOSITY_DEFAULT}
    return {k: v for k, v in text.items() if v != defaults[k]}


def _wire_reasoning(essence: Mapping[str, Any]) -> dict[str, Any]:
    return {"effort": essence["reasoning_effort"], "summary": essence.get("reasoning_summary")}


def _wire_tools(essence: Mapping[str, Any]) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    for key, options in sorted(essence["tools"].items()):
        if key.startswith("mcp:"):
            if "transport" in options:
                transport: dict[str, Any] = dict(options["transport"])
            else:
                transport = {"type": "http", "server_url": options["server_url"]}
                if options.get("headers"):
                    transport["headers"] = options["headers"]
            tool: dict[str, Any] = {"type": "mcp", "server_label": key[4:], "transport": transport}
            if "allowed_tools" in options:
                tool["allowed_tools"] = options["allowed_tools"]
            if options.get("required"):
                tool["required"] = True
            if options.get("credential"):
                tool["credential"] = options["credential"]  # by spec name: the client puts its id in
            tools.append(tool)
        else:
            tools.append({"type": key, **options})
    for name, fn in sorted(essence["functions"].items()):
        tool = {
            "type": "function",
            "name": name,
            "description": fn["description"],
            "parameters": fn["parameters"],
        }
        tool.update({flag: True for flag in FUNCTION_FLAGS if fn.get(flag)})
        tools.append(tool)
    return tools


class AgentsClient:
    """/v1/agents through the SDK's low-level client (rest.AGENTS: the requests of client.beta.agents
    without importing it), paging at 100, read as wire JSON with its shape checked (wire.read_list)."""

    def __init__(self, sdk: OpenAI, listings: Listings | None = None) -> None:
        self._sdk = sdk
        self._sdk_once = sdk.with_options(max_retries=0)  # creates are never retried blindly
        self._listings = listings or SeparateListings()  # the run's: agents and vaults listed once per read
        self._known = Known()  # a listing after this client's own (apply's check for duplicates) reads ahead

    def list_all(self, on_page: Callable[[list[LiveObject]], None] | None = None) -> list[LiveObject]:
        """on_page sees the objects once, when all are read (naming credentials needs the whole listing)."""
        objects = self._named(self._listings.own(listings.AGENTS, self._list))
        if on_page is not None:
            on_page(objects)
        return objects

    def listed(self) -> list[LiveObject]:
        """The agents as this run lists them, for the kinds that name an agent (automations; one listing
        shared with the agents' own read). Their ids and owners only: MCP credentials are not named."""
        return [LiveObject.from_raw(item) for item in self._listings.shared(listings.AGENTS, self._list)]

    def _list(self) -> list[dict[str, Any]]:
        def fetch(query: dict[str, Any]) -> Any:
            return AGENTS.list_page(self._sdk, {"limit": PAGE_SIZE, "order": "asc", **query})

        items = read_list(fetch, AGENT, page_size=PAGE_SIZE, hint=self._known.hint())
        self._known.listed(items)
        return items

    def _credentials(self) -> dict[tuple[str, str], dict[str, tuple[str, str]]]:
        """The credentials of every owned vault, as this run lists the vaults (shared with the vault kind)."""
        from orchestrator.backends.vaults import VaultsClient, owned_credentials

        return owned_credentials(VaultsClient(self._sdk, {}, self._listings).listed())

    def _named(
        self, items: Sequence[Mapping[str, Any]], known: Mapping[Any, Any] | None = None
    ) -> list[LiveObject]:
        """Agents whose MCP tools use a credential carry the credentials of the vaults of their own project and
        environment (LiveObject.references, a CredentialRefs: credential id -> `vault/credential`; the run's
        vault listing, only when needed; known: the credentials read already). The wire dict stays as read."""
        if not any(t.get("credential_id") for item in items for t in item.get("tools") or []):
            return [LiveObject.from_raw(item) for item in items]
        if known is None:
            known = self._credentials()
        result = []
        for item in items:
            owner = LiveObject.from_raw(item).owner
            if owner is not None and any(t.get("credential_id") for t in item.get("tools") or []):
                names = CredentialRefs(
                    {
                        c_id: (ref, settings)
                        for (project, env), refs in known.items()
                        if (project, env) == (owner.project, owner.environment)
                        for ref, (c_id, settings) in refs.items()
                    }
                )
                result.append(LiveObject.from_raw(item, names))
            else:
                result.append(LiveObject.from_raw(item))
        return result

    def _with_credential_ids(
        self, payload: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any], Mapping[Any, Any] | None]:
        """MCP tools naming a credential (`vault/credential`) get its live credential_id, resolved now: after
        the graph applied the vault (whose write dropped the run's vault listing: it is listed again), among
        the vaults of the payload's own project and environment. Also the credentials read (the response is
        named with them)."""
        tools = payload.get("tools")
        if not tools or not any("credential" in t for t in tools):
            return payload, None
        from orchestrator.engine.ownership import parse_owner
        from orchestrator.errors import OrchestratorError

        owner = parse_owner(payload.get("metadata"))
        known = self._credentials()
        refs = known.get((owner.project, owner.environment), {}) if owner else {}
        wired = []
        for tool in tools:
            if "credential" in tool:
                tool = dict(tool)
                name = tool.pop("credential")
                if name not in refs:
                    raise OrchestratorError(
                        f"credential `{name}` of MCP server `{tool.get('server_label')}` has no "
                        "live object yet; apply its vault first"
                    )
                tool["credential_id"] = refs[name][0]
            wired.append(tool)
        return {**payload, "tools": wired}, known

    def retrieve(self, object_id: str) -> LiveObject | None:
        import openai

        try:
            response = AGENTS.retrieve(self._sdk, object_id)
        except openai.NotFoundError:
            return None
        return self._named([read_object(response, AGENT)])[0]

    def create(self, payload: Mapping[str, Any]) -> LiveObject:
        body, known = self._with_credential_ids(payload)
        with self._listings.writing(listings.AGENTS):
            response = AGENTS.create(self._sdk_once, body)
        created = self._named([read_object(response, AGENT)], known)[0]
        self._known.created(created.id, created.created_at)
        return created

    def update(self, object_id: str, payload: Mapping[str, Any]) -> LiveObject:
        body, known = self._with_credential_ids(payload)
        with self._listings.writing(listings.AGENTS):
            response = AGENTS.update(self._sdk, object_id, body)
        return self._named([read_object(response, AGENT)], known)[0]

    def delete(self, object_id: str) -> None:
        import openai

        with self._listings.writing(listings.AGENTS):
            try:
                response = AGENTS.delete(self._sdk, object_id)
            except openai.NotFoundError:
                self._known.deleted(object_id)
                return
        check_deleted(response, AGENT, object_id)
        self._known.deleted(object_id)
