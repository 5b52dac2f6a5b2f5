"""Request-body schemas of the emulated endpoints, with the limits of the real API."""

from __future__ import annotations

from orchestrator.emulator.validation import (
    Arr,
    Bool,
    Either,
    FreeObject,
    Map,
    Num,
    Obj,
    Str,
    Tagged,
)

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
FUNCTION_NAME_PATTERN = r"[A-Za-z0-9_-]{1,64}"

METADATA = Map(Str(max_length=512))
ATTRIBUTES = Map(Either((Str(max_length=512), Num(), Bool())), nullable=True)

STATIC_CHUNKING = Obj(
    {"max_chunk_size_tokens": Num(100, 4096, integer=True), "chunk_overlap_tokens": Num(0, integer=True)},
    required=("max_chunk_size_tokens", "chunk_overlap_tokens"),
)
CHUNKING_STRATEGY = Tagged(
    {
        "auto": Obj({"type": Str()}),
        "static": Obj({"type": Str(), "static": STATIC_CHUNKING}, required=("static",)),
    }
)

RANKING_OPTIONS = Obj(
    {"ranker": Str(enum=("auto", "default_2024_08_21")), "score_threshold": Num(0, 1)},
    required=("score_threshold",),
)
FUNCTION_DEFINITION = Obj(
    {
        "name": Str(pattern=FUNCTION_NAME_PATTERN),
        "description": Str(),
        "parameters": FreeObject(),
        "strict": Bool(nullable=True),
    },
    required=("name",),
)
TOOL = Tagged(
    {
        "code_interpreter": Obj({"type": Str()}),
        "file_search": Obj(
            {
                "type": Str(),
                "file_search": Obj(
                    {"max_num_results": Num(1, 50, integer=True), "ranking_options": RANKING_OPTIONS}
                ),
            }
        ),
        "function": Obj({"type": Str(), "function": FUNCTION_DEFINITION}, required=("function",)),
    }
)

NEW_VECTOR_STORE = Obj(
    {"file_ids": Arr(Str(), max_items=10000), "chunking_strategy": CHUNKING_STRATEGY, "metadata": METADATA}
)
CODE_INTERPRETER_RESOURCES = Obj({"file_ids": Arr(Str(), max_items=20)})


def tool_resources(*, allow_new_stores: bool) -> Obj:
    search: dict[str, object] = {"vector_store_ids": Arr(Str(), max_items=1)}
    if allow_new_stores:
        search["vector_stores"] = Arr(NEW_VECTOR_STORE, max_items=1)
    return Obj(
        {"code_interpreter": CODE_INTERPRETER_RESOURCES, "file_search": Obj(search)},  # type: ignore[arg-type]
        nullable=True,
    )


RESPONSE_FORMAT = Either(
    (
        Str(enum=("auto",)),
        Tagged(
            {
                "text": Obj({"type": Str()}),
                "json_object": Obj({"type": Str()}),
                "json_schema": Obj(
                    {
                        "type": Str(),
                        "json_schema": Obj(
                            {
                                "name": Str(pattern=FUNCTION_NAME_PATTERN),
                                "description": Str(),
                                "schema": FreeObject(),
                                "strict": Bool(nullable=True),
                            },
                            required=("name",),
                        ),
                    },
                    required=("json_schema",),
                ),
            }
        ),
    ),
    nullable=True,
    description="'auto' or an object",
)

ASSISTANT_FIELDS = {
    "model": Str(),
    "name": Str(max_length=256, nullable=True),
    "description": Str(max_length=512, nullable=True),
    "instructions": Str(max_length=256000, nullable=True),
    "reasoning_effort": Str(enum=REASONING_EFFORTS, nullable=True),
    "tools": Arr(TOOL, max_items=128),
    "metadata": METADATA,
    "temperature": Num(0, 2, nullable=True),
    "top_p": Num(0, 1, nullable=True),
    "response_format": RESPONSE_FORMAT,
}
CREATE_ASSISTANT = Obj(
    {**ASSISTANT_FIELDS, "tool_resources": tool_resources(allow_new_stores=True)}, required=("model",)
)
MODIFY_ASSISTANT = Obj({**ASSISTANT_FIELDS, "tool_resources": tool_resources(allow_new_stores=False)})

EXPIRES_AFTER = Obj(
    {"anchor": Str(enum=("last_active_at",)), "days": Num(1, 365, integer=True)}, required=("anchor", "days")
)
CREATE_VECTOR_STORE = Obj(
    {
        "file_ids": Arr(Str(), max_items=500),
        "name": Str(),
        "description": Str(),
        "expires_after": EXPIRES_AFTER,
        "chunking_strategy": CHUNKING_STRATEGY,
        "metadata": METADATA,
    }
)
MODIFY_VECTOR_STORE = Obj(
    {
        "name": Str(nullable=True),
        "expires_after": Obj(EXPIRES_AFTER.props, required=EXPIRES_AFTER.required, nullable=True),
        "metadata": METADATA,
    }
)
CREATE_VECTOR_STORE_FILE = Obj(
    {"file_id": Str(), "chunking_strategy": CHUNKING_STRATEGY, "attributes": ATTRIBUTES},
    required=("file_id",),
)
UPDATE_VECTOR_STORE_FILE = Obj({"attributes": ATTRIBUTES}, required=("attributes",))
CREATE_FILE_BATCH = Obj(
    {
        "file_ids": Arr(Str(), min_items=1, max_items=2000),
        "files": Arr(CREATE_VECTOR_STORE_FILE, min_items=1, max_items=2000),
        "chunking_strategy": CHUNKING_STRATEGY,
        "attributes": ATTRIBUTES,
    }
)

COMPARISON_FILTER = Obj(
    {
        "type": Str(enum=("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")),
        "key": Str(),
        "value": Either(
            (Str(), Num(), Bool(), Arr(Either((Str(), Num())))),
            description="a string, number, boolean or array",
        ),
    },
    required=("type", "key", "value"),
)
SEARCH_VECTOR_STORE = Obj(
    {
        "query": Either((Str(), Arr(Str())), description="a string or an array of strings"),
        "rewrite_query": Bool(),
        "max_num_results": Num(1, 50, integer=True),
        "filters": FreeObject(),
        "ranking_options": Obj(
            {"ranker": Str(enum=("none", "auto", "default-2024-11-15")), "score_threshold": Num(0, 1)}
        ),
    },
    required=("query",),
)

TEXT_PART = Obj({"type": Str(), "text": Str()}, required=("text",))
IMAGE_FILE_PART = Obj(
    {
        "type": Str(),
        "image_file": Obj(
            {"file_id": Str(), "detail": Str(enum=("auto", "low", "high"))}, required=("file_id",)
        ),
    },
    required=("image_file",),
)
IMAGE_URL_PART = Obj(
    {
        "type": Str(),
        "image_url": Obj(
            {"url": Str(uri=True), "detail": Str(enum=("auto", "low", "high"))}, required=("url",)
        ),
    },
    required=("image_url",),
)
ATTACHMENT_TOOL = Tagged({"code_interpreter": Obj({"type": Str()}), "file_search": Obj({"type": Str()})})
CREATE_MESSAGE = Obj(
    {
        "role": Str(enum=("user", "assistant")),
        "content": Either(
            (
                Str(),
                Arr(
                    Tagged({"text": TEXT_PART, "image_file": IMAGE_FILE_PART, "image_url": IMAGE_URL_PART}),
                    min_items=1,
                ),
            ),
            description="a string or an array of content parts",
        ),
        "attachments": Arr(
            Obj({"file_id": Str(), "tools": Arr(ATTACHMENT_TOOL)}, required=("file_id", "tools")),
            nullable=True,
        ),
        "metadata": METADATA,
    },
    required=("role", "content"),
)
MODIFY_METADATA_ONLY = Obj({"metadata": METADATA})
CREATE_THREAD = Obj(
    {
        "messages": Arr(CREATE_MESSAGE),
        "tool_resources": tool_resources(allow_new_stores=True),
        "metadata": METADATA,
    }
)
MODIFY_THREAD = Obj({"tool_resources": tool_resources(allow_new_stores=False), "metadata": METADATA})

TOOL_CHOICE = Either(
    (
        Str(enum=("none", "auto", "required")),
        Obj(
            {
                "type": Str(enum=("function", "code_interpreter", "file_search")),
                "function": Obj({"name": Str()}, required=("name",)),
            },
            required=("type",),
        ),
    ),
    nullable=True,
    description="'none', 'auto', 'required' or an object",
)
RUN_FIELDS = {
    "assistant_id": Str(),
    "model": Str(nullable=True),
    "reasoning_effort": Str(enum=REASONING_EFFORTS, nullable=True),
    "instructions": Str(nullable=True),
    "tools": Arr(TOOL, max_items=20, nullable=True),
    "metadata": METADATA,
    "temperature": Num(0, 2, nullable=True),
    "top_p": Num(0, 1, nullable=True),
    "stream": Bool(nullable=True),
    "max_prompt_tokens": Num(256, integer=True, nullable=True),
    "max_completion_tokens": Num(256, integer=True, nullable=True),
    "truncation_strategy": Obj(
        {"type": Str(enum=("auto", "last_messages")), "last_messages": Num(1, integer=True, nullable=True)},
        required=("type",),
        nullable=True,
    ),
    "tool_choice": TOOL_CHOICE,
    "parallel_tool_calls": Bool(),
    "response_format": RESPONSE_FORMAT,
}
CREATE_RUN = Obj(
    {
        **RUN_FIELDS,
        "additional_instructions": Str(nullable=True),
        "additional_messages": Arr(CREATE_MESSAGE, nullable=True),
    },
    required=("assistant_id",),
)
CREATE_THREAD_AND_RUN = Obj(
    {
        **RUN_FIELDS,
        "thread": CREATE_THREAD,
        "tool_resources": tool_resources(allow_new_stores=False),
    },
    required=("assistant_id",),
)
SUBMIT_TOOL_OUTPUTS = Obj(
    {
        "tool_outputs": Arr(Obj({"tool_call_id": Str(), "output": Str()}, required=("tool_call_id",))),
        "stream": Bool(nullable=True),
    },
    required=("tool_outputs",),
)

# Agents API (openai SDK types/beta/agent_create_params.py and persisted_agent_tool_param.py).
SERVICE_TIERS = ("auto", "default", "flex", "priority", "fast", "ultrafast")
MCP_TRANSPORT = Tagged(
    {
        "http": Obj(
            {
                "type": Str(),
                "server_url": Str(),
                "headers": Map(Str(), max_properties=10_000, key_max_length=10_000),
            },
            required=("server_url",),
        ),
        "stdio": Obj(
            {
                "type": Str(),
                "command": Str(),
                "cwd": Str(),
                "args": Arr(Str(), nullable=True),
                "env_vars": Arr(Str(), nullable=True),
            },
            required=("command", "cwd"),
        ),
    }
)
AGENT_TOOL = Tagged(
    {
        "function": Obj(
            {
                "type": Str(),
                "name": Str(pattern=FUNCTION_NAME_PATTERN),
                "description": Str(),
                "parameters": FreeObject(),
                "defer_loading": Bool(),
                "async": Bool(),
            },
            required=("name", "description", "parameters"),
        ),
        "tool_search": Obj({"type": Str()}),
        "programmatic_tool_calling": Obj({"type": Str(), "enabled": Bool()}),
        "mcp": Obj(
            {
                "type": Str(),
                "server_label": Str(),
                "transport": MCP_TRANSPORT,
                "allowed_tools": Arr(Str(), nullable=True),
                "connection_origin": Str(enum=("service", "environment"), nullable=True),
                "credential_id": Str(nullable=True),
                "request_metadata": FreeObject(nullable=True),
                "required": Bool(),
            },
            required=("server_label", "transport"),
        ),
        "web_search": Obj(
            {
                "type": Str(),
                "allowed_domains": Arr(Str(), nullable=True),
                "context_size": Str(enum=("low", "medium", "high"), nullable=True),
                "location": Obj(
                    {
                        "city": Str(nullable=True),
                        "country": Str(nullable=True),
                        "region": Str(nullable=True),
                        "timezone": Str(nullable=True),
                    },
                    nullable=True,
                ),
                "mode": Str(enum=("disabled", "cached", "live"), nullable=True),
            },
        ),
        "computer_use": Obj({"type": Str(), "include_screenshots": Bool()}),
        "automations": Obj({"type": Str()}),
    }
)
TEXT_FORMAT = Tagged(
    {
        "text": Obj({"type": Str()}),
        "json_schema": Obj(
            {
                "type": Str(),
                "name": Str(max_length=64),
                "schema": FreeObject(),
                "strict": Bool(nullable=True),
            },
            required=("schema",),
        ),
    }
)
AGENT_FIELDS = {  # strings bounded as the assistants side bounds them (names 256, instructions 256,000)
    "model": Str(min_length=1, max_length=256),
    "name": Str(nullable=True, max_length=256),
    "instructions": Str(nullable=True, max_length=256000),
    "metadata": METADATA,
    "tools": Arr(AGENT_TOOL, nullable=True),
    "reasoning": Obj(
        {
            "effort": Str(enum=REASONING_EFFORTS, nullable=True),
            "summary": Str(enum=("concise", "detailed", "auto"), nullable=True),
        },
        nullable=True,
    ),
    "text": Obj(
        {
            "format": Either((TEXT_FORMAT,), nullable=True),
            "verbosity": Str(enum=("low", "medium", "high"), nullable=True),
        },
        nullable=True,
    ),
    "service_tier": Str(enum=SERVICE_TIERS, nullable=True),
    "compaction": Obj({"async": Bool(nullable=True)}, nullable=True),
    "multi_agent": Obj(
        {"enabled": Bool(), "max_concurrent_subagents": Num(1, integer=True)},
        required=("enabled",),
        nullable=True,
    ),
    "experimental": Obj({"time_awareness": Bool()}),
}
CREATE_AGENT = Obj(AGENT_FIELDS, required=("model",))
UPDATE_AGENT = Obj(AGENT_FIELDS)

# Agent sessions (openai SDK types/beta/agents/session_create_params.py, agent_session_input_param.py).
INPUT_CONTENT = Tagged(
    {
        "input_text": Obj({"type": Str(), "text": Str()}, required=("text",)),
        "input_image": Obj({"type": Str(), "image_url": Str()}, required=("image_url",)),
    }
)
SESSION_INPUT_MESSAGE = Obj(
    {"type": Str(enum=("message",)), "role": Str(enum=("user",)), "content": Arr(INPUT_CONTENT, min_items=1)},
    required=("role", "content"),
)
SESSION_INPUT = Either(
    (Str(min_length=1), Arr(SESSION_INPUT_MESSAGE, min_items=1)),
    nullable=True,
    description="a string or an array of messages",
)
PROMPT_CACHE_OPTIONS = Obj({"ttl": Str(enum=("30m", "12h"))}, nullable=True)
# openai 3.60: a positive limit in USD cents, or null for none
SPEND_CONTROL = Obj(
    {"limit": Num(1, 2**63 - 1, integer=True, nullable=True)}, required=("limit",), nullable=True
)
SESSION_REVIEW = Str(enum=("none", "auto_review"))
CREATE_AGENT_SESSION = Obj(
    {
        "environment": Obj({"type": Str()}, required=("type",), closed=False),
        "agent": Obj({k: v for k, v in AGENT_FIELDS.items() if k not in ("name", "metadata")}),
        "agent_id": Str(),
        "input": SESSION_INPUT,
        "metadata": METADATA,
        "prompt_cache_options": PROMPT_CACHE_OPTIONS,
        "review": SESSION_REVIEW,
        "spend_control": SPEND_CONTROL,
        "stream": Bool(),
        "stream_options": Obj({"include_obfuscation": Bool()}),
        "vault_ids": Arr(Str(), nullable=True),
    },
    required=("environment",),
)
# openai SDK types/beta/agents/session_update_params.py (3.63)
UPDATE_AGENT_SESSION = Obj(
    {
        "agent": Obj(
            {
                "model": Str(min_length=1),
                "reasoning": Obj({"effort": Str(enum=REASONING_EFFORTS, nullable=True)}),
                "service_tier": Str(enum=SERVICE_TIERS, nullable=True),
                "tools": Arr(AGENT_TOOL, nullable=True),
            }
        ),
        "metadata": METADATA,
        "prompt_cache_options": PROMPT_CACHE_OPTIONS,
        "review": SESSION_REVIEW,
        "spend_control": SPEND_CONTROL,
        "vault_ids": Arr(Str(), nullable=True),
    }
)
APPROVAL_RESULT = Obj(
    {"type": Str(), "request_id": Str(), "response": FreeObject()}, required=("request_id", "response")
)
SESSION_EVENT = Tagged(
    {
        "agent.session.input.message": Obj(
            {"type": Str(), "input": Arr(SESSION_INPUT_MESSAGE, min_items=1)}, required=("input",)
        ),
        "agent.session.input.cancel": Obj({"type": Str()}),
        "agent.session.input.tool_result": Obj(
            {
                "type": Str(),
                "call_id": Str(),
                "turn_id": Str(),
                "success": Bool(),
                "error": Str(nullable=True),
                "output": Either(
                    (Str(), Arr(INPUT_CONTENT)), nullable=True, description="a string or an array of content"
                ),
            },
            required=("call_id", "turn_id", "success"),
        ),
        "agent.session.input.mcp_approval_request_result": APPROVAL_RESULT,
        "agent.session.input.computer_use_approval_request_result": APPROVAL_RESULT,
    }
)
CREATE_SESSION_EVENTS = Obj({"events": Arr(SESSION_EVENT, min_items=1)}, required=("events",))

# Agents API environments (openai SDK types/beta/agents/environments/template_create_params.py,
# environment_param.py, hosted_environment_file_param.py, setup_command_param.py, hosted_skill_param.py).
DOMAINS = Arr(Str(min_length=1), nullable=True)
ENVIRONMENT_NETWORK = Obj(
    {
        "access": Str(enum=("enabled", "disabled", "restricted")),
        "allowed_domains": DOMAINS,
        "blocked_domains": DOMAINS,
    },
    required=("access",),
    nullable=True,
)
ENVIRONMENT_PACKAGES = Obj(
    {
        "npm": Arr(Str(min_length=1), nullable=True),
        "python": Arr(Str(min_length=1), nullable=True),
        "system": Arr(Str(min_length=1), nullable=True),
    },
    nullable=True,
)
ENVIRONMENT_FILE = Tagged(
    {
        "file_id": Obj(
            {"type": Str(), "file_id": Str(), "path": Str(min_length=1)}, required=("file_id", "path")
        ),
        "inline": Obj({"type": Str(), "data": Str(), "path": Str(min_length=1)}, required=("data", "path")),
    }
)
CREATE_ENVIRONMENT_FILE = ENVIRONMENT_FILE  # POST /v1/agents/environments/{id}/files (file_create_params.py)
SETUP_COMMAND = Obj({"command": Str(min_length=1), "cwd": Str(nullable=True)}, required=("command",))
INLINE_SOURCE = Obj({"type": Str(), "data": Str()}, required=("data",), closed=False)
HOSTED_SKILL = Tagged(
    {
        "skill_reference": Obj(
            {"type": Str(), "skill_id": Str(), "version": Str(nullable=True)}, required=("skill_id",)
        ),
        "inline": Obj(
            {"type": Str(), "name": Str(), "description": Str(), "source": INLINE_SOURCE},
            required=("name", "description", "source"),
        ),
    }
)
HOSTED_PLUGIN = Obj({"name": Str(), "source": INLINE_SOURCE}, required=("name", "source"), closed=False)
TEMPLATE_FIELDS = {
    "name": Str(nullable=True, max_length=512),
    "capability_directories": Arr(Str(), nullable=True),
    "desktop": Obj({"enabled": Bool()}, required=("enabled",), nullable=True),
    "env": Map(Str(), nullable=True, max_properties=1000, key_max_length=256),
    "files": Arr(ENVIRONMENT_FILE, nullable=True, max_items=100),
    "network": ENVIRONMENT_NETWORK,
    "packages": ENVIRONMENT_PACKAGES,
    "plugins": Arr(HOSTED_PLUGIN, nullable=True),
    "setup_commands": Arr(SETUP_COMMAND, nullable=True),
    "skills": Arr(HOSTED_SKILL, nullable=True),
}
CREATE_ENVIRONMENT_TEMPLATE = Obj(TEMPLATE_FIELDS)
UPDATE_ENVIRONMENT_TEMPLATE = Obj(TEMPLATE_FIELDS)
HOSTED_ENVIRONMENT = Obj(
    {
        **{k: v for k, v in TEMPLATE_FIELDS.items() if k != "name"},
        "type": Str(enum=("openai_hosted",)),
        "environment_template_id": Str(),
        "environment_id": Str(),
        "container_size": Str(enum=("small", "medium", "large")),
    },
    required=("type",),
)
CREATE_ENVIRONMENT = Obj(
    {"environment": HOSTED_ENVIRONMENT, "vault_ids": Arr(Str(), nullable=True, max_items=10)},
    required=("environment",),
)
