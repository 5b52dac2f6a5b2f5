"""`/v1/files`: multipart upload, list, retrieve, delete, content."""

from __future__ import annotations

import json
from typing import Any

from orchestrator.emulator import vector_stores
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
from orchestrator.emulator.schemas import FILE_PURPOSES
from orchestrator.emulator.validation import Num, Obj, Str, check_body

KIND = "file"
FORM_FIELDS = {"file", "purpose", "expires_after", "expires_after[anchor]", "expires_after[seconds]"}
FILE_EXPIRES_AFTER = Obj(
    {"anchor": Str(enum=("created_at",)), "seconds": Num(3600, 2592000, integer=True)},
    required=("anchor", "seconds"),
)


def load_file(ctx: Context, file_id: str) -> dict[str, Any]:
    body = ctx.store.get(KIND, file_id)
    if body is None:
        raise not_found(f"No such File object: {file_id}", "id")
    return body


def read_expires_after(form: dict[str, Any]) -> dict[str, Any] | None:
    if "expires_after" in form:
        try:
            value = json.loads(form["expires_after"])
        except (TypeError, ValueError):
            raise invalid("Invalid 'expires_after': expected a JSON object.", "expires_after") from None
        check_body(Obj({"expires_after": FILE_EXPIRES_AFTER}), {"expires_after": value})
        return value
    if "expires_after[anchor]" in form or "expires_after[seconds]" in form:
        raw_seconds = form.get("expires_after[seconds]")
        try:
            seconds: object = int(raw_seconds) if raw_seconds is not None else None
        except (TypeError, ValueError):
            seconds = raw_seconds
        value = {
            k: v
            for k, v in {"anchor": form.get("expires_after[anchor]"), "seconds": seconds}.items()
            if v is not None
        }
        check_body(Obj({"expires_after": FILE_EXPIRES_AFTER}), {"expires_after": value})
        return value
    return None


def upload(ctx: Context, request: ApiRequest) -> Reply:
    form = dict(request.form)
    for key in form:
        if key not in FORM_FIELDS:
            raise invalid(f"Unknown parameter: '{key}'.", key, "unknown_parameter")
    upload_file = form.get("file")
    if upload_file is None:
        raise invalid("Missing required parameter: 'file'.", "file", "missing_required_parameter")
    if not isinstance(upload_file, Upload):
        raise invalid("Invalid 'file': expected a file upload, but got a string instead.", "file")
    purpose = form.get("purpose")
    if purpose is None:
        raise invalid("Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter")
    if purpose not in FILE_PURPOSES:
        supported = ", ".join(f"'{p}'" for p in FILE_PURPOSES)
        raise invalid(
            f"Invalid value: '{purpose}'. Supported values are: {supported}.", "purpose", "invalid_value"
        )
    expires_after = read_expires_after(form)
    created_ms = ctx.clock_ms()
    created_at = created_ms // 1000
    body: dict[str, Any] = {
        "id": new_id("file-"),
        "object": "file",
        "bytes": upload_file.size,
        "created_at": created_at,
        "filename": upload_file.filename,
        "purpose": purpose,
        "status": "processed",
        "_created_ms": created_ms,
    }
    if expires_after is not None:
        body["expires_at"] = created_at + int(expires_after["seconds"])
    ctx.store.put_blob_from(body["id"], upload_file.file, upload_file.size)
    ctx.store.insert(KIND, body, tag=purpose)
    return Reply(public(body))


def list_files(ctx: Context, request: ApiRequest) -> Reply:
    query = parse_list_query(request.query, max_limit=10000, default_limit=10000, allow_before=False)
    purpose = request.query.get("purpose")
    page = ctx.store.page(KIND, limit=query.limit, order=query.order, after=query.after, tag=purpose)
    return Reply(list_envelope(page, public))


def retrieve(ctx: Context, request: ApiRequest) -> Reply:
    return Reply(public(load_file(ctx, request.path_params["file_id"])))


def delete(ctx: Context, request: ApiRequest) -> Reply:
    file_id = request.path_params["file_id"]
    load_file(ctx, file_id)
    vector_stores.detach_everywhere(ctx, file_id)
    ctx.store.delete(KIND, file_id)
    ctx.store.delete_blob(file_id)
    return Reply({"id": file_id, "object": "file", "deleted": True})


def content(ctx: Context, request: ApiRequest) -> Reply:
    file_id = request.path_params["file_id"]
    load_file(ctx, file_id)
    data = ctx.store.get_blob(file_id) or b""
    return Reply(None, raw=data, media_type="application/octet-stream")


ENDPOINTS = (
    Endpoint("GET", "/v1/files", list_files),
    Endpoint("POST", "/v1/files", upload, uploads=True),
    Endpoint("GET", "/v1/files/{file_id}", retrieve),
    Endpoint("DELETE", "/v1/files/{file_id}", delete),
    Endpoint("GET", "/v1/files/{file_id}/content", content),
)
