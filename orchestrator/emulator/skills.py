"""`/v1/skills` and `/v1/skills/{id}/versions`: skills uploaded as one zip, versioned, with content.

A skill is a folder with a `SKILL.md` whose YAML front matter names it (`name`, `description`),
uploaded as a zip (the multipart field `files`). Each upload is a version numbered "1", "2", ...;
the skill shows its `latest_version` and its `default_version` (the first upload, then whatever
`POST /skills/{id}` or a version created with `default=true` sets). The default version cannot be
deleted; deleting the skill deletes its versions.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import yaml

from orchestrator.emulator.bodies import Upload
from orchestrator.emulator.context import (
    ApiRequest,
    Context,
    Endpoint,
    Reply,
    list_envelope,
    new_id,
    parse_list_query,
    public,
)
from orchestrator.emulator.errors import invalid, not_found
from orchestrator.emulator.store import Page
from orchestrator.emulator.validation import Obj, Str, check_body

SKILL = "skill"
VERSION = "skill_version"
MAX_ENTRIES = 1000
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
UPDATE_SKILL = Obj({"default_version": Str(pattern=r"[0-9]+")}, required=("default_version",))


def blob_id(skill_id: str, version: str) -> str:
    return f"{skill_id}:v{version}"


def load_skill(ctx: Context, skill_id: str) -> dict[str, Any]:
    body = ctx.store.get(SKILL, skill_id)
    if body is None:
        raise not_found(f"No skill found with id '{skill_id}'.", None, "not_found")
    return body


def load_version(ctx: Context, skill_id: str, version: str) -> dict[str, Any]:
    load_skill(ctx, skill_id)
    for body in ctx.store.children(VERSION, skill_id):
        if body["version"] == version:
            return body
    raise not_found(f"No version '{version}' of skill '{skill_id}'.", "version", "not_found")


def is_unicode(text: str) -> bool:
    """Whether text is Unicode text, that is holds no surrogate code point (UTF-8 can carry it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_front_matter(text: str) -> dict[str, Any]:
    if not text.startswith("---"):
        return {}
    _, _, rest = text.partition("\n")
    head, found, _ = rest.partition("\n---")
    if not found:
        return {}
    try:
        value = yaml.safe_load(head)
    except yaml.YAMLError:
        return {}
    return value if isinstance(value, dict) else {}


def read_archive(form: dict[str, Any]) -> tuple[bytes, str, str]:
    """The zip's bytes and the name and description its SKILL.md declares."""
    for key in form:
        if key not in ("files", "default"):
            raise invalid(f"Unknown parameter: '{key}'.", key, "unknown_parameter")
    upload = form.get("files")
    if not isinstance(upload, Upload):
        raise invalid(
            "Missing required parameter: 'files' (a zip of the skill folder).",
            "files",
            "missing_required_parameter",
        )
    data = upload.file.read()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise invalid("Invalid 'files': expected a zip archive of the skill folder.", "files") from None
    if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNZIPPED_BYTES:
        raise invalid("Invalid 'files': the archive is too large once unzipped.", "files")
    manifests = sorted(
        (e for e in entries if e.filename.rsplit("/", 1)[-1] == "SKILL.md"),
        key=lambda e: e.filename.count("/"),
    )
    if not manifests or manifests[0].filename.count("/") > 1:
        raise invalid(
            "Invalid 'files': the archive has no SKILL.md at its root or in its top folder.", "files"
        )
    try:
        front = read_front_matter(archive.read(manifests[0]).decode("utf-8"))
    except (UnicodeDecodeError, zipfile.BadZipFile, ValueError):
        raise invalid("Invalid 'files': SKILL.md is not UTF-8 text.", "files") from None
    name, description = front.get("name"), front.get("description")
    if any(isinstance(v, str) and not is_unicode(v) for v in (name, description)):
        # YAML's "\udce9" escape parses to a lone surrogate: no text, and never answerable as UTF-8
        raise invalid("Invalid 'files': SKILL.md front matter holds an unpaired UTF-16 surrogate.", "files")
    if not isinstance(name, str) or not name.strip():
        raise invalid("Invalid 'files': SKILL.md front matter must set 'name'.", "files")
    if not isinstance(description, str) or not description.strip():
        raise invalid("Invalid 'files': SKILL.md front matter must set 'description'.", "files")
    return data, name.strip(), description.strip()


def read_default_flag(form: dict[str, Any]) -> bool:
    value = form.get("default")
    if value is None:
        return False
    if value not in ("true", "false"):
        raise invalid("Invalid 'default': expected a boolean.", "default")
    return value == "true"


def add_version(
    ctx: Context, skill: dict[str, Any], data: bytes, name: str, description: str
) -> dict[str, Any]:
    number = str(int(skill["_next_version"]))
    skill["_next_version"] = int(number) + 1
    version = {
        "id": new_id("skillver_"),
        "object": "skill.version",
        "skill_id": skill["id"],
        "version": number,
        "name": name,
        "description": description,
        "created_at": ctx.now(),
    }
    ctx.store.put_blob(blob_id(skill["id"], number), data)
    ctx.store.insert(VERSION, version, parent=skill["id"])
    skill["latest_version"] = number
    return version


def show_skill(ctx: Context, skill: dict[str, Any]) -> dict[str, Any]:
    """The skill with the name and description of its default version."""
    default = load_version(ctx, skill["id"], skill["default_version"])
    return {**public(skill), "name": default["name"], "description": default["description"]}


def create(ctx: Context, request: ApiRequest) -> Reply:
    data, name, description = read_archive(request.form)
    skill: dict[str, Any] = {
        "id": new_id("skill_"),
        "object": "skill",
        "created_at": ctx.now(),
        "name": name,
        "description": description,
        "default_version": "1",
        "latest_version": "1",
        "_next_version": 1,
    }
    ctx.store.insert(SKILL, skill)
    add_version(ctx, skill, data, name, description)
    ctx.store.replace(SKILL, skill)
    return Reply(show_skill(ctx, skill))


def retrieve(ctx: Context, request: ApiRequest) -> Reply:
    return Reply(show_skill(ctx, load_skill(ctx, request.path_params["skill_id"])))


def update(ctx: Context, request: ApiRequest) -> Reply:
    """Move the default version pointer (a rollback is this: pin an older version)."""
    skill = load_skill(ctx, request.path_params["skill_id"])
    payload = check_body(UPDATE_SKILL, request.body)
    load_version(ctx, skill["id"], payload["default_version"])
    skill["default_version"] = payload["default_version"]
    ctx.store.replace(SKILL, skill)
    return Reply(show_skill(ctx, skill))


def delete(ctx: Context, request: ApiRequest) -> Reply:
    skill_id = request.path_params["skill_id"]
    load_skill(ctx, skill_id)
    for version in ctx.store.children(VERSION, skill_id):
        ctx.store.delete_blob(blob_id(skill_id, version["version"]))
    ctx.store.delete_children(VERSION, skill_id)
    ctx.store.delete(SKILL, skill_id)
    return Reply({"id": skill_id, "object": "skill.deleted", "deleted": True})


def list_skills(ctx: Context, request: ApiRequest) -> Reply:
    query = parse_list_query(request.query, allow_before=False)
    page = ctx.store.page(SKILL, limit=query.limit, order=query.order, after=query.after)
    return Reply(list_envelope(page, lambda skill: show_skill(ctx, skill)))


def content(ctx: Context, request: ApiRequest) -> Reply:
    skill = load_skill(ctx, request.path_params["skill_id"])
    data = ctx.store.get_blob(blob_id(skill["id"], skill["default_version"])) or b""
    return Reply(None, raw=data, media_type="application/zip")


# Versions


def create_version(ctx: Context, request: ApiRequest) -> Reply:
    skill = load_skill(ctx, request.path_params["skill_id"])
    data, name, description = read_archive(request.form)
    make_default = read_default_flag(request.form)
    version = add_version(ctx, skill, data, name, description)
    if make_default:
        skill["default_version"] = version["version"]
    ctx.store.replace(SKILL, skill)
    return Reply(public(version))


def retrieve_version(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    return Reply(public(load_version(ctx, params["skill_id"], params["version"])))


def list_versions(ctx: Context, request: ApiRequest) -> Reply:
    """Ordered by version number; `after` is a version id."""
    skill_id = request.path_params["skill_id"]
    load_skill(ctx, skill_id)
    query = parse_list_query(request.query, allow_before=False)
    versions = sorted(
        ctx.store.children(VERSION, skill_id), key=lambda v: int(v["version"]), reverse=query.order == "desc"
    )
    if query.after is not None:
        ids = [v["id"] for v in versions]
        versions = versions[ids.index(query.after) + 1 :] if query.after in ids else []
    page = Page(tuple(versions[: query.limit]), len(versions) > query.limit)
    return Reply(list_envelope(page, public))


def delete_version(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    skill = load_skill(ctx, params["skill_id"])
    version = load_version(ctx, skill["id"], params["version"])
    if version["version"] == skill["default_version"]:
        raise invalid(
            f"Version '{version['version']}' is the default version of skill '{skill['id']}'; "
            "set another default first.",
            "version",
        )
    ctx.store.delete(VERSION, version["id"], parent=skill["id"])
    ctx.store.delete_blob(blob_id(skill["id"], version["version"]))
    remaining = [int(v["version"]) for v in ctx.store.children(VERSION, skill["id"])]
    skill["latest_version"] = str(max(remaining))
    ctx.store.replace(SKILL, skill)
    return Reply(
        {
            "id": version["id"],
            "object": "skill.version.deleted",
            "deleted": True,
            "version": version["version"],
        }
    )


def version_content(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    version = load_version(ctx, params["skill_id"], params["version"])
    data = ctx.store.get_blob(blob_id(params["skill_id"], version["version"])) or b""
    return Reply(None, raw=data, media_type="application/zip")


ENDPOINTS = (
    Endpoint("GET", "/v1/skills", list_skills),
    Endpoint("POST", "/v1/skills", create, uploads=True),
    Endpoint("GET", "/v1/skills/{skill_id}", retrieve),
    Endpoint("POST", "/v1/skills/{skill_id}", update),
    Endpoint("DELETE", "/v1/skills/{skill_id}", delete),
    Endpoint("GET", "/v1/skills/{skill_id}/content", content),
    Endpoint("GET", "/v1/skills/{skill_id}/versions", list_versions),
    Endpoint("POST", "/v1/skills/{skill_id}/versions", create_version, uploads=True),
    Endpoint("GET", "/v1/skills/{skill_id}/versions/{version}", retrieve_version),
    Endpoint("DELETE", "/v1/skills/{skill_id}/versions/{version}", delete_version),
    Endpoint("GET", "/v1/skills/{skill_id}/versions/{version}/content", version_content),
)
