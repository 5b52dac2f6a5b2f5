"""`/v1/vector_stores`: stores, their files, file batches and search.

Ingestion is modelled by timestamps: an attached file is `in_progress` until `_ready_ms`
(attach time + the `ingest_ms` setting), then `completed`, or `failed` when its name contains
FAIL_INGEST. Statuses, `file_counts` and `usage_bytes` are computed from the rows on every read,
so they are right however requests interleave.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from orchestrator.emulator import schemas, search
from orchestrator.emulator.context import (
    ApiRequest,
    Context,
    Endpoint,
    Reply,
    list_envelope,
    new_id,
    parse_list_query,
    pick,
    public,
)
from orchestrator.emulator.errors import ApiError, invalid, not_found
from orchestrator.emulator.validation import check_body

STORE = "vector_store"
STORE_FILE = "vector_store.file"
BATCH = "vector_store.files_batch"
FILE = "file"
AUTO_CHUNKING = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
FILE_STATUSES = ("in_progress", "completed", "failed", "cancelled")
DAY = 86400


def load_store(ctx: Context, store_id: str) -> dict[str, Any]:
    body = ctx.store.get(STORE, store_id)
    if body is None:
        raise not_found(f"No vector store found with id '{store_id}'.")
    return body


def file_status(body: dict[str, Any], as_of_ms: int) -> str:
    if body.get("_cancelled"):
        return "cancelled"
    if as_of_ms < body["_ready_ms"]:
        return "in_progress"
    return "failed" if body.get("_failure") else "completed"


def render_store_file(body: dict[str, Any], as_of_ms: int) -> dict[str, Any]:
    status = file_status(body, as_of_ms)
    rendered = public(body)
    rendered["status"] = status
    rendered["last_error"] = body["_failure"] if status == "failed" else None
    rendered["usage_bytes"] = body["_bytes"] if status == "completed" else 0
    return rendered


def count_files(files: list[dict[str, Any]], as_of_ms: int) -> dict[str, int]:
    counts = Counter(file_status(body, as_of_ms) for body in files)
    result = {status: counts.get(status, 0) for status in FILE_STATUSES}
    result["total"] = len(files)
    return result


def render_store(ctx: Context, body: dict[str, Any], as_of_ms: int | None = None) -> dict[str, Any]:
    as_of = ctx.clock_ms() if as_of_ms is None else as_of_ms
    files = ctx.store.children(STORE_FILE, body["id"])
    counts = count_files(files, as_of)
    rendered = public(body)
    rendered["file_counts"] = counts
    rendered["usage_bytes"] = sum(f["_bytes"] for f in files if file_status(f, as_of) == "completed")
    expires_at = rendered.get("expires_at")
    if expires_at is not None and expires_at <= as_of // 1000:
        rendered["status"] = "expired"
    else:
        rendered["status"] = "in_progress" if counts["in_progress"] else "completed"
    return rendered


def resolve_chunking(strategy: dict[str, Any] | None) -> dict[str, Any]:
    if strategy is None or strategy.get("type") == "auto":
        return AUTO_CHUNKING
    static = strategy["static"]
    if static["chunk_overlap_tokens"] > static["max_chunk_size_tokens"] / 2:
        raise invalid(
            "Invalid 'chunking_strategy.static.chunk_overlap_tokens': must not exceed half of "
            "'max_chunk_size_tokens'.",
            "chunking_strategy.static.chunk_overlap_tokens",
        )
    return {"type": "static", "static": dict(static)}


def load_uploaded_file(ctx: Context, file_id: str, param: str) -> dict[str, Any]:
    body = ctx.store.get(FILE, file_id)
    if body is None:
        raise invalid(f"No file found with id '{file_id}'.", param)
    race_ms = ctx.faults.settings.attach_race_ms
    if race_ms and ctx.clock_ms() - body.get("_created_ms", 0) < race_ms:
        raise invalid(f"File {file_id} is still being processed. Please try again in a moment.", param)
    return body


def attach(
    ctx: Context,
    store_id: str,
    file_id: str,
    *,
    chunking: dict[str, Any] | None,
    attributes: dict[str, Any] | None,
    batch_id: str | None = None,
    param: str = "file_id",
) -> dict[str, Any]:
    """Attach (or re-tag) one file; attaching an attached file returns the existing row."""
    uploaded = load_uploaded_file(ctx, file_id, param)
    existing = ctx.store.get(STORE_FILE, file_id, parent=store_id)
    if existing is not None:
        if batch_id is not None:
            existing["_batch_id"] = batch_id
            ctx.store.replace(STORE_FILE, existing, parent=store_id, tag=batch_id)
        return existing
    now = ctx.clock_ms()
    filename = uploaded.get("filename", "")
    failure = None
    if "FAIL_INGEST" in filename:
        code = "invalid_file" if "FAIL_INGEST_INVALID" in filename else "unsupported_file"
        failure = {"code": code, "message": f"The file {file_id} could not be parsed ({code})."}
    body = {
        "id": file_id,
        "object": "vector_store.file",
        "usage_bytes": 0,
        "created_at": now // 1000,
        "vector_store_id": store_id,
        "status": "in_progress",
        "last_error": None,
        "chunking_strategy": resolve_chunking(chunking),
        "attributes": attributes if attributes is not None else {},
        "_ready_ms": now + ctx.faults.settings.ingest_ms,
        "_failure": failure,
        "_cancelled": False,
        "_bytes": int(uploaded.get("bytes", 0)),
        "_batch_id": batch_id,
    }
    ctx.store.insert(STORE_FILE, body, parent=store_id, tag=batch_id)
    return body


def create_store_record(
    ctx: Context,
    *,
    name: str | None,
    file_ids: list[str],
    chunking: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
    expires_after: dict[str, Any] | None = None,
    description: str | None = None,
    param: str = "file_ids",
) -> dict[str, Any]:
    created_at = ctx.now()
    body: dict[str, Any] = {
        "id": new_id("vs_"),
        "object": "vector_store",
        "created_at": created_at,
        "name": name or "",
        "usage_bytes": 0,
        "file_counts": {},
        "status": "completed",
        "expires_at": None,
        "last_active_at": created_at,
        "metadata": metadata or {},
        "_description": description,
    }
    if expires_after is not None:
        body["expires_after"] = expires_after
        body["expires_at"] = created_at + expires_after["days"] * DAY
    with ctx.store.transaction():
        ctx.store.insert(STORE, body)
        for index, file_id in enumerate(file_ids):
            attach(ctx, body["id"], file_id, chunking=chunking, attributes=None, param=f"{param}[{index}]")
    return body


def create(ctx: Context, request: ApiRequest) -> Reply:
    payload = check_body(schemas.CREATE_VECTOR_STORE, request.body)
    chunking = payload.get("chunking_strategy")
    resolve_chunking(chunking)
    started = ctx.clock_ms()  # the response shows the store as it was when its files were attached
    body = create_store_record(
        ctx,
        name=payload.get("name"),
        file_ids=payload.get("file_ids") or [],
        chunking=chunking,
        metadata=payload.get("metadata"),
        expires_after=payload.get("expires_after"),
        description=payload.get("description"),
    )
    return Reply(render_store(ctx, body, started - 1 if payload.get("file_ids") else None))


def list_stores(ctx: Context, request: ApiRequest) -> Reply:
    query = parse_list_query(request.query)
    page = ctx.store.page(STORE, limit=query.limit, order=query.order, after=query.after, before=query.before)
    return Reply(list_envelope(page, lambda body: render_store(ctx, body)))


def retrieve(ctx: Context, request: ApiRequest) -> Reply:
    return Reply(render_store(ctx, load_store(ctx, request.path_params["vector_store_id"])))


def modify(ctx: Context, request: ApiRequest) -> Reply:
    body = load_store(ctx, request.path_params["vector_store_id"])
    payload = check_body(schemas.MODIFY_VECTOR_STORE, request.body)
    if "name" in payload:
        body["name"] = pick(payload, "name", "")
    if "metadata" in payload:
        body["metadata"] = pick(payload, "metadata", {})
    if "expires_after" in payload:
        expires_after = payload["expires_after"]
        if expires_after is None:
            body.pop("expires_after", None)
            body["expires_at"] = None
        else:
            body["expires_after"] = expires_after
            body["expires_at"] = body["last_active_at"] + expires_after["days"] * DAY
    ctx.store.replace(STORE, body)
    return Reply(render_store(ctx, body))


def delete(ctx: Context, request: ApiRequest) -> Reply:
    store_id = request.path_params["vector_store_id"]
    load_store(ctx, store_id)
    with ctx.store.transaction():
        ctx.store.delete_children(STORE_FILE, store_id)
        ctx.store.delete_children(BATCH, store_id)
        ctx.store.delete(STORE, store_id)
    return Reply({"id": store_id, "object": "vector_store.deleted", "deleted": True})


def detach_everywhere(ctx: Context, file_id: str) -> None:
    """Remove a deleted file from every vector store it was attached to."""
    for store_id in ctx.store.parents_of(STORE_FILE, file_id):
        ctx.store.delete(STORE_FILE, file_id, parent=store_id)


# Vector store files


def load_store_file(ctx: Context, store_id: str, file_id: str) -> dict[str, Any]:
    body = ctx.store.get(STORE_FILE, file_id, parent=store_id)
    if body is None:
        raise not_found(f"No file found with id '{file_id}' in vector store '{store_id}'.")
    return body


def create_file(ctx: Context, request: ApiRequest) -> Reply:
    store_id = request.path_params["vector_store_id"]
    payload = check_body(schemas.CREATE_VECTOR_STORE_FILE, request.body)
    load_store(ctx, store_id)
    body = attach(
        ctx,
        store_id,
        payload["file_id"],
        chunking=payload.get("chunking_strategy"),
        attributes=payload.get("attributes"),
    )
    return Reply(render_store_file(body, body["_ready_ms"] - 1))


def status_condition(status: str, as_of_ms: int) -> tuple[str, list[object]]:
    cancelled = "json_extract(body, '$._cancelled')"
    ready = "json_extract(body, '$._ready_ms')"
    failure = "json_extract(body, '$._failure')"
    conditions = {
        "cancelled": (f"{cancelled} = 1", []),
        "in_progress": (f"{cancelled} = 0 AND {ready} > ?", [as_of_ms]),
        "failed": (f"{cancelled} = 0 AND {ready} <= ? AND {failure} IS NOT NULL", [as_of_ms]),
        "completed": (f"{cancelled} = 0 AND {ready} <= ? AND {failure} IS NULL", [as_of_ms]),
    }
    return conditions[status]


def read_status_filter(request: ApiRequest) -> str | None:
    status = request.query.get("filter")
    if status is not None and status not in FILE_STATUSES:
        supported = ", ".join(f"'{s}'" for s in FILE_STATUSES)
        raise invalid(
            f"Invalid value: '{status}'. Supported values are: {supported}.", "filter", "invalid_value"
        )
    return status


def list_files(ctx: Context, request: ApiRequest) -> Reply:
    store_id = request.path_params["vector_store_id"]
    query = parse_list_query(request.query)
    status = read_status_filter(request)
    load_store(ctx, store_id)
    as_of = ctx.clock_ms()
    page = ctx.store.page(
        STORE_FILE,
        parent=store_id,
        limit=query.limit,
        order=query.order,
        after=query.after,
        before=query.before,
        condition=status_condition(status, as_of) if status else None,
    )
    return Reply(list_envelope(page, lambda body: render_store_file(body, as_of)))


def retrieve_file(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    body = load_store_file(ctx, params["vector_store_id"], params["file_id"])
    return Reply(render_store_file(body, ctx.clock_ms()))


def update_file(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    payload = check_body(schemas.UPDATE_VECTOR_STORE_FILE, request.body)
    body = load_store_file(ctx, params["vector_store_id"], params["file_id"])
    body["attributes"] = pick(payload, "attributes", {})
    ctx.store.replace(STORE_FILE, body, parent=params["vector_store_id"], tag=body.get("_batch_id"))
    return Reply(render_store_file(body, ctx.clock_ms()))


def delete_file(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    load_store_file(ctx, params["vector_store_id"], params["file_id"])
    ctx.store.delete(STORE_FILE, params["file_id"], parent=params["vector_store_id"])
    return Reply({"id": params["file_id"], "object": "vector_store.file.deleted", "deleted": True})


def file_content(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    load_store_file(ctx, params["vector_store_id"], params["file_id"])
    data = ctx.store.get_blob(params["file_id"]) or b""
    text = data.decode("utf-8", errors="replace")
    return Reply(
        {
            "object": "vector_store.file_content.page",
            "data": [{"type": "text", "text": piece} for piece in search.split_into_chunks(text)],
            "has_more": False,
            "next_page": None,
        }
    )


# File batches


def render_batch(ctx: Context, body: dict[str, Any], as_of_ms: int) -> dict[str, Any]:
    files = [
        f for f in ctx.store.children(STORE_FILE, body["vector_store_id"]) if f.get("_batch_id") == body["id"]
    ]
    counts = count_files(files, as_of_ms)
    rendered = public(body)
    rendered["file_counts"] = counts
    if body.get("_cancelled"):
        rendered["status"] = "cancelled"
    elif counts["in_progress"]:
        rendered["status"] = "in_progress"
    elif counts["total"] and counts["failed"] == counts["total"]:
        rendered["status"] = "failed"
    else:
        rendered["status"] = "completed"
    return rendered


def load_batch(ctx: Context, store_id: str, batch_id: str) -> dict[str, Any]:
    body = ctx.store.get(BATCH, batch_id, parent=store_id)
    if body is None:
        raise not_found(f"No file batch found with id '{batch_id}'.")
    return body


def create_batch(ctx: Context, request: ApiRequest) -> Reply:
    store_id = request.path_params["vector_store_id"]
    payload = check_body(schemas.CREATE_FILE_BATCH, request.body)
    if "file_ids" not in payload and "files" not in payload:
        raise invalid(
            "Missing required parameter: 'file_ids' (or 'files').", "file_ids", "missing_required_parameter"
        )
    load_store(ctx, store_id)
    now = ctx.clock_ms()
    body = {
        "id": new_id("vsfb_"),
        "object": "vector_store.files_batch",
        "created_at": now // 1000,
        "vector_store_id": store_id,
        "status": "in_progress",
        "file_counts": {},
        "_cancelled": False,
    }
    default_chunking = payload.get("chunking_strategy")
    default_attributes = payload.get("attributes")
    with ctx.store.transaction():
        ctx.store.insert(BATCH, body, parent=store_id)
        for index, file_id in enumerate(payload.get("file_ids") or []):
            attach(
                ctx,
                store_id,
                file_id,
                chunking=default_chunking,
                attributes=default_attributes,
                batch_id=body["id"],
                param=f"file_ids[{index}]",
            )
        for index, item in enumerate(payload.get("files") or []):
            attach(
                ctx,
                store_id,
                item["file_id"],
                chunking=item.get("chunking_strategy", default_chunking),
                attributes=item.get("attributes", default_attributes),
                batch_id=body["id"],
                param=f"files[{index}].file_id",
            )
    return Reply(render_batch(ctx, body, now - 1))


def retrieve_batch(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    body = load_batch(ctx, params["vector_store_id"], params["batch_id"])
    return Reply(render_batch(ctx, body, ctx.clock_ms()))


def cancel_batch(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    store_id = params["vector_store_id"]
    body = load_batch(ctx, store_id, params["batch_id"])
    now = ctx.clock_ms()
    if render_batch(ctx, body, now)["status"] != "in_progress":
        raise ApiError(400, f"Cannot cancel a batch with status '{render_batch(ctx, body, now)['status']}'.")
    with ctx.store.transaction():
        for item in ctx.store.children(STORE_FILE, store_id):
            if item.get("_batch_id") == body["id"] and file_status(item, now) == "in_progress":
                item["_cancelled"] = True
                ctx.store.replace(STORE_FILE, item, parent=store_id, tag=body["id"])
        body["_cancelled"] = True
        ctx.store.replace(BATCH, body, parent=store_id)
    return Reply(render_batch(ctx, body, now))


def list_batch_files(ctx: Context, request: ApiRequest) -> Reply:
    params = request.path_params
    store_id = params["vector_store_id"]
    query = parse_list_query(request.query)
    status = read_status_filter(request)
    load_batch(ctx, store_id, params["batch_id"])
    as_of = ctx.clock_ms()
    page = ctx.store.page(
        STORE_FILE,
        parent=store_id,
        limit=query.limit,
        order=query.order,
        after=query.after,
        before=query.before,
        tag=params["batch_id"],
        condition=status_condition(status, as_of) if status else None,
    )
    return Reply(list_envelope(page, lambda body: render_store_file(body, as_of)))


# Search


def search_stores(
    ctx: Context,
    store_ids: list[str],
    query: str | list[str],
    *,
    threshold: float = 0.0,
    filters: dict[str, Any] | None = None,
) -> list[search.Hit]:
    """Rank the completed files' chunks of the given stores (shared with the model's /search)."""
    as_of = ctx.clock_ms()
    chunks: list[search.Chunk] = []
    for store_id in store_ids:
        for item in ctx.store.children(STORE_FILE, store_id):
            if file_status(item, as_of) != "completed":
                continue
            attributes = item.get("attributes") or {}
            if filters is not None and not search.matches_filter(attributes, filters):
                continue
            uploaded = ctx.store.get(FILE, item["id"])
            data = ctx.store.get_blob(item["id"])
            if uploaded is None or data is None:
                continue
            chunks.extend(search.chunk_file(item["id"], uploaded["filename"], data, attributes))
    return search.rank(query, chunks, threshold=threshold)


def search_store(ctx: Context, request: ApiRequest) -> Reply:
    store_id = request.path_params["vector_store_id"]
    payload = check_body(schemas.SEARCH_VECTOR_STORE, request.body)
    if "filters" in payload:
        search.check_filter(payload["filters"])
    load_store(ctx, store_id)
    query = payload["query"]
    threshold = float((payload.get("ranking_options") or {}).get("score_threshold", 0.0))
    hits = search_stores(ctx, [store_id], query, threshold=threshold, filters=payload.get("filters"))
    limit = payload.get("max_num_results", 10)
    data = [
        {
            "file_id": hit.chunk.file_id,
            "filename": hit.chunk.filename,
            "score": hit.score,
            "attributes": dict(hit.chunk.attributes),
            "content": [{"type": "text", "text": hit.chunk.text}],
        }
        for hit in hits[:limit]
    ]
    return Reply(
        {
            "object": "vector_store.search_results.page",
            "search_query": [query] if isinstance(query, str) else list(query),
            "data": data,
            "has_more": False,
            "next_page": None,
        }
    )


ENDPOINTS = (
    Endpoint("GET", "/v1/vector_stores", list_stores),
    Endpoint("POST", "/v1/vector_stores", create),
    Endpoint("GET", "/v1/vector_stores/{vector_store_id}", retrieve),
    Endpoint("POST", "/v1/vector_stores/{vector_store_id}", modify),
    Endpoint("DELETE", "/v1/vector_stores/{vector_store_id}", delete),
    Endpoint("POST", "/v1/vector_stores/{vector_store_id}/search", search_store),
    Endpoint("GET", "/v1/vector_stores/{vector_store_id}/files", list_files),
    Endpoint("POST", "/v1/vector_stores/{vector_store_id}/files", create_file),
    Endpoint("GET", "/v1/vector_stores/{vector_store_id}/files/{file_id}", retrieve_file),
    Endpoint("POST", "/v1/vector_stores/{vector_store_id}/files/{file_id}", update_file),
    Endpoint("DELETE", "/v1/vector_stores/{vector_store_id}/files/{file_id}", delete_file),
    Endpoint("GET", "/v1/vector_stores/{vector_store_id}/files/{file_id}/content", file_content),
    Endpoint("POST", "/v1/vector_stores/{vector_store_id}/file_batches", create_batch),
    Endpoint("GET", "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}", retrieve_batch),
    Endpoint("POST", "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel", cancel_batch),
    Endpoint("GET", "/v1/vector_stores/{vector_store_id}/file_batches/{batch_id}/files", list_batch_files),
)
