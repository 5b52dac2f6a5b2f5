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

from orchestrator.emulator import schemas
from orchestrator.emulator.agents import require_beta_header
from orchestrator.emulator.context import (
    ApiRequest,
    Context,
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
        raise invalid("'blocked_domains' cannot be combined with nonempty 'allowed_domains'.",
                      f"{param}.blocked_domains", "invalid_value")
    for index, domain in enumerate(blocked):
        if "*" in domain:
            raise invalid("Wildcard domains are not supported.", f"{param}.blocked_domains[{index}]", "invalid_value")
    return {"access": network["access"], "allowed_domains": allowed, "_blocked_domains": blocked}


def check_files(ctx: Context, files: list[dict[str, Any]] | None, param: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(files or []):
        where = f"{param}[{index}]"
        path = item["path"]
        if not (path == WORKSPACE or path.startswith(WORKSPACE + "/")) or "/../" in path + "/":
            raise invalid(f"Invalid 'path': '{path}' must be an absolute path inside {WORKSPACE}.",
                          f"{where}.path", "invalid_value")
        if path in seen:
            raise invalid(f"Duplicate file path '{path}'.", f"{where}.path", "invalid_value")
        seen.add(path)
        if item["type"] == "file_id":
            uploaded = ctx.store.get(FILE_KIND, item["file_id"])
            if uploaded is None:
                raise not_found(f"No file found with id '{item['file_id']}'.", f"{where}.file_id")
            result.append({"file_id": item["file_id"], "path": path, "type": "file_id",
                           "_size_bytes": int(uploaded.get("bytes") or 0)})
        else:
            try:
                data = base64.b64decode(item["data"], validate=True)
            except (binascii.Error, ValueError):
                raise invalid("Invalid 'data': expected base64-encoded file contents.", f"{where}.data",
                              "invalid_value") from None
            result.append({"path": path, "size_bytes": len(data), "type": "inline"})
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
                skills.append({"skill_id": skill["skill_id"], "type": "skill_reference",
                               "version": skill.get("version")})
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
            raise not_found(f"No environment found with id '{config['environment_id']}'.", f"{param}.environment_id")
        return body
    base: dict[str, Any] = {"capability_directories": [], "files": [], "packages": {"npm": [], "python": [], "system": []},
                            "network": check_network(None, f"{param}.network"), "plugins": [], "skills": [],
                            "desktop": None, "_env": {}, "_setup_commands": []}
    if config.get("environment_template_id"):
        template = load_template(ctx, config["environment_template_id"], f"{param}.environment_template_id")
        base.update(copy.deepcopy({k: template[k] for k in base}))
        base["_template_id"] = template["id"]
    overrides = {k: v for k, v in config.items() if k not in ("type", "environment_template_id", "container_size")}
    apply_template_fields(ctx, base, overrides)
    body = {"id": new_id("env_"), "object": ENVIRONMENT, "type": "openai_hosted", "status": "ready",
            "container_size": config.get("container_size"), **base}
    for item in body["files"]:
        item.setdefault("id", new_id("envfile_"))
    ctx.store.insert(ENVIRONMENT, body)
    return body


def hosted_files(body: dict[str, Any]) -> list[dict[str, Any]]:
    result = []
    for item in body["files"]:
        if item["type"] == "file_id":
            result.append({"id": item["id"], "file_id": item["file_id"], "path": item["path"],
                           "size_bytes": item["_size_bytes"], "type": "file_id"})
        else:
            result.append({"id": item["id"], "path": item["path"], "size_bytes": item["size_bytes"], "type": "inline"})
    return result


def render_environment(body: dict[str, Any]) -> dict[str, Any]:
    """The SDK's EnvironmentInfo."""
    return {"id": body["id"], "object": ENVIRONMENT, "type": body["type"], "status": body["status"],
            "files": hosted_files(body), "plugins": body["plugins"], "skills": skills_of(body)}


def session_view(body: dict[str, Any]) -> dict[str, Any]:
    """The environment as a session shows it (the SDK's EnvironmentResourceOpenAIHosted)."""
    return {"id": body["id"], "type": "openai_hosted", "capability_directories": body["capability_directories"],
            "files": hosted_files(body), "network": public(body["network"]), "packages": body["packages"],
            "plugins": body["plugins"], "skills": skills_of(body), "container_size": body.get("container_size")}


def skills_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Installed skills: none yet (skill resources arrive with issue 16; templates keep the references)."""
    return []


def load_environment(ctx: Context, environment_id: str) -> dict[str, Any]:
    body = ctx.store.get(ENVIRONMENT, environment_id)
    if body is None:
        raise not_found(f"No environment found with id '{environment_id}'.", None, "not_found")
    return body


def create_environment(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    payload = check_body(schemas.CREATE_ENVIRONMENT, request.body)
    if payload["environment"]["type"] != "openai_hosted":
        raise invalid("Only 'openai_hosted' environments can be created.", "environment.type", "invalid_value")
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


def list_environment_files(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    body = load_environment(ctx, request.path_params["environment_id"])
    wanted = request.query.get("path")
    data = [{"environment_id": body["id"], "object": "agent.environment.file", "path": f["path"],
             "size_bytes": f["size_bytes"]} for f in hosted_files(body) if wanted in (None, f["path"])]
    return Reply({"object": "list", "data": data, "first_id": None, "last_id": None, "has_more": False,
                  "next_page": None})
