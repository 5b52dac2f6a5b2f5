"""`/v1/vaults` and `/v1/vaults/{id}/credentials` (beta, header `OpenAI-Beta: agents=v1`).

Secret values are write-only: the store keeps only a SHA-256 of each secret (a private `_` key, so
a rotation can be observed), and no response ever carries a secret, as the SDK's `Credential`
type promises ("Metadata for a stored credential. Secret values are never returned.").
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

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
from orchestrator.emulator.schemas import METADATA
from orchestrator.emulator.validation import Arr, Map, Obj, Str, Tagged, check_body

VAULT = "vault"
CREDENTIAL = "vault_credential"
NAME = Str(min_length=1, max_length=256)
SECRET = Str(min_length=1)
SECRET_NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"
HOST = Str(pattern=r"[A-Za-z0-9.\-]+", max_length=253)
NETWORKING = Tagged(
    {
        "unrestricted": Obj({"type": Str()}),
        "limited": Obj(
            {"type": Str(), "allowed_hosts": Arr(HOST, min_items=1, max_items=16)},
            required=("allowed_hosts",),
        ),
    }
)
ENDPOINT_AUTH = Tagged(
    {
        "none": Obj({"type": Str()}),
        "client_secret_basic": Obj({"type": Str(), "client_secret": SECRET}, required=("client_secret",)),
        "client_secret_post": Obj({"type": Str(), "client_secret": SECRET}, required=("client_secret",)),
    }
)
ENDPOINT_AUTH_ROTATE = Tagged(
    {
        "none": Obj({"type": Str()}),
        "client_secret_basic": Obj({"type": Str(), "client_secret": Str(min_length=1, nullable=True)}),
        "client_secret_post": Obj({"type": Str(), "client_secret": Str(min_length=1, nullable=True)}),
    },
    nullable=True,
)
REFRESH = Obj(
    {
        "client_id": Str(min_length=1),
        "refresh_token": SECRET,
        "token_endpoint": Str(pattern=r"https://\S+"),
        "token_endpoint_auth": ENDPOINT_AUTH,
        "resource": Str(nullable=True),
        "scope": Str(nullable=True),
    },
    required=("client_id", "refresh_token", "token_endpoint", "token_endpoint_auth"),
    nullable=True,
)
MCP_URL = Str(pattern=r"https://\S+")
AUTH_CREATE = Tagged(
    {
        "mcp_oauth": Obj(
            {
                "type": Str(),
                "access_token": SECRET,
                "mcp_server_url": MCP_URL,
                "expires_at": Str(nullable=True),
                "refresh": REFRESH,
            },
            required=("access_token", "mcp_server_url"),
        ),
        "static_bearer": Obj(
            {"type": Str(), "token": SECRET, "mcp_server_url": MCP_URL}, required=("token", "mcp_server_url")
        ),
        "environment_variable": Obj(
            {
                "type": Str(),
                "networking": NETWORKING,
                "secret_name": Str(pattern=SECRET_NAME_PATTERN),
                "secret_value": Str(min_length=1, pattern=r"[^\r\n\x00]+"),
            },
            required=("networking", "secret_name", "secret_value"),
        ),
    }
)
AUTH_ROTATE = Tagged(
    {
        "mcp_oauth": Obj(
            {
                "type": Str(),
                "access_token": Str(min_length=1, nullable=True),
                "expires_at": Str(nullable=True),
                "refresh": Obj(
                    {
                        "refresh_token": Str(min_length=1, nullable=True),
                        "scope": Str(nullable=True),
                        "token_endpoint_auth": ENDPOINT_AUTH_ROTATE,
                    },
                    nullable=True,
                ),
            },
        ),
        "static_bearer": Obj({"type": Str(), "token": SECRET}, required=("token",)),
        "environment_variable": Obj(
            {"type": Str(), "secret_value": Str(min_length=1, pattern=r"[^\r\n\x00]+")},
            required=("secret_value",),
        ),
    }
)
CREATE_VAULT = Obj({"name": NAME, "metadata": Map(Str(max_length=512), nullable=True)})
UPDATE_VAULT = Obj({"name": Str(min_length=1, max_length=256, nullable=True), "metadata": METADATA})
CREATE_CREDENTIAL = Obj({"name": NAME, "auth": AUTH_CREATE, "metadata": METADATA}, required=("name", "auth"))
UPDATE_CREDENTIAL = Obj({"auth": AUTH_ROTATE, "metadata": METADATA})
RESERVED_SECRET_NAMES = re.compile(r"^(CODEX_|HTTPS?_PROXY$|NO_PROXY$|SSL_CERT_)", re.IGNORECASE)


def load_vault(ctx: Context, vault_id: str) -> dict[str, Any]:
    body = ctx.store.get(VAULT, vault_id)
    if body is None:
        raise not_found(f"No vault found with id '{vault_id}'.", None, "not_found")
    return body


def load_credential(ctx: Context, vault_id: str, credential_id: str) -> dict[str, Any]:
    load_vault(ctx, vault_id)
    body = ctx.store.get(CREDENTIAL, credential_id, parent=vault_id)
    if body is None:
        raise not_found(
            f"No credential found with id '{credential_id}' in vault '{vault_id}'.", None, "not_found"
        )
    return body


def trimmed_name(value: str, param: str = "name") -> str:
    name = value.strip()
    if not name or len(name.encode()) > 256:
        raise invalid(f"Invalid '{param}': a name must contain 1 to 256 UTF-8 bytes after trimming.", param)
    return name


# Vaults


def create_vault(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    payload = check_body(CREATE_VAULT, request.body or {})
    body: dict[str, Any] = {
        "id": new_id("vault_"),
        "object": "vault",
        "created_at": ctx.now(),
        "name": trimmed_name(payload["name"]) if "name" in payload else None,
        "metadata": dict(payload.get("metadata") or {}),
    }
    ctx.store.insert(VAULT, body)
    return Reply(public(body))


def retrieve_vault(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    return Reply(public(load_vault(ctx, request.path_params["vault_id"])))


def update_vault(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    body = load_vault(ctx, request.path_params["vault_id"])
    payload = check_body(UPDATE_VAULT, request.body or {})
    if "name" in payload:
        body["name"] = trimmed_name(payload["name"]) if payload["name"] is not None else None
    if "metadata" in payload:
        body["metadata"] = dict(payload["metadata"])
    ctx.store.replace(VAULT, body)
    return Reply(public(body))


def delete_vault(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    vault_id = request.path_params["vault_id"]
    load_vault(ctx, vault_id)
    ctx.store.delete_children(CREDENTIAL, vault_id)
    ctx.store.delete(VAULT, vault_id)
    return Reply({"id": vault_id, "object": "vault.deleted", "deleted": True})


def list_vaults(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    query = parse_list_query(request.query, allow_before=False)
    page = ctx.store.page(VAULT, limit=query.limit, order=query.order, after=query.after)
    return Reply(list_envelope(page, public))


# Credentials


def secret_digest(*values: str | None) -> str:
    """What the store keeps of the secrets: a digest, enough to see a rotation, never the value."""
    joined = "\x00".join(value or "" for value in values)
    return hashlib.sha256(joined.encode()).hexdigest()


def public_auth(auth: dict[str, Any]) -> dict[str, Any]:
    """The non-secret part of an auth, shaped as the SDK's `CredentialAuth`."""
    kind = auth["type"]
    if kind == "static_bearer":
        return {"type": kind, "mcp_server_url": auth["mcp_server_url"]}
    if kind == "environment_variable":
        return {"type": kind, "networking": auth["networking"], "secret_name": auth["secret_name"]}
    refresh = auth.get("refresh")
    shown: dict[str, Any] = {
        "type": kind,
        "mcp_server_url": auth["mcp_server_url"],
        "expires_at": auth.get("expires_at"),
    }
    if refresh:
        shown["refresh"] = {
            "client_id": refresh["client_id"],
            "token_endpoint": refresh["token_endpoint"],
            "token_endpoint_auth": {"type": refresh["token_endpoint_auth"]["type"]},
            "resource": refresh.get("resource"),
            "scope": refresh.get("scope"),
        }
    else:
        shown["refresh"] = None
    return shown


def secrets_of(auth: dict[str, Any]) -> tuple[str | None, ...]:
    refresh = auth.get("refresh") or {}
    endpoint = refresh.get("token_endpoint_auth") or {}
    return (
        auth.get("token"),
        auth.get("secret_value"),
        auth.get("access_token"),
        refresh.get("refresh_token"),
        endpoint.get("client_secret"),
    )


def create_credential(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    vault_id = request.path_params["vault_id"]
    load_vault(ctx, vault_id)
    payload = check_body(CREATE_CREDENTIAL, request.body)
    auth = payload["auth"]
    if auth["type"] == "environment_variable" and RESERVED_SECRET_NAMES.match(auth["secret_name"]):
        raise invalid(f"Invalid 'auth.secret_name': '{auth['secret_name']}' is reserved.", "auth.secret_name")
    if auth["type"] == "environment_variable" and auth["networking"]["type"] == "limited":
        auth["networking"]["allowed_hosts"] = sorted({h.lower() for h in auth["networking"]["allowed_hosts"]})
    now = ctx.now()
    body: dict[str, Any] = {
        "id": new_id("cred_"),
        "object": "vault.credential",
        "vault_id": vault_id,
        "name": trimmed_name(payload["name"]),
        "created_at": now,
        "updated_at": now,
        "metadata": dict(payload.get("metadata") or {}),
        "auth": public_auth(auth),
        "_secret_sha256": secret_digest(*secrets_of(auth)),
    }
    ctx.store.insert(CREDENTIAL, body, parent=vault_id)
    return Reply(public(body))


def retrieve_credential(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    params = request.path_params
    return Reply(public(load_credential(ctx, params["vault_id"], params["credential_id"])))


def update_credential(ctx: Context, request: ApiRequest) -> Reply:
    """Metadata is replaced whole; `auth` rotates the secret of the credential's existing method."""
    require_beta_header(request)
    params = request.path_params
    body = load_credential(ctx, params["vault_id"], params["credential_id"])
    payload = check_body(UPDATE_CREDENTIAL, request.body or {})
    if "metadata" in payload:
        body["metadata"] = dict(payload["metadata"])
    auth = payload.get("auth")
    if auth is not None:
        if auth["type"] != body["auth"]["type"]:
            raise invalid(
                f"Invalid 'auth.type': the credential uses '{body['auth']['type']}'; a rotation keeps the method.",
                "auth.type",
            )
        if auth["type"] == "mcp_oauth":
            if "expires_at" in auth:
                body["auth"]["expires_at"] = auth["expires_at"]
            elif auth.get("access_token"):
                body["auth"]["expires_at"] = None
            refresh = auth.get("refresh") or {}
            if "scope" in refresh and body["auth"].get("refresh"):
                body["auth"]["refresh"]["scope"] = refresh["scope"]
        body["_secret_sha256"] = secret_digest(body["_secret_sha256"], *secrets_of(auth))
    body["updated_at"] = max(ctx.now(), body["updated_at"] + 1)
    ctx.store.replace(CREDENTIAL, body, parent=params["vault_id"])
    return Reply(public(body))


def delete_credential(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    params = request.path_params
    load_credential(ctx, params["vault_id"], params["credential_id"])
    ctx.store.delete(CREDENTIAL, params["credential_id"], parent=params["vault_id"])
    return Reply({"id": params["credential_id"], "object": "vault.credential.deleted", "deleted": True})


def list_credentials(ctx: Context, request: ApiRequest) -> Reply:
    require_beta_header(request)
    vault_id = request.path_params["vault_id"]
    load_vault(ctx, vault_id)
    query = parse_list_query(request.query, allow_before=False)
    page = ctx.store.page(
        CREDENTIAL, parent=vault_id, limit=query.limit, order=query.order, after=query.after
    )
    return Reply(list_envelope(page, public))


ENDPOINTS = (
    Endpoint("GET", "/v1/vaults", list_vaults),
    Endpoint("POST", "/v1/vaults", create_vault),
    Endpoint("GET", "/v1/vaults/{vault_id}", retrieve_vault),
    Endpoint("POST", "/v1/vaults/{vault_id}", update_vault),
    Endpoint("DELETE", "/v1/vaults/{vault_id}", delete_vault),
    Endpoint("GET", "/v1/vaults/{vault_id}/credentials", list_credentials),
    Endpoint("POST", "/v1/vaults/{vault_id}/credentials", create_credential),
    Endpoint("GET", "/v1/vaults/{vault_id}/credentials/{credential_id}", retrieve_credential),
    Endpoint("POST", "/v1/vaults/{vault_id}/credentials/{credential_id}", update_credential),
    Endpoint("DELETE", "/v1/vaults/{vault_id}/credentials/{credential_id}", delete_credential),
)
