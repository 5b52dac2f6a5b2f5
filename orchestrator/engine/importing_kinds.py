"""Import of the Agents API kinds beside agents: a live vault or skill -> its spec files (kinds/ hold the rest).

Pure, as engine.importing is: the caller reads the live objects (and a skill's files) and says which
paths are taken. A vault's secrets are never readable: each becomes a `from_env` placeholder with a
suggested variable name, listed in the result so the user sets them before the adopting apply (which
then writes them, as a rotation). A skill's files are written into a folder of the project. The
importers of other kinds live in their definitions (orchestrator/kinds/) and build on finish_spec here.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.engine.importing import (
    Claims,
    ImportedSpec,
    Layout,
    PlannedFile,
    _metadata,
    render_spec,
    slugify,
)
from orchestrator.spec.agent_kinds import SECRET_FIELDS
from orchestrator.spec.writing import name_problem, shown_name

SECRET_KEY = "orchestrator.secret"  # a credential's recorded revision (backends.vaults)
SKILLS_FOLDER = "skills"


@dataclass(frozen=True, slots=True)
class Placeholder:
    """A secret the import could not read: the spec names this variable instead."""

    vault: str
    credential: str
    field: str
    variable: str


def secret_placeholders(imported: ImportedSpec) -> list[Placeholder]:
    """The `from_env` placeholders of an imported vault spec (the variables to set before apply)."""
    found = []
    for cred in imported.data.get("credentials") or []:
        for pointer in SECRET_FIELDS.get(cred["auth"]["type"], ()):
            value: Any = cred["auth"]
            for part in pointer.split("/"):
                value = value.get(part) if isinstance(value, Mapping) else None
            if isinstance(value, Mapping) and "from_env" in value:
                found.append(
                    Placeholder(imported.name, cred["name"], pointer.rsplit("/", 1)[-1], value["from_env"])
                )
    return found


def import_vault(
    raw: Mapping[str, Any],
    *,
    name: str,
    claims: Claims,
    layout: Layout = Layout(),
    schema_path: str | None = None,
) -> ImportedSpec:
    """A vault spec: each credential's settings as read, its secrets as `from_env` placeholders."""
    warnings: list[str] = []
    data: dict[str, Any] = {"version": 1, "kind": "vault", "name": name}
    if raw.get("name") and raw["name"] != name:
        data["display_name"] = raw["name"]
    credentials = []
    for item in raw.get("credentials") or []:
        auth = _pruned(item.get("auth") or {})
        kind = auth.get("type")
        if kind not in SECRET_FIELDS:
            warnings.append(
                f"credential `{item.get('name')}` uses auth type `{kind}`, which a spec cannot express; "
                "not imported (apply will delete it)"
            )
            continue
        auth.pop("expires_at", None)
        for pointer in SECRET_FIELDS[kind]:
            *heads, last = pointer.split("/")
            parent: Any = auth
            for head in heads:
                parent = parent.get(head) if isinstance(parent, dict) else None
            if not isinstance(parent, dict) or (last == "client_secret" and parent.get("type") == "none"):
                continue
            suffix = "" if len(SECRET_FIELDS[kind]) == 1 else f"_{last}"
            parent[last] = {"from_env": _variable(f"{name}_{item['name']}{suffix}")}
        cred: dict[str, Any] = {"name": item["name"], "auth": auth}
        recorded = str((item.get("metadata") or {}).get(SECRET_KEY) or "").split(":", 1)[0]
        cred["revision"] = int(recorded) if recorded.isdigit() else 1
        metadata = {k: v for k, v in _metadata(item.get("metadata") or {}, warnings).items()}
        if metadata:
            cred["metadata"] = metadata
        credentials.append(cred)
    data["credentials"] = credentials
    metadata = _metadata(raw.get("metadata") or {}, warnings)
    if metadata:
        data["metadata"] = metadata
    data["adopt_id"] = str(raw["id"])
    return finish_spec(raw, data, "vault", claims, layout, schema_path, [], warnings)


def import_skill(
    raw: Mapping[str, Any],
    *,
    name: str,
    claims: Claims,
    layout: Layout = Layout(),
    schema_path: str | None = None,
    content: Mapping[str, bytes],
) -> ImportedSpec:
    """A skill spec and its folder under skills/, with the files of the skill's default version."""
    warnings: list[str] = []
    folder = f"{SKILLS_FOLDER}/{name}"
    number = 2
    while (
        any(claims.text_at(f"{folder}/{path}") is not None for path in content)
        or claims.text_at(folder) is not None
    ):
        folder, number = f"{SKILLS_FOLDER}/{name}-{number}", number + 1
    files: list[PlannedFile] = []
    seen: dict[str, str] = {}  # casefolded path -> the path written (one file on Windows and macOS)
    for path, body in sorted(content.items()):
        problem = unsafe_path(path)
        if problem is None and path.casefold() in seen:
            problem = f"differs from `{seen[path.casefold()]}` only in case (one file on Windows and macOS)"
        if problem is not None:
            warnings.append(f"file `{shown_name(path)}` of the skill was not written: {problem}")
            continue
        seen[path.casefold()] = path
        target = f"{folder}/{path}"
        files.append(PlannedFile(target, body.decode("utf-8", "replace"), data=body))
        claims.planned[target] = body.decode("utf-8", "replace")
    data: dict[str, Any] = {
        "version": 1,
        "kind": "skill",
        "name": name,
        "folder": posixpath.relpath(folder, layout.specs),
        "adopt_id": str(raw["id"]),
    }
    warnings.append(
        f"its default version {raw.get('default_version')} was written to {folder}/; adopting uploads "
        "it again as a new version carrying the ownership stamp (a skill has no metadata)"
    )
    return finish_spec(raw, data, "skill", claims, layout, schema_path, files, warnings)


def unsafe_path(path: str) -> str | None:
    """Why a path inside a live skill's archive may not become a file of the project (None when it may):
    every part a portable name, so no `..`, no separator trick, no newline or device name."""
    for part in path.split("/"):
        problem = name_problem(part)
        if problem is not None:
            return f"its part `{shown_name(part)}` {problem}"
    return None


def spec_name_of(names: Mapping[str, str], kind: str, object_id: Any) -> str:
    found = names.get(f"{kind}:{object_id}")
    if found is None:
        raise KeyError(f"{kind} {object_id}")
    return found


def skill_name(raw: Mapping[str, Any]) -> str:
    """The spec name suggested for a skill: its SKILL.md name."""
    return slugify(str(raw.get("name") or "")) or "skill"


def finish_spec(
    raw: Mapping[str, Any],
    data: dict[str, Any],
    kind: str,
    claims: Claims,
    layout: Layout,
    schema_path: str | None,
    files: list[PlannedFile],
    warnings: list[str],
) -> ImportedSpec:
    spec_path = f"{layout.specs}/{data['name']}.yaml"
    text = render_spec(data, object_id=str(raw["id"]), kind=kind, schema_path=schema_path)
    claims.planned[spec_path] = text
    return ImportedSpec(
        str(raw["id"]), data["name"], data, (PlannedFile(spec_path, text), *files), tuple(warnings)
    )


def _pruned(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _variable(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def kind_importers() -> dict[str, Callable[..., ImportedSpec]]:
    """The importers of the resource graph's other kinds read from spec files, by kind (their definitions')."""
    from orchestrator.kind_registry import definitions

    return {d.name: d.resolved(d.importer) for d in definitions() if d.read is not None and d.importer}
