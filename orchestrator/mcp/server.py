"""The MCP server: the tools and resources of one Workspace, on the SDK's MCPServer (v1's FastMCP).

Every result leaves through `respond` or `_read`: secrets are redacted from it, and any failure
becomes an MCP error result (tools) or an MCP error (resources) carrying the diagnostic, never a
crash of the server. No `from __future__ import annotations` here: the SDK reads these signatures.
"""

import json
import os
import tempfile
import traceback
from collections.abc import Callable
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import CallToolResult, Resource, TextContent, ToolAnnotations
from pydantic import Field

from orchestrator import __version__
from orchestrator.errors import OrchestratorError
from orchestrator.mcp.shapes import (
    ApplyShape,
    HistoryShape,
    ImportShape,
    ListShape,
    PlanShape,
    RenderShape,
    ReplyShape,
    ValidateShape,
)
from orchestrator.mcp.tools import ToolFailure, Workspace
from orchestrator.secrets import redact

Environment = Annotated[
    str | None, Field(description="Environment from orchestrator.yaml (default: its default_environment).")
]
Target = Annotated[str | None, Field(description="Target to use instead of the environment's.")]
SpecName = Annotated[str, Field(description="The spec's name (its `name:`, usually the file name).")]

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
READS_LIVE = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)


class ProjectServer(MCPServer):
    """An MCPServer whose resource list follows the project's spec files as they are added and removed."""

    def __init__(self, workspace: Workspace, **options: Any) -> None:
        super().__init__(**options)
        self.workspace = workspace

    async def list_resources(self) -> list[Resource]:
        listed = await super().list_resources()
        try:
            names = self.workspace.spec_names()
        except Exception:  # a broken project lists no specs; reading one says why
            names = []
        for name in names:
            listed.append(
                Resource(
                    uri=f"spec://{name}",
                    name=f"spec {name}",
                    mime_type="application/yaml",
                    description=f"The source of spec {name}.",
                )
            )
            listed.append(
                Resource(
                    uri=f"payload://{name}",
                    name=f"payload {name}",
                    mime_type="application/json",
                    description=f"The exact payload spec {name} renders to (default environment).",
                )
            )
        return listed


def build_server(workspace: Workspace) -> ProjectServer:
    """The tools and resources of the project in workspace.root; writes only when workspace.allow_apply."""
    mode = (
        "apply and import writes are allowed"
        if workspace.allow_apply
        else "read-only: apply and import writes are refused (start with --allow-apply to allow them)"
    )
    server = ProjectServer(
        workspace,
        name="orchestrator",
        title="Assistant Orchestrator",
        version=__version__,
        instructions=(
            f"GitOps for OpenAI assistants and agents in the project at {workspace.root} ({mode}). "
            "Specs are YAML files; `validate` checks them offline, `render` shows one spec's exact payload, "
            "`diff` compares them with the live objects and returns a plan with a plan_id, `apply` applies "
            "exactly that plan (refused if live state moved since), `list` shows each spec's status and live "
            "git revision, `history` the revisions that changed one spec, "
            "`import` writes specs for existing live objects (dry run by default), `send_message` talks to "
            "a deployed assistant or agent. Resources: spec://NAME (source), payload://NAME (rendered "
            "payload), project://environments."
        ),
        log_level="WARNING",
    )
    _add_tools(server, workspace)
    _add_resources(server, workspace)
    return server


def _add_tools(server: ProjectServer, workspace: Workspace) -> None:
    @server.tool(name="validate", title="Validate the specs", annotations=READ_ONLY)
    def validate(
        environment: Environment = None,
        target: Target = None,
        handlers: Annotated[
            bool, Field(description="Also import the bound Python handlers and check their signatures.")
        ] = False,
    ) -> Annotated[CallToolResult, ValidateShape]:
        """Load, schema-check, render and lint every spec; no network. `valid` is false when any diagnostic
        is an error; `diagnostics` are the objects of `orchestrator validate -o json`."""
        return respond(lambda: workspace.validate(environment, target, handlers))

    @server.tool(name="render", title="Render one spec's payload", annotations=READ_ONLY)
    def render(
        name: SpecName, environment: Environment = None, target: Target = None
    ) -> Annotated[CallToolResult, RenderShape]:
        """The exact API payload a create would send for spec NAME on the environment's target backend
        (`orchestrator render NAME -o json`); no network."""
        return respond(lambda: workspace.render(name, environment, target))

    @server.tool(name="diff", title="Plan: compare specs with live objects", annotations=READS_LIVE)
    def diff(
        environment: Environment = None,
        target: Target = None,
        only: Annotated[list[str] | None, Field(description="Limit to these specs.")] = None,
        prune: Annotated[bool, Field(description="Plan deletion of orphans and duplicates too.")] = False,
    ) -> Annotated[CallToolResult, PlanShape]:
        """Compare the specs with the live objects and return the plan (`orchestrator diff -o json`, the
        saved-plan format) plus a `plan_id`. Nothing live changes. Review the plan, then pass its plan_id
        to `apply`."""
        return respond(lambda: workspace.diff(environment, target, only or (), prune))

    @server.tool(
        name="apply",
        title="Apply a reviewed plan",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True
        ),
    )
    def apply(
        plan_id: Annotated[str, Field(description="The plan_id a `diff` call of this server returned.")],
        parallelism: Annotated[
            int, Field(ge=1, le=64, description="Independent changes applied at once.")
        ] = 8,
    ) -> Annotated[CallToolResult, ApplyShape]:
        """Apply exactly the plan `diff` returned under plan_id, as `orchestrator apply PLAN` does: refused
        when live state changed since the diff (nothing is changed then), and when the server is read-only.
        There is no way to apply without a reviewed plan."""
        return respond(lambda: workspace.apply(plan_id, parallelism))

    @server.tool(name="list", title="List specs and their live status", annotations=READS_LIVE)
    def list_specs(
        environment: Environment = None, target: Target = None
    ) -> Annotated[CallToolResult, ListShape]:
        """Each spec's live id and status: in sync, changed, drifted, missing, orphaned, duplicate
        (`orchestrator list -o json`)."""
        return respond(lambda: workspace.list(environment, target))

    @server.tool(name="history", title="The git revisions that changed a spec", annotations=READS_LIVE)
    def history(
        name: SpecName, environment: Environment = None, target: Target = None
    ) -> Annotated[CallToolResult, HistoryShape]:
        """The git revisions that changed what spec NAME deploys (its spec file, templates and partials,
        schemas, knowledge files, rendered vars), newest first, with author, date and subject; `live` marks
        the revision the live object was applied from (`orchestrator history NAME -o json`)."""
        return respond(lambda: workspace.history(name, environment, target))

    @server.tool(
        name="import",
        title="Import existing live objects as specs",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )
    def import_objects(
        ids: Annotated[
            list[str] | None, Field(description="Ids of the live assistants or agents to import.")
        ] = None,
        all_unmanaged: Annotated[
            bool, Field(description="Import every live object no project manages.")
        ] = False,
        name_from: Annotated[
            str, Field(description="Derive spec names from the object's `display` name or from its `id`.")
        ] = "display",
        dry_run: Annotated[
            bool,
            Field(
                description="Only show the files that would be written (the default); "
                "false writes them, which needs --allow-apply."
            ),
        ] = True,
        environment: Environment = None,
        target: Target = None,
    ) -> Annotated[CallToolResult, ImportShape]:
        """Build spec files for existing live objects, checked by a round trip; the next apply adopts them,
        keeping their ids. Nothing live is touched; files are written only with dry_run false."""
        return respond(
            lambda: workspace.import_objects(
                ids or (), all_unmanaged, name_from, dry_run, environment, target
            )
        )

    @server.tool(
        name="send_message",
        title="Talk to a deployed assistant or agent",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )
    def send_message(
        name: SpecName,
        message: Annotated[str, Field(description="The user message to send.")],
        thread_id: Annotated[
            str | None,
            Field(description="Continue this thread (or agent session); a new one is created when omitted."),
        ] = None,
        environment: Environment = None,
        target: Target = None,
        timeout: Annotated[
            float, Field(ge=0.1, le=3600, description="Give up on the turn after this many seconds.")
        ] = 300.0,
        spend_limit_usd: Annotated[
            float | None,
            Field(
                gt=0,
                le=1_000_000,
                description=(
                    "Agents targets: the session's spend limit in USD, rounded up to whole cents; overrides the "
                    "spec's session.spend_limit_usd (with thread_id it updates the session)."
                ),
            ),
        ] = None,
    ) -> Annotated[CallToolResult, ReplyShape]:
        """One turn with the live assistant or agent of spec NAME: bound function handlers run here, in
        the server. Returns the reply, every tool call (arguments and output), usage and estimated cost
        (`orchestrator run NAME -m TEXT -o json`). An agent session that reached its spend limit is an
        error result with status `budget_reached` and the session's `spend_control`."""
        return respond(
            lambda: workspace.send_message(
                name, message, thread_id, environment, target, timeout, spend_limit_usd=spend_limit_usd
            )
        )


def _add_resources(server: ProjectServer, workspace: Workspace) -> None:
    @server.resource(
        "spec://{name}",
        name="spec",
        mime_type="application/yaml",
        description="The source (YAML) of a spec, by name.",
    )
    def spec_source(name: str) -> str:
        return _read(lambda: workspace.spec_source(name))

    @server.resource(
        "payload://{name}{?environment}",
        name="payload",
        mime_type="application/json",
        description="The exact payload a spec renders to, on an environment's target backend.",
    )
    def payload(name: str, environment: str | None = None) -> str:
        return _read(lambda: _json(workspace.render(name, environment)["payload"]))

    @server.resource(
        "project://environments",
        name="environments",
        mime_type="application/json",
        description="The project's environments and targets (orchestrator.yaml).",
    )
    def environments() -> str:
        return _read(lambda: _json(workspace.environments()))


def respond(produce: Callable[[], dict[str, Any]]) -> CallToolResult:
    """Run one tool; its result, or its failure as an error result, with every secret redacted."""
    try:
        data = redact_data(produce())
    except ToolFailure as failure:
        return _error(failure.message, failure.data)
    except OrchestratorError as problem:
        return _error(str(problem), {})
    except Exception as exc:  # a bug: say so in the result, keep the server running
        return _error(describe_crash(exc), {})
    return CallToolResult(content=[TextContent(type="text", text=_json(data))], structured_content=data)


def _error(message: str, data: dict[str, Any]) -> CallToolResult:
    payload = redact_data({"error": message, **data})
    return CallToolResult(
        content=[TextContent(type="text", text=payload["error"])], structured_content=payload, is_error=True
    )


def _read(produce: Callable[[], str]) -> str:
    try:
        return redact(produce())
    except (ToolFailure, OrchestratorError) as problem:
        raise ResourceError(redact(str(problem))) from None
    except Exception as exc:
        raise ResourceError(describe_crash(exc)) from None


def redact_data(value: Any) -> Any:
    """A copy of JSON data with every secret removed from every string, keys included."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_data(k): redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


def describe_crash(error: BaseException) -> str:
    """A short, redacted message for an unexpected exception; its traceback goes to a log file."""
    fd, path = tempfile.mkstemp(prefix="orchestrator-mcp-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(redact("".join(traceback.format_exception(error))))
    return redact(
        f"unexpected {type(error).__name__}: {error}. This is a bug in orchestrator; "
        f"details were written to {path}"
    )


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
