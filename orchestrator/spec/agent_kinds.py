"""The spec side of the kinds read from spec files by their definition (orchestrator.kinds): `vault`, `skill`, ...

`read_resource(doc, root)` validates one loaded spec file of such a kind (its JSON Schema, then its
definition's checks, the ones a schema cannot make) and returns a frozen spec value. The vault and skill
checks live here; a kind defined in one module (kinds/automation.py) keeps its checks there. Nothing here
reads a secret or the network: a credential's source is checked for shape only
(`secret_sources.source_problem`), a skill folder is zipped from the project's files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from orchestrator.diagnostics import Diagnostic
from orchestrator.secret_sources import SecretSource, source_of, source_problem
from orchestrator.spec.loading import Document
from orchestrator.spec.skill_archive import ArchiveProblem, read_folder

# the secret-bearing fields of each auth type, as (pointer inside `auth`, wire path)
SECRET_FIELDS = {
    "static_bearer": ("token",),
    "environment_variable": ("secret_value",),
    "mcp_oauth": ("access_token", "refresh/refresh_token", "refresh/token_endpoint_auth/client_secret"),
}


@dataclass(frozen=True, slots=True)
class CredentialSpec:
    name: str
    revision: int
    auth: Mapping[str, Any]  # the non-secret settings, as the API's create param without the secrets
    secrets: Mapping[str, SecretSource]  # "token", "refresh/refresh_token", ... -> where the value comes from
    metadata: Mapping[str, str] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)  # secret pointer -> its line in the spec file


@dataclass(frozen=True, slots=True)
class VaultSpec:
    name: str
    display_name: str
    credentials: tuple[CredentialSpec, ...]
    metadata: Mapping[str, str]
    path: Path
    kind: str = "vault"
    # where the spec stands, for plans and diagnostics (set by read_resource), and the engine's common fields
    file: str = ""
    name_line: int | None = None
    name_column: int | None = None
    adopt_id: str | None = None
    dependencies: frozenset[Path] = frozenset()


@dataclass(frozen=True, slots=True)
class SkillSpec:
    name: str
    folder: Path
    files: Mapping[str, bytes]
    keep_versions: int
    path: Path
    kind: str = "skill"
    metadata: Mapping[str, str] = field(default_factory=dict)
    folder_shown: str = ""  # the folder relative to the project root, with `/` (saved plans read it again)
    # where the spec stands, for plans and diagnostics (set by read_resource), and the engine's common fields
    file: str = ""
    name_line: int | None = None
    name_column: int | None = None
    adopt_id: str | None = None
    dependencies: frozenset[Path] = frozenset()


ResourceSpec = Any  # the frozen spec value of a kind definition's `read` (VaultSpec, SkillSpec, ...)


def kind_of(data: Any) -> str:
    return str(data.get("kind") or "assistant") if isinstance(data, dict) else "assistant"


def read_resource(doc: Document, root: Path) -> tuple[ResourceSpec | None, list[Diagnostic]]:
    """The spec of doc (a kind its definition reads: vault, skill, automation, ...), or None with the
    diagnostics saying why."""
    from orchestrator.kind_registry import definition
    from orchestrator.spec.schema_errors import schema_diagnostics
    from orchestrator.spec.schemas import validator_for

    kind = kind_of(doc.data)
    defined = definition(kind)
    assert defined is not None and defined.read is not None, f"no kind definition reads `{kind}` specs"
    if defined.before_schema is not None:
        refused = defined.before_schema(doc)
        if refused:
            return None, refused
    found = schema_diagnostics(doc, validator_for(kind))
    if found:
        return None, found
    spec = defined.read(doc, doc.data, root, found)
    if any(d.severity == "error" for d in found):
        return None, found
    where = doc.position("/name")
    adopt = doc.data.get("adopt_id")
    spec = replace(
        spec,
        file=doc.display,
        adopt_id=adopt if isinstance(adopt, str) else None,
        name_line=where.line if where else None,
        name_column=where.column if where else None,
        dependencies=frozenset({doc.path.resolve()}) | spec.dependencies,  # its file, and what it read
    )
    return spec, found


def written_secrets(doc: Document) -> list[Diagnostic]:
    """A secret written as a value in the spec: refused, and the value is never repeated (it is
    taught to the redactor, so nothing later shows it either)."""
    from orchestrator import secrets

    found = []
    credentials = doc.data.get("credentials") if isinstance(doc.data, dict) else None
    for index, item in enumerate(credentials if isinstance(credentials, list) else []):
        auth = item.get("auth") if isinstance(item, dict) else None
        if not isinstance(auth, dict):
            continue
        for pointer in SECRET_FIELDS.get(str(auth.get("type")), ()):
            value: Any = auth
            for part in pointer.split("/"):
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None and not isinstance(value, dict):
                secrets.register_secret(str(value))
                found.append(
                    doc.error_at(
                        f"/credentials/{index}/auth/{pointer}",
                        f"`{pointer.rsplit('/', 1)[-1]}` holds a value; a secret is never written in a spec",
                        hint="name where it comes from: {from_env: VARIABLE} or {from_file: /path/outside/the/project}",
                    )
                )
    return found


def read_vault(doc: Document, data: dict[str, Any], root: Path, found: list[Diagnostic]) -> VaultSpec:
    credentials: list[CredentialSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(data.get("credentials") or []):
        where = f"/credentials/{index}"
        if item["name"] in seen:
            found.append(
                doc.error_at(f"{where}/name", f"credential `{item['name']}` is named twice in this vault")
            )
        seen.add(item["name"])
        auth = item["auth"]
        sources: dict[str, SecretSource] = {}
        plain = _without_secrets(auth, SECRET_FIELDS[auth["type"]], sources)
        for pointer, source in sources.items():
            problem = source_problem(source, root)
            if problem:
                key = "from_env" if source.env is not None else "from_file"
                found.append(
                    doc.error_at(
                        f"{where}/auth/{pointer}/{key}",
                        problem,
                        hint="name an environment variable or a file outside the project",
                    )
                )
        lines = {
            pointer: found_at.line
            for pointer in sources
            if (found_at := doc.position(f"{where}/auth/{pointer}")) is not None
        }
        credentials.append(
            CredentialSpec(
                item["name"],
                int(item.get("revision", 1)),
                plain,
                sources,
                dict(item.get("metadata") or {}),
                lines,
            )
        )
    return VaultSpec(
        data["name"],
        data.get("display_name", data["name"]),
        tuple(credentials),
        dict(data.get("metadata") or {}),
        doc.path,
    )


def _without_secrets(
    auth: Mapping[str, Any], pointers: Iterable[str], sources: dict[str, SecretSource]
) -> dict:
    plain = _deep_copy(auth)
    for pointer in pointers:
        parent: Any = plain
        *heads, last = pointer.split("/")
        for head in heads:
            parent = parent.get(head) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and last in parent:
            sources[pointer] = source_of(parent.pop(last))
    return plain


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def read_skill(doc: Document, data: dict[str, Any], root: Path, found: list[Diagnostic]) -> SkillSpec:
    folder = doc.path.parent / data["folder"]
    files: dict[str, bytes] = {}
    try:
        files = read_folder(folder, root)
    except ArchiveProblem as exc:
        found.append(doc.error_at("/folder", f"skill folder `{data['folder']}` {exc}"))
    else:
        front = files["SKILL.md"].decode("utf-8", "replace")
        if (
            not re.match(r"^---\s*\n(.*\n)?name:\s*\S", front, re.S)
            or "description:" not in front.split("\n---", 2)[0]
        ):
            found.append(
                doc.error_at(
                    "/folder",
                    f"`{data['folder']}/SKILL.md` must start with YAML front matter "
                    "setting `name` and `description`",
                )
            )
    try:
        shown = folder.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = folder.as_posix()
    return SkillSpec(
        data["name"],
        folder,
        files,
        int(data.get("keep_versions", 5)),
        doc.path,
        folder_shown=shown,
        dependencies=frozenset((folder / name).resolve() for name in files),  # its files are data
    )


def check_skill_references(
    doc: Document, names: Iterable[str], skills: Mapping[str, SkillSpec], *, skipped: Iterable[str] = ()
) -> list[Diagnostic]:
    """A diagnostic for each name of an environment's `skills` that is not a skill spec deployed here."""
    import difflib

    found: list[Diagnostic] = []
    left_out = set(skipped)
    for index, name in enumerate(names):
        entry = doc.data["skills"][index] if isinstance(doc.data.get("skills"), list) else name
        pointer = f"/skills/{index}" + ("/name" if isinstance(entry, dict) else "")
        if name in skills:
            continue
        if name in left_out:
            why = (
                f"skill `{name}` is not deployed to this environment (its `environments` list leaves it out)"
            )
        else:
            close = difflib.get_close_matches(name, list(skills), n=1, cutoff=0.6)
            why = (
                f"unknown skill `{name}`"
                + (f"; did you mean `{close[0]}`?" if close else "")
                + " (skill specs: "
                + (", ".join(f"`{s}`" for s in sorted(skills)) or "none")
                + ")"
            )
        found.append(doc.error_at(pointer, why, hint="add a spec with `kind: skill` and this name"))
    return found


def check_credential_references(
    doc: Document,
    tools: Iterable[Mapping[str, Any]],
    vaults: Mapping[str, VaultSpec],
) -> tuple[dict[int, str], list[Diagnostic]]:
    """Each MCP tool's `credential` (tool index -> `vault/credential`, the canonical form), and a diagnostic
    for a name no vault spec has, or a bare name that more than one vault has."""
    owners: dict[str, list[str]] = {}
    for vault in vaults.values():
        for cred in vault.credentials:
            owners.setdefault(cred.name, []).append(vault.name)
    resolved: dict[int, str] = {}
    found: list[Diagnostic] = []
    for index, tool in enumerate(tools):
        wanted = tool.get("credential") if tool.get("type") == "mcp" else None
        if not isinstance(wanted, str):
            continue
        pointer = f"/tools/{index}/credential"
        vault_name, _, cred_name = wanted.rpartition("/")
        if vault_name:
            vault = vaults.get(vault_name)
            if vault is not None and any(c.name == cred_name for c in vault.credentials):
                resolved[index] = wanted
                continue
            why = (
                f"vault `{vault_name}` has no credential `{cred_name}`"
                if vault is not None
                else f"`{vault_name}` is not a vault spec of this project"
            )
        elif len(owners.get(cred_name, [])) == 1:
            resolved[index] = f"{owners[cred_name][0]}/{cred_name}"
            continue
        elif cred_name in owners:
            why = (
                f"credential `{cred_name}` is in several vaults ("
                + ", ".join(f"`{v}`" for v in sorted(owners[cred_name]))
                + "); name one as `VAULT/NAME`"
            )
        else:
            known = sorted(f"{v}/{c}" for c, vs in owners.items() for v in vs)
            why = f"no vault spec has a credential `{cred_name}`" + (
                f" (credentials: {', '.join(f'`{k}`' for k in known)})" if known else " (no vault specs)"
            )
        found.append(
            doc.error_at(pointer, why, hint="refer to a credential of a `kind: vault` spec as VAULT/NAME")
        )
    return resolved, found
