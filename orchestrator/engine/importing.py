"""Import: a live assistant or agent (its raw wire dict) -> the spec files that describe it exactly.

Pure (no I/O: the caller says which paths are taken). The spec is built from the backend's live
essence, so that `desired_essence(spec) == live_essence(raw)` and the next apply only adopts.
What the spec language cannot express is returned as a warning, never dropped silently.
"""

from __future__ import annotations

import json
import posixpath
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import yaml

from orchestrator.constants import AGENTS_BACKEND
from orchestrator.engine.live import Mapping_, ObjectReferences
from orchestrator.engine.normalising import number
from orchestrator.engine.ownership import OWNER_KEY, RESERVED_KEYS, Owner, parse_owner
from orchestrator.spec.writing import is_reserved, portable_name

SPEC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$")
MAX_SPEC_NAME = 64
MAX_USER_METADATA = 14  # 16 API slots minus the 2 ownership keys
INLINE_INSTRUCTIONS_MAX = 400  # longer (or multi-line) instructions go verbatim to a file under templates/
INLINE_PARAMETERS_MAX_LINES = 40  # larger parameter schemas go to schemas/functions/<name>.json
DEFAULT_PARAMETERS = {"type": "object", "properties": {}}
FORMAT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SECRET_HEADER = re.compile(r"authorization|cookie|token|secret|key|password|credential", re.IGNORECASE)

ReadFile = Callable[[str], str | None]  # project-relative path -> its text, or None when the path is free


class Verdict(StrEnum):
    IMPORT = "import"  # unmanaged: write a spec
    MANAGED = "managed"  # already owned by this project and environment: nothing to do
    PENDING = "pending"  # unmanaged, but an existing spec already names it in adopt_id
    FOREIGN = "foreign"  # owned by another project or environment: refused
    UNFIT = "unfit"  # holds text that cannot be written to a file (a lone surrogate): refused


@dataclass(frozen=True, slots=True)
class Ownership:
    verdict: Verdict
    message: str = ""


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the project keeps its files, as paths relative to its root (forward slashes)."""

    specs: str = "specs"
    templates: str = "templates"
    schemas: str = "schemas"


@dataclass(frozen=True, slots=True)
class PlannedFile:
    path: str  # relative to the project root
    text: str
    write: bool = True  # False: an identical file already exists and is referenced as it is
    data: bytes | None = None  # the exact bytes to write, when they are not UTF-8 text (a skill's files)


@dataclass(frozen=True, slots=True)
class ImportedSpec:
    object_id: str
    name: str
    data: Mapping[str, Any]
    files: tuple[PlannedFile, ...]  # the spec file first
    warnings: tuple[str, ...] = ()
    kind: str = ""  # the graph's kind it came from ("" for the target's own assistants or agents)

    @property
    def spec_path(self) -> str:
        return self.files[0].path


@dataclass
class Claims:
    """Spec names and paths already taken: on disk (read) and by earlier objects of the same batch."""

    read: ReadFile
    names: set[str] = field(default_factory=set)
    planned: dict[str, str] = field(default_factory=dict)

    def text_at(self, path: str) -> str | None:
        return self.planned[path] if path in self.planned else self.read(path)

    def name_free(self, name: str, layout: Layout) -> bool:
        """Not taken, and fit for a file name everywhere (`con.yaml` cannot be checked out on Windows)."""
        return (
            name not in self.names
            and not is_reserved(name)
            and all(self.text_at(f"{layout.specs}/{name}{suffix}") is None for suffix in (".yaml", ".yml"))
        )


def classify(
    raw: Mapping[str, Any],
    *,
    project: str,
    environment: str,
    adopt_ids: Mapping[str, str] | None = None,
    spec_names: Collection[str] | None = None,
    owner: Owner | bool | None = False,
) -> Ownership:
    """Whether an object may be imported; adopt_ids maps ids named by existing specs to those specs' files,
    spec_names are the project's specs (an owned object whose spec is not among them is an orphan). `owner`,
    when given, is the owner as the kind reads it (an environment template's comes from its name)."""
    broken = not_unicode(raw)
    if broken is not None:
        return Ownership(
            Verdict.UNFIT,
            f"holds text that is not valid Unicode (a lone surrogate) at `{broken}`; "
            "a spec file cannot hold it, so it is not imported",
        )
    if owner is False:
        owner = parse_owner(raw.get("metadata") or {})
    assert owner is None or isinstance(owner, Owner)
    if owner is not None and (owner.project, owner.environment) == (project, environment):
        if spec_names is not None and owner.spec not in spec_names:
            return Ownership(
                Verdict.MANAGED,
                f"an orphan of spec `{owner.spec}`, whose spec file is gone: "
                "`orchestrator diff --prune` deletes it; restore the spec file to keep it",
            )
        return Ownership(Verdict.MANAGED, f"already managed by spec `{owner.spec}`")
    if owner is not None:
        where = "another project" if owner.project != project else "another environment"
        return Ownership(
            Verdict.FOREIGN,
            f"owned by {where} ({owner.label()}); import never takes over "
            f"objects of another project or environment",
        )
    pending = (adopt_ids or {}).get(str(raw["id"]))
    if pending is not None:
        return Ownership(
            Verdict.PENDING,
            f"already imported into {pending} (adopt_id); run `orchestrator apply` to adopt it",
        )
    return Ownership(Verdict.IMPORT)


def not_unicode(value: Any, pointer: str = "") -> str | None:
    """The JSON pointer of the first string (or key) in value that is not valid Unicode, None when all are:
    JSON's `\\ud800` escapes decode to lone surrogates, which no file can be written with."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return pointer or "/"
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = not_unicode(key, pointer + "/(key)") if isinstance(key, str) else None
            found = found or not_unicode(item, f"{pointer}/{_escaped(key)}")
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = not_unicode(item, f"{pointer}/{index}")
            if found is not None:
                return found
    return None


def _escaped(key: Any) -> str:
    text = str(key).encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("~", "~0").replace("/", "~1")


def slugify(text: str) -> str:
    """A valid spec name from any text ('' when nothing usable is left, e.g. only CJK characters)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:MAX_SPEC_NAME].rstrip("-")


def choose_name(raw: Mapping[str, Any], name_from: str, claims: Claims, layout: Layout) -> str:
    """A valid spec name, unique among existing specs, their files and this batch; claims it."""
    base = slugify(raw.get("name") or "") if name_from == "display" else ""
    base = base or slugify(str(raw["id"])) or "imported"
    candidate, number_ = base, 2
    while not claims.name_free(candidate, layout):
        suffix = f"-{number_}"
        candidate = base[: MAX_SPEC_NAME - len(suffix)].rstrip("-") + suffix
        number_ += 1
    claims.names.add(candidate)
    return candidate


def import_object(
    raw: Mapping[str, Any],
    *,
    mapping: Mapping_,
    name: str,
    claims: Claims,
    layout: Layout = Layout(),
    schema_path: str | None = None,
    references: ObjectReferences | None = None,
) -> ImportedSpec:
    """The spec (and side files) for one live object; claims the paths it will write.

    mapping is the target backend's (the caller picks it: the engine imports no backend); references: what
    the object refers to, as its client read it (LiveObject.references)."""
    backend = mapping.backend
    warnings: list[str] = []
    files: list[PlannedFile] = []
    data: dict[str, Any] = {"version": 1, "kind": "assistant", "name": name}
    display = raw.get("name")
    if display:
        if display != name:
            data["display_name"] = display
    else:
        warnings.append(
            f"it has no name; the spec's display_name defaults to `{name}`, so apply will also set "
            "the API name"
        )
    essence = mapping.live_essence(raw, None, references)
    if backend != AGENTS_BACKEND and raw.get("description") is not None:
        data["description"] = raw["description"]
    data["model"] = essence["model"]
    data["instructions"] = _instructions(essence["instructions"], name, claims, layout, files)
    if backend == AGENTS_BACKEND:
        tools, functions = _agent_tools(raw, essence, warnings)
    else:
        tools, functions = _assistant_tools(raw, essence, warnings)
    if tools:
        data["tools"] = tools
    if functions:
        data["functions"] = [_function(fn, name, claims, layout, files, warnings) for fn in functions]
    if backend == AGENTS_BACKEND:
        data.update(_agent_settings(raw, essence, warnings))
    else:
        data.update(_assistant_settings(raw, essence, warnings))
    metadata = _metadata(raw.get("metadata") or {}, warnings)
    if metadata:
        data["metadata"] = metadata
    if backend != AGENTS_BACKEND:
        knowledge = _knowledge(raw, "file_search" in essence["tools"], warnings)
        if knowledge:
            data["knowledge"] = knowledge
        code_ids = ((raw.get("tool_resources") or {}).get("code_interpreter") or {}).get("file_ids") or []
        if code_ids:  # referenced by id: kept attached as they are, never re-uploaded
            data["code_files"] = [{"file_id": file_id} for file_id in sorted(code_ids)]
    data["adopt_id"] = str(raw["id"])
    spec_path = f"{layout.specs}/{name}.yaml"
    text = render_spec(
        data,
        object_id=str(raw["id"]),
        kind=mapping.object_kind,
        schema_path=schema_path,
    )
    claims.planned[spec_path] = text
    return ImportedSpec(str(raw["id"]), name, data, (PlannedFile(spec_path, text), *files), tuple(warnings))


def render_spec(data: Mapping[str, Any], *, object_id: str, kind: str, schema_path: str | None) -> str:
    lines = []
    if schema_path:
        lines.append(f"# yaml-language-server: $schema={schema_path}")
    lines.append(
        f"# Imported from live {kind} {object_id}: the next `orchestrator apply` adopts it, keeping its id."
    )
    body = yaml.safe_dump(
        dict(data), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return "\n".join(lines) + "\n" + body


# -- instructions and side files ---------------------------------------------------------------


def _instructions(text: str, name: str, claims: Claims, layout: Layout, files: list[PlannedFile]) -> Any:
    """Short one-line text stays a YAML string (literal, never Jinja); the rest goes verbatim to a file."""
    if len(text) <= INLINE_INSTRUCTIONS_MAX and not any(c in text for c in "\n\r\x85\u2028\u2029"):
        return text
    path = _free_path(claims, f"{layout.templates}/imported/{name}", ".md", text)
    files.append(PlannedFile(path, text, write=claims.read(path) is None))
    claims.planned[path] = text
    return {"file": path[len(layout.templates) + 1 :]}


def _function(
    fn: Mapping[str, Any],
    spec_name: str,
    claims: Claims,
    layout: Layout,
    files: list[PlannedFile],
    warnings: list[str],
) -> dict[str, Any]:
    item: dict[str, Any] = {"name": fn["name"]}
    if fn.get("description"):
        item["description"] = fn["description"]
    parameters = fn.get("parameters")
    if parameters and parameters != DEFAULT_PARAMETERS:
        text = json.dumps(parameters, indent=2, ensure_ascii=False) + "\n"
        if text.count("\n") > INLINE_PARAMETERS_MAX_LINES:
            stem = portable_name(str(fn["name"]), fallback="function")  # the server's name, never a path
            path = _free_path(
                claims,
                f"{layout.schemas}/functions/{stem}",
                ".json",
                text,
                fallback=f"{layout.schemas}/functions/{spec_name}-{stem}",
            )
            if stem != fn["name"]:
                warnings.append(
                    f"function `{fn['name']}` is not a portable file name; its parameter schema "
                    f"was written to {path}"
                )
            files.append(PlannedFile(path, text, write=claims.read(path) is None))
            claims.planned[path] = text
            item["parameters"] = posixpath.relpath(path, layout.specs)
        else:
            item["parameters"] = parameters
    if fn.get("strict"):
        item["strict"] = True
    for flag in ("defer_loading", "async"):  # agents
        if fn.get(flag):
            item[flag] = True
    return item


def _free_path(claims: Claims, stem: str, suffix: str, text: str, *, fallback: str | None = None) -> str:
    """stem+suffix unless taken by different content; then fallback, then numbered variants."""
    for candidate_stem in (stem, fallback or stem):
        path = candidate_stem + suffix
        existing = claims.text_at(path)
        if existing is None or existing == text:
            return path
    base, number_ = fallback or stem, 2
    while True:
        path = f"{base}-{number_}{suffix}"
        existing = claims.text_at(path)
        if existing is None or existing == text:
            return path
        number_ += 1


# -- assistants --------------------------------------------------------------------------------


def _assistant_tools(
    raw: Mapping[str, Any], essence: Mapping[str, Any], warnings: list[str]
) -> tuple[list[Any], list[dict[str, Any]]]:
    tools: list[Any] = []
    functions: list[dict[str, Any]] = []
    seen: set[str] = set()
    for tool in raw.get("tools") or []:
        kind = tool.get("type")
        if kind == "function":
            fn = dict(tool.get("function") or {})
            if fn.get("name") not in seen:
                functions.append(fn)
                seen.add(fn.get("name", ""))
        elif kind in ("code_interpreter", "file_search") and kind not in seen:
            options = essence["tools"][kind]
            tools.append({"type": kind, **options} if options else kind)
            seen.add(kind)
        elif kind not in seen:
            warnings.append(
                f"the `{kind}` tool cannot be expressed in a spec and was not imported; apply will remove it"
            )
            seen.add(str(kind))
    return tools, functions


def _assistant_settings(
    raw: Mapping[str, Any], essence: Mapping[str, Any], warnings: list[str]
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in ("temperature", "top_p"):
        if raw.get(key) is not None and number(raw[key]) != 1.0:
            data[key] = raw[key]
    response_format = essence["response_format"]
    if response_format != "auto":
        kind = response_format.get("type") if isinstance(response_format, dict) else None
        if kind in ("text", "json_object") and len(response_format) == 1:
            data["response_format"] = kind
        elif kind == "json_schema":
            data["response_format"] = response_format
        else:
            warnings.append(
                f"response_format {json.dumps(response_format)} cannot be expressed in a spec; "
                "apply will reset it to auto"
            )
    warnings.append(
        "reasoning_effort is not readable on the Assistants API, so it was not imported; set it in the "
        "spec if this assistant uses one (adopting never resets it, a later spec change would)"
    )
    return data


def _knowledge(raw: Mapping[str, Any], has_file_search: bool, warnings: list[str]) -> dict[str, Any] | None:
    resources = raw.get("tool_resources") or {}
    stores = ((resources.get("file_search") or {}).get("vector_store_ids")) or []
    if not stores:
        return None
    if not has_file_search:
        warnings.append(
            f"vector store {stores[0]} is attached without the file_search tool; a spec cannot "
            "express that, so it was not imported"
        )
        return None
    if len(stores) > 1:
        warnings.append(
            f"only the first of {len(stores)} vector stores was imported ({stores[0]}); "
            f"not expressible: {', '.join(stores[1:])}"
        )
    return {"vector_store_id": stores[0]}


# -- agents ------------------------------------------------------------------------------------


def _agent_tools(
    raw: Mapping[str, Any], essence: Mapping[str, Any], warnings: list[str]
) -> tuple[list[Any], list[dict[str, Any]]]:
    tools: list[Any] = []
    functions: list[dict[str, Any]] = []
    seen: set[str] = set()
    for tool in raw.get("tools") or []:
        kind = tool.get("type")
        if kind == "function":
            if tool.get("name") in seen:
                continue
            seen.add(tool.get("name", ""))
            functions.append(
                {k: tool.get(k) for k in ("name", "description", "parameters", "defer_loading", "async")}
            )
            if tool.get("strict"):
                warnings.append(
                    f"function `{tool.get('name')}` is strict; a spec cannot set `strict` on the "
                    "agents backend, so it was not imported"
                )
        elif kind == "mcp":
            tools.extend(_mcp_tool(tool, essence, warnings))
        elif kind in essence["tools"] and kind not in seen:  # web_search and the tools without a label
            seen.add(kind)
            options = essence["tools"][kind]
            tools.append({"type": kind, **options} if options else kind)
        elif kind not in seen:
            seen.add(str(kind))
            warnings.append(
                f"the `{kind}` tool cannot be expressed in a spec and was not imported; apply will remove it"
            )
    return tools, functions


def _mcp_tool(
    tool: Mapping[str, Any], essence: Mapping[str, Any], warnings: list[str]
) -> list[dict[str, Any]]:
    label = tool.get("server_label")
    transport = tool.get("transport") or {}
    if transport.get("type") not in ("http", "stdio") or (
        transport["type"] == "stdio" and not (transport.get("command") and transport.get("cwd"))
    ):
        warnings.append(
            f"MCP server `{label}` uses a `{transport.get('type')}` transport a spec cannot express "
            "(http, or stdio with a command and a cwd), so it was not imported (apply will remove it)"
        )
        return []
    options = dict(essence["tools"].get(f"mcp:{label}") or {})
    for never_written in ("connection_origin", "credential_id", "request_metadata", "credential_settings"):
        options.pop(never_written, None)
    item: dict[str, Any] = {"type": "mcp", "server_label": label}
    if "transport" in options:
        item["transport"] = options.pop("transport")
    else:
        item["server_url"] = options.pop("server_url", None)
    headers = dict(options.pop("headers", None) or {})
    secret = sorted(h for h in headers if SECRET_HEADER.search(h))
    if secret:
        warnings.append(
            f"MCP server `{label}`: header(s) {', '.join(secret)} look like secrets and were not written "
            "to the spec; apply will drop them until the spec can reference secrets"
        )
    headers = {k: v for k, v in headers.items() if k not in secret}
    item.update(options)
    if headers:
        item["headers"] = headers
    extras = [k for k in ("credential_id",) if tool.get(k) and "credential" not in item]  # named: kept
    if tool.get("connection_origin") not in (None, "service"):
        extras.append("connection_origin")
    if tool.get("request_metadata"):
        extras.append("request_metadata")
    if extras:
        warnings.append(
            f"MCP server `{label}`: {', '.join(extras)} cannot be expressed in a spec; lost when apply "
            "changes the tools"
        )
    return [item]


def _agent_settings(
    raw: Mapping[str, Any], essence: Mapping[str, Any], warnings: list[str]
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    text = raw.get("text") or {}
    fmt = text.get("format") or {}
    if fmt.get("type") == "json_schema":
        name = fmt.get("name") if FORMAT_NAME.match(str(fmt.get("name") or "")) else "response"
        data["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": essence["response_format"]["schema"]},
        }
        dropped = [k for k in ("description", "strict") if fmt.get(k) is not None]
        if dropped:
            warnings.append(
                f"the json_schema text format's {', '.join(dropped)} cannot be kept by the agents "
                "backend; only its schema was imported"
            )
    elif fmt and fmt.get("type") != "text":
        warnings.append(
            f"text format `{fmt.get('type')}` cannot be expressed for agents; apply will reset it to text"
        )
    if essence["reasoning_effort"] is not None:
        data["reasoning_effort"] = essence["reasoning_effort"]
    if essence["verbosity"] != "medium":
        data["verbosity"] = essence["verbosity"]
    if essence["service_tier"] != "auto":
        data["service_tier"] = essence["service_tier"]
    for key in ("reasoning_summary", "compaction", "multi_agent", "experimental"):  # present only when set
        if key in essence:
            data[key] = essence[key]
    return data


# -- shared ------------------------------------------------------------------------------------


def _metadata(metadata: Mapping[str, Any], warnings: list[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    if metadata.get(OWNER_KEY) is not None and parse_owner(metadata) is None:
        warnings.append(f"metadata `{OWNER_KEY}` holds a malformed value; adopting replaces it")
    for key, value in metadata.items():
        if key in RESERVED_KEYS:
            continue
        if key.startswith("orchestrator."):
            warnings.append(
                f"metadata key `{key}` uses the reserved `orchestrator.` prefix and was not imported; "
                "apply will remove it"
            )
            continue
        if len(result) == MAX_USER_METADATA:
            warnings.append(
                f"metadata key `{key}` was not imported: a spec holds at most {MAX_USER_METADATA} user "
                "keys (2 of the 16 are reserved for ownership); apply will remove it"
            )
            continue
        result[str(key)] = value
    return result


def adopt_ids_of(specs: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, str]:
    """adopt_id -> spec file, for (file, data) pairs of the project's existing specs."""
    return {str(data["adopt_id"]): file for file, data in specs if isinstance(data.get("adopt_id"), str)}


# -- the graph's other kinds ----------------------------------------------------------------------


class KindImporter(Protocol):
    """How live objects of one kind of the graph become specs (`kind: <kind>`): the spec's body from the
    object's live essence (read by the kind's mapping), and a warning for whatever it cannot express. One per
    kind in KIND_IMPORTERS; import_resource does the rest (name, adopt_id, rendering, claims)."""

    kind: str

    def spec_body(
        self, raw: Mapping[str, Any], essence: Mapping[str, Any], *, layout: Layout, warnings: list[str]
    ) -> dict[str, Any]: ...


def import_resource(
    raw: Mapping[str, Any],
    essence: Mapping[str, Any],
    *,
    importer: KindImporter,
    name: str,
    claims: Claims,
    layout: Layout = Layout(),
    schema_path: str | None = None,
) -> ImportedSpec:
    """The spec for one live object of a graph kind; claims its path. The next apply adopts it by adopt_id."""
    warnings: list[str] = []
    data: dict[str, Any] = {"version": 1, "kind": importer.kind, "name": name}
    data.update(importer.spec_body(raw, essence, layout=layout, warnings=warnings))
    data["adopt_id"] = str(raw["id"])
    spec_path = f"{layout.specs}/{name}.yaml"
    text = render_spec(data, object_id=str(raw["id"]), kind=importer.kind, schema_path=schema_path)
    claims.planned[spec_path] = text
    return ImportedSpec(
        str(raw["id"]), name, data, (PlannedFile(spec_path, text),), tuple(warnings), importer.kind
    )


class EnvironmentImporter:
    """An environment template -> `kind: environment`: project files by the path they were uploaded from,
    packages, network, capability directories, desktop. What the API never returns (env, setup_commands,
    skills, blocked domains, inline files' text) is named in a warning; adopting never resets it."""

    kind = "environment"

    def spec_body(
        self, raw: Mapping[str, Any], essence: Mapping[str, Any], *, layout: Layout, warnings: list[str]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        files = []
        for to, meta in sorted((essence.get("files") or {}).items()):
            source = meta.get("from")
            if source:
                files.append({"from": posixpath.relpath(source, layout.specs), "to": to})
            else:
                warnings.append(
                    f"file {to} ({meta.get('file_id')}) was not uploaded from this project: a spec names "
                    "project files only, so apply will drop it; copy it into the project and list it"
                )
        inline = sorted(str(f.get("path")) for f in raw.get("files") or [] if f.get("type") == "inline")
        if inline:
            warnings.append(
                "inline file " + ", ".join(inline) + ": its text is not returned by the API; add it "
                "as `{inline: ..., to: ...}` (until then an apply that changes files drops it)"
            )
        if files:
            body["files"] = files
        packages = {
            kind: list(names) for kind, names in sorted((essence.get("packages") or {}).items()) if names
        }
        if packages:
            body["packages"] = packages
        network = essence.get("network") or {}
        if network.get("access") not in (None, "enabled") or network.get("allowed_domains"):
            body["network"] = {
                "access": network["access"],
                **(
                    {"allowed_domains": list(network["allowed_domains"])}
                    if network.get("allowed_domains")
                    else {}
                ),
            }
        if essence.get("capability_directories"):
            body["capability_directories"] = list(essence["capability_directories"])
        if essence.get("desktop"):
            body["desktop"] = {"enabled": True}
        warnings.append(
            "env, setup_commands, skills and blocked domains are write-only (the API never returns "
            "them): add them to the spec by hand if the template has any; adopting keeps them as they are"
        )
        return body


KIND_IMPORTERS: dict[str, KindImporter] = {"environment": EnvironmentImporter()}
