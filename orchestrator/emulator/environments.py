"""`/v1/agents/environments` (beta): environment templates, hosted environments and their files.

A template is the reusable configuration of an OpenAI-hosted environment. As the SDK's types say,
`env` and `setup_commands` are confidential: accepted and kept, never returned. Files reference
uploaded files by id (`type: file_id`) or carry inline data (`type: inline`, returned with its size only).
An environment made from a template (or by a session that names one) copies its configuration.
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

from orchestrator.emulator import schemas, skills
from orchestrator.emulator.agents import require_beta_header
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
from orchestrator.emulator.validation import check_body

TEMPLATE = "agent.environment.template"
ENVIRONMENT = "agent.environment"
FILE_KIND = "file"  # the files API's kind in the store
WORKSPACE = "/workspace"
OUTPUTS = WORKSPACE + "/outputs"
RESERVED_DIRECTORIES = (".codex", ".managed-agents")
FILE_OBJECT = "agent.environment.file"
MAX_FILES = 100


def load_template(ctx: Context, template_id: str, param: str | None = None) -> dict[str, Any]:
    body = ctx.store.get(TEMPLATE, template_id)
    if body is None:
        raise not_found(f"No environment template found with id '{template_id}'.", param, "not_found")
    return body


def check_network(network: dict[str, Any] | None, param: str) -> dict[str, Any]:
    if network is None:
        return {"access": "enabled", "allowed_domains": []}
    allowed = list(network.get("allowed_domains") or [])
    blocked = list(network.get("blocked_domains") or [])
    if (allowed or blocked) and network["access"] != "restricted":
        raise invalid("Domain lists require 'access: restricted'.", f"{param}.access", "invalid_value")
    if allowed and blocked:
        raise invalid(
            "'blocked_domains' cannot be combined with nonempty 'allowed_domains'.",
            f"{param}.blocked_domains",
            "invalid_value",
        )
    for index, domain in enumerate(blocked):
        if "*" in domain:
            raise invalid(
                "Wildcard domains are not supported.", f"{param}.blocked_domains[{index}]", "invalid_value"
            )
    return {"access": network["access"], "allowed_domains": allowed, "_blocked_domains": blocked}


def check_file(ctx: Context, item: dict[str, Any], prefix: str) -> dict[str, Any]:
    """One file of a template or an environment, `{type: file_id|inline, path, ...}`, as stored."""
    path = item["path"]
    if not (path == WORKSPACE or path.startswith(WORKSPACE + "/")) or "/../" in path + "/":
        raise invalid(
            f"Invalid 'path': '{path}' must be an absolute path inside {WORKSPACE}.",
            f"{prefix}path",
            "invalid_value",
        )
    if item["type"] == "file_id":
        uploaded = ctx.store.get(FILE_KIND, item["file_id"])
        if uploaded is None:
            raise not_found(f"No file found with id '{item['file_id']}'.", f"{prefix}file_id")
        return {
            "file_id": item["file_id"],
            "path": path,
            "type": "file_id",
            "_size_bytes": int(uploaded.get("bytes") or 0),
        }
    try:
        data = base64.b64decode(item["data"], validate=True)
    except (binascii.Error, ValueError):
        raise invalid(
            "Invalid 'data': expected base64-encoded file contents.", f"{prefix}data", "invalid_value"
        ) from None
    return {"path": path, "size_bytes": len(data), "type": "inline"}


def check_files(ctx: Context, files: list[dict[str, Any]] | None, param: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(files or []):
        where = f"{param}[{index}]"
        if item["path"] in seen:
            raise invalid(f"Duplicate file path '{item['path']}'.", f"{where}.path", "invalid_value")
        seen.add(item["path"])
        result.append(check_file(ctx, item, where + "."))
    return result


def apply_template_fields(ctx: Context, body: dict[str, Any], payload: dict[str, Any]) -> None:
    """Set what the payload names; null resets to the default (partial update, as create starts from defaults)."""
    if "name" in payload:
        body["name"] = payload["name"]
    if "capability_directories" in payload:
        body["capability_directories"] = list(payload["capability_directories"] or [])
    if "desktop" in payload:
        body["desktop"] = payload["desktop"]
    if "env" in payload:
        body["_env"] = dict(payload["env"] or {})
    if "files" in payload:
        body["files"] = check_files(ctx, payload["files"], "files")
    if "network" in payload:
        body["network"] = check_network(payload["network"], "network")
    if "packages" in payload:
        packages = payload["packages"] or {}
        body["packages"] = {key: list(packages.get(key) or []) for key in ("npm", "python", "system")}
    if "plugins" in payload:
        body["plugins"] = [{"name": p["name"], "type": "inline"} for p in payload["plugins"] or []]
    if "setup_commands" in payload:
        body["_setup_commands"] = [dict(c) for c in payload["setup_commands"] or []]
    if "skills" in payload:
        skills = []
        for skill in payload["skills"] or []:
            if skill["type"] == "skill_reference":
                skills.append(
                    {
                        "skill_id": skill["skill_id"],
                        "type": "skill_reference",
                        "version": skill.get("version"),
                    }
                )
            else:
                skills.append({"name": skill["name"], "description": skill["description"], "type": "inline"})
        body["skills"] = skills


def render_template(body: dict[str, Any]) -> dict[str, Any]:
    shown = public(body)
    shown["files"] = [public(f) for f in body["files"]]
    shown["network"] = public(body["network"])
    return shown


def create_template(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    payload = check_body(schemas.CREATE_ENVIRONMENT_TEMPLATE, request.body)
    now = ctx.now()
    body: dict[str, Any] = {
        "id": new_id("envtpl_"),
        "object": TEMPLATE,
        "created_at": now,
        "updated_at": now,
        "name": None,
        "capability_directories": [],
        "files": [],
        "network": check_network(None, "network"),
        "packages": {"npm": [], "python": [], "system": []},
        "plugins": [],
        "skills": [],
        "desktop": None,
        "_env": {},
        "_setup_commands": [],
    }
    apply_template_fields(ctx, body, payload)
    ctx.store.insert(TEMPLATE, body)
    return Reply(render_template(body))


def retrieve_template(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    return Reply(render_template(load_template(ctx, request.path_params["environment_template_id"])))


def update_template(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    body = load_template(ctx, request.path_params["environment_template_id"])
    payload = check_body(schemas.UPDATE_ENVIRONMENT_TEMPLATE, request.body)
    apply_template_fields(ctx, body, payload)
    body["updated_at"] = max(ctx.now(), body["updated_at"] + 1)
    ctx.store.replace(TEMPLATE, body)
    return Reply(render_template(body))


def delete_template(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    template_id = request.path_params["environment_template_id"]
    load_template(ctx, template_id)
    ctx.store.delete(TEMPLATE, template_id)
    return Reply({"id": template_id, "object": "agent.environment.template.deleted", "deleted": True})


def list_templates(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    query = parse_list_query(request.query, allow_before=False)
    page = ctx.store.page(TEMPLATE, limit=query.limit, order=query.order, after=query.after)
    return Reply(list_envelope(page, render_template))


# Environments: one provisioned from a template (or inline configuration), with its files.


def provision(ctx: Context, config: dict[str, Any], param: str) -> dict[str, Any]:
    """A hosted environment from `{type: openai_hosted, environment_template_id?, ...inline}`; stored."""
    extra = sorted(set(config) - set(schemas.HOSTED_ENVIRONMENT.props))
    if extra:
        raise invalid(f"Unknown parameter: '{param}.{extra[0]}'.", f"{param}.{extra[0]}", "unknown_parameter")
    if config.get("environment_id"):
        body = ctx.store.get(ENVIRONMENT, config["environment_id"])
        if body is None:
            raise not_found(
                f"No environment found with id '{config['environment_id']}'.", f"{param}.environment_id"
            )
        return body
    base: dict[str, Any] = {
        "capability_directories": [],
        "files": [],
        "packages": {"npm": [], "python": [], "system": []},
        "network": check_network(None, f"{param}.network"),
        "plugins": [],
        "skills": [],
        "desktop": None,
        "_env": {},
        "_setup_commands": [],
    }
    if config.get("environment_template_id"):
        template = load_template(ctx, config["environment_template_id"], f"{param}.environment_template_id")
        base.update(copy.deepcopy({k: template[k] for k in base}))
        base["_template_id"] = template["id"]
    overrides = {
        k: v for k, v in config.items() if k not in ("type", "environment_template_id", "container_size")
    }
    apply_template_fields(ctx, base, overrides)
    base["_installed_skills"] = install_skills(ctx, base["skills"], param)
    body = {
        "id": new_id("env_"),
        "object": ENVIRONMENT,
        "type": "openai_hosted",
        "status": "ready",
        "container_size": config.get("container_size"),
        **base,
    }
    for item in body["files"]:
        item.setdefault("id", new_id("envfile_"))
    ctx.store.insert(ENVIRONMENT, body)
    return body


def hosted_files(body: dict[str, Any]) -> list[dict[str, Any]]:
    result = []
    for item in body["files"]:
        if item["type"] == "file_id":
            result.append(
                {
                    "id": item["id"],
                    "file_id": item["file_id"],
                    "path": item["path"],
                    "size_bytes": item["_size_bytes"],
                    "type": "file_id",
                }
            )
        else:
            result.append(
                {"id": item["id"], "path": item["path"], "size_bytes": item["size_bytes"], "type": "inline"}
            )
    return result


def render_environment(body: dict[str, Any]) -> dict[str, Any]:
    """The SDK's EnvironmentInfo."""
    return {
        "id": body["id"],
        "object": ENVIRONMENT,
        "type": body["type"],
        "status": body["status"],
        "files": hosted_files(body),
        "plugins": body["plugins"],
        "skills": skills_of(body),
    }


def session_view(body: dict[str, Any]) -> dict[str, Any]:
    """The environment as a session shows it (the SDK's EnvironmentResourceOpenAIHosted)."""
    return {
        "id": body["id"],
        "type": "openai_hosted",
        "capability_directories": body["capability_directories"],
        "files": hosted_files(body),
        "network": public(body["network"]),
        "packages": body["packages"],
        "plugins": body["plugins"],
        "skills": skills_of(body),
        "container_size": body.get("container_size"),
    }


def skills_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The skills installed in the environment (the SDK's HostedSkill), resolved when it was provisioned.

    Environments stored before skills were installed have none."""
    return [dict(skill) for skill in body.get("_installed_skills", [])]


def install_skills(ctx: Context, requested: list[dict[str, Any]], param: str) -> list[dict[str, Any]]:
    """Resolve the template's skill selectors against the Skills API, as a session start does.

    A reference without a version installs the skill's default version, `latest` its latest one,
    a number that version; its name and description are that version's. Inline skills install as declared.
    """
    installed: list[dict[str, Any]] = []
    for index, skill in enumerate(requested):
        where = f"{param}.skills[{index}]"
        if skill["type"] == "inline":
            installed.append({"description": skill["description"], "name": skill["name"], "type": "inline"})
            continue
        found = ctx.store.get(skills.SKILL, skill["skill_id"])
        if found is None:
            raise not_found(
                f"No skill found with id '{skill['skill_id']}'.", f"{where}.skill_id", "not_found"
            )
        selector = skill.get("version")
        number = {None: found["default_version"], "latest": found["latest_version"]}.get(selector, selector)
        versions = {v["version"]: v for v in ctx.store.children(skills.VERSION, found["id"])}
        if number not in versions:
            raise not_found(
                f"No version '{selector}' of skill '{found['id']}'.", f"{where}.version", "not_found"
            )
        version = versions[number]
        installed.append(
            {
                "description": version["description"],
                "name": version["name"],
                "skill_id": found["id"],
                "type": "skill_reference",
                "version": number,
            }
        )
    return installed


def load_environment(ctx: Context, environment_id: str) -> dict[str, Any]:
    body = ctx.store.get(ENVIRONMENT, environment_id)
    if body is None:
        raise not_found(f"No environment found with id '{environment_id}'.", None, "not_found")
    return body


def create_environment(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    payload = check_body(schemas.CREATE_ENVIRONMENT, request.body)
    if payload["environment"]["type"] != "openai_hosted":
        raise invalid(
            "Only 'openai_hosted' environments can be created.", "environment.type", "invalid_value"
        )
    for index, vault_id in enumerate(payload.get("vault_ids") or []):
        raise not_found(f"No vault found with id '{vault_id}'.", f"vault_ids[{index}]")
    return Reply(render_environment(provision(ctx, payload["environment"], "environment")))


def retrieve_environment(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    return Reply(render_environment(load_environment(ctx, request.path_params["environment_id"])))


def list_environments(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    query = parse_list_query(request.query, allow_before=False)
    page = ctx.store.page(ENVIRONMENT, limit=query.limit, order=query.order, after=query.after)
    return Reply(list_envelope(page, render_environment))


def environment_file(body: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """The SDK's EnvironmentFile."""
    size = item["_size_bytes"] if item["type"] == "file_id" else item["size_bytes"]
    return {"environment_id": body["id"], "object": FILE_OBJECT, "path": item["path"], "size_bytes": size}


def check_destination(path: str, param: str) -> None:
    """A file's destination as the SDK's upload helpers require it (lib/beta/agents/_files.py)."""
    parts = path.split("/")[1:]
    if (
        not path.startswith(WORKSPACE + "/")
        or "\x00" in path
        or "\\" in path
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise invalid(
            f"Invalid 'path': '{path}' must be an absolute file path inside {WORKSPACE}, without "
            "empty, '.' or '..' components.",
            param,
            "invalid_value",
        )
    if parts[1] in RESERVED_DIRECTORIES or parts[1].startswith(".managed-agents-") or path == OUTPUTS:
        raise invalid(f"Invalid 'path': '{path}' is a reserved environment path.", param, "invalid_value")


def create_environment_file(ctx: Context, request: ApiRequest) -> Reply:
    """Stage one file (inline bytes or an uploaded file's id) in an environment; it replaces a file
    at the same path. A file cannot sit where a directory of other files is, nor under another file."""
    require_beta_header(request)
    body = load_environment(ctx, request.path_params["environment_id"])
    payload = check_body(schemas.CREATE_ENVIRONMENT_FILE, request.body)
    path = payload["path"]
    check_destination(path, "path")
    for other in body["files"]:
        if other["path"] != path and (
            path.startswith(other["path"] + "/") or other["path"].startswith(path + "/")
        ):
            raise invalid(
                f"Invalid 'path': '{path}' conflicts with the file at '{other['path']}'.",
                "path",
                "invalid_value",
            )
    item = check_file(ctx, payload, "")
    same = [index for index, other in enumerate(body["files"]) if other["path"] == path]
    if same:
        item["id"] = body["files"][same[0]]["id"]
        body["files"][same[0]] = item
    else:
        item["id"] = new_id("envfile_")
        body["files"].append(item)
    ctx.store.replace(ENVIRONMENT, body)
    return Reply(environment_file(body, item))


def page_token(path: str) -> str:
    return base64.urlsafe_b64encode(path.encode()).decode()


def read_page_token(token: str) -> str:
    """The last path of the previous page; anything that is not a token this listing made is refused."""
    try:
        path = base64.b64decode(token.replace("-", "+").replace("_", "/"), validate=True).decode()
    except (binascii.Error, ValueError):
        path = ""
    if not path.startswith(WORKSPACE + "/"):
        raise invalid(
            "Invalid 'page': not a token from a previous page of this listing.", "page", "invalid_value"
        )
    return path


def list_environment_files(ctx: Context, request: ApiRequest) -> Reply:
    """Files under `path` (a workspace directory; all when omitted), ordered by path (descending unless
    `order=asc`), `limit` per page, the next page named by the opaque `next` token."""
    require_beta_header(request)
    body = load_environment(ctx, request.path_params["environment_id"])
    query = parse_list_query(request.query, allow_before=False)
    directory = request.query.get("path")
    if directory is not None and not (directory == WORKSPACE or directory.startswith(WORKSPACE + "/")):
        raise invalid(
            f"Invalid 'path': '{directory}' must be an absolute directory inside {WORKSPACE}.",
            "path",
            "invalid_value",
        )
    scope = (directory or WORKSPACE).rstrip("/")
    files = sorted(
        (f for f in body["files"] if f["path"] == scope or f["path"].startswith(scope + "/")),
        key=lambda f: f["path"].split("/"),
        reverse=query.order == "desc",
    )
    if "page" in request.query:
        after = read_page_token(request.query["page"]).split("/")
        files = [
            f
            for f in files
            if (f["path"].split("/") < after if query.order == "desc" else f["path"].split("/") > after)
        ]
    shown = files[: query.limit]
    more = len(files) > query.limit
    return Reply(
        {
            "object": "list",
            "data": [environment_file(body, f) for f in shown],
            "has_more": more,
            "next": page_token(shown[-1]["path"]) if more else None,
        }
    )


ENDPOINTS = (
    Endpoint("GET", "/v1/agents/environments/templates", list_templates),
    Endpoint("POST", "/v1/agents/environments/templates", create_template),
    Endpoint("GET", "/v1/agents/environments/templates/{environment_template_id}", retrieve_template),
    Endpoint("POST", "/v1/agents/environments/templates/{environment_template_id}", update_template),
    Endpoint("DELETE", "/v1/agents/environments/templates/{environment_template_id}", delete_template),
    Endpoint("GET", "/v1/agents/environments", list_environments),
    Endpoint("POST", "/v1/agents/environments", create_environment),
    Endpoint("GET", "/v1/agents/environments/{environment_id}", retrieve_environment),
    Endpoint("GET", "/v1/agents/environments/{environment_id}/files", list_environment_files),
    Endpoint("POST", "/v1/agents/environments/{environment_id}/files", create_environment_file),
)
