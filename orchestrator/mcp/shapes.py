"""The JSON objects the MCP tools return, as types: the SDK publishes each as the tool's output schema.

They describe what the CLI's `--output json` prints (diagnostics, plans, `list` rows, `run` replies),
wrapped in an object where the CLI prints a list, since a tool's structured result is an object.
Nested parts other commands own (a change's apply block, payloads) stay open objects.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

# typing.TypedDict before Python 3.12 cannot be nested in pydantic schemas; typing_extensions' can
from typing_extensions import TypedDict


class DiagnosticShape(TypedDict):
    file: str
    line: int | None
    column: int | None
    pointer: str
    message: str
    severity: Literal["error", "warning"]
    hint: NotRequired[str]
    code: NotRequired[str]


class ValidateShape(TypedDict):
    """`validate -o json` (the diagnostics) plus what was checked."""

    valid: bool
    environment: str | None
    target: str | None
    backend: str | None
    specs: list[str]
    not_deployed: list[str]
    diagnostics: list[DiagnosticShape]
    accepted: list[DiagnosticShape]  # warnings the environment's `accept:` covers (orchestrator.yaml)


class RenderShape(TypedDict):
    """`render NAME -o json` (the payload) plus where it would be sent."""

    spec: str
    environment: str
    target: str
    backend: str
    payload: dict[str, Any]
    diagnostics: list[DiagnosticShape]


class FieldShape(TypedDict):
    path: str
    before: Any
    after: Any
    before_unknown: NotRequired[bool]


class ChangeShape(TypedDict):
    kind: str
    name: str
    action: Literal["create", "update", "delete", "noop"]
    id: str | None
    drift: bool
    reason: str
    fields: list[FieldShape]
    apply: NotRequired[dict[str, Any]]


class SummaryShape(TypedDict):
    create: int
    update: int
    delete: int
    noop: int


class PlanShape(TypedDict):
    """`diff -o json` (the saved-plan format) plus the id `apply` takes."""

    plan_id: str
    format_version: int
    project: str
    environment: str
    target: str
    backend: str
    changes: list[ChangeShape]
    summary: SummaryShape
    warnings: list[str]
    diagnostics: list[DiagnosticShape]


class OutcomeShape(TypedDict):
    kind: str
    name: str
    action: Literal["create", "update", "delete"]
    ok: bool
    id: str | None
    adopted: bool
    error: str | None


class ApplyShape(TypedDict):
    """What `apply PLAN` prints, as data: one outcome per change, and the counts."""

    plan_id: str
    project: str
    environment: str
    target: str
    ok: bool
    outcomes: list[OutcomeShape]
    summary: dict[str, int]


class LiveRevisionShape(TypedDict):
    commit: str | None  # None: the live object records no revision
    dirty: bool
    ahead: int | None
    behind: int | None
    summary: str  # "abc1234, 3 commits behind", "unknown"


class ListRowShape(TypedDict):
    name: str
    kind: str
    id: str | None
    status: str
    revision: LiveRevisionShape | None  # None: nothing live


class ListShape(TypedDict):
    """`list -o json` (the rows) plus where they were read."""

    project: str
    environment: str
    target: str
    specs: list[ListRowShape]


class HistoryRevisionShape(TypedDict):
    commit: str
    short: str
    author: str
    email: str
    date: str
    subject: str
    files: list[str]  # the spec's files the commit changed (project-relative)
    created: bool
    valid: bool
    live: bool


class HistoryShape(TypedDict):
    """`history NAME -o json`: the revisions that changed what the spec deploys, newest first."""

    name: str
    kind: str
    project: str
    environment: str
    target: str
    head: str
    live: dict[str, Any] | None
    revisions: list[HistoryRevisionShape]
    warnings: list[str]


class ImportFileShape(TypedDict):
    path: str
    text: str
    new: bool  # False: an identical file is already there and is referenced as it is


class ImportedShape(TypedDict):
    id: str
    name: str
    spec_file: str
    files: list[ImportFileShape]
    warnings: list[str]


class ImportShape(TypedDict):
    """What `import` prints: the files per imported object, what was skipped, whether anything was written."""

    dry_run: bool
    written: bool
    project: str
    environment: str
    target: str
    imported: list[ImportedShape]
    skipped: list[str]


class ToolCallShape(TypedDict):
    id: str
    name: str
    arguments: str
    output: str
    ok: bool
    duration_ms: int
    error: NotRequired[str]


class UsageShape(TypedDict):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class SpendShape(TypedDict):
    """An agent session's spend_control as the server reports it, in whole USD cents."""

    consumed_cents: int | None
    limit_cents: int | None


class ReplyShape(TypedDict):
    """`run NAME -m TEXT -o json`, plus warnings about functions whose handler could not be loaded."""

    reply: str
    thread_id: str
    run_id: str
    model: str
    tool_calls: list[ToolCallShape]
    usage: UsageShape
    cost_usd: float | None
    spend_control: NotRequired[SpendShape]  # agent sessions whose server reports spend
    warnings: list[str]
