"""Reading one assistant or agent spec file into a DesiredSpec: the Builder's first stage (engine.building).

Load -> schema-check -> semantic checks -> render. Runs offline and never imports handler code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orchestrator.diagnostics import Diagnostic
from orchestrator.engine.desired import ENVIRONMENT_KIND, TEST_KIND, DesiredSpec, FunctionSpec
from orchestrator.engine.knowledge_files import LocalFile, describe_local_file
from orchestrator.engine.migration import files_to_workspace
from orchestrator.engine.spec_discovery import _shown
from orchestrator.kind_registry import spec_kinds
from orchestrator.spec.capabilities import AGENT_SETTINGS, spend_limit_cents, without_ignored
from orchestrator.spec.confinement import Refused, confine, glob_confined, read_confined, resolved
from orchestrator.spec.loading import Document, LoadError, load_yaml_file, locate_json
from orchestrator.spec.rendering import MAX_TEMPLATE_BYTES, RenderError
from orchestrator.spec.validation import (
    check_instructions_length,
    check_schema,
    check_spec_fields,
    load_json_file,
    place_schema_problems,
)

# file types file_search accepts (OpenAI's supported-files list)
FILE_SEARCH_TYPES = frozenset(
    {
        ".c",
        ".cpp",
        ".cs",
        ".css",
        ".doc",
        ".docx",
        ".go",
        ".html",
        ".java",
        ".js",
        ".json",
        ".md",
        ".pdf",
        ".php",
        ".pptx",
        ".py",
        ".rb",
        ".sh",
        ".tex",
        ".ts",
        ".txt",
    }
)
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_KNOWLEDGE_FILES = 500
MAX_CODE_FILES = 20


class SpecReading:
    """Reads one spec file into a DesiredSpec (or a kind's own reader, by its `kind`), with its diagnostics.

    A part of the Builder (orchestrator.engine.building): the Builder sets what it reads (project, environment,
    target, today, vars_over, renderer, validator and the caches watch reuses between cycles) and gives
    `deploys` and the readers of the other kinds."""

    def build_one(self, path: Path) -> tuple[DesiredSpec | None, list[Diagnostic]]:
        from orchestrator.spec.schema_errors import schema_diagnostics

        shown = self.project.display(path)
        try:
            doc = load_yaml_file(path, shown, root=self.project.root, what="a spec file")
        except LoadError as exc:
            return None, [exc.diagnostic]
        if isinstance(doc.data, dict) and isinstance(doc.data.get("name"), str) and hasattr(self, "_names"):
            where = doc.position("/name")
            self._names[path] = (
                doc.data["name"],
                where.line if where else None,
                where.column if where else None,
            )
        if not isinstance(doc.data, dict):
            from orchestrator.spec.schema_errors import describe_type

            return None, [
                doc.error_at("", f"expected a mapping at the top of the spec, got {describe_type(doc.data)}")
            ]
        if doc.data.get("kind") == ENVIRONMENT_KIND:
            return self._build_environment(doc, path, shown)
        if doc.data.get("kind") in spec_kinds():
            return self._build_agent_kind(doc)
        if doc.data.get("kind") == TEST_KIND:
            from orchestrator.spec.test_kind import read_test

            return read_test(doc)  # type: ignore[return-value]
        found = schema_diagnostics(doc, self.validator)
        if found:
            # the schema failed, but report what else is certainly wrong in the same run
            from orchestrator.spec.validation import capability_checks, model_checks

            if isinstance(doc.data.get("model"), str) and not any(d.pointer == "/model" for d in found):
                found.extend(model_checks(doc, doc.data["model"], self.today))
            reported = {d.pointer for d in found}
            found.extend(
                d
                for d in capability_checks(
                    doc,
                    doc.data,
                    backend=self.target.backend,
                    target=self.target.name,
                    description_to_metadata=self.project.agents.description_to_metadata,
                )
                if d.pointer not in reported
            )
            return None, found
        data = doc.data
        left_out = self._left_out_here(doc, data)
        if left_out is not None:
            return None, left_out
        found.extend(
            check_spec_fields(
                doc,
                data,
                backend=self.target.backend,
                target=self.target.name,
                today=self.today,
                description_to_metadata=self.project.agents.description_to_metadata,
            )
        )
        data = without_ignored(
            data, self.target.backend
        )  # warned about above; never part of the desired state
        dependencies: set[Path] = {resolved(path)}
        functions = tuple(self._functions(doc, data, found, dependencies))
        response_format = self._response_format(doc, data, found, dependencies)
        knowledge = data.get("knowledge") or {}
        agents = not self.deploys("vector_store")  # knowledge files go to the workspace, not file_search
        placed: dict[str, str] = {}  # agents: a file's path below its glob's fixed folder
        knowledge_files = tuple(
            self._files(
                doc,
                "/knowledge/files",
                knowledge.get("files") or [],
                found,
                limit=MAX_KNOWLEDGE_FILES,
                file_search=not agents,
                placed=placed,
            )
        )
        code_globs = [item for item in data.get("code_files") or [] if isinstance(item, str)]
        code_file_ids = tuple(
            item["file_id"] for item in data.get("code_files") or [] if isinstance(item, dict)
        )
        code_placed: dict[str, str] = {}
        code_files = tuple(
            self._files(doc, "/code_files", code_globs, found, limit=MAX_CODE_FILES, placed=code_placed)
        )
        workspace_files = (
            files_to_workspace(doc, knowledge_files, placed, code_files, code_placed, found) if agents else ()
        )
        if len(code_files) + len(code_file_ids) > MAX_CODE_FILES:
            found.append(
                doc.error_at(
                    "/code_files",
                    f"{len(code_files) + len(code_file_ids)} code files in all; "
                    f"the API allows {MAX_CODE_FILES}",
                )
            )
        instructions = self._instructions(doc, data, found, dependencies)
        if instructions is not None:
            found.extend(check_instructions_length(doc, instructions))
        if any(d.severity == "error" for d in found) or instructions is None:
            return None, found
        spec = DesiredSpec(
            name=data["name"],
            file=shown,
            path=path,
            display_name=data.get("display_name", data["name"]),
            model=data["model"],
            instructions=instructions,
            description=data.get("description"),
            tools=tuple(_tool(t) for t in data.get("tools") or []),
            functions=functions,
            temperature=data.get("temperature"),
            top_p=data.get("top_p"),
            response_format=response_format,
            reasoning_effort=data.get("reasoning_effort"),
            verbosity=data.get("verbosity"),
            service_tier=data.get("service_tier"),
            reasoning_summary=data.get("reasoning_summary"),
            agent_settings=MappingProxyType({k: data[k] for k in AGENT_SETTINGS if k in data}),
            metadata=MappingProxyType(dict(data.get("metadata") or {})),
            knowledge_files=knowledge_files,
            knowledge_chunking=MappingProxyType(dict(knowledge["chunking"]))
            if "chunking" in knowledge
            else None,
            knowledge_vector_store=knowledge.get("vector_store_id"),
            code_files=code_files,
            code_file_ids=code_file_ids,
            dependencies=frozenset(dependencies),
            name_line=(doc.position("/name") or doc.position("")).line,  # type: ignore[union-attr]
            adopt_id=data.get("adopt_id"),
            name_column=(doc.position("/name") or doc.position("")).column,  # type: ignore[union-attr]
            environment=data.get("environment"),
            environment_position=_position(doc, "/environment"),
            workspace_files=workspace_files,
            spend_limit_cents=_spend_limit_cents(data),
        )
        return spec, found

    # -- parts ---------------------------------------------------------------------------------

    def _left_out_here(self, doc: Document, data: Mapping[str, Any]) -> list[Diagnostic] | None:
        """None when a spec is built in this environment; else why not: an error for each unknown environment
        its `environments` lists, or none when the list leaves this one out (the spec is recorded as skipped)."""
        listed = data.get("environments")
        if not isinstance(listed, list):
            return None
        unknown = [
            doc.error_at(
                f"/environments/{index}",
                f"unknown environment `{name}`; defined: "
                + ", ".join(f"`{e}`" for e in sorted(self.project.environments)),
            )
            for index, name in enumerate(listed)
            if name not in self.project.environments
        ]
        if unknown:
            return unknown
        if self.environment.name not in listed:
            getattr(self, "skipped", []).append(str(data.get("name")))
            return []
        return None

    def variables(self, spec_vars: Mapping[str, Any]) -> dict[str, Any]:
        """Spec vars over environment vars over project vars."""
        merged = dict(self.project.vars)
        merged.update(self.environment.vars)
        merged.update(spec_vars)
        merged.update(self.vars_over)
        merged.setdefault("environment", self.environment.name)
        merged.setdefault("project", self.project.name)
        return merged

    def _instructions(
        self, doc: Document, data: dict[str, Any], found: list[Diagnostic], deps: set[Path]
    ) -> str | None:
        value = data["instructions"]
        if isinstance(value, str):
            return value
        if "file" in value:
            return self._verbatim(doc, value["file"], found, deps)
        origin = doc.error_at("/instructions/template" if "template" in value else "/instructions/inline", "")
        variables = self.variables(value.get("vars") or {})
        try:
            if "template" in value:
                rendered = self.renderer.render_file(value["template"], variables, origin=origin)
            else:
                rendered = self.renderer.render_inline(value["inline"], variables, origin=origin)
        except RenderError as exc:
            found.append(exc.diagnostic)
            return None
        deps.update(self.project.templates_dir / name for name in rendered.templates)
        return rendered.text

    def _verbatim(self, doc: Document, name: str, found: list[Diagnostic], deps: set[Path]) -> str | None:
        """`instructions: {file: ...}`: the file's exact text (bytes decoded as UTF-8, no newline translation)."""
        problem = self.renderer.check_name(name)
        if problem is not None:
            found.append(doc.error_at("/instructions/file", problem))
            return None
        path = (self.project.templates_dir / name).resolve()
        deps.add(path)
        try:
            return read_confined(
                path, self.project.root, limit=MAX_TEMPLATE_BYTES, what="an instructions file"
            ).decode("utf-8")
        except Refused as exc:
            found.append(
                doc.error_at("/instructions/file", exc.message(self.project.display(path)), hint=exc.hint)
            )
        except UnicodeDecodeError:
            found.append(
                doc.error_at("/instructions/file", f"`{self.project.display(path)}` is not valid UTF-8")
            )
        except OSError as exc:
            found.append(
                doc.error_at(
                    "/instructions/file", f"cannot read `{self.project.display(path)}`: {exc.strerror or exc}"
                )
            )
        return None

    def _functions(self, doc: Document, data: dict[str, Any], found: list[Diagnostic], deps: set[Path]):
        for index, item in enumerate(data.get("functions") or []):
            pointer = f"/functions/{index}"
            parameters = self._schema(
                doc,
                pointer + "/parameters",
                item.get("parameters", {"type": "object", "properties": {}}),
                strict=bool(item.get("strict")),
                what=f"parameters of function `{item['name']}`",
                found=found,
                deps=deps,
            )
            if parameters is None:
                continue
            position = doc.position(pointer)
            yield FunctionSpec(
                name=item["name"],
                description=item.get("description", ""),
                parameters=parameters,
                strict=bool(item.get("strict", False)),
                handler=item.get("handler"),
                pointer=pointer,
                line=position.line if position else None,
                defer_loading=bool(item.get("defer_loading", False)),
                run_async=bool(item.get("async", False)),
            )

    def _response_format(
        self, doc: Document, data: dict[str, Any], found: list[Diagnostic], deps: set[Path]
    ) -> Any:
        value = data.get("response_format")
        if isinstance(value, str):
            return value if value == "auto" else {"type": value}
        if not isinstance(value, dict) or value.get("type") != "json_schema":
            return value
        schema_spec = dict(value["json_schema"])
        schema = self._schema(
            doc,
            "/response_format/json_schema/schema",
            schema_spec["schema"],
            strict=bool(schema_spec.get("strict")),
            what="response format schema",
            found=found,
            deps=deps,
        )
        if schema is None:
            return None
        schema_spec["schema"] = schema
        return {"type": "json_schema", "json_schema": schema_spec}

    def _schema(
        self,
        doc: Document,
        where: str,
        value: Any,
        *,
        strict: bool,
        what: str,
        found: list[Diagnostic],
        deps: set[Path],
    ) -> Any:
        """A JSON Schema given inline or as a path relative to the spec, checked; None when it has problems."""
        if not isinstance(value, str):
            problems = check_schema(value, strict=strict)
            found.extend(place_schema_problems(doc, where, problems, what=what))
            return None if problems else value
        path, shown, refused = self._referenced_file(doc.path.parent, value)
        if refused is not None:
            found.append(doc.error_at(where, refused.message(value), hint=refused.hint))
            return None
        deps.add(path)
        schema, problem = self._json_file(path, shown)
        if problem is not None:
            if problem.message == "file not found":
                found.append(
                    doc.error_at(where, f"file `{shown}` not found (paths are relative to the spec file)")
                )
            elif (
                problem.line is None
            ):  # unreadable as a whole (a directory, not UTF-8, too big): say so at the spec
                found.append(doc.error_at(where, f"`{shown}`: {problem.message}"))
            else:
                found.append(_with_hint(problem, doc, where))
            return None
        problems = check_schema(schema, strict=strict)
        if problems:
            found.extend(
                place_schema_problems(
                    doc,
                    where,
                    problems,
                    what=what,
                    file_display=shown,
                    file_doc=locate_json(path, shown, self.project.root),
                )
            )
            return None
        return schema

    def _referenced_file(self, folder: Path, value: str) -> tuple[Path, str, Refused | None]:
        """A path written in a spec, resolved against its folder and confined to the project, and as shown
        in messages (cached: specs share files)."""
        key = (folder, value)
        found = self._paths.get(key)
        if found is None:
            refused = None
            try:
                path = confine(folder / value, self.project.root)
            except Refused as exc:
                path, refused = folder / value, exc
            found = self._paths[key] = (path, self.project.display(path), refused)
        return found

    def _json_file(self, path: Path, shown: str) -> tuple[Any, Diagnostic | None]:
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            stamp = -1
        cached = self._json_cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1], cached[2]
        data, problem = load_json_file(path, shown, self.project.root)
        self._json_cache[path] = (stamp, data, problem)
        return data, problem

    def _files(
        self,
        doc: Document,
        pointer: str,
        patterns: list[str],
        found: list[Diagnostic],
        *,
        limit: int,
        file_search: bool = False,
        placed: dict[str, str] | None = None,
    ) -> list[LocalFile]:
        """The files the patterns match; `placed` gets each one's path below its pattern's fixed folder."""
        result: dict[str, LocalFile] = {}
        for index, pattern in enumerate(patterns):
            where = f"{pointer}/{index}"
            if Path(pattern).is_absolute():
                found.append(doc.error_at(where, f"`{pattern}` must be relative to the spec file"))
                continue
            try:
                matches = glob_confined(doc.path.parent, pattern, self.project.root)
            except Refused as exc:
                found.append(doc.error_at(where, exc.message(pattern), hint=exc.hint))
                continue
            if not matches:
                found.append(
                    doc.error_at(where, f"`{pattern}` matches no file (globs are relative to the spec file)")
                )
                continue
            for match in matches:
                try:
                    path = confine(match, self.project.root)
                except Refused as exc:
                    found.append(
                        doc.error_at(
                            where,
                            f"`{pattern}` matches " + exc.message(_shown(self.project, match)),
                            hint=exc.hint,
                        )
                    )
                    break
                if file_search and path.suffix.lower() not in FILE_SEARCH_TYPES:
                    found.append(
                        doc.error_at(
                            where,
                            f"`{self.project.display(path)}`: file type `{path.suffix or '(none)'}` "
                            "is not supported by file_search",
                            hint="supported: " + " ".join(sorted(FILE_SEARCH_TYPES)),
                        )
                    )
                    continue
                size = path.stat().st_size  # before hashing: a huge file is refused, not read
                if size > MAX_FILE_BYTES:
                    found.append(
                        doc.error_at(
                            where,
                            f"`{self.project.display(path)}` is {size:,} bytes; the API limit is 512 MB",
                        )
                    )
                    continue
                if size == 0:
                    found.append(
                        doc.error_at(
                            where, f"`{self.project.display(path)}` is empty; the API rejects empty files"
                        )
                    )
                    continue
                try:
                    local = describe_local_file(path, self.project.root)
                except OSError as exc:
                    found.append(
                        doc.error_at(
                            where, f"cannot read `{self.project.display(path)}`: {exc.strerror or exc}"
                        )
                    )
                    continue
                result[local.path] = local
                if placed is not None:
                    placed.setdefault(local.path, _below_fixed_folder(doc.path.parent, pattern, match))
        if len(result) > limit:
            found.append(doc.error_at(pointer, f"{len(result)} files matched; the limit is {limit}"))
        return [result[k] for k in sorted(result)]


def _below_fixed_folder(folder: Path, pattern: str, match: Path) -> str:
    """A match's path below the pattern's fixed folder (its leading parts without glob characters; a plain path's
    folder): `knowledge/tutor/*.md` places `knowledge/tutor/a.md` as `a.md`, `data/**/*.csv` keeps subfolders."""
    parts = [p for p in pattern.replace("\\", "/").split("/") if p not in ("", ".")]
    fixed: list[str] = []
    while len(parts) > 1 and not any(c in parts[0] for c in "*?["):
        fixed.append(parts.pop(0))
    try:
        return match.relative_to(Path(os.path.normpath(folder.joinpath(*fixed)))).as_posix()
    except ValueError:
        return match.name


def _position(doc: Document, pointer: str) -> tuple[int | None, int | None] | None:
    where = doc.position(pointer)
    return (where.line, where.column) if where else None


def _with_hint(problem: Diagnostic, doc: Document, where: str) -> Diagnostic:
    """A problem in a referenced file, with a hint naming the spec field that refers to it."""
    ref = doc.position(where)
    used_by = f"used by {doc.display}" + (f":{ref.line}:{ref.column}" if ref else "") + f" [{where}]"
    return Diagnostic(
        problem.file,
        problem.line,
        problem.column,
        problem.pointer,
        problem.message,
        problem.severity,
        used_by,
    )


def _tool(tool: Any) -> Mapping[str, Any]:
    if isinstance(tool, str):
        return MappingProxyType({"type": tool})
    return MappingProxyType(dict(tool))


def _spend_limit_cents(data: Mapping[str, Any]) -> int | None:
    """`session.spend_limit_usd` in whole cents (validated: positive and finite), or None."""
    usd = (data.get("session") or {}).get("spend_limit_usd")
    return None if usd is None else spend_limit_cents(usd)
