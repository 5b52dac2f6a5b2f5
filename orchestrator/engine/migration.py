"""The Assistants -> Agents migration: what an assistant spec becomes on an agents target.

An assistant spec is written once and deployed to either API. On an agents target its knowledge and code
files go into an environment template of its own (under /workspace/knowledge/ and /workspace/data/, named in
one line appended to its instructions), its `description` may go into metadata, and the tools an agent does
not have are warned about. The Builder (orchestrator.engine.building) calls this module only for agents
targets; everything here is pure and offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from orchestrator.diagnostics import UNDEPLOYED, Diagnostic, Diagnostics, error, warning
from orchestrator.engine.knowledge_files import MAX_ENVIRONMENT_FILES, EnvironmentFile, LocalFile
from orchestrator.spec.loading import Document
from orchestrator.spec.project import Project, Target
from orchestrator.spec.validation import MAX_INSTRUCTIONS


class AssistantSpec(Protocol):
    """What the migration reads of an assistant spec (orchestrator.engine.desired.DesiredSpec, a frozen
    dataclass: the Builder imports this module, so the spec type is described here, never imported)."""

    @property
    def name(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def instructions(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def metadata(self) -> Mapping[str, str]: ...
    @property
    def tools(self) -> tuple[Mapping[str, Any], ...]: ...
    @property
    def environment(self) -> str | None: ...
    @property
    def environment_position(self) -> tuple[int | None, int | None] | None: ...
    @property
    def workspace_files(self) -> tuple[EnvironmentFile, ...]: ...
    @property
    def name_line(self) -> int | None: ...
    @property
    def name_column(self) -> int | None: ...


Spec = TypeVar("Spec", bound=AssistantSpec)

WORKSPACE = "/workspace"
KNOWLEDGE_FOLDER = f"{WORKSPACE}/knowledge/"  # an assistant's knowledge files, on an agents target
DATA_FOLDER = f"{WORKSPACE}/data/"  # an assistant's code files, on an agents target
MAX_METADATA_KEYS = 16
# the one line the agents mapping appends to the instructions of a spec whose files are in its environment
WORKSPACE_LINE = {
    (True, True): f"Reference files are in {KNOWLEDGE_FOLDER} and data files in {DATA_FOLDER}; "
    "read them with shell commands.",
    (True, False): f"Reference files are in {KNOWLEDGE_FOLDER}; read them with shell commands.",
    (False, True): f"Data files are in {DATA_FOLDER}; read them with shell commands.",
}


def with_workspace_line(instructions: str, files: tuple[EnvironmentFile, ...]) -> str:
    """The instructions plus the one line saying where the spec's knowledge and data files are, if it has any."""
    if not files:
        return instructions
    line = WORKSPACE_LINE[
        (
            any(f.to.startswith(KNOWLEDGE_FOLDER) for f in files),
            any(f.to.startswith(DATA_FOLDER) for f in files),
        )
    ]
    return f"{instructions.rstrip()}\n\n{line}" if instructions.strip() else line


def map_to_agents(
    specs: Mapping[str, Spec], project: Project, target: Target, diagnostics: Diagnostics
) -> tuple[dict[str, Spec], dict[str, Spec]]:
    """Assistant specs on an agents target: (the specs as agents, the specs whose knowledge and code files (or
    code_interpreter) need an owned environment template of their own, by name). The description goes into
    metadata when the project says so.

    The template is named after the spec: spec names are unique across kinds in an environment, so no
    `kind: environment` spec deployed here can have that name, and its ownership stamp is of its own kind.
    """
    result: dict[str, Spec] = {}
    templates: dict[str, Spec] = {}
    for name, spec in specs.items():
        metadata = dict(spec.metadata)
        if spec.description is not None and project.agents.description_to_metadata:
            if "description" in metadata:
                diagnostics.add(
                    error(
                        spec.file,
                        "metadata key `description` is set, and `agents: "
                        "{description_to_metadata: true}` puts the spec's `description` there too",
                        line=spec.name_line,
                        column=spec.name_column,
                        pointer="/metadata/description",
                        hint="remove one of them",
                    )
                )
                continue
            metadata["description"] = spec.description
        wanted = spec.environment
        runs_code = any(t.get("type") == "code_interpreter" for t in spec.tools)
        if wanted is not None and spec.workspace_files:
            line, column = spec.environment_position or (spec.name_line, spec.name_column)
            diagnostics.add(
                error(
                    spec.file,
                    f"`environment: {wanted}` and knowledge or code files: on target "
                    f"`{target.name}` the files would need an environment of their own",
                    line=line,
                    column=column,
                    pointer="/environment",
                    hint=f"merge the files into environment `{wanted}` (its `files`, to "
                    f"{KNOWLEDGE_FOLDER} and {DATA_FOLDER}) and remove `knowledge` and "
                    "`code_files` here, or remove `environment`",
                )
            )
            continue
        if len(with_workspace_line(spec.instructions, spec.workspace_files)) > MAX_INSTRUCTIONS:
            diagnostics.add(
                error(
                    spec.file,
                    f"rendered instructions and the line saying where the files are "
                    f"exceed {MAX_INSTRUCTIONS:,} characters on target `{target.name}`",
                    line=spec.name_line,
                    column=spec.name_column,
                    pointer="/instructions",
                )
            )
            continue
        if wanted is None and (spec.workspace_files or runs_code):
            templates[name] = spec
            wanted = name
        searches = [i for i, t in enumerate(spec.tools) if t.get("type") == "file_search"]
        if searches and wanted is None:
            diagnostics.add(
                warning(
                    spec.file,
                    f"the `file_search` tool is not deployed to target "
                    f"`{target.name}` (backend: agents): an agent searches files in its "
                    "environment with commands, and this spec has no knowledge files",
                    line=spec.name_line,
                    column=spec.name_column,
                    pointer=f"/tools/{searches[0]}",
                    hint="add `knowledge.files`, or remove the tool to silence this warning",
                    code=UNDEPLOYED,
                )
            )
        uses_vault = any(t.get("type") == "mcp" and "credential" in t for t in spec.tools)
        reserved = (
            2 + (wanted is not None) + uses_vault
        )  # ownership keys, the environment and vault references
        if len(metadata) + reserved > MAX_METADATA_KEYS:
            diagnostics.add(
                error(
                    spec.file,
                    f"{len(metadata) + reserved} metadata keys on target "
                    f"`{target.name}`; the API allows {MAX_METADATA_KEYS}",
                    line=spec.name_line,
                    column=spec.name_column,
                    pointer="/metadata",
                    hint=f"the tool writes {reserved} keys (ownership"
                    + (", the environment reference" if wanted else "")
                    + (", the vault reference" if uses_vault else "")
                    + ")"
                    + (
                        " and the description"
                        if "description" in metadata and "description" not in spec.metadata
                        else ""
                    )
                    + "; remove user keys",
                )
            )
            continue
        result[name] = replace(spec, environment=wanted, metadata=MappingProxyType(metadata))
    return result, templates


def files_to_workspace(
    doc: Document,
    knowledge: tuple[LocalFile, ...],
    knowledge_placed: Mapping[str, str],
    code: tuple[LocalFile, ...],
    code_placed: Mapping[str, str],
    found: list[Diagnostic],
) -> tuple[EnvironmentFile, ...]:
    """Knowledge files under /workspace/knowledge/ and code files under /workspace/data/ (agents targets)."""
    files: dict[str, EnvironmentFile] = {}
    for pointer, folder, locals_, placed in (
        ("/knowledge/files", KNOWLEDGE_FOLDER, knowledge, knowledge_placed),
        ("/code_files", DATA_FOLDER, code, code_placed),
    ):
        for local in locals_:
            to = folder + placed.get(local.path, PurePosixPath(local.path).name)
            if to in files:
                found.append(
                    doc.error_at(
                        pointer,
                        f"`{files[to].local.path if files[to].local else to}` and "
                        f"`{local.path}` both go to `{to}` in the agent's environment",
                        hint="match them with one pattern of their common folder (e.g. "
                        "`folder/**/*.md`), which keeps their subfolders",
                    )
                )
                continue
            files[to] = EnvironmentFile(to, local=local)
    if len(files) > MAX_ENVIRONMENT_FILES:
        found.append(
            doc.error_at(
                "/knowledge" if knowledge else "/code_files",
                f"{len(files)} knowledge and code files in all; on an agents target they go into "
                f"an environment template, which holds at most {MAX_ENVIRONMENT_FILES}",
            )
        )
    return tuple(files[k] for k in sorted(files))
